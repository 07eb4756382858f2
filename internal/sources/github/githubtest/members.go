package githubtest

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Organisation members and teams (GET /orgs/{org}/members, /orgs/{org}/teams, /orgs/{org}/teams/{slug}/members),
// as GitHub answers them: "simple user" and "team" objects, 30 per page unless per_page says otherwise (at most
// 100), Link pagination. The developer directory of the adoption KPI reads them.

// Kinds of the member endpoints, counted like the others.
const (
	KindMembers = "members" // GET /orgs/{org}/members
	KindTeams   = "teams"   // GET /orgs/{org}/teams, GET /orgs/{org}/teams/{slug}/members
)

type team struct {
	id      int64
	name    string
	slug    string
	members []string
}

type orgPeople struct {
	members []string // logins, in the order added
	ids     map[string]int64
	teams   []*team
}

// people is org's members and teams; s.mu is held.
func (s *Server) people(org string) *orgPeople {
	if s.members == nil {
		s.members = map[string]*orgPeople{}
	}
	key := strings.ToLower(org)
	p := s.members[key]
	if p == nil {
		p = &orgPeople{ids: map[string]int64{}}
		s.members[key] = p
	}
	return p
}

// AddMember makes logins members of org.
func (s *Server) AddMember(org string, logins ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[strings.ToLower(org)]; !ok {
		panic("githubtest: no organisation " + org)
	}
	p := s.people(org)
	for _, l := range logins {
		if _, ok := p.ids[strings.ToLower(l)]; ok {
			continue
		}
		s.nextID++
		p.ids[strings.ToLower(l)] = s.nextID
		p.members = append(p.members, l)
	}
}

// RemoveMember takes login out of org and its teams.
func (s *Server) RemoveMember(org, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.people(org)
	delete(p.ids, strings.ToLower(login))
	p.members = without(p.members, login)
	for _, t := range p.teams {
		t.members = without(t.members, login)
	}
}

func without(ss []string, s string) []string {
	out := ss[:0:0]
	for _, x := range ss {
		if !strings.EqualFold(x, s) {
			out = append(out, x)
		}
	}
	return out
}

// AddTeam creates a team of org named name (its slug is the name in lower case, spaces as -) with members, who
// become members of org too.
func (s *Server) AddTeam(org, name string, members ...string) {
	s.AddMember(org, members...)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.people(org)
	s.nextID++
	p.teams = append(p.teams, &team{id: s.nextID, name: name, slug: strings.ReplaceAll(strings.ToLower(name), " ", "-"),
		members: append([]string(nil), members...)})
}

func (s *Server) teamJSON(org string, t *team) map[string]any {
	api := fmt.Sprintf("%s/organizations/%d/team/%d", s.URL, s.orgs[strings.ToLower(org)], t.id)
	return map[string]any{
		"id": t.id, "node_id": fmt.Sprintf("T_%d", t.id), "url": api, "html_url": s.URL + "/orgs/" + org + "/teams/" + t.slug,
		"name": t.name, "slug": t.slug, "description": nil, "privacy": "closed", "notification_setting": "notifications_enabled",
		"permission": "pull", "members_url": api + "/members{/member}", "repositories_url": api + "/repos", "parent": nil,
	}
}

func (s *Server) page(w http.ResponseWriter, req *http.Request, base string, items []map[string]any) {
	q := req.URL.Query()
	perPage, pg := pageOf(q)
	last := max((len(items)+perPage-1)/perPage, 1)
	out := []map[string]any{}
	for i := (pg - 1) * perPage; i < len(items) && i < pg*perPage; i++ {
		out = append(out, items[i])
	}
	setLinks(w, base, q, perPage, pg, last)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listMembers(w http.ResponseWriter, req *http.Request) {
	org := req.PathValue("org")
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.orgs[strings.ToLower(org)]
	if !ok {
		notFound(w)
		return
	}
	p := s.people(org)
	logins := append([]string(nil), p.members...)
	sort.Slice(logins, func(i, j int) bool { return p.ids[strings.ToLower(logins[i])] < p.ids[strings.ToLower(logins[j])] })
	items := make([]map[string]any, len(logins))
	for i, l := range logins {
		items[i] = s.user(l, p.ids[strings.ToLower(l)], "User")
	}
	s.page(w, req, fmt.Sprintf("%s/organizations/%d/members", s.URL, id), items)
}

func (s *Server) listTeams(w http.ResponseWriter, req *http.Request) {
	org := req.PathValue("org")
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.orgs[strings.ToLower(org)]
	if !ok {
		notFound(w)
		return
	}
	p := s.people(org)
	items := make([]map[string]any, len(p.teams))
	for i, t := range p.teams {
		items[i] = s.teamJSON(org, t)
	}
	s.page(w, req, fmt.Sprintf("%s/organizations/%d/teams", s.URL, id), items)
}

func (s *Server) listTeamMembers(w http.ResponseWriter, req *http.Request) {
	org, slug := req.PathValue("org"), req.PathValue("slug")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[strings.ToLower(org)]; !ok {
		notFound(w)
		return
	}
	p := s.people(org)
	for _, t := range p.teams {
		if t.slug != slug {
			continue
		}
		items := make([]map[string]any, len(t.members))
		for i, l := range t.members {
			items[i] = s.user(l, p.ids[strings.ToLower(l)], "User")
		}
		s.page(w, req, fmt.Sprintf("%s/organizations/%d/team/%d/members", s.URL, s.orgs[strings.ToLower(org)], t.id), items)
		return
	}
	notFound(w)
}

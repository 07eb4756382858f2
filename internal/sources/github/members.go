package github

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// Member is a member of an organisation, with the slugs of the organisation's teams they belong to: the developer
// directory of the adoption KPI (docs/fleet.md). It needs the token (or App) to read members: with
// "Members: read" on an organisation, GitHub lists every member; without it, only public ones.
type Member struct {
	Login string
	Teams []string
}

// Members lists each organisation's members with their teams, by source name (SourceName). An organisation that
// cannot be read is left out and named in the error; the others are returned.
func (h *Hub) Members(ctx context.Context) (map[string][]Member, error) {
	out := map[string][]Member{}
	var errs []error
	for _, c := range h.Collectors() {
		ms, err := h.orgMembers(ctx, c.org)
		if err != nil {
			errs = append(errs, fmt.Errorf("list members of github org %q: %w", c.org, err))
			continue
		}
		out[c.source] = ms
	}
	return out, errors.Join(errs...)
}

func (h *Hub) orgMembers(ctx context.Context, org string) ([]Member, error) {
	teams := map[string][]string{} // lower-case login → team slugs
	var logins []string
	mopts := &gh.ListMembersOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		users, resp, err := call(ctx, func() ([]*gh.User, *gh.Response, error) {
			return h.client.Organizations.ListMembers(ctx, org, mopts)
		})
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			logins = append(logins, u.GetLogin())
		}
		if resp.NextPage == 0 {
			break
		}
		mopts.Page = resp.NextPage
	}
	topts := &gh.ListOptions{PerPage: 100}
	for {
		ts, resp, err := call(ctx, func() ([]*gh.Team, *gh.Response, error) {
			return h.client.Teams.ListTeams(ctx, org, topts)
		})
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if err := h.teamMembers(ctx, org, t.GetSlug(), teams); err != nil {
				return nil, err
			}
		}
		if resp.NextPage == 0 {
			break
		}
		topts.Page = resp.NextPage
	}
	out := make([]Member, 0, len(logins))
	for _, l := range logins {
		ts := teams[strings.ToLower(l)]
		sort.Strings(ts)
		out = append(out, Member{Login: l, Teams: ts})
	}
	return out, nil
}

func (h *Hub) teamMembers(ctx context.Context, org, slug string, into map[string][]string) error {
	opts := &gh.TeamListTeamMembersOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		users, resp, err := call(ctx, func() ([]*gh.User, *gh.Response, error) {
			return h.client.Teams.ListTeamMembersBySlug(ctx, org, slug, opts)
		})
		if err != nil {
			return fmt.Errorf("team %q: %w", slug, err)
		}
		for _, u := range users {
			l := strings.ToLower(u.GetLogin())
			into[l] = append(into[l], slug)
		}
		if resp.NextPage == 0 {
			return nil
		}
		opts.Page = resp.NextPage
	}
}

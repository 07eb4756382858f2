package githubtest

import (
	"net/http"
	"strings"
)

// Branch protection, read side: GET /repos/{owner}/{repo}/branches/{branch}/protection answers the protection
// set with Protect in GitHub's shape, 404 "Branch not protected" for a branch without, and 403 for a repository
// whose protection the caller may not read (HideProtection: a token without administration read).

// Protection is how a branch is protected.
type Protection struct {
	RequiredReviews int      // approving reviews a pull request needs; 0: reviews not required
	RequiredChecks  []string // status checks that must pass
	EnforceAdmins   bool
}

type protectionState struct {
	p      *Protection // nil: not protected
	hidden bool
}

func protectionKey(org, name, branch string) string {
	return strings.ToLower(org + "/" + name + "/" + branch)
}

// Protect protects a branch of a repository (p nil: removes its protection).
func (s *Server) Protect(org, name, branch string, p *Protection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.protection == nil {
		s.protection = map[string]*protectionState{}
	}
	s.protection[protectionKey(org, name, branch)] = &protectionState{p: p}
}

// HideProtection makes a branch's protection unreadable (403), as for a token without administration read.
func (s *Server) HideProtection(org, name, branch string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.protection == nil {
		s.protection = map[string]*protectionState{}
	}
	st := s.protection[protectionKey(org, name, branch)]
	if st == nil {
		st = &protectionState{}
		s.protection[protectionKey(org, name, branch)] = st
	}
	st.hidden = true
}

func (s *Server) getProtection(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	branch := req.PathValue("branch")
	st := s.protection[protectionKey(r.org, r.Name, branch)]
	if st != nil && st.hidden {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "Resource not accessible by integration",
			"documentation_url": docsBase + "/branches/branch-protection#get-branch-protection", "status": "403"})
		return
	}
	if st == nil || st.p == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Branch not protected",
			"documentation_url": docsBase + "/branches/branch-protection#get-branch-protection", "status": "404"})
		return
	}
	base := s.URL + "/repos/" + r.org + "/" + r.Name + "/branches/" + branch + "/protection"
	checks := []map[string]any{}
	for _, c := range st.p.RequiredChecks {
		checks = append(checks, map[string]any{"context": c, "app_id": nil})
	}
	contexts := append([]string{}, st.p.RequiredChecks...)
	body := map[string]any{
		"url": base,
		"required_status_checks": map[string]any{"url": base + "/required_status_checks", "strict": true,
			"contexts": contexts, "checks": checks, "contexts_url": base + "/required_status_checks/contexts"},
		"enforce_admins":                   map[string]any{"url": base + "/enforce_admins", "enabled": st.p.EnforceAdmins},
		"required_linear_history":          map[string]any{"enabled": false},
		"allow_force_pushes":               map[string]any{"enabled": false},
		"allow_deletions":                  map[string]any{"enabled": false},
		"block_creations":                  map[string]any{"enabled": false},
		"required_conversation_resolution": map[string]any{"enabled": false},
		"lock_branch":                      map[string]any{"enabled": false},
		"allow_fork_syncing":               map[string]any{"enabled": false},
	}
	if st.p.RequiredReviews > 0 {
		body["required_pull_request_reviews"] = map[string]any{"url": base + "/required_pull_request_reviews",
			"dismiss_stale_reviews": true, "require_code_owner_reviews": true,
			"required_approving_review_count": st.p.RequiredReviews, "require_last_push_approval": false}
	}
	writeJSON(w, http.StatusOK, body)
}

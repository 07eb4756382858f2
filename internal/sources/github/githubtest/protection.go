package githubtest

import "strings"

// Branch protection set by a test rather than through PUT .../protection (gitdata.go, which also answers GET):
// Protect protects a branch or removes its protection, HideProtection makes it unreadable (403), as for a token
// without administration read.

func protectionKey(org, name, branch string) string {
	return strings.ToLower(org + "/" + name + "/" + branch)
}

// Protect protects a branch of a repository (p nil: removes its protection).
func (s *Server) Protect(org, name, branch string, p *Protection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(org, name)
	if r.protections == nil {
		r.protections = map[string]*Protection{}
	}
	if p == nil {
		delete(r.protections, branch)
		return
	}
	c := *p
	r.protections[branch] = &c
}

// HideProtection makes a branch's protection unreadable (403), as for a token without administration read.
func (s *Server) HideProtection(org, name, branch string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hiddenProtection == nil {
		s.hiddenProtection = map[string]bool{}
	}
	s.hiddenProtection[protectionKey(org, name, branch)] = true
}

package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
)

// Tokens serves the admins' management of API tokens. Secrets are shown once, on creation.
type Tokens struct {
	Tokens auth.Tokens
	Log    *slog.Logger
}

// Routes lists the token endpoints.
func (h *Tokens) Routes() []Route {
	return []Route{
		{"POST /api/v1/tokens", policy.TokensManage, h.create},
		{"GET /api/v1/tokens", policy.TokensManage, h.list},
		{"DELETE /api/v1/tokens/{id}", policy.TokensManage, h.revoke},
	}
}

func (h *Tokens) create(w http.ResponseWriter, r *http.Request) {
	var in TokenCreate
	if err := DecodeJSON(w, r, 16<<10, &in); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	var problems problem.Problems
	if n := len(strings.TrimSpace(in.Name)); n == 0 || n > 100 {
		problems.Append(problem.At("name", "required, at most 100 characters"))
	}
	if n := len(strings.TrimSpace(in.Subject)); n == 0 || n > 200 {
		problems.Append(problem.At("subject", "required, at most 200 characters: who acts with this token"))
	}
	for i, g := range in.Grants {
		if _, err := auth.ParseGrant(g.Role); err != nil || strings.Contains(g.Role, "@") {
			problems.Append(problem.At(fmt.Sprintf("grants[%d].role", i),
				"must be one of developer, team_owner, platform_approver, admin"))
		}
	}
	for i, s := range in.Scopes {
		if err := policy.CheckScope(s); err != nil {
			problems.Append(problem.At(fmt.Sprintf("scopes[%d]", i), err.Error()))
		}
	}
	if len(in.Grants) == 0 && len(in.Scopes) == 0 {
		problems.Append(problem.At("grants", "a token needs grants, scopes, or both"))
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(time.Now()) {
		problems.Append(problem.At("expires_at", "must be in the future"))
	}
	if len(problems) > 0 {
		WriteError(w, r, h.Log, BadRequest("invalid token request: nothing was stored", problems...))
		return
	}
	p, _ := auth.FromContext(r.Context())
	t := auth.Token{Name: strings.TrimSpace(in.Name), Subject: strings.TrimSpace(in.Subject), Grants: in.Grants,
		Scopes: in.Scopes, CreatedBy: p.Subject}
	if in.ExpiresAt != nil {
		t.ExpiresAt = in.ExpiresAt.UTC()
	}
	secret, t, err := h.Tokens.Issue(r.Context(), t)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/tokens/"+t.ID)
	WriteJSON(w, http.StatusCreated, TokenCreated{Token: t, Secret: secret})
}

func (h *Tokens) list(w http.ResponseWriter, r *http.Request) {
	ts, err := h.Tokens.List(r.Context())
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, TokenList{ts})
}

func (h *Tokens) revoke(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.FromContext(r.Context())
	t, err := h.Tokens.Revoke(r.Context(), r.PathValue("id"), p.Subject)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, t)
}

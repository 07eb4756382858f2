package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

func TestHasScopeAndExplicitScope(t *testing.T) {
	const anyEnv = auth.AnyEnvironment
	for _, tt := range []struct {
		name          string
		scopes        []string
		perm, env     string
		has, explicit bool
	}{
		{"no scopes allow everything", nil, "flags:write", "production", true, false},
		{"no scopes, no environment", nil, "tokens:manage", "", true, false},
		{"* allows everything but grants nothing", []string{"*"}, "flags:write", "dev", true, false},
		{"the permission itself, in an environment", []string{"flags:write"}, "flags:write", "production", true, true},
		{"the permission itself, no environment", []string{"catalog:read"}, "catalog:read", "", true, true},
		{"the permission itself, any environment", []string{"flags:write"}, "flags:write", anyEnv, true, true},
		{"qualified, its environment", []string{"flags:write:dev"}, "flags:write", "dev", true, true},
		{"qualified, another environment", []string{"flags:write:dev"}, "flags:write", "production", false, false},
		{"qualified, any environment", []string{"flags:write:dev"}, "flags:write", anyEnv, true, true},
		{"qualified, no environment", []string{"flags:write:dev"}, "flags:write", "", false, false},
		{"qualified, one of several", []string{"catalog:read", "flags:evaluate:staging", "flags:evaluate:production"},
			"flags:evaluate", "production", true, true},
		{"another permission", []string{"flags:read"}, "flags:write", "dev", false, false},
		{"a longer permission name is not under a shorter one", []string{"flags:readall"}, "flags:read", anyEnv, false, false},
		{"an empty qualifier allows nothing", []string{"flags:write:"}, "flags:write", anyEnv, false, false},
		{"the environment is compared whole", []string{"flags:write:dev"}, "flags:write", "dev2", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := auth.Principal{Subject: "u", Scopes: tt.scopes}
			if got := p.HasScope(tt.perm, tt.env); got != tt.has {
				t.Errorf("HasScope(%q, %q) = %v, want %v", tt.perm, tt.env, got, tt.has)
			}
			if got := p.ExplicitScope(tt.perm, tt.env); got != tt.explicit {
				t.Errorf("ExplicitScope(%q, %q) = %v, want %v", tt.perm, tt.env, got, tt.explicit)
			}
		})
	}
}

func TestScopeEnvironments(t *testing.T) {
	p := auth.Principal{Scopes: []string{"flags:write:dev", "flags:read:dev", "flags:write", "flags:write:staging",
		"flags:write:dev", "flags:writer:x"}}
	if got := p.ScopeEnvironments("flags:write"); !slices.Equal(got, []string{"dev", "staging"}) {
		t.Errorf("got %v", got)
	}
	if got := p.ScopeEnvironments("catalog:read"); len(got) != 0 {
		t.Errorf("got %v", got)
	}
}

func openTokens(t *testing.T) (auth.Tokens, *store.DB) {
	t.Helper()
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return auth.Tokens{DB: db.SQL()}, db
}

// TestTokenLifecycle: a token authenticates as its principal until it expires or is revoked; unknown, empty and
// too short secrets are refused; secrets are never stored.
func TestTokenLifecycle(t *testing.T) {
	ctx := context.Background()
	ts, db := openTokens(t)
	grants := []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}
	live, tok, err := ts.Create(ctx, auth.Token{Name: "ci", Subject: "ci-bot", Grants: grants,
		Scopes: []string{"flags:write:dev"}, CreatedBy: "admin"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(live, auth.TokenPrefix) || !strings.HasPrefix(tok.ID, "tok_") {
		t.Fatalf("secret %q, id %q", live[:4], tok.ID)
	}
	expired, _, err := ts.Create(ctx, auth.Token{Name: "old", Subject: "old", Grants: grants,
		ExpiresAt: time.Now().Add(-time.Minute)}, "")
	if err != nil {
		t.Fatal(err)
	}
	future, _, err := ts.Create(ctx, auth.Token{Name: "later", Subject: "later", Grants: grants,
		ExpiresAt: time.Now().Add(time.Hour)}, "")
	if err != nil {
		t.Fatal(err)
	}
	revoked, rtok, err := ts.Issue(ctx, auth.Token{Name: "gone", Subject: "gone", Grants: grants, CreatedBy: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Revoke(ctx, rtok.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.Create(ctx, auth.Token{Name: "short", Subject: "s"}, "atr_short"); err == nil {
		t.Error("a secret of 9 characters was accepted")
	}

	for _, tt := range []struct {
		name    string
		secret  string
		subject string
		err     error
	}{
		{"live", live, "ci-bot", nil},
		{"expires later", future, "later", nil},
		{"expired", expired, "", auth.ErrExpiredToken},
		{"revoked", revoked, "", auth.ErrBadToken},
		{"unknown", auth.NewSecret(), "", auth.ErrBadToken},
		{"a live secret with one character changed", live[:len(live)-1] + "x", "", auth.ErrBadToken},
		{"empty", "", "", auth.ErrNoCredentials},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ts.Authenticate(ctx, tt.secret)
			if !errors.Is(err, tt.err) || p.Subject != tt.subject {
				t.Fatalf("principal %q, error %v; want %q, %v", p.Subject, err, tt.subject, tt.err)
			}
			if err == nil && (p.Via != "token" || p.TokenID == "") {
				t.Errorf("principal %+v", p)
			}
		})
	}
	p, _ := ts.Authenticate(ctx, live)
	if !slices.Equal(p.Scopes, []string{"flags:write:dev"}) || !slices.Equal(p.Grants, grants) || p.TokenID != tok.ID {
		t.Errorf("principal %+v", p)
	}

	// Revoking twice changes nothing and audits once; revoking an unknown id is ErrTokenNotFound.
	if _, err := ts.Revoke(ctx, rtok.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if evs, _ := (audit.Log{DB: db.SQL()}).Query(ctx, audit.Filter{Resource: "token/" + rtok.ID}); len(evs) != 2 {
		t.Errorf("audit of an issued then revoked token (revoked twice): %d events", len(evs))
	}
	if _, err := ts.Revoke(ctx, "tok_nope", "admin"); !errors.Is(err, auth.ErrTokenNotFound) {
		t.Errorf("revoke unknown: %v", err)
	}
	list, err := ts.List(ctx)
	if err != nil || len(list) != 4 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	var hashes int
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM api_tokens WHERE hash IN (?, ?)`, live, revoked).Scan(&hashes); err != nil || hashes != 0 {
		t.Errorf("a secret is stored as is: %d %v", hashes, err)
	}
}

// TestRotate: a new secret replaces the live tokens of its kind (revoked and audited, with no secret or hash in
// the audit); the same secret again changes nothing; other tokens are never touched.
func TestRotate(t *testing.T) {
	ctx := context.Background()
	ts, db := openTokens(t)
	kind := auth.Token{Name: "admin (seeded)", Subject: "admin", Grants: []auth.Grant{{Role: auth.RoleAdmin}}, CreatedBy: "atrium serve"}
	// Another admin's token, and one of the same name made by a person: not of the kind.
	other, _, _ := ts.Create(ctx, auth.Token{Name: "ops", Subject: "ops", Grants: kind.Grants, CreatedBy: "admin"}, "")
	lookalike, _, _ := ts.Create(ctx, auth.Token{Name: kind.Name, Subject: "x", Grants: kind.Grants, CreatedBy: "admin"}, "")
	// The token a first start wrote to its data directory is of the kind.
	first, _, _ := ts.Create(ctx, kind, "")

	const a, b = "atr_first_value_0123456789", "atr_second_value_0123456789"
	steps := []struct {
		name          string
		secret        string
		created       bool
		revoked       int
		live, refused []string
	}{
		{"first value", a, true, 1, []string{a, other, lookalike}, []string{first}},
		{"same value again", a, false, 0, []string{a, other, lookalike}, nil},
		{"new value", b, true, 1, []string{b, other, lookalike}, []string{a, first}},
		{"same new value again", b, false, 0, []string{b}, []string{a}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			rot, err := ts.Rotate(ctx, kind, st.secret, "atrium serve", "ATRIUM_ADMIN_TOKEN changed")
			if err != nil {
				t.Fatal(err)
			}
			if rot.Created != st.created || len(rot.Revoked) != st.revoked || rot.Current.ID == "" || !rot.Current.RevokedAt.IsZero() {
				t.Fatalf("rotation %+v", rot)
			}
			for _, s := range st.live {
				if _, err := ts.Authenticate(ctx, s); err != nil {
					t.Errorf("%s…: %v", s[:8], err)
				}
			}
			for _, s := range st.refused {
				if _, err := ts.Authenticate(ctx, s); !errors.Is(err, auth.ErrBadToken) {
					t.Errorf("%s… still authenticates: %v", s[:8], err)
				}
			}
		})
	}
	evs, err := (audit.Log{DB: db.SQL()}).Query(ctx, audit.Filter{Actor: "atrium serve"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
		raw, _ := json.Marshal(e)
		detail := string(raw)
		for _, secret := range []string{a, b, first} {
			h := sha256.Sum256([]byte(secret))
			if strings.Contains(detail, secret) || strings.Contains(detail, hex.EncodeToString(h[:])) {
				t.Errorf("audit event %s holds a token secret or hash: %s", e.Action, detail)
			}
		}
	}
	slices.Sort(actions)
	if !slices.Equal(actions, []string{"token.created", "token.created", "token.revoked", "token.revoked"}) {
		t.Errorf("audited %v", actions)
	}

	// A value someone revoked stays revoked, and revokes nothing else.
	p, err := ts.Authenticate(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Revoke(ctx, p.TokenID, "admin"); err != nil {
		t.Fatal(err)
	}
	rot, err := ts.Rotate(ctx, kind, b, "atrium serve", "ATRIUM_ADMIN_TOKEN changed")
	if err != nil || rot.Created || rot.Current.RevokedAt.IsZero() || len(rot.Revoked) != 0 {
		t.Errorf("rotate to a revoked value: %+v %v", rot, err)
	}
	if _, err := ts.Authenticate(ctx, b); !errors.Is(err, auth.ErrBadToken) {
		t.Errorf("a revoked value came back: %v", err)
	}
}

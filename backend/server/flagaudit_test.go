package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
)

// Flag changes land in the portal's audit log: applied ones with the change (same transaction), refused ones as
// denied decisions.
func TestFlagChangesAreAudited(t *testing.T) {
	ctx := context.Background()
	const token = "atr_flag_audit_admin_0123456789"
	s, err := Open(ctx, Config{DataDir: t.TempDir(), AdminToken: token, Demo: "off",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	put := func(body string) int {
		req, _ := http.NewRequest("PUT", srv.URL+"/api/v1/flags/dev/new-checkout", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := `{"team":"payments","flag":{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off"}}`
	if code := put(good); code != 200 {
		t.Fatalf("put: %d", code)
	}
	bad := `{"team":"payments","flag":{"state":"ENABLED","variants":{"on":true},"defaultVariant":"missing"}}`
	if code := put(bad); code != 400 {
		t.Fatalf("invalid flag: %d", code)
	}
	events, err := audit.Log{DB: s.DB.SQL()}.Query(ctx, audit.Filter{Resource: "flag/dev/new-checkout"})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, e := range events {
		if e.Action != "flag.put" || e.Actor != "admin" {
			t.Errorf("event: %+v", e)
		}
		outcomes = append(outcomes, e.Outcome)
	}
	if strings.Join(outcomes, ",") != "denied,success" { // newest first
		t.Errorf("audit outcomes %v, want a denied refusal after the applied change", outcomes)
	}
}

// A flag write the caller may not make is refused (403) and audited as denied, naming who tried, which flag in
// which environment, and why: refused in the handler (another team's flag) and at the route (no role that writes
// or imports flags). Before, only refused approvals were.
func TestDeniedFlagWritesAreAudited(t *testing.T) {
	ctx := context.Background()
	const admin = "atr_flag_denied_admin_0123456789"
	s, err := Open(ctx, Config{DataDir: t.TempDir(), AdminToken: admin, Demo: "off",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	tokens := auth.Tokens{DB: s.DB.SQL()}
	owner, _, _ := tokens.Create(ctx, auth.Token{Name: "owner", Subject: "olga", Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}}, "")
	dev, _, _ := tokens.Create(ctx, auth.Token{Name: "dev", Subject: "dora", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}, "")
	call := func(method, path, token, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	def := `"flag":{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off"}`
	if code := call("PUT", "/api/v1/flags/staging/growth-banner", admin, `{"team":"growth",`+def+`}`); code != 200 {
		t.Fatalf("admin put: %d", code)
	}
	for _, tc := range []struct {
		method, path, token, body string
		actor, action, resource   string
		reason                    string
	}{
		{"PUT", "/api/v1/flags/staging/growth-banner", owner, `{"team":"payments",` + def + `}`,
			"olga", "flag.put", "flag/staging/growth-banner", `needs a role on team "growth"`},
		{"PUT", "/api/v1/flags/staging/new-pay", owner, `{"team":"growth",` + def + `}`,
			"olga", "flag.put", "flag/staging/new-pay", `needs a role on team "growth"`},
		{"DELETE", "/api/v1/flags/staging/growth-banner", owner, "",
			"olga", "flag.delete", "flag/staging/growth-banner", `needs a role on team "growth"`},
		{"PUT", "/api/v1/flags/staging/new-pay", dev, `{"team":"payments",` + def + `}`,
			"dora", "flag.put", "flag/staging/new-pay", "dora has no role that grants flags:write"},
		{"POST", "/api/v1/flags/import?environment=production", owner, `{"flags":{}}`,
			"olga", "flag.import", "flagset/production", "olga has no role that grants flags:import"},
	} {
		if code := call(tc.method, tc.path, tc.token, tc.body); code != 403 {
			t.Errorf("%s %s: %d, want 403", tc.method, tc.path, code)
			continue
		}
		events, err := audit.Log{DB: s.DB.SQL()}.Query(ctx, audit.Filter{Resource: tc.resource, Actor: tc.actor})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 {
			t.Errorf("%s %s by %s: not audited", tc.method, tc.path, tc.actor)
			continue
		}
		e := events[0]
		reason, _ := e.Detail["reason"].(string)
		if e.Action != tc.action || e.Outcome != audit.Denied || !strings.Contains(reason, tc.reason) ||
			e.Detail["environment"] != strings.Split(tc.resource, "/")[1] {
			t.Errorf("%s %s: audited %+v", tc.method, tc.path, e)
		}
	}
	if code := call("GET", "/api/v1/flags/staging/growth-banner", admin, ""); code != 200 {
		t.Errorf("the refused delete deleted: %d", code)
	}
}

package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/store/storetest"
)

// scopedPortal is a portal with flags (dev, staging, production) and actions (dev and production, both approved
// by platform approvers), and tokens whose scopes are qualified with an environment next to unqualified ones.
func scopedPortal(t *testing.T) *selfService {
	t.Helper()
	ctx := context.Background()
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := demo.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	approvers := []string{auth.RolePlatformApprover}
	cfg := actions.Config{Environments: map[string]actions.Environment{
		"dev":        {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryDirect, Approvers: &approvers},
		"production": {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryDirect},
	}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	owner := []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}
	developer := []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}
	approver := []auth.Grant{{Role: auth.RolePlatformApprover}}
	admin := []auth.Grant{{Role: auth.RoleAdmin}}
	tokens := auth.Tokens{DB: db.SQL()}
	s := &selfService{tok: map[string]string{}}
	for name, tok := range map[string]auth.Token{
		"admin":         {Grants: admin},
		"owner":         {Grants: owner},
		"owner-dev":     {Grants: owner, Scopes: []string{"flags:write:dev", "flags:read"}},
		"requester":     {Grants: developer},
		"requester-dev": {Grants: developer, Scopes: []string{"actions:request:dev", "actions:read"}},
		"approver-dev":  {Grants: approver, Scopes: []string{"actions:approve:dev", "actions:read"}},
		"importer-dev":  {Grants: admin, Scopes: []string{"flags:import:dev"}},
		"reader-dev":    {Grants: developer, Scopes: []string{"flags:read:dev"}},
	} {
		tok.Name, tok.Subject = name, name
		secret, _, err := tokens.Create(ctx, tok, "")
		if err != nil {
			t.Fatal(err)
		}
		s.tok[name] = secret
	}
	fl := &api.Flags{Store: &flagstore.Store{DB: db.SQL()}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv := httptest.NewServer((&api.Portal{DB: db, Actions: actions.NewService(db.SQL(), cfg, db),
		Routes: fl.Routes()}).Handler())
	t.Cleanup(srv.Close)
	s.portal = &portal{t: t, url: srv.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}
	for _, env := range []string{"dev", "production"} {
		if code, _ := s.do("POST", "/api/v1/flags/import?environment="+env, s.tok["admin"], shopFlags, nil, nil); code != 200 {
			t.Fatalf("import %s: %d", env, code)
		}
	}
	return s
}

// TestQualifiedScopesActOnlyInTheirEnvironment: a scope qualified with an environment ("flags:write:dev") allows
// its permission in that environment and nowhere else — for flag writes, deletes, imports and reads, action
// requests and approvals — while the same roles without the qualifier act everywhere.
func TestQualifiedScopesActOnlyInTheirEnvironment(t *testing.T) {
	s := scopedPortal(t)
	onOff := `{"flag": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"}, "team": "payments"}`
	request := func(env, name string) string {
		return `{"kind":"sqs_queue","service":"payments-api","environment":"` + env + `","region":"eu-west-1","params":{"name":"` + name + `"}}`
	}
	key := func(k string) map[string]string { return map[string]string{"Idempotency-Key": k} }
	cases := []struct {
		name, who, method, path, body string
		hdr                           map[string]string
		want                          int
	}{
		// The two reported cases, and the same tokens in their own environment.
		{"flags:write:dev writes production", "owner-dev", "PUT", "/api/v1/flags/production/pay-x", onOff, nil, 403},
		{"flags:write:dev writes dev", "owner-dev", "PUT", "/api/v1/flags/dev/pay-x", onOff, nil, 200},
		{"actions:request:dev requests production", "requester-dev", "POST", "/api/v1/actions", request("production", "q-prod"), key("k1"), 403},
		{"actions:request:dev requests dev", "requester-dev", "POST", "/api/v1/actions", request("dev", "q-dev"), key("k2"), 201},
		// Without the qualifier the same roles act everywhere: the 403s above come from the scope.
		{"owner writes production", "owner", "PUT", "/api/v1/flags/production/pay-y", onOff, nil, 200},
		{"requester requests production", "requester", "POST", "/api/v1/actions", request("production", "q-prod"), key("k3"), 201},
		// Deletes and imports.
		{"flags:write:dev deletes in production", "owner-dev", "DELETE", "/api/v1/flags/production/new-checkout", "", nil, 403},
		{"flags:write:dev deletes in dev", "owner-dev", "DELETE", "/api/v1/flags/dev/new-checkout", "", nil, 204},
		{"flags:import:dev imports production", "importer-dev", "POST", "/api/v1/flags/import?environment=production", shopFlags, nil, 403},
		{"flags:import:dev imports dev", "importer-dev", "POST", "/api/v1/flags/import?environment=dev", shopFlags, nil, 200},
		// Reads.
		{"flags:read:dev reads a production flag", "reader-dev", "GET", "/api/v1/flags/production/banner-text", "", nil, 403},
		{"flags:read:dev reads its history", "reader-dev", "GET", "/api/v1/flags/production/banner-text/history", "", nil, 403},
		{"flags:read:dev exports production", "reader-dev", "GET", "/api/v1/flags/export?environment=production", "", nil, 403},
		{"flags:read:dev lists production", "reader-dev", "GET", "/api/v1/flags?environment=production", "", nil, 403},
		{"flags:read:dev reads a dev flag", "reader-dev", "GET", "/api/v1/flags/dev/banner-text", "", nil, 200},
		{"flags:read:dev exports dev", "reader-dev", "GET", "/api/v1/flags/export?environment=dev", "", nil, 200},
	}
	for _, c := range cases {
		hdr := map[string]string{"Authorization": "Bearer " + s.tok[c.who], "Content-Type": "application/json"}
		maps.Copy(hdr, c.hdr)
		resp, body := s.raw(c.method, c.path, strings.NewReader(c.body), hdr)
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.want)
			continue
		}
		if c.want != 403 {
			continue
		}
		var e errBody
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("%s: the 403 is not an API error: %v", c.name, err)
			continue
		}
		if !strings.Contains(e.Error.Message, "scope") {
			t.Errorf("%s: 403 does not say the token's scope is why: %q", c.name, e.Error.Message)
		}
	}
	// Nothing of the refused writes was stored.
	if code, _ := s.do("GET", "/api/v1/flags/production/pay-x", s.tok["admin"], "", nil, nil); code != 404 {
		t.Errorf("refused write stored a production flag: %d", code)
	}
	if code, _ := s.do("GET", "/api/v1/flags/production/new-checkout", s.tok["admin"], "", nil, nil); code != 200 {
		t.Errorf("refused delete removed a production flag: %d", code)
	}
	var list struct{ Actions []actions.Action }
	s.do("GET", "/api/v1/actions?mine=true", s.tok["requester-dev"], "", nil, &list)
	if len(list.Actions) != 1 || list.Actions[0].Environment != "dev" {
		t.Errorf("requester-dev's actions: %+v", list.Actions)
	}

	// A listing shows only the environments the token may read.
	var rows struct {
		Items []struct{ Environment string }
	}
	if code, _ := s.do("GET", "/api/v1/flags", s.tok["reader-dev"], "", nil, &rows); code != 200 || len(rows.Items) == 0 {
		t.Fatalf("flags:read:dev lists: %d %d", code, len(rows.Items))
	}
	for _, r := range rows.Items {
		if r.Environment != "dev" {
			t.Errorf("flags:read:dev sees a flag of %s", r.Environment)
		}
	}
	var envs struct{ Items []struct{ Name string } }
	if s.do("GET", "/api/v1/flags/environments", s.tok["reader-dev"], "", nil, &envs); len(envs.Items) != 1 || envs.Items[0].Name != "dev" {
		t.Errorf("flags:read:dev sees environments %+v", envs.Items)
	}

	// Approvals: an actions:approve:dev token decides dev requests only.
	var prod, dev actions.Action
	if code, _ := s.do("POST", "/api/v1/actions", s.tok["requester"], request("production", "q-a"), key("a1"), &prod); code != 201 {
		t.Fatalf("request production: %d", code)
	}
	if code, _ := s.do("POST", "/api/v1/actions", s.tok["requester"], request("dev", "q-b"), key("a2"), &dev); code != 201 {
		t.Fatalf("request dev: %d", code)
	}
	var inbox struct{ Actions []actions.Action }
	s.do("GET", "/api/v1/approvals", s.tok["approver-dev"], "", nil, &inbox)
	for _, a := range inbox.Actions {
		if a.Environment != "dev" {
			t.Errorf("actions:approve:dev's inbox holds a request of %s", a.Environment)
		}
	}
	var view struct {
		MayApprove       bool   `json:"may_approve"`
		MayApproveReason string `json:"may_approve_reason"`
	}
	if s.do("GET", "/api/v1/actions/"+prod.ID, s.tok["approver-dev"], "", nil, &view); view.MayApprove || !strings.Contains(view.MayApproveReason, "production") {
		t.Errorf("actions:approve:dev on a production request: %+v", view)
	}
	var e errBody
	if code, _ := s.do("POST", "/api/v1/actions/"+prod.ID+"/approve", s.tok["approver-dev"], "", nil, &e); code != 403 {
		t.Errorf("actions:approve:dev approves production: %d %+v", code, e)
	}
	if code, _ := s.do("POST", "/api/v1/actions/"+dev.ID+"/approve", s.tok["approver-dev"], "", nil, nil); code != 200 {
		t.Errorf("actions:approve:dev approves dev: %d", code)
	}

	// GET /me says where a qualified permission holds.
	var me struct{ Permissions []string }
	s.do("GET", "/api/v1/me", s.tok["owner-dev"], "", nil, &me)
	if !slices.Contains(me.Permissions, "flags:write:dev@payments") || slices.Contains(me.Permissions, "flags:write@payments") {
		t.Errorf("owner-dev's permissions: %v", me.Permissions)
	}
}

// TestTokenScopesAreCheckedAtCreation: a qualifier is accepted only on a permission that acts in an environment,
// and only when it is an environment name; the 400 names the scope and the permissions that take one.
func TestTokenScopesAreCheckedAtCreation(t *testing.T) {
	s := newSelfService(t)
	admin := s.tok["admin"]
	for _, tt := range []struct {
		scope string
		ok    bool
	}{
		{"*", true},
		{"catalog:read", true},
		{"flags:evaluate:production", true},
		{"flags:write:dev", true},
		{"flags:read:staging", true},
		{"flags:import:dev", true},
		{"actions:request:dev", true},
		{"actions:approve:staging", true},
		{"catalog:read:dev", false},
		{"tokens:manage:x", false},
		{"audit:read:production", false},
		{"flags:write:", false},
		{"flags:write:bad env!", false},
		{"flags:write:-dev", false},
		{"flags", false},
		{"nope", false},
	} {
		t.Run(tt.scope, func(t *testing.T) {
			var e errBody
			code, _ := s.do("POST", "/api/v1/tokens", admin, `{"name":"t","subject":"ci","scopes":["`+tt.scope+`"]}`, nil, &e)
			if tt.ok {
				if code != 201 {
					t.Fatalf("%d %+v", code, e)
				}
				return
			}
			if code != 400 || e.fields() != "scopes[0]" {
				t.Fatalf("%d %+v", code, e)
			}
			problem := e.Error.Fields[0].Problem
			if !strings.Contains(problem, tt.scope) {
				t.Errorf("the problem does not name the scope: %q", problem)
			}
			if strings.Count(tt.scope, ":") >= 2 && !strings.Contains(problem, "flags:write") {
				t.Errorf("the problem does not say which permissions take a qualifier: %q", problem)
			}
		})
	}
}

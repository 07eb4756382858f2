package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/flags"
)

// Where the portal's policy says so (here: production), a flag change waits for a platform approver as an action of kind flag_change, shows in the
// approver's inbox, and is applied by the worker once approved; dev changes apply at once.
func TestProductionFlagChangesWaitForApproval(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: t.TempDir(), AdminToken: "atr_gate_admin_0123456789abcdef", Demo: "off",
		Log:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		File: FileConfig{Flags: FlagsConfig{Approvers: map[string][]string{"production": {auth.RolePlatformApprover}}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	tokens := auth.Tokens{DB: s.DB.SQL()}
	owner, _, _ := tokens.Create(ctx, auth.Token{Name: "owner", Subject: "olga", Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}}, "")
	approver, _, _ := tokens.Create(ctx, auth.Token{Name: "approver", Subject: "pat", Grants: []auth.Grant{{Role: auth.RolePlatformApprover}}}, "")
	call := func(method, path, token, body string, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	flag := `{"team":"payments","flag":{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"on"}}`
	if code := call("PUT", "/api/v1/flags/dev/instant-payouts", owner, flag, nil); code != 200 {
		t.Fatalf("dev change applies at once: %d", code)
	}
	var pending struct {
		Pending struct{ ID, Message string }
	}
	if code := call("PUT", "/api/v1/flags/production/instant-payouts", owner, flag, &pending); code != 202 ||
		!strings.HasPrefix(pending.Pending.ID, "act_") {
		t.Fatalf("production change: %d %+v", code, pending)
	}
	if code := call("GET", "/api/v1/flags/production/instant-payouts", owner, "", nil); code != 404 {
		t.Fatalf("the flag exists before approval: %d", code)
	}
	var inbox struct{ Actions []actions.Action }
	call("GET", "/api/v1/approvals", approver, "", &inbox)
	if len(inbox.Actions) != 1 || inbox.Actions[0].Kind != actions.KindFlagChange || inbox.Actions[0].Requester != "olga" {
		t.Fatalf("inbox: %+v", inbox.Actions)
	}
	if code := call("POST", "/api/v1/actions/"+pending.Pending.ID+"/approve", owner, `{"reason":"mine"}`, nil); code != 403 {
		t.Errorf("requester approving their own change: %d", code)
	}
	if code := call("POST", "/api/v1/actions/"+pending.Pending.ID+"/approve", approver, `{"reason":"ok"}`, nil); code != 200 {
		t.Fatalf("approve: %d", code)
	}
	// The worker runs on its own: poll the action until it is final (the flag is written before the action is
	// marked done, so polling the flag and then expecting the action done would race).
	deadline := time.Now().Add(10 * time.Second)
	var a actions.Action
	for {
		call("GET", "/api/v1/actions/"+pending.Pending.ID, approver, "", &a)
		if a.State.Final() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("approved change was not applied: %+v", a)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if a.State != actions.StateSucceeded || a.Result["flag"] != "production/instant-payouts" {
		t.Errorf("action after applying: %+v", a)
	}
	if code := call("GET", "/api/v1/flags/production/instant-payouts", owner, "", nil); code != 200 {
		t.Errorf("the approved flag: %d", code)
	}
}

// approvalPortal is a portal whose production flag changes wait for a platform approver, with a token per caller.
type approvalPortal struct {
	t      *testing.T
	s      *Server
	url    string
	tokens map[string]string
	ids    map[string]string // token ids
}

func newApprovalPortal(t *testing.T) *approvalPortal {
	t.Helper()
	ctx := context.Background()
	const admin = "atr_stale_admin_0123456789abcdef"
	s, err := Open(ctx, Config{DataDir: t.TempDir(), AdminToken: admin, Demo: "off",
		Log:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		File: FileConfig{Flags: FlagsConfig{Approvers: map[string][]string{"production": {auth.RolePlatformApprover}}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	p := &approvalPortal{t: t, s: s, url: srv.URL, tokens: map[string]string{"admin": admin}, ids: map[string]string{}}
	for name, grants := range map[string][]auth.Grant{
		"olga":  {{Role: auth.RoleTeamOwner, Team: "payments"}},
		"oscar": {{Role: auth.RoleTeamOwner, Team: "payments"}},
		"pat":   {{Role: auth.RolePlatformApprover}},
	} {
		secret, tok, err := auth.Tokens{DB: s.DB.SQL()}.Create(ctx, auth.Token{Name: name, Subject: name, Grants: grants}, "")
		if err != nil {
			t.Fatal(err)
		}
		p.tokens[name], p.ids[name] = secret, tok.ID
	}
	return p
}

func (p *approvalPortal) call(method, path, who, body string, out any) int {
	p.t.Helper()
	req, _ := http.NewRequest(method, p.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.tokens[who])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// request submits a production flag write that must wait for approval and returns its action id.
func (p *approvalPortal) request(method, path, who, body string) string {
	p.t.Helper()
	var pending struct{ Pending struct{ ID string } }
	if code := p.call(method, path, who, body, &pending); code != 202 || pending.Pending.ID == "" {
		p.t.Fatalf("%s %s by %s: %d, want 202 with a request", method, path, who, code)
	}
	return pending.Pending.ID
}

// approve approves action id as pat and waits for the worker to finish it.
func (p *approvalPortal) approve(id string) actions.Action {
	p.t.Helper()
	if code := p.call("POST", "/api/v1/actions/"+id+"/approve", "pat", `{"reason":"ok"}`, nil); code != 200 {
		p.t.Fatalf("approve %s: %d", id, code)
	}
	// The worker runs on its own (as it may on another replica): poll the action until it is final.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var a actions.Action
		p.call("GET", "/api/v1/actions/"+id, "pat", "", &a)
		if a.State.Final() {
			return a
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("action %s not finished: %+v", id, a)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type flagView struct {
	Version    int
	Team       string
	Definition struct {
		State          string
		DefaultVariant string
	}
}

func (p *approvalPortal) flag(key string) (flagView, int) {
	var f flagView
	code := p.call("GET", "/api/v1/flags/production/"+key, "pat", "", &f)
	return f, code
}

func putBody(team, state, def string) string {
	return `{"team":"` + team + `","flag":{"state":"` + state + `","variants":{"on":true,"off":false},"defaultVariant":"` + def + `"}}`
}

// A change held for approval applies only to the flag as it was when the change was requested: a change approved
// in between, a move to another team, or the flag's deletion fail it with a conflict saying what changed, and the
// flag keeps the value it has. Before, the older change silently overwrote the newer one.
func TestApprovedFlagChangeFailsWhenTheFlagChangedMeanwhile(t *testing.T) {
	p := newApprovalPortal(t)
	if a := p.approve(p.request("PUT", "/api/v1/flags/production/payouts", "olga", putBody("payments", "ENABLED", "off"))); a.State != actions.StateSucceeded {
		t.Fatalf("create: %+v", a)
	}

	// Two changes against version 1; the second approved first.
	stale := p.request("PUT", "/api/v1/flags/production/payouts", "olga", putBody("payments", "ENABLED", "on"))
	fresh := p.request("PUT", "/api/v1/flags/production/payouts", "oscar", putBody("payments", "DISABLED", "off"))
	if a := p.approve(fresh); a.State != actions.StateSucceeded {
		t.Fatalf("the first approved change: %+v", a)
	}
	a := p.approve(stale)
	if a.State != actions.StateFailed || !strings.Contains(a.Error, "version 1 → 2") {
		t.Errorf("the stale change: %s %q", a.State, a.Error)
	}
	if f, _ := p.flag("payouts"); f.Version != 2 || f.Definition.State != "DISABLED" || f.Definition.DefaultVariant != "off" {
		t.Errorf("the flag lost the change approved in between: %+v", f)
	}

	// Moved to another team in between.
	toGrowth := p.request("PUT", "/api/v1/flags/production/payouts", "admin", putBody("growth", "DISABLED", "off"))
	stale = p.request("PUT", "/api/v1/flags/production/payouts", "olga", putBody("payments", "ENABLED", "on"))
	p.approve(toGrowth)
	a = p.approve(stale)
	if a.State != actions.StateFailed || !strings.Contains(a.Error, `version 2 → 3, team "payments" → "growth"`) {
		t.Errorf("a change to a flag moved to another team: %s %q", a.State, a.Error)
	}
	if f, _ := p.flag("payouts"); f.Team != "growth" || f.Definition.State != "DISABLED" {
		t.Errorf("the flag after a refused change: %+v", f)
	}

	// Deleted in between; and created in between (the later flag is not the one the change was made against).
	stale = p.request("PUT", "/api/v1/flags/production/payouts", "admin", putBody("growth", "ENABLED", "on"))
	p.approve(p.request("DELETE", "/api/v1/flags/production/payouts", "admin", ""))
	if a := p.approve(stale); a.State != actions.StateFailed || !strings.Contains(a.Error, "was deleted") {
		t.Errorf("a change to a deleted flag: %s %q", a.State, a.Error)
	}
	if _, code := p.flag("payouts"); code != 404 {
		t.Errorf("the change recreated the deleted flag: %d", code)
	}
	first := p.request("PUT", "/api/v1/flags/production/payouts", "olga", putBody("payments", "ENABLED", "off"))
	second := p.request("PUT", "/api/v1/flags/production/payouts", "oscar", putBody("payments", "ENABLED", "on"))
	p.approve(second)
	if a := p.approve(first); a.State != actions.StateFailed || !strings.Contains(a.Error, "was created") {
		t.Errorf("a creation beaten by another: %s %q", a.State, a.Error)
	}
	if f, _ := p.flag("payouts"); f.Version != 4 || f.Definition.DefaultVariant != "on" {
		t.Errorf("a re-created flag continues the versions of the deleted one: %+v", f)
	}

	// An import is pinned to every flag of the environment.
	imp := p.request("POST", "/api/v1/flags/import?environment=production", "admin",
		`{"flags":{"payouts":{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","metadata":{"team":"payments"}}}}`)
	p.approve(p.request("PUT", "/api/v1/flags/production/payouts", "olga", putBody("payments", "DISABLED", "on")))
	if a := p.approve(imp); a.State != actions.StateFailed || !strings.Contains(a.Error, "payouts version 4 → 5") {
		t.Errorf("a stale import: %s %q", a.State, a.Error)
	}
	if f, _ := p.flag("payouts"); f.Version != 5 || f.Definition.State != "DISABLED" {
		t.Errorf("the flag after a refused import: %+v", f)
	}
}

// When a held change is applied, its requester must still be allowed to make it: a token revoked meanwhile, or
// one whose team no longer owns the flag, fails the change.
func TestApprovedFlagChangeRechecksTheRequester(t *testing.T) {
	p := newApprovalPortal(t)
	if a := p.approve(p.request("PUT", "/api/v1/flags/production/limits", "olga", putBody("payments", "ENABLED", "off"))); a.State != actions.StateSucceeded {
		t.Fatalf("create: %+v", a)
	}
	change := p.request("PUT", "/api/v1/flags/production/limits", "olga", putBody("payments", "ENABLED", "on"))
	if code := p.call("DELETE", "/api/v1/tokens/"+p.ids["olga"], "admin", "", nil); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	if a := p.approve(change); a.State != actions.StateFailed || !strings.Contains(a.Error, "revoked") {
		t.Errorf("a change by a revoked token: %s %q", a.State, a.Error)
	}
	if f, _ := p.flag("limits"); f.Version != 1 || f.Definition.DefaultVariant != "off" {
		t.Errorf("the flag changed: %+v", f)
	}
}

// Applying an approved change again (the worker crashed after the store committed it) finds the flag already as
// asked and succeeds without writing; a flag_change from before changes were pinned is refused.
func TestFlagExecutorAppliesOnce(t *testing.T) {
	p := newApprovalPortal(t)
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "olga", Via: "token", TokenID: p.ids["olga"],
		Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}})
	store := p.s.Flags.Store
	g := flagGate{cfg: FlagsConfig{Approvers: map[string][]string{"production": {auth.RolePlatformApprover}}}, store: store,
		actions: actions.NewService(p.s.DB.SQL(), actions.Config{}, p.s.DB)}
	fl, _ := flags.ParseFlag([]byte(`{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"on"}`))
	_, req, err := g.Submit(ctx, flags.Change{Action: flags.ActionPut, Environment: "production", Key: "once",
		Team: "payments", Flag: fl, Actor: "olga"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := g.actions.Store.Get(ctx, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	e := flagExecutor{store: store, tokens: auth.Tokens{DB: p.s.DB.SQL()}}
	for i := 0; i < 2; i++ {
		if out, err := e.Execute(ctx, a); err != nil || !out.Done {
			t.Fatalf("run %d: %+v %v", i+1, out, err)
		}
	}
	if h, _ := store.History(ctx, "production", "once", 0); len(h) != 1 {
		t.Errorf("history after two runs: %+v", h)
	}
	// A token scoped to the change's environment keeps the right at apply time (scopes with an environment
	// qualifier are decided in the environment of the change, not "anywhere").
	var held heldChange
	json.Unmarshal(a.Params, &held)
	held.Requester = &requester{Subject: "olga", Via: "oidc", Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}},
		Scopes: []string{"flags:write:production"}}
	scoped := a
	scoped.Params, _ = json.Marshal(held)
	if _, err := e.Execute(ctx, scoped); err != nil {
		t.Errorf("a requester whose scope names the change's environment: %v", err)
	}
	held.Requester.Scopes = []string{"flags:write:dev"}
	scoped.Params, _ = json.Marshal(held)
	if _, err := e.Execute(ctx, scoped); err == nil || !strings.Contains(err.Error(), "may no longer change") {
		t.Errorf("a requester whose scope names another environment: %v", err)
	}
	// An OIDC user cannot be read again: their grants as of the request are checked.
	held = heldChange{}
	json.Unmarshal(a.Params, &held)
	held.Requester = &requester{Subject: "olga", Via: "oidc", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}
	oidc := a
	oidc.Params, _ = json.Marshal(held)
	if _, err := e.Execute(ctx, oidc); err == nil || !actions.IsPermanent(err) || !strings.Contains(err.Error(), "may no longer change") {
		t.Errorf("an OIDC requester without the right: %v", err)
	}
	var legacy map[string]any
	json.Unmarshal(a.Params, &legacy)
	delete(legacy, "base")
	delete(legacy, "requester")
	a.Params, _ = json.Marshal(legacy)
	if _, err := e.Execute(ctx, a); err == nil || !actions.IsPermanent(err) || !strings.Contains(err.Error(), "request it again") {
		t.Errorf("an unpinned change: %v", err)
	}
}

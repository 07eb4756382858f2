package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/flagchange"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
)

// Where the portal's policy says so (here: production), a flag change waits for a platform approver as an action of
// kind flag_change, shows in the approver's inbox, and is applied by the worker once approved; dev changes apply at
// once. This is the wiring through HTTP; internal/actions/flagchange tests the gate and the executor themselves
// (stale changes, requesters who lost the right, applying twice).
func TestProductionFlagChangesWaitForApproval(t *testing.T) {
	ctx := context.Background()
	s, base := testPortal(t, "atr_gate_admin_0123456789abcdef",
		FileConfig{Flags: flagchange.Config{Approvers: map[string][]string{"production": {auth.RolePlatformApprover}}}})
	tokens := auth.Tokens{DB: s.DB.SQL()}
	owner, _, _ := tokens.Create(ctx, auth.Token{Name: "owner", Subject: "olga", Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}}, "")
	approver, _, _ := tokens.Create(ctx, auth.Token{Name: "approver", Subject: "pat", Grants: []auth.Grant{{Role: auth.RolePlatformApprover}}}, "")
	call := func(method, path, token, body string, out any) int {
		t.Helper()
		return callAPI(t, base, token, method, path, body, out)
	}
	// The flag list says which environments' changes wait, and for whom, so the UI can say so before saving.
	var list struct{ Approvers map[string][]string }
	if code := call("GET", "/api/v1/flags", owner, "", &list); code != 200 || len(list.Approvers) != 1 ||
		strings.Join(list.Approvers["production"], ",") != auth.RolePlatformApprover {
		t.Fatalf("flag list approvers: %d %+v", code, list)
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

// Flag changes land in the portal's audit log: applied ones with the change (same transaction), refused ones as
// denied decisions.
func TestFlagChangesAreAudited(t *testing.T) {
	ctx := context.Background()
	const token = "atr_flag_audit_admin_0123456789"
	s, base := testPortal(t, token, FileConfig{})
	put := func(body string) int {
		t.Helper()
		return callAPI(t, base, token, "PUT", "/api/v1/flags/dev/new-checkout", body, nil)
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
	s, base := testPortal(t, admin, FileConfig{})
	tokens := auth.Tokens{DB: s.DB.SQL()}
	owner, _, _ := tokens.Create(ctx, auth.Token{Name: "owner", Subject: "olga", Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}}, "")
	dev, _, _ := tokens.Create(ctx, auth.Token{Name: "dev", Subject: "dora", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}, "")
	call := func(method, path, token, body string) int {
		t.Helper()
		return callAPI(t, base, token, method, path, body, nil)
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

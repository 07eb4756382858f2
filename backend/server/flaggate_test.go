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
	deadline := time.Now().Add(10 * time.Second)
	for call("GET", "/api/v1/flags/production/instant-payouts", owner, "", nil) != 200 {
		if time.Now().After(deadline) {
			var a actions.Action
			call("GET", "/api/v1/actions/"+pending.Pending.ID, approver, "", &a)
			t.Fatalf("approved change was not applied: %+v", a)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var a actions.Action
	call("GET", "/api/v1/actions/"+pending.Pending.ID, approver, "", &a)
	if a.State != actions.StateSucceeded || a.Result["flag"] != "production/instant-payouts" {
		t.Errorf("action after applying: %+v", a)
	}
}

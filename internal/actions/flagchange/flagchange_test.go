package flagchange

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/store"
)

// approvals is a portal's approval machinery on a real database, without HTTP: production flag changes wait for a
// platform approver; callers are real API tokens.
type approvals struct {
	t      *testing.T
	db     *store.DB
	flags  *flagstore.Store
	svc    *actions.Service
	gate   Gate
	worker *actions.Worker
	who    map[string]auth.Principal // as the portal authenticates each caller's token
}

func newApprovals(t *testing.T) *approvals {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	fs := &flagstore.Store{DB: db.SQL(), InTx: AuditTx}
	svc := actions.NewService(db.SQL(), actions.Config{}, db)
	tokens := auth.Tokens{DB: db.SQL()}
	a := &approvals{t: t, db: db, flags: fs, svc: svc, who: map[string]auth.Principal{},
		gate: Gate{Config: Config{Approvers: map[string][]string{"production": {auth.RolePlatformApprover}}},
			Store: fs, Actions: svc},
		worker: actions.NewWorker(svc.Store, map[string]actions.Executor{actions.DeliveryFlags: Executor{Store: fs,
			Tokens: tokens}}, actions.WorkerConfig{}, slog.New(slog.NewTextHandler(io.Discard, nil)))}
	for name, grants := range map[string][]auth.Grant{
		"admin": {{Role: auth.RoleAdmin}},
		"olga":  {{Role: auth.RoleTeamOwner, Team: "payments"}},
		"oscar": {{Role: auth.RoleTeamOwner, Team: "payments"}},
		"pat":   {{Role: auth.RolePlatformApprover}},
	} {
		secret, _, err := tokens.Create(ctx, auth.Token{Name: name, Subject: name, Grants: grants}, "")
		if err != nil {
			t.Fatal(err)
		}
		if a.who[name], err = tokens.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func flagDef(t *testing.T, state, def string) *flags.Flag {
	t.Helper()
	fl, err := flags.ParseFlag([]byte(`{"state":"` + state + `","variants":{"on":true,"off":false},"defaultVariant":"` + def + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

func put(key, team string, fl *flags.Flag) flags.Change {
	return flags.Change{Action: flags.ActionPut, Environment: "production", Key: key, Team: team, Flag: fl}
}

// request submits c as who; it must wait for approval. It returns the request's action id.
func (a *approvals) request(who string, c flags.Change) string {
	a.t.Helper()
	c.Actor = who
	applied, pending, err := a.gate.Submit(auth.WithPrincipal(context.Background(), a.who[who]), c)
	if err != nil || applied || pending == nil || !strings.HasPrefix(pending.ID, "act_") {
		a.t.Fatalf("%s %s by %s: applied %v, pending %+v, %v; want a request", c.Action, c.Key, who, applied, pending, err)
	}
	return pending.ID
}

// approve approves action id as pat and runs the worker until it has nothing left to do.
func (a *approvals) approve(id string) actions.Action {
	a.t.Helper()
	ctx := context.Background()
	if _, err := a.svc.Decide(ctx, a.who["pat"], id, true, "ok"); err != nil {
		a.t.Fatalf("approve %s: %v", id, err)
	}
	for {
		worked, err := a.worker.RunOnce(ctx)
		if err != nil {
			a.t.Fatal(err)
		}
		if !worked {
			break
		}
	}
	got, err := a.svc.Store.Get(ctx, id)
	if err != nil {
		a.t.Fatal(err)
	}
	return got
}

type flagView struct {
	Version    int
	Team       string
	Definition struct {
		State          string
		DefaultVariant string
	}
}

func (a *approvals) flag(key string) (flagView, bool) {
	a.t.Helper()
	r, err := a.flags.Get(context.Background(), "production", key)
	if err != nil {
		return flagView{}, false
	}
	v := flagView{Version: r.Version, Team: r.Team}
	if err := json.Unmarshal(r.Definition, &v.Definition); err != nil {
		a.t.Fatal(err)
	}
	return v, true
}

// A change waits for a platform approver as an action of kind flag_change in the approvers' inbox, and is applied
// by the worker once approved; environments without approvers apply at once.
func TestHeldChangeIsAppliedOnceApproved(t *testing.T) {
	a := newApprovals(t)
	ctx := auth.WithPrincipal(context.Background(), a.who["olga"])
	dev := put("payouts", "payments", flagDef(t, "ENABLED", "on"))
	dev.Environment, dev.Actor = "dev", "olga"
	if applied, pending, err := a.gate.Submit(ctx, dev); !applied || pending != nil || err != nil {
		t.Fatalf("dev change: %v %+v %v", applied, pending, err)
	}
	id := a.request("olga", put("payouts", "payments", flagDef(t, "ENABLED", "on")))
	if _, ok := a.flag("payouts"); ok {
		t.Fatal("the flag exists before approval")
	}
	inbox, err := a.svc.Inbox(context.Background(), a.who["pat"])
	if err != nil || len(inbox) != 1 || inbox[0].ID != id || inbox[0].Kind != actions.KindFlagChange ||
		inbox[0].Requester != "olga" {
		t.Fatalf("inbox: %+v %v", inbox, err)
	}
	if got := a.approve(id); got.State != actions.StateSucceeded || got.Result["flag"] != "production/payouts" {
		t.Errorf("after approval: %+v", got)
	}
	if f, ok := a.flag("payouts"); !ok || f.Version != 1 || f.Definition.DefaultVariant != "on" {
		t.Errorf("the approved flag: %+v %v", f, ok)
	}
	// The requester in ctx must be the change's actor: nobody holds a change in another's name.
	if _, _, err := a.gate.Submit(ctx, flags.Change{Action: flags.ActionDelete, Environment: "production",
		Key: "payouts", Actor: "oscar"}); err == nil || !strings.Contains(err.Error(), "not the caller") {
		t.Errorf("a change in another's name: %v", err)
	}
}

// A change held for approval applies only to the flag as it was when the change was requested: a change approved
// in between, a move to another team, or the flag's deletion fail it with a conflict saying what changed, and the
// flag keeps the value it has. Before, the older change silently overwrote the newer one.
func TestApprovedFlagChangeFailsWhenTheFlagChangedMeanwhile(t *testing.T) {
	a := newApprovals(t)
	if got := a.approve(a.request("olga", put("payouts", "payments", flagDef(t, "ENABLED", "off")))); got.State != actions.StateSucceeded {
		t.Fatalf("create: %+v", got)
	}

	// Two changes against version 1; the second approved first.
	stale := a.request("olga", put("payouts", "payments", flagDef(t, "ENABLED", "on")))
	fresh := a.request("oscar", put("payouts", "payments", flagDef(t, "DISABLED", "off")))
	if got := a.approve(fresh); got.State != actions.StateSucceeded {
		t.Fatalf("the first approved change: %+v", got)
	}
	got := a.approve(stale)
	if got.State != actions.StateFailed || !strings.Contains(got.Error, "version 1 → 2") {
		t.Errorf("the stale change: %s %q", got.State, got.Error)
	}
	if f, _ := a.flag("payouts"); f.Version != 2 || f.Definition.State != "DISABLED" || f.Definition.DefaultVariant != "off" {
		t.Errorf("the flag lost the change approved in between: %+v", f)
	}

	// Moved to another team in between.
	toGrowth := a.request("admin", put("payouts", "growth", flagDef(t, "DISABLED", "off")))
	stale = a.request("olga", put("payouts", "payments", flagDef(t, "ENABLED", "on")))
	a.approve(toGrowth)
	got = a.approve(stale)
	if got.State != actions.StateFailed || !strings.Contains(got.Error, `version 2 → 3, team "payments" → "growth"`) {
		t.Errorf("a change to a flag moved to another team: %s %q", got.State, got.Error)
	}
	if f, _ := a.flag("payouts"); f.Team != "growth" || f.Definition.State != "DISABLED" {
		t.Errorf("the flag after a refused change: %+v", f)
	}

	// Deleted in between; and created in between (the later flag is not the one the change was made against).
	stale = a.request("admin", put("payouts", "growth", flagDef(t, "ENABLED", "on")))
	a.approve(a.request("admin", flags.Change{Action: flags.ActionDelete, Environment: "production", Key: "payouts",
		Team: "growth"}))
	if got := a.approve(stale); got.State != actions.StateFailed || !strings.Contains(got.Error, "was deleted") {
		t.Errorf("a change to a deleted flag: %s %q", got.State, got.Error)
	}
	if _, ok := a.flag("payouts"); ok {
		t.Error("the change recreated the deleted flag")
	}
	first := a.request("olga", put("payouts", "payments", flagDef(t, "ENABLED", "off")))
	second := a.request("oscar", put("payouts", "payments", flagDef(t, "ENABLED", "on")))
	a.approve(second)
	if got := a.approve(first); got.State != actions.StateFailed || !strings.Contains(got.Error, "was created") {
		t.Errorf("a creation beaten by another: %s %q", got.State, got.Error)
	}
	if f, _ := a.flag("payouts"); f.Version != 4 || f.Definition.DefaultVariant != "on" {
		t.Errorf("a re-created flag continues the versions of the deleted one: %+v", f)
	}

	// An import is pinned to every flag of the environment.
	file, ps := flags.ValidateJSON([]byte(`{"flags":{"payouts":{"state":"ENABLED","variants":{"on":true,"off":false},` +
		`"defaultVariant":"off","metadata":{"team":"payments"}}}}`))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	imp := a.request("admin", flags.Change{Action: flags.ActionImport, Environment: "production", File: file})
	a.approve(a.request("olga", put("payouts", "payments", flagDef(t, "DISABLED", "on"))))
	if got := a.approve(imp); got.State != actions.StateFailed || !strings.Contains(got.Error, "payouts version 4 → 5") {
		t.Errorf("a stale import: %s %q", got.State, got.Error)
	}
	if f, _ := a.flag("payouts"); f.Version != 5 || f.Definition.State != "DISABLED" {
		t.Errorf("the flag after a refused import: %+v", f)
	}
}

// When a held change is applied, its requester must still be allowed to make it: a token revoked meanwhile fails
// the change.
func TestApprovedFlagChangeRechecksTheRequester(t *testing.T) {
	a := newApprovals(t)
	if got := a.approve(a.request("olga", put("limits", "payments", flagDef(t, "ENABLED", "off")))); got.State != actions.StateSucceeded {
		t.Fatalf("create: %+v", got)
	}
	change := a.request("olga", put("limits", "payments", flagDef(t, "ENABLED", "on")))
	if _, err := (auth.Tokens{DB: a.db.SQL()}).Revoke(context.Background(), a.who["olga"].TokenID, "admin"); err != nil {
		t.Fatal(err)
	}
	if got := a.approve(change); got.State != actions.StateFailed || !strings.Contains(got.Error, "revoked") {
		t.Errorf("a change by a revoked token: %s %q", got.State, got.Error)
	}
	if f, _ := a.flag("limits"); f.Version != 1 || f.Definition.DefaultVariant != "off" {
		t.Errorf("the flag changed: %+v", f)
	}
}

// Applying an approved change again (the worker crashed after the store committed it) finds the flag already as
// asked and succeeds without writing; a flag_change from before changes were pinned is refused.
func TestFlagExecutorAppliesOnce(t *testing.T) {
	a := newApprovals(t)
	ctx := auth.WithPrincipal(context.Background(), a.who["olga"])
	_, req, err := a.gate.Submit(ctx, flags.Change{Action: flags.ActionPut, Environment: "production", Key: "once",
		Team: "payments", Flag: flagDef(t, "ENABLED", "on"), Actor: "olga"})
	if err != nil {
		t.Fatal(err)
	}
	act, err := a.svc.Store.Get(ctx, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	e := Executor{Store: a.flags, Tokens: auth.Tokens{DB: a.db.SQL()}}
	for i := 0; i < 2; i++ {
		if out, err := e.Execute(ctx, act); err != nil || !out.Done {
			t.Fatalf("run %d: %+v %v", i+1, out, err)
		}
	}
	if h, _ := a.flags.History(ctx, "production", "once", 0); len(h) != 1 {
		t.Errorf("history after two runs: %+v", h)
	}
	// A token scoped to the change's environment keeps the right at apply time (scopes with an environment
	// qualifier are decided in the environment of the change, not "anywhere").
	var held heldChange
	if err := json.Unmarshal(act.Params, &held); err != nil {
		t.Fatal(err)
	}
	held.Requester = &requester{Subject: "olga", Via: "oidc", Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}},
		Scopes: []string{"flags:write:production"}}
	scoped := act
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
	if err := json.Unmarshal(act.Params, &held); err != nil {
		t.Fatal(err)
	}
	held.Requester = &requester{Subject: "olga", Via: "oidc", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}
	oidc := act
	oidc.Params, _ = json.Marshal(held)
	if _, err := e.Execute(ctx, oidc); err == nil || !actions.IsPermanent(err) || !strings.Contains(err.Error(), "may no longer change") {
		t.Errorf("an OIDC requester without the right: %v", err)
	}
	var legacy map[string]any
	if err := json.Unmarshal(act.Params, &legacy); err != nil {
		t.Fatal(err)
	}
	delete(legacy, "base")
	delete(legacy, "requester")
	act.Params, _ = json.Marshal(legacy)
	if _, err := e.Execute(ctx, act); err == nil || !actions.IsPermanent(err) || !strings.Contains(err.Error(), "request it again") {
		t.Errorf("an unpinned change: %v", err)
	}
}

// TestPreviewShowsTheFlagBeforeAndAfter: an approver sees the flag as it is and as the held change makes it; when
// the flag moved on since the request, a warning says approving applies nothing; once applied, the preview is the
// diff the flag's history recorded; an import says what it adds, changes and removes.
func TestPreviewShowsTheFlagBeforeAndAfter(t *testing.T) {
	a := newApprovals(t)
	ctx := context.Background()
	a.svc.Previewers = map[actions.Kind]actions.Previewer{actions.KindFlagChange: Previewer{Store: a.flags}}
	if err := a.flags.Apply(ctx, flags.Change{Action: flags.ActionPut, Environment: "production", Key: "checkout",
		Team: "payments", Flag: flagDef(t, "ENABLED", "off"), Actor: "olga"}); err != nil {
		t.Fatal(err)
	}
	id := a.request("olga", put("checkout", "payments", flagDef(t, "ENABLED", "on")))
	p, err := a.svc.Preview(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	f := p.Flag
	if f == nil || f.Action != "put" || f.Key != "checkout" || f.BaseVersion != 1 || f.CurrentVersion != 1 ||
		f.TeamBefore != "payments" || f.TeamAfter != "payments" || len(p.Warnings) != 0 ||
		!strings.Contains(string(f.Before), `"defaultVariant":"off"`) || !strings.Contains(string(f.After), `"defaultVariant":"on"`) {
		t.Fatalf("preview of a pending change: %+v %s %s", p, f.Before, f.After)
	}
	if len(p.Summary) != 1 || p.Summary[0] != "Changes the flag checkout in production (team payments)." {
		t.Errorf("summary: %q", p.Summary)
	}

	// Someone changes the flag meanwhile: the approver is told before deciding.
	if err := a.flags.Apply(ctx, flags.Change{Action: flags.ActionPut, Environment: "production", Key: "checkout",
		Team: "payments", Flag: flagDef(t, "DISABLED", "off"), Actor: "oscar"}); err != nil {
		t.Fatal(err)
	}
	if p, _ = a.svc.Preview(ctx, id); len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "version 1 → 2") ||
		!strings.Contains(string(p.Flag.Before), `"DISABLED"`) {
		t.Errorf("moved on: %+v", p)
	}

	// Applied: the diff is the one it made, whatever happens to the flag afterwards.
	other := a.request("olga", put("payouts", "payments", flagDef(t, "ENABLED", "on")))
	if got := a.approve(other); got.State != actions.StateSucceeded {
		t.Fatalf("approve: %+v", got)
	}
	if err := a.flags.Apply(ctx, flags.Change{Action: flags.ActionPut, Environment: "production", Key: "payouts",
		Team: "payments", Flag: flagDef(t, "DISABLED", "off"), Actor: "oscar"}); err != nil {
		t.Fatal(err)
	}
	p, err = a.svc.Preview(ctx, other)
	if err != nil || string(p.Flag.Before) != "null" || !strings.Contains(string(p.Flag.After), `"ENABLED"`) ||
		p.Flag.CurrentVersion != 1 || len(p.Warnings) != 0 || p.Summary[0] != "Creates the flag payouts in production (team payments)." {
		t.Errorf("after success: %+v %v", p, err)
	}

	// An import: the flags it adds, changes and removes.
	file, ps := flags.ValidateJSON([]byte(`{"flags":{"checkout":{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"on"},` +
		`"fresh":{"state":"ENABLED","variants":{"on":true},"defaultVariant":"on"}}}`))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	imp := a.request("admin", flags.Change{Action: flags.ActionImport, Environment: "production", File: file, Team: "payments"})
	p, err = a.svc.Preview(ctx, imp)
	if err != nil || p.Flag.Import == nil || strings.Join(p.Flag.Import.Added, ",") != "fresh" ||
		strings.Join(p.Flag.Import.Changed, ",") != "checkout" || strings.Join(p.Flag.Import.Removed, ",") != "payouts" {
		t.Errorf("import: %+v %v", p.Flag, err)
	}
}

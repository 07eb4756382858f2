package flagchange

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/flags/flagstore"
)

// An applied change is audited in its own transaction; every other outcome by the Auditor, which leaves applied
// ones alone so that none is recorded twice.
func TestFlagDecisionsAreAudited(t *testing.T) {
	a := newApprovals(t)
	ctx := context.Background()
	trail := audit.Log{DB: a.db.SQL()}
	auditor := Auditor{Trail: trail, Log: a.worker.Log}
	c := put("payouts", "payments", flagDef(t, "ENABLED", "on"))
	c.Environment, c.Actor = "dev", "olga"
	if err := a.flags.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, outcome := range []string{"applied", "rejected", "failed", "pending"} {
		auditor.Record(ctx, flags.AuditEntry{Actor: "olga", Action: "flag.put", Environment: "dev", Key: "payouts",
			Team: "payments", Outcome: outcome, Detail: "because"})
	}
	events, err := trail.Query(ctx, audit.Filter{Resource: "flag/dev/payouts"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		if e.Actor != "olga" || e.Detail["environment"] != "dev" {
			t.Errorf("event: %+v", e)
		}
		decided, _ := e.Detail["outcome"].(string)
		got = append(got, e.Action+" "+e.Outcome+"/"+decided)
	}
	// Newest first: pending (a request was made, named so: not a second successful flag.put), failed, rejected
	// (denied), and the applied change itself.
	want := []string{"flag.put.requested success/pending", "flag.put failure/failed", "flag.put denied/rejected", "flag.put success/"}
	if !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// TestAppliedChangeIsAuditedWhenItWasMade: the audit entry of an applied change carries the time the flag store
// gives the change (its history and updated_at), not a clock of its own — so the demo's flags, imported with a
// date in the past, are not "imported Sep 1" in the flag table and "today" in the audit log.
func TestAppliedChangeIsAuditedWhenItWasMade(t *testing.T) {
	a := newApprovals(t)
	ctx := context.Background()
	then := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	aged := &flagstore.Store{DB: a.flags.DB, InTx: a.flags.InTx, Now: func() time.Time { return then }}
	c := put("payouts", "payments", flagDef(t, "ENABLED", "on"))
	c.Environment, c.Actor = "dev", "olga"
	if err := aged.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	rec, err := aged.Get(ctx, "dev", "payouts")
	if err != nil {
		t.Fatal(err)
	}
	events, err := audit.Log{DB: a.db.SQL()}.Query(ctx, audit.Filter{Resource: "flag/dev/payouts"})
	if err != nil || len(events) != 1 {
		t.Fatalf("events: %+v %v", events, err)
	}
	if !events[0].At.Equal(then) || !rec.UpdatedAt.Equal(then) {
		t.Errorf("audited at %v, flag updated at %v; both should be %v", events[0].At, rec.UpdatedAt, then)
	}
}

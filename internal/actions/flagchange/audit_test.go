package flagchange

import (
	"context"
	"slices"
	"testing"

	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/flags"
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
		if e.Action != "flag.put" || e.Actor != "olga" || e.Detail["environment"] != "dev" {
			t.Errorf("event: %+v", e)
		}
		decided, _ := e.Detail["outcome"].(string)
		got = append(got, e.Outcome+"/"+decided)
	}
	// Newest first: pending (a request was made), failed, rejected (denied), and the applied change itself.
	want := []string{"success/pending", "failure/failed", "denied/rejected", "success/"}
	if !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

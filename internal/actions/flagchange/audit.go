package flagchange

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"

	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/flags"
)

// Flag changes reach the audit trail two ways. An applied change is recorded by the flag store inside the
// transaction that makes it (AuditTx, its InTx hook), so a change is never stored without its entry. Decisions
// that change nothing — rejected, failed, awaiting approval — are recorded by Auditor, which the flags API calls
// for every outcome and which leaves applied ones to the store.

func flagResource(env, key string) string {
	if key == "" {
		return "flagset/" + env
	}
	return "flag/" + env + "/" + key
}

// AuditTx is the flag store's InTx hook: it records an applied change in the change's transaction.
func AuditTx(ctx context.Context, tx *sql.Tx, c flags.Change) error {
	detail := map[string]any{"environment": c.Environment}
	if c.Team != "" {
		detail["team"] = c.Team
	}
	if c.Comment != "" {
		detail["comment"] = c.Comment
	}
	if c.Flag != nil {
		if b, err := json.Marshal(c.Flag); err == nil {
			detail["after"] = json.RawMessage(b)
		}
	}
	if c.File != nil {
		detail["flags"] = len(c.File.Flags)
	}
	// The change's own time (the flag's history and updated_at), not the clock's: one event, one time.
	return audit.RecordTx(ctx, tx, audit.Event{At: c.At, Actor: c.Actor, Action: "flag." + c.Action,
		Resource: flagResource(c.Environment, c.Key), Outcome: audit.Success, Detail: detail})
}

// Auditor records the flag decisions that changed nothing; it is the flags API's flags.Auditor.
type Auditor struct {
	Trail audit.Log
	// Log hears of entries the trail could not record.
	Log *slog.Logger
}

// Record implements flags.Auditor.
func (a Auditor) Record(ctx context.Context, e flags.AuditEntry) {
	if e.Outcome == "applied" {
		return // recorded in the change's transaction
	}
	outcome := audit.Failure
	if e.Outcome == "rejected" {
		outcome = audit.Denied
	}
	detail := map[string]any{"environment": e.Environment, "outcome": e.Outcome}
	if e.Detail != "" {
		detail["reason"] = e.Detail
	}
	if e.Team != "" {
		detail["team"] = e.Team
	}
	action := "flag." + actionVerb(e.Action)
	if e.Outcome == "pending" {
		// The request was made, nothing changed yet: "flag.put.requested", so that the trail does not read as two
		// successful changes when the approved change is recorded as flag.put.
		outcome, action = audit.Success, action+".requested"
	}
	if err := a.Trail.Record(ctx, audit.Event{Actor: e.Actor, Action: action,
		Resource: flagResource(e.Environment, e.Key), Outcome: outcome, Detail: detail}); err != nil {
		a.Log.Error("audit flag decision", "action", e.Action, "resource", flagResource(e.Environment, e.Key), "err", err)
	}
}

// actionVerb strips the "flag." prefix the flags API puts on its actions.
func actionVerb(a string) string {
	if len(a) > 5 && a[:5] == "flag." {
		return a[5:]
	}
	return a
}

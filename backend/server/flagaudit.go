package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"

	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/flags"
)

// Flag changes reach the audit log two ways. An applied change is recorded by the flag store inside the
// transaction that makes it (auditFlagChangeTx, its InTx hook), so a change is never stored without its entry.
// Decisions that change nothing — rejected, failed, awaiting approval — are recorded by flagAuditor, which the
// flags API calls for every outcome and which leaves applied ones to the store.

func flagResource(env, key string) string {
	if key == "" {
		return "flagset/" + env
	}
	return "flag/" + env + "/" + key
}

// auditFlagChangeTx is the flag store's InTx hook.
func auditFlagChangeTx(ctx context.Context, tx *sql.Tx, c flags.Change) error {
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
	return audit.RecordTx(ctx, tx, audit.Event{Actor: c.Actor, Action: "flag." + c.Action,
		Resource: flagResource(c.Environment, c.Key), Outcome: audit.Success, Detail: detail})
}

// flagAuditor records the flag decisions that changed nothing.
type flagAuditor struct {
	log   audit.Log
	slogs *slog.Logger
}

func (a flagAuditor) Record(ctx context.Context, e flags.AuditEntry) {
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
	if e.Outcome == "pending" {
		outcome = audit.Success
	}
	if err := a.log.Record(ctx, audit.Event{Actor: e.Actor, Action: "flag." + actionVerb(e.Action),
		Resource: flagResource(e.Environment, e.Key), Outcome: outcome, Detail: detail}); err != nil {
		a.slogs.Error("audit flag decision", "action", e.Action, "resource", flagResource(e.Environment, e.Key), "err", err)
	}
}

// actionVerb strips the "flag." prefix the flags API puts on its actions.
func actionVerb(a string) string {
	if len(a) > 5 && a[:5] == "flag." {
		return a[5:]
	}
	return a
}

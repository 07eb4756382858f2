package flags

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// Change is a requested change of an environment's flags: the unit that approvals and the audit log deal in.
type Change struct {
	Action      string `json:"action"` // ActionPut, ActionDelete or ActionImport
	Environment string `json:"environment"`
	Key         string `json:"key,omitempty"`   // put, delete
	Team        string `json:"team,omitempty"`  // put: the owning team; import: team of flags that name none
	Owner       string `json:"owner,omitempty"` // put: the owning person or group
	Flag        *Flag  `json:"flag,omitempty"`  // put: the new definition
	File        *File  `json:"file,omitempty"`  // import: the new flag set
	// IfVersion, when not 0, makes a put or delete fail with a conflict unless the flag is at that version;
	// CreateOnly makes a put fail with a conflict when the flag exists.
	IfVersion  int  `json:"if_version,omitempty"`
	CreateOnly bool `json:"create_only,omitempty"`
	// Base, when set, is what the change was made against; the store applies it only if its target is still
	// in that state (or already in the state the change asks for) and fails with a conflict saying what changed
	// otherwise. Changes held for approval carry one, so an approval cannot apply a change to a flag that moved on.
	Base    *Base  `json:"base,omitempty"`
	Actor   string `json:"actor"`
	Comment string `json:"comment,omitempty"`
	// At is when the store applied the change — the time of its history entries and updated_at — set by the store
	// for its in-transaction hook, so that the audit entry it writes says the same time. Not part of a held change.
	At time.Time `json:"-"`
}

// Base is the state of its target a change was made against.
type Base struct {
	// Flag is the flag a put or delete was made against; nil when it did not exist.
	Flag *FlagState `json:"flag,omitempty"`
	// Flags and ETag are the environment an import was made against: every flag, and the set's ETag (its
	// evaluators, metadata and definitions).
	Flags map[string]FlagState `json:"flags,omitempty"`
	ETag  string               `json:"etag,omitempty"`
}

// FlagState is what a Base remembers of one flag. A flag's versions never repeat, not even when it is deleted
// and created again, so the version alone tells whether anything about it (definition, team, owner) changed.
type FlagState struct {
	Version int    `json:"version"`
	Team    string `json:"team"`
}

// Actions of a Change.
const (
	ActionPut    = "put" // create or update one flag
	ActionDelete = "delete"
	ActionImport = "import" // replace an environment's whole flag set
)

// Request is a change waiting for approval.
type Request struct {
	ID      string `json:"id"`
	Message string `json:"message"` // what happens next, for a person
}

// ChangeGate decides whether a change is applied now or waits for approval. Submit returns applied=true when the
// change was applied, or a pending request; an error means it was rejected or failed, and nothing changed.
type ChangeGate interface {
	Submit(ctx context.Context, c Change) (applied bool, pending *Request, err error)
}

// Applier applies a change at once (the flag store).
type Applier interface {
	Apply(ctx context.Context, c Change) error
}

// ApplyNow is the gate without approvals: every change is applied when submitted.
type ApplyNow struct{ Store Applier }

// Submit applies c.
func (g ApplyNow) Submit(ctx context.Context, c Change) (bool, *Request, error) {
	if err := g.Store.Apply(ctx, c); err != nil {
		return false, nil, err
	}
	return true, nil, nil
}

// AuditEntry records who did what to which flags, and how it ended.
type AuditEntry struct {
	Actor       string          `json:"actor"`
	Action      string          `json:"action"` // e.g. flag.put, flag.delete, flag.import
	Environment string          `json:"environment"`
	Key         string          `json:"key,omitempty"`
	Team        string          `json:"team,omitempty"`
	Outcome     string          `json:"outcome"` // applied, pending, rejected, failed
	Detail      string          `json:"detail,omitempty"`
	Before      json.RawMessage `json:"before,omitempty"`
	After       json.RawMessage `json:"after,omitempty"`
}

// Auditor writes audit entries. Record must not fail the change it records; implementations log their own errors.
type Auditor interface {
	Record(ctx context.Context, e AuditEntry)
}

// LogAuditor writes audit entries to a structured log, until the audit log proper records them.
type LogAuditor struct{ Log *slog.Logger }

// Record logs e at info level (definitions are left out: they can be large and are in the flag history).
func (a LogAuditor) Record(_ context.Context, e AuditEntry) {
	log := a.Log
	if log == nil {
		log = slog.Default()
	}
	log.Info("audit", "actor", e.Actor, "action", e.Action, "environment", e.Environment, "key", e.Key,
		"team", e.Team, "outcome", e.Outcome, "detail", e.Detail)
}

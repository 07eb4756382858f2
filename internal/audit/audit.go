// Package audit keeps the portal's audit log: every change and decision (tokens, actions, approvals, settings)
// with who, what, when, on which resource, the outcome and the request it came from. Reads are not audited.
//
// Other packages record through the small Auditor interface; code that changes its own tables records in the
// same transaction with Log.RecordTx, so a change and its audit entry are written together or not at all.
package audit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Outcomes of an audited event.
const (
	Success = "success"
	Denied  = "denied"
	Failure = "failure"
)

// Event is one audit entry.
type Event struct {
	ID        int64          `json:"id"`
	At        time.Time      `json:"at"`
	Actor     string         `json:"actor"`    // subject of the principal, or "system" for the worker
	Action    string         `json:"action"`   // dotted verb: token.created, action.approved, settings.changed
	Resource  string         `json:"resource"` // kind/id: token/tok_ab12, action/act_cd34
	Outcome   string         `json:"outcome"`  // success, denied, failure
	Detail    map[string]any `json:"detail"`
	RequestID string         `json:"request_id,omitempty"`
}

// Auditor records events. Record must not fail silently: an error means the event was not stored, and callers
// that change state should treat that as a failure of the change.
type Auditor interface {
	Record(ctx context.Context, e Event) error
}

// Execer is what RecordTx needs of a transaction (or a *sql.DB).
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Log is the audit log in the audit_log table of the portal database.
type Log struct{ DB *sql.DB }

// Record stores e on its own.
func (l Log) Record(ctx context.Context, e Event) error { return RecordTx(ctx, l.DB, e) }

// RecordTx stores e through ex, normally the transaction that makes the change e describes. Missing time and
// request id are filled from the clock and ctx.
func RecordTx(ctx context.Context, ex Execer, e Event) error {
	if e.Actor == "" || e.Action == "" || e.Resource == "" {
		return errors.New("audit: event needs actor, action and resource")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	if e.Outcome == "" {
		e.Outcome = Success
	}
	if e.RequestID == "" {
		e.RequestID = RequestID(ctx)
	}
	if e.Detail == nil {
		e.Detail = map[string]any{}
	}
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return fmt.Errorf("audit %s: detail: %w", e.Action, err)
	}
	_, err = ex.ExecContext(ctx, `INSERT INTO audit_log(at, actor, action, resource, outcome, detail, request_id)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, e.At.UnixMilli(), e.Actor, e.Action, e.Resource, e.Outcome, string(detail), e.RequestID)
	if err != nil {
		return fmt.Errorf("audit %s on %s: %w", e.Action, e.Resource, err)
	}
	return nil
}

// Filter selects events; zero fields match everything.
type Filter struct {
	Actor    string
	Action   string // exact, or a prefix ending in "." ("action." matches every action.* event)
	Resource string // exact, or a prefix ending in "/" ("action/" matches every action)
	Since    time.Time
	Until    time.Time
	Limit    int   // at most MaxLimit; 0 = DefaultLimit
	Before   int64 // only events with a smaller id: the cursor of the next page, newest first
}

// Limits of a query.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// Query returns events matching f, newest first.
func (l Log) Query(ctx context.Context, f Filter) ([]Event, error) {
	var where []string
	var args []any
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	for _, m := range []struct{ col, val, sep string }{{"action", f.Action, "."}, {"resource", f.Resource, "/"}} {
		switch {
		case m.val == "":
		case strings.HasSuffix(m.val, m.sep):
			where, args = append(where, "substr("+m.col+", 1, ?) = ?"), append(args, len(m.val), m.val)
		default:
			where, args = append(where, m.col+" = ?"), append(args, m.val)
		}
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, f.Until.UnixMilli())
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if limit > MaxLimit {
		limit = MaxLimit
	}
	q := `SELECT id, at, actor, action, resource, outcome, detail, request_id FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	rows, err := l.DB.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("query audit log: %w", err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var at int64
		var detail string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Resource, &e.Outcome, &detail, &e.RequestID); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at).UTC()
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			e.Detail = map[string]any{"unparsed": detail}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the id of the API request being served, so that events recorded while
// serving it name it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// NewRequestID makes a request id.
func NewRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "req_" + hex.EncodeToString(b)
}

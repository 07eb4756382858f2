package actions

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/sphera/atrium/internal/audit"
)

// Store keeps actions in the actions, action_approvals, action_events and action_steps tables, and audits every
// change in the same transaction.
type Store struct {
	DB *sql.DB
	// Now is the time stamped on changes and by which leases expire and waits end; nil: time.Now. Tests drive it.
	Now func() time.Time
	// Changes, when set, hears of every committed change, so that readers waiting for one (Service.Wait) wake at
	// once; without it they look again every second.
	Changes *Changes
}

func (s Store) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Changes tells the readers of one process that some action changed: a broadcast, so that a long poll on an action
// answers as soon as the worker or another request changed it.
type Changes struct {
	mu sync.Mutex
	ch chan struct{}
}

// Next returns a channel closed at the next change.
func (c *Changes) Next() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch == nil {
		c.ch = make(chan struct{})
	}
	return c.ch
}

func (c *Changes) notify() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch != nil {
		close(c.ch)
		c.ch = nil
	}
}

// commit commits tx, a change of action id, and tells waiting readers.
func (s Store) commit(tx *sql.Tx, _ string) error {
	if err := tx.Commit(); err != nil {
		return err
	}
	s.Changes.notify()
	return nil
}

// System is the actor of changes the worker makes.
const System = "system"

func newID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "act_" + hex.EncodeToString(b)
}

const actionCols = `id, requester, team, service, kind, params, environment, region, delivery, idempotency_key,
	request_hash, state, approvers, result, error, reason, attempts, created_at, updated_at, version, cancel_requested,
	document, lease_owner`

func scanAction(row interface{ Scan(...any) error }) (Action, error) {
	var a Action
	var params, approvers, result string
	var created, updated int64
	err := row.Scan(&a.ID, &a.Requester, &a.Team, &a.Service, &a.Kind, &params, &a.Environment, &a.Region,
		&a.Delivery, &a.IdempotencyKey, &a.requestHash, &a.State, &approvers, &result, &a.Error, &a.Reason,
		&a.Attempts, &created, &updated, &a.Version, &a.CancelRequested, &a.document, &a.leaseOwner)
	if err != nil {
		return a, err
	}
	a.Params = json.RawMessage(params)
	if err := json.Unmarshal([]byte(approvers), &a.Approvers); err != nil {
		return a, fmt.Errorf("action %s: approvers: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(result), &a.Result); err != nil {
		return a, fmt.Errorf("action %s: result: %w", a.ID, err)
	}
	if a.Result == nil {
		a.Result = map[string]string{}
	}
	a.CreatedAt, a.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	a.Approvals, a.History, a.Steps = []Approval{}, []Event{}, []StepRecord{}
	return a, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func event(ctx context.Context, q querier, id, actor string, from, to State, msg string, at time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO action_events(action_id, at, actor, from_state, to_state, message)
		VALUES (?, ?, ?, ?, ?, ?)`, id, at.UnixMilli(), actor, string(from), string(to), msg)
	return err
}

func auditAction(ctx context.Context, q querier, a Action, actor, verb, outcome string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["kind"], detail["service"], detail["team"] = a.Kind, a.Service, a.Team
	detail["environment"], detail["region"] = a.Environment, a.Region
	return audit.RecordTx(ctx, q, audit.Event{Actor: actor, Action: "action." + verb, Resource: "action/" + a.ID,
		Outcome: outcome, Detail: detail})
}

// create stores a new action, or returns the one with the same requester and idempotency key (created false).
// A key reused for a different request is ErrIdempotencyConflict. The action, its first history entry and the
// audit entry are written in one transaction.
func (s Store) create(ctx context.Context, a Action) (Action, bool, error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return a, false, err
	}
	defer tx.Rollback()
	prev, err := scanAction(tx.QueryRowContext(ctx, `SELECT `+actionCols+` FROM actions
		WHERE requester = ? AND idempotency_key = ?`, a.Requester, a.IdempotencyKey))
	switch {
	case err == nil:
		if prev.requestHash != a.requestHash {
			return prev, false, fmt.Errorf("%w: key %q was first used for action %s", ErrIdempotencyConflict, a.IdempotencyKey, prev.ID)
		}
		full, err := s.get(ctx, tx, prev.ID)
		return full, false, err
	case !errors.Is(err, sql.ErrNoRows):
		return a, false, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	a.ID, a.CreatedAt, a.UpdatedAt = newID(), now, now
	a.State = StateApproved
	msg := "requested; no approval needed in " + a.Environment
	if len(a.Approvers) > 0 {
		a.State = StatePendingApproval
		msg = "requested; waiting for approval by " + strings.Join(a.Approvers, " or ")
	}
	approvers, _ := json.Marshal(a.Approvers)
	if _, err := tx.ExecContext(ctx, `INSERT INTO actions(id, requester, team, service, kind, params, environment,
		region, delivery, idempotency_key, request_hash, state, approvers, created_at, updated_at, document)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.Requester, a.Team, a.Service, a.Kind,
		string(a.Params), a.Environment, a.Region, a.Delivery, a.IdempotencyKey, a.requestHash, a.State,
		string(approvers), now.UnixMilli(), now.UnixMilli(), a.document); err != nil {
		return a, false, fmt.Errorf("store action: %w", err)
	}
	if err := event(ctx, tx, a.ID, a.Requester, "", a.State, msg, now); err != nil {
		return a, false, err
	}
	if err := auditAction(ctx, tx, a, a.Requester, "requested", audit.Success,
		map[string]any{"params": a.Params, "state": a.State, "idempotency_key": a.IdempotencyKey}); err != nil {
		return a, false, err
	}
	full, err := s.get(ctx, tx, a.ID)
	if err != nil {
		return a, false, err
	}
	return full, true, s.commit(tx, a.ID)
}

// ByKey returns requester's action stored under idempotency key, with its approvals, history and steps; false when
// there is none. Parts of the portal that submit actions (Service.Submit) look a request up by it before preparing
// it again.
func (s Store) ByKey(ctx context.Context, requester, key string) (Action, bool, error) {
	return s.byKey(ctx, requester, key)
}

// byKey returns requester's action stored under idempotency key, with its approvals, history and steps.
func (s Store) byKey(ctx context.Context, requester, key string) (Action, bool, error) {
	var id string
	err := s.DB.QueryRowContext(ctx, `SELECT id FROM actions WHERE requester = ? AND idempotency_key = ?`, requester, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Action{}, false, nil
	}
	if err != nil {
		return Action{}, false, err
	}
	a, err := s.Get(ctx, id)
	return a, err == nil, err
}

// Get returns an action with its approvals, history and steps.
func (s Store) Get(ctx context.Context, id string) (Action, error) { return s.get(ctx, s.DB, id) }

func (s Store) get(ctx context.Context, q querier, id string) (Action, error) {
	a, err := scanAction(q.QueryRowContext(ctx, `SELECT `+actionCols+` FROM actions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("action %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return a, err
	}
	rows, err := q.QueryContext(ctx, `SELECT approver, decision, reason, at FROM action_approvals
		WHERE action_id = ? ORDER BY at`, id)
	if err != nil {
		return a, err
	}
	for rows.Next() {
		var ap Approval
		var at int64
		if err := rows.Scan(&ap.Approver, &ap.Decision, &ap.Reason, &at); err != nil {
			rows.Close()
			return a, err
		}
		ap.At = time.UnixMilli(at).UTC()
		a.Approvals = append(a.Approvals, ap)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return a, err
	}
	rows, err = q.QueryContext(ctx, `SELECT at, actor, from_state, to_state, message FROM action_events
		WHERE action_id = ? ORDER BY id`, id)
	if err != nil {
		return a, err
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&at, &e.Actor, &e.From, &e.To, &e.Message); err != nil {
			return a, err
		}
		e.At = time.UnixMilli(at).UTC()
		a.History = append(a.History, e)
	}
	if err := rows.Err(); err != nil {
		return a, err
	}
	rows.Close()
	a.Steps, err = steps(ctx, q, id)
	return a, err
}

// Filter selects actions for List; zero fields match everything.
type Filter struct {
	Requester string
	Team      string
	State     State
	Limit     int // default 100, at most 500
}

// List returns actions matching f, newest first, without approvals and history.
func (s Store) List(ctx context.Context, f Filter) ([]Action, error) {
	var where []string
	var args []any
	for col, v := range map[string]string{"requester": f.Requester, "team": f.Team, "state": string(f.State)} {
		if v != "" {
			where, args = append(where, col+" = ?"), append(args, v)
		}
	}
	q := `SELECT ` + actionCols + ` FROM actions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.DB.QueryContext(ctx, q+` ORDER BY created_at DESC, id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", err)
	}
	defer rows.Close()
	out := []Action{}
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Succeeded lists every succeeded action of the given kinds, oldest first, without approvals and history: what
// the portal created, which drift detection compares with what exists.
func (s Store) Succeeded(ctx context.Context, kinds ...Kind) ([]Action, error) {
	if len(kinds) == 0 {
		return []Action{}, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(kinds)), ", ")
	args := []any{string(StateSucceeded)}
	for _, k := range kinds {
		args = append(args, string(k))
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT `+actionCols+` FROM actions WHERE state = ? AND kind IN (`+marks+`)
		ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list succeeded actions: %w", err)
	}
	defer rows.Close()
	out := []Action{}
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// decide records an approver's decision on a pending action. check runs inside the transaction on the current
// row and may refuse (the policy question).
func (s Store) decide(ctx context.Context, id, approver string, approve bool, reason string, check func(Action) error) (Action, error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return Action{}, err
	}
	defer tx.Rollback()
	a, err := s.get(ctx, tx, id)
	if err != nil {
		return a, err
	}
	if err := check(a); err != nil {
		return a, err
	}
	if a.State != StatePendingApproval {
		return a, fmt.Errorf("%w: action %s is %s, not pending approval", ErrConflict, id, a.State)
	}
	now := s.now().UTC()
	to, decision, verb, msg := StateApproved, "approved", "approved", "approved by "+approver
	if !approve {
		to, decision, verb, msg = StateRejected, "rejected", "rejected", "rejected by "+approver
	}
	if reason != "" {
		msg += ": " + reason
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO action_approvals(action_id, approver, decision, reason, at)
		VALUES (?, ?, ?, ?, ?)`, id, approver, decision, reason, now.UnixMilli()); err != nil {
		return a, err
	}
	rejectReason := ""
	if !approve {
		rejectReason = reason
	}
	if _, err := tx.ExecContext(ctx, `UPDATE actions SET state = ?, reason = ?, version = version + 1, updated_at = ?
		WHERE id = ?`, to, rejectReason, now.UnixMilli(), id); err != nil {
		return a, err
	}
	if err := event(ctx, tx, id, approver, a.State, to, msg, now); err != nil {
		return a, err
	}
	if err := auditAction(ctx, tx, a, approver, verb, audit.Success, map[string]any{"reason": reason, "requester": a.Requester}); err != nil {
		return a, err
	}
	a, err = s.get(ctx, tx, id)
	if err != nil {
		return a, err
	}
	return a, s.commit(tx, id)
}

// claim takes the next runnable action for owner with a lease until now+lease: an approved action, or a running
// one whose lease ran out (its worker died, or it is waiting for a pull request and is due for a check).
func (s Store) claim(ctx context.Context, owner string, lease time.Duration) (Action, bool, error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return Action{}, false, err
	}
	defer tx.Rollback()
	now := s.now().UTC()
	var id, leaseOwner string
	var state State
	err = tx.QueryRowContext(ctx, `SELECT id, state, lease_owner FROM actions
		WHERE (state = 'approved' OR (state = 'running' AND lease_until < ?)) AND next_run_at <= ?
		ORDER BY next_run_at, created_at LIMIT 1`, now.UnixMilli(), now.UnixMilli()).Scan(&id, &state, &leaseOwner)
	if errors.Is(err, sql.ErrNoRows) {
		return Action{}, false, nil
	}
	if err != nil {
		return Action{}, false, err
	}
	// An attempt is a start, a resumption after a crash or a retry after an error; checking on an open pull request
	// is not one. (Expressions of an UPDATE see the row as it was.)
	if _, err := tx.ExecContext(ctx, `UPDATE actions SET state = 'running', lease_owner = ?, lease_until = ?,
		attempts = attempts + CASE WHEN state = 'approved' OR lease_owner != '' OR error != '' THEN 1 ELSE 0 END,
		version = version + 1, updated_at = ? WHERE id = ?`, owner, now.Add(lease).UnixMilli(), now.UnixMilli(), id); err != nil {
		return Action{}, false, err
	}
	a, err := s.get(ctx, tx, id)
	if err != nil {
		return a, false, err
	}
	switch {
	case state == StateApproved:
		if err := event(ctx, tx, id, System, StateApproved, StateRunning, fmt.Sprintf("started (attempt %d)", a.Attempts), now); err != nil {
			return a, false, err
		}
		if err := auditAction(ctx, tx, a, System, "started", audit.Success, map[string]any{"attempt": a.Attempts}); err != nil {
			return a, false, err
		}
	case leaseOwner != "":
		// The previous worker stopped renewing its lease without finishing: it crashed or was killed.
		if err := event(ctx, tx, id, System, StateRunning, StateRunning,
			fmt.Sprintf("resumed after an interrupted attempt (attempt %d)", a.Attempts), now); err != nil {
			return a, false, err
		}
		if err := auditAction(ctx, tx, a, System, "resumed", audit.Success, map[string]any{"attempt": a.Attempts}); err != nil {
			return a, false, err
		}
	}
	return a, true, s.commit(tx, id)
}

// renew extends owner's lease; false when the lease was lost (another worker took the action over).
func (s Store) renew(ctx context.Context, id, owner string, lease time.Duration) (bool, error) {
	res, err := s.DB.ExecContext(ctx, `UPDATE actions SET lease_until = ? WHERE id = ? AND lease_owner = ? AND state = 'running'`,
		s.now().Add(lease).UnixMilli(), id, owner)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// errLeaseLost: the worker no longer holds the action; whatever it learned is dropped, another worker redoes it.
var errLeaseLost = errors.New("lease lost")

// finish ends a running action held by owner: succeeded with result, or failed with errMsg.
func (s Store) finish(ctx context.Context, id, owner string, ok bool, result map[string]string, errMsg string) (Action, error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return Action{}, err
	}
	defer tx.Rollback()
	a, err := s.get(ctx, tx, id)
	if err != nil {
		return a, err
	}
	merged := maps.Clone(a.Result)
	maps.Copy(merged, result)
	rb, _ := json.Marshal(merged)
	to, verb, outcome, msg := StateSucceeded, "succeeded", audit.Success, "succeeded"
	if !ok {
		to, verb, outcome, msg = StateFailed, "failed", audit.Failure, "failed: "+errMsg
	}
	now := s.now().UTC()
	res, err := tx.ExecContext(ctx, `UPDATE actions SET state = ?, result = ?, error = ?, lease_owner = '',
		lease_until = 0, cancel_requested = 0, version = version + 1, updated_at = ?
		WHERE id = ? AND lease_owner = ? AND state = 'running'`,
		to, string(rb), errMsg, now.UnixMilli(), id, owner)
	if err != nil {
		return a, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return a, errLeaseLost
	}
	if !ok {
		if err := failRunningSteps(ctx, tx, a, errMsg, now); err != nil {
			return a, err
		}
	}
	if err := event(ctx, tx, id, System, StateRunning, to, msg, now); err != nil {
		return a, err
	}
	detail := map[string]any{"attempts": a.Attempts, "result": merged}
	if !ok {
		detail["error"] = errMsg
	}
	if err := auditAction(ctx, tx, a, System, verb, outcome, detail); err != nil {
		return a, err
	}
	a, err = s.get(ctx, tx, id)
	if err != nil {
		return a, err
	}
	return a, s.commit(tx, id)
}

// wait releases owner's lease on a running action until at, keeping what was learned so far (a pull request's
// URL) and, when errMsg is set, why the attempt did not complete. A changed result or error is recorded in the
// history.
func (s Store) wait(ctx context.Context, id, owner string, result map[string]string, errMsg, note string, at time.Time) error {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	a, err := s.get(ctx, tx, id)
	if err != nil {
		return err
	}
	merged := maps.Clone(a.Result)
	maps.Copy(merged, result)
	rb, _ := json.Marshal(merged)
	now := s.now().UTC()
	// next_run_at -1: Due was called while the executor ran (what it waits for finished already): run again now.
	res, err := tx.ExecContext(ctx, `UPDATE actions SET result = ?, error = ?, lease_owner = '', lease_until = 0,
		next_run_at = CASE WHEN next_run_at = -1 THEN 0 ELSE ? END, version = version + 1, updated_at = ?
		WHERE id = ? AND lease_owner = ? AND state = 'running'`,
		string(rb), errMsg, at.UnixMilli(), now.UnixMilli(), id, owner)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errLeaseLost
	}
	if note != "" && (!maps.Equal(merged, a.Result) || errMsg != a.Error) {
		if err := event(ctx, tx, id, System, StateRunning, StateRunning, note, now); err != nil {
			return err
		}
	}
	return s.commit(tx, id)
}

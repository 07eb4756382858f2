package actions

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/audit"
)

// The action_steps table: one row per step, written through the transaction helpers below. Every write checks that
// the writer still holds the action's lease (touch), so a worker that lost it cannot record anything, and bumps
// the action's version, so readers waiting for a change see it.

// touch checks that owner holds running action id and bumps its version; errLeaseLost when it does not.
func touch(ctx context.Context, q querier, id, owner string, now time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE actions SET version = version + 1, updated_at = ?
		WHERE id = ? AND lease_owner = ? AND state = 'running'`, now.UnixMilli(), id, owner)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errLeaseLost
	}
	return nil
}

const stepCols = `step, title, state, started_at, finished_at, attempts, output, error, left_behind`

func scanStep(row interface{ Scan(...any) error }) (StepRecord, error) {
	var r StepRecord
	var started, finished int64
	var output string
	if err := row.Scan(&r.ID, &r.Title, &r.State, &started, &finished, &r.Attempts, &output, &r.Error, &r.LeftBehind); err != nil {
		return r, err
	}
	r.StartedAt, r.FinishedAt = timeOrZero(started), timeOrZero(finished)
	if err := json.Unmarshal([]byte(output), &r.Output); err != nil {
		return r, fmt.Errorf("step %s: output: %w", r.ID, err)
	}
	if r.Output == nil {
		r.Output = map[string]string{}
	}
	return r, nil
}

func timeOrZero(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// steps returns the steps of action id in order.
func steps(ctx context.Context, q querier, id string) ([]StepRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+stepCols+` FROM action_steps WHERE action_id = ? ORDER BY ord`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []StepRecord{}
	for rows.Next() {
		r, err := scanStep(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func getStep(ctx context.Context, q querier, id, step string) (StepRecord, error) {
	return scanStep(q.QueryRowContext(ctx, `SELECT `+stepCols+` FROM action_steps WHERE action_id = ? AND step = ?`, id, step))
}

// ensureSteps writes the rows of steps that action id does not have yet (pending), keeps the titles current, and
// returns every step by id.
func (s Store) ensureSteps(ctx context.Context, id, owner string, list []Step) (map[string]StepRecord, error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := s.now().UTC()
	if err := touch(ctx, tx, id, owner, now); err != nil {
		return nil, err
	}
	for i, st := range list {
		if _, err := tx.ExecContext(ctx, `INSERT INTO action_steps(action_id, step, ord, title, state) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(action_id, step) DO UPDATE SET ord = excluded.ord, title = excluded.title`,
			id, st.ID, i, st.Title, StepPending); err != nil {
			return nil, fmt.Errorf("store steps of %s: %w", id, err)
		}
	}
	all, err := steps(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	out := make(map[string]StepRecord, len(all))
	for _, r := range all {
		out[r.ID] = r
	}
	return out, s.commit(tx, id)
}

// startStep marks a step running (its first start time kept) — or, when a cancel was requested, refuses with
// errCancelled so that the run stops before the step.
func (s Store) startStep(ctx context.Context, id, owner, step string) (StepRecord, error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return StepRecord{}, err
	}
	defer tx.Rollback()
	var cancel bool
	var attempt int
	if err := tx.QueryRowContext(ctx, `SELECT cancel_requested, attempts FROM actions WHERE id = ?`, id).Scan(&cancel, &attempt); err != nil {
		return StepRecord{}, err
	}
	if cancel {
		return StepRecord{}, errCancelled
	}
	now := s.now().UTC()
	if err := touch(ctx, tx, id, owner, now); err != nil {
		return StepRecord{}, err
	}
	// A step that waits is started again at each check, within the same attempt of the action: that is no new
	// attempt of the step. A resumption after a crash, a retry after an error or a retry by a person is.
	if _, err := tx.ExecContext(ctx, `UPDATE action_steps SET state = ?, finished_at = 0,
		attempts = attempts + CASE WHEN state != 'running' OR run_attempt != ? OR error != '' THEN 1 ELSE 0 END,
		run_attempt = ?, started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END
		WHERE action_id = ? AND step = ?`,
		StepRunning, attempt, attempt, now.UnixMilli(), id, step); err != nil {
		return StepRecord{}, err
	}
	r, err := getStep(ctx, tx, id, step)
	if err != nil {
		return r, err
	}
	return r, s.commit(tx, id)
}

// mergeOutput merges values into a step's stored output and sets what it leaves behind (when given).
func mergeOutput(ctx context.Context, tx *sql.Tx, id, step string, values map[string]string, leftBehind string) (StepRecord, error) {
	r, err := getStep(ctx, tx, id, step)
	if err != nil {
		return r, err
	}
	maps.Copy(r.Output, values)
	if leftBehind != "" {
		r.LeftBehind = leftBehind
	}
	b, _ := json.Marshal(r.Output)
	if _, err := tx.ExecContext(ctx, `UPDATE action_steps SET output = ?, left_behind = ? WHERE action_id = ? AND step = ?`,
		string(b), r.LeftBehind, id, step); err != nil {
		return r, err
	}
	return r, nil
}

// saveStep keeps a running step's progress.
func (s Store) saveStep(ctx context.Context, id, owner, step string, values map[string]string, leftBehind string) error {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := touch(ctx, tx, id, owner, s.now().UTC()); err != nil {
		return err
	}
	if _, err := mergeOutput(ctx, tx, id, step, values, leftBehind); err != nil {
		return err
	}
	return s.commit(tx, id)
}

// stepError records why a step's attempt failed, keeping it running: the worker retries it or fails the action
// (and then the step, in finish).
func (s Store) stepError(ctx context.Context, id, owner, step string, values map[string]string, leftBehind, msg string) error {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := touch(ctx, tx, id, owner, s.now().UTC()); err != nil {
		return err
	}
	if _, err := mergeOutput(ctx, tx, id, step, values, leftBehind); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE action_steps SET error = ? WHERE action_id = ? AND step = ?`, msg, id, step); err != nil {
		return err
	}
	return s.commit(tx, id)
}

// finishStep ends a step succeeded or skipped, with its output, and audits it.
func (s Store) finishStep(ctx context.Context, a Action, owner, step string, state StepState, values map[string]string, leftBehind string) (StepRecord, error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return StepRecord{}, err
	}
	defer tx.Rollback()
	now := s.now().UTC()
	if err := touch(ctx, tx, a.ID, owner, now); err != nil {
		return StepRecord{}, err
	}
	r, err := mergeOutput(ctx, tx, a.ID, step, values, leftBehind)
	if err != nil {
		return r, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE action_steps SET state = ?, finished_at = ?, error = '' WHERE action_id = ? AND step = ?`,
		state, now.UnixMilli(), a.ID, step); err != nil {
		return r, err
	}
	r.State, r.FinishedAt, r.Error = state, now.Truncate(time.Millisecond), ""
	if err := auditAction(ctx, tx, a, System, "step_"+string(state), audit.Success,
		map[string]any{"step": step, "output": r.Output, "attempt": r.Attempts}); err != nil {
		return r, err
	}
	return r, s.commit(tx, a.ID)
}

// failRunningSteps ends the running steps of action id failed with msg (the action failed); in the transaction of
// the action's own change.
func failRunningSteps(ctx context.Context, tx *sql.Tx, a Action, msg string, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `SELECT step FROM action_steps WHERE action_id = ? AND state = ?`, a.ID, StepRunning)
	if err != nil {
		return err
	}
	var running []string
	for rows.Next() {
		var st string
		if err := rows.Scan(&st); err != nil {
			rows.Close()
			return err
		}
		running = append(running, st)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	rows.Close()
	for _, st := range running {
		// The step's own error (what its last attempt said) is more precise than the action's.
		if _, err := tx.ExecContext(ctx, `UPDATE action_steps SET state = ?, finished_at = ?,
			error = CASE WHEN error = '' THEN ? ELSE error END WHERE action_id = ? AND step = ?`,
			StepFailed, now.UnixMilli(), msg, a.ID, st); err != nil {
			return err
		}
		if err := auditAction(ctx, tx, a, System, "step_failed", audit.Failure, map[string]any{"step": st, "error": msg}); err != nil {
			return err
		}
	}
	return nil
}

// leftBehind says what a stopped action leaves behind: what its steps made (LeftBehind of each, in order), or for
// an action without steps what its result holds so far.
func leftBehind(a Action) string {
	var parts []string
	for _, st := range a.Steps {
		if st.LeftBehind != "" {
			parts = append(parts, st.LeftBehind)
		}
	}
	if len(a.Steps) == 0 {
		for _, k := range sortedKeys(a.Result) {
			if k != "left_behind" && a.Result[k] != "" {
				parts = append(parts, k+" "+a.Result[k])
			}
		}
	}
	if len(parts) == 0 {
		return "nothing was created"
	}
	return "left behind: " + strings.Join(parts, "; ")
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// nextStep is the title of the first step of a that has not finished, "" when there is none.
func nextStep(a Action) string {
	for _, st := range a.Steps {
		if !st.State.done() {
			if st.Title != "" {
				return st.Title
			}
			return st.ID
		}
	}
	return ""
}

// cancelTx ends action a cancelled by actor, in tx: steps that did not finish are skipped, the result says what
// was left behind, the history and the audit log say who cancelled it and why.
func (s Store) cancelTx(ctx context.Context, tx *sql.Tx, a Action, actor, reason string, now time.Time) (Action, error) {
	next := nextStep(a)
	left := leftBehind(a)
	msg := "cancelled by " + actor
	if next != "" {
		msg += " before " + next
	}
	if reason != "" {
		msg += " (" + reason + ")"
	}
	msg += ": " + left
	merged := maps.Clone(a.Result)
	if merged == nil {
		merged = map[string]string{}
	}
	merged["left_behind"] = left
	rb, _ := json.Marshal(merged)
	if _, err := tx.ExecContext(ctx, `UPDATE actions SET state = ?, result = ?, reason = ?, cancel_requested = 0,
		lease_owner = '', lease_until = 0, version = version + 1, updated_at = ? WHERE id = ?`,
		StateCancelled, string(rb), reason, now.UnixMilli(), a.ID); err != nil {
		return a, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE action_steps SET state = ?, finished_at = ?,
		error = CASE WHEN state = 'running' THEN 'the run was cancelled while this step was in progress' ELSE 'the run was cancelled before this step' END
		WHERE action_id = ? AND state IN ('pending', 'running', 'failed')`, StepSkipped, now.UnixMilli(), a.ID); err != nil {
		return a, err
	}
	if err := event(ctx, tx, a.ID, actor, a.State, StateCancelled, msg, now); err != nil {
		return a, err
	}
	if err := auditAction(ctx, tx, a, actor, "cancelled", audit.Success,
		map[string]any{"reason": reason, "left_behind": left, "before_step": next, "requester": a.Requester}); err != nil {
		return a, err
	}
	return s.get(ctx, tx, a.ID)
}

// cancelRunning ends a running action owner holds, whose cancel was requested: the worker calls it when the run
// stopped before its next step (or when the executor returned and found the request).
func (s Store) cancelRunning(ctx context.Context, id, owner string) (Action, error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return Action{}, err
	}
	defer tx.Rollback()
	a, err := s.get(ctx, tx, id)
	if err != nil {
		return a, err
	}
	if a.State != StateRunning || a.leaseOwner != owner {
		return a, errLeaseLost
	}
	actor, reason := cancelRequester(ctx, tx, id)
	a, err = s.cancelTx(ctx, tx, a, actor, reason, s.now().UTC())
	if err != nil {
		return a, err
	}
	return a, s.commit(tx, id)
}

// cancelRequester reads who asked for the pending cancel of id, and why, from its history.
func cancelRequester(ctx context.Context, q querier, id string) (string, string) {
	var actor, msg string
	err := q.QueryRowContext(ctx, `SELECT actor, message FROM action_events WHERE action_id = ? AND message LIKE 'cancel requested%'
		ORDER BY id DESC LIMIT 1`, id).Scan(&actor, &msg)
	if err != nil {
		return System, ""
	}
	_, reason, _ := strings.Cut(msg, ": ")
	return actor, reason
}

// cancelRequested reports whether a cancel of id waits for its run to stop.
func (s Store) cancelRequested(ctx context.Context, id string) (bool, error) {
	var c bool
	err := s.DB.QueryRowContext(ctx, `SELECT cancel_requested FROM actions WHERE id = ?`, id).Scan(&c)
	return c, err
}

// cancelIfIdle cancels a running action no worker holds whose cancel was requested (the request came while a
// worker held it, which released it to wait); false when there was nothing to do.
func (s Store) cancelIfIdle(ctx context.Context, id string) (bool, error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	a, err := s.get(ctx, tx, id)
	if err != nil {
		return false, err
	}
	if a.State != StateRunning || !a.CancelRequested || a.leaseOwner != "" {
		return false, nil
	}
	actor, reason := cancelRequester(ctx, tx, id)
	if _, err := s.cancelTx(ctx, tx, a, actor, reason, s.now().UTC()); err != nil {
		return false, err
	}
	return true, s.commit(tx, id)
}

// cancel stops action id for actor: at once when nothing runs it now (pending approval, approved, or waiting
// between checks), else by asking its run to stop before the next step. check runs in the transaction on the
// current row (the policy question).
func (s Store) cancel(ctx context.Context, id, actor, reason string, check func(Action) error) (Action, error) {
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
	switch a.State {
	case StatePendingApproval, StateApproved, StateRunning:
	default:
		return a, fmt.Errorf("%w: action %s is %s: only an action that has not finished can be cancelled", ErrConflict, id, a.State)
	}
	now := s.now().UTC()
	var leaseUntil int64
	if err := tx.QueryRowContext(ctx, `SELECT lease_until FROM actions WHERE id = ?`, id).Scan(&leaseUntil); err != nil {
		return a, err
	}
	if a.State == StateRunning && a.leaseOwner != "" && leaseUntil > now.UnixMilli() {
		if a.CancelRequested {
			return a, s.commit(tx, id) // asked before: nothing new
		}
		msg := "cancel requested by " + actor + "; the run stops before its next step"
		if reason != "" {
			msg = "cancel requested by " + actor + ": " + reason
		}
		if _, err := tx.ExecContext(ctx, `UPDATE actions SET cancel_requested = 1, version = version + 1, updated_at = ?
			WHERE id = ?`, now.UnixMilli(), id); err != nil {
			return a, err
		}
		if err := event(ctx, tx, id, actor, a.State, a.State, msg, now); err != nil {
			return a, err
		}
		if err := auditAction(ctx, tx, a, actor, "cancel_requested", audit.Success, map[string]any{"reason": reason}); err != nil {
			return a, err
		}
		if a, err = s.get(ctx, tx, id); err != nil {
			return a, err
		}
		return a, s.commit(tx, id)
	}
	if a, err = s.cancelTx(ctx, tx, a, actor, reason, now); err != nil {
		return a, err
	}
	return a, s.commit(tx, id)
}

// retry makes failed action id runnable again for actor: from its failed step (steps that succeeded are not run
// again), with its attempts counted anew.
func (s Store) retry(ctx context.Context, id, actor string, check func(Action) error) (Action, error) {
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
	if a.State != StateFailed {
		return a, fmt.Errorf("%w: action %s is %s: only a failed action can be retried", ErrConflict, id, a.State)
	}
	from := nextStep(a)
	now := s.now().UTC()
	if _, err := tx.ExecContext(ctx, `UPDATE actions SET state = ?, error = '', attempts = 0, next_run_at = 0,
		lease_owner = '', lease_until = 0, version = version + 1, updated_at = ? WHERE id = ?`,
		StateApproved, now.UnixMilli(), id); err != nil {
		return a, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE action_steps SET state = ?, finished_at = 0 WHERE action_id = ? AND state = ?`,
		StepPending, id, StepFailed); err != nil {
		return a, err
	}
	msg := "retried by " + actor
	if from != "" {
		msg += " from " + from
	}
	if err := event(ctx, tx, id, actor, StateFailed, StateApproved, msg, now); err != nil {
		return a, err
	}
	if err := auditAction(ctx, tx, a, actor, "retried", audit.Success,
		map[string]any{"from_step": from, "previous_error": a.Error, "requester": a.Requester}); err != nil {
		return a, err
	}
	if a, err = s.get(ctx, tx, id); err != nil {
		return a, err
	}
	return a, s.commit(tx, id)
}

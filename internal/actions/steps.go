package actions

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"
)

// StepState is the state of one step of an action.
type StepState string

// States of a step: pending → running → succeeded | failed | skipped. A running step that waits (for an agent's
// report, a merge) stays running between its checks; a failed step becomes pending again when the action is
// retried; the steps a cancelled run never finished become skipped.
const (
	StepPending   StepState = "pending"
	StepRunning   StepState = "running"
	StepSucceeded StepState = "succeeded"
	StepFailed    StepState = "failed"
	StepSkipped   StepState = "skipped"
)

// StepStates lists every state of a step.
func StepStates() []StepState {
	return []StepState{StepPending, StepRunning, StepSucceeded, StepFailed, StepSkipped}
}

// done reports whether a step in state s needs no more running.
func (s StepState) done() bool { return s == StepSucceeded || s == StepSkipped }

// StepRecord is one step of an action as stored and shown.
type StepRecord struct {
	ID    string    `json:"id"`
	Title string    `json:"title"`
	State StepState `json:"state"`
	// StartedAt is when the step first started; FinishedAt when it succeeded, failed or was skipped.
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Attempts counts the step's starts: its first, resumptions after a crash, retries.
	Attempts int `json:"attempts"`
	// Output is what the step produced: repository_url, commit_sha, pr_url, work_id, url, preview, ...
	Output map[string]string `json:"output"`
	// Error says why the step failed (or why its last attempt did, while it is retried).
	Error string `json:"error,omitempty"`
	// LeftBehind says, in a phrase, what the step made that outlives a cancelled run ("repository
	// https://github.com/sphera/orders"); empty when it made nothing that stays.
	LeftBehind string `json:"left_behind,omitempty"`
}

// Step is one step of a multi-step action: an id (stable for the action: the same action always has the same
// steps) and the function that does it. Run must be idempotent like an Executor: after a crash it is called again
// for a step it may have (partly) done, and must then find its own work rather than do it twice.
type Step struct {
	ID    string
	Title string
	Run   func(ctx context.Context, r *StepRun) (Output, error)
}

// Output is what a step's run produced.
type Output struct {
	// Values are kept in the step's output and merged into the action's result.
	Values map[string]string
	// LeftBehind is what the step made that a cancelled run leaves behind, in a phrase ("" for nothing).
	LeftBehind string
	// Wait: the step is not finished (it waits for an agent's report, a merge); it runs again after After (0:
	// the worker's poll interval), and Note is written in the action's history when the step's output changed.
	Wait  bool
	After time.Duration
	Note  string
	// Skipped: the step had nothing to do (no branch protection asked for, say); the run goes on.
	Skipped bool
}

// StepRun is what a running step sees: its action, the outputs of the steps before it, its own record so far, and
// Save to keep progress before the step finishes.
type StepRun struct {
	Action Action
	// Record is this step as stored when the run started: its earlier output and attempts.
	Record StepRecord
	steps  map[string]StepRecord
	lease  leaseOf
}

// Output is the output of the step id as stored (nil for a step that has not run).
func (r *StepRun) Output(id string) map[string]string { return r.steps[id].Output }

// Save keeps values (merged into this step's output) and what the step leaves behind so far, before the step
// finishes: what it learned that it must not lose in a crash (the id of a repository it just created).
func (r *StepRun) Save(ctx context.Context, values map[string]string, leftBehind string) error {
	if err := r.lease.store.saveStep(ctx, r.Action.ID, r.lease.owner, r.Record.ID, values, leftBehind); err != nil {
		return err
	}
	if r.Record.Output == nil {
		r.Record.Output = map[string]string{}
	}
	maps.Copy(r.Record.Output, values)
	if leftBehind != "" {
		r.Record.LeftBehind = leftBehind
	}
	return nil
}

// leaseOf is the worker's hold on the action it runs, passed to RunSteps in the context.
type leaseOf struct {
	store Store
	owner string
}

type leaseKey struct{}

func withLease(ctx context.Context, l leaseOf) context.Context {
	return context.WithValue(ctx, leaseKey{}, l)
}

// errCancelled: the run stopped before its next step because a cancel was requested.
var errCancelled = errors.New("cancelled")

// RunSteps is the Execute of a multi-step action: it runs steps in order from the first that has not finished,
// storing each step's outcome (state, times, output, error) and auditing it before the next step starts. A step
// that waits makes the action wait; an error stops the run at that step (the worker retries it, or fails the
// action and the step). A cancel requested while a step runs stops the run before the next one. Executors call it
// from Execute with the context the worker gave them.
func RunSteps(ctx context.Context, a Action, steps []Step) (Outcome, error) {
	l, ok := ctx.Value(leaseKey{}).(leaseOf)
	if !ok || l.owner == "" {
		return Outcome{}, Permanentf("actions: RunSteps needs the context the worker passes to Execute")
	}
	if len(steps) == 0 {
		return Outcome{}, Permanentf("action %s has no steps", a.ID)
	}
	seen := map[string]bool{}
	for _, st := range steps {
		if st.ID == "" || seen[st.ID] || st.Run == nil {
			return Outcome{}, Permanentf("action %s: step %q: steps need distinct ids and a Run", a.ID, st.ID)
		}
		seen[st.ID] = true
	}
	records, err := l.store.ensureSteps(ctx, a.ID, l.owner, steps)
	if err != nil {
		return Outcome{}, err
	}
	result := map[string]string{}
	for _, st := range steps {
		rec := records[st.ID]
		if rec.State.done() {
			maps.Copy(result, rec.Output)
			continue
		}
		rec, err := l.store.startStep(ctx, a.ID, l.owner, st.ID)
		if err != nil {
			return Outcome{Result: result}, err
		}
		records[st.ID] = rec
		run := &StepRun{Action: a, Record: rec, steps: records, lease: l}
		out, err := st.Run(ctx, run)
		if ctx.Err() != nil && err == nil {
			err = ctx.Err()
		}
		if err != nil {
			// Keep what the step learned before it failed; the worker decides whether it is retried.
			if serr := l.store.stepError(ctx, a.ID, l.owner, st.ID, out.Values, out.LeftBehind, err.Error()); serr != nil {
				return Outcome{Result: result}, errors.Join(err, serr)
			}
			maps.Copy(result, run.Record.Output)
			maps.Copy(result, out.Values)
			return Outcome{Result: result}, fmt.Errorf("step %s: %w", st.ID, err)
		}
		if out.Wait {
			if err := l.store.saveStep(ctx, a.ID, l.owner, st.ID, out.Values, out.LeftBehind); err != nil {
				return Outcome{Result: result}, err
			}
			maps.Copy(result, run.Record.Output)
			maps.Copy(result, out.Values)
			return Outcome{Result: result, After: out.After, Note: out.Note}, nil
		}
		state := StepSucceeded
		if out.Skipped {
			state = StepSkipped
		}
		done, err := l.store.finishStep(ctx, a, l.owner, st.ID, state, out.Values, out.LeftBehind)
		if err != nil {
			return Outcome{Result: result}, err
		}
		records[st.ID] = done
		maps.Copy(result, done.Output)
	}
	return Outcome{Done: true, Result: result}, nil
}

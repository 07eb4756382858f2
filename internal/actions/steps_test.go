package actions

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
)

// stepsExecutor runs the steps steps() returns with RunSteps, as a multi-step delivery path does.
func stepsExecutor(steps func() []Step) Executor {
	return executorFunc(func(ctx context.Context, a Action) (Outcome, error) { return RunSteps(ctx, a, steps()) })
}

func newStepsWorker(svc *Service, ex Executor) *Worker {
	w := NewWorker(svc.Store, map[string]Executor{DeliveryDirect: ex}, svc.Config.Worker, slog.New(slog.DiscardHandler))
	svc.Wake = w.Wake
	return w
}

func stepStates(a Action) string {
	var s []string
	for _, st := range a.Steps {
		s = append(s, st.ID+"="+string(st.State))
	}
	return strings.Join(s, " ")
}

func auditActions(t *testing.T, svc *Service, id string) []string {
	t.Helper()
	evs, err := audit.Log{DB: svc.Store.DB}.Query(context.Background(), audit.Filter{Resource: "action/" + id, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		out = append(out, evs[i].Action)
	}
	return out
}

// TestStepsRunInOrderAndEachIsStoredBeforeTheNext: every step's outcome is in the database (state, times, output)
// when the next one starts, the action's result merges the outputs, and each step is audited.
func TestStepsRunInOrderAndEachIsStoredBeforeTheNext(t *testing.T) {
	svc, _, clk := newTestService(t)
	var seenByB, seenByC Action
	ex := stepsExecutor(func() []Step {
		return []Step{
			{ID: "a", Title: "Make A", Run: func(ctx context.Context, r *StepRun) (Output, error) {
				return Output{Values: map[string]string{"repository_url": "https://example/a"}, LeftBehind: "repository A"}, nil
			}},
			{ID: "b", Title: "Make B", Run: func(ctx context.Context, r *StepRun) (Output, error) {
				seenByB, _ = svc.Store.Get(ctx, r.Action.ID)
				if r.Output("a")["repository_url"] != "https://example/a" {
					t.Errorf("b sees a's output %v", r.Output("a"))
				}
				return Output{Skipped: true, Values: map[string]string{"why": "nothing to protect"}}, nil
			}},
			{ID: "c", Title: "Make C", Run: func(ctx context.Context, r *StepRun) (Output, error) {
				seenByC, _ = svc.Store.Get(ctx, r.Action.ID)
				return Output{Values: map[string]string{"url": "http://c.svc"}}, nil
			}},
		}
	})
	w := newStepsWorker(svc, ex)
	a := request(t, svc, "steps")
	a = runUntilFinal(t, w, svc, clk, a.ID)
	if a.State != StateSucceeded || stepStates(a) != "a=succeeded b=skipped c=succeeded" {
		t.Fatalf("%s: %s", a.State, stepStates(a))
	}
	if got := stepStates(seenByB); got != "a=succeeded b=running c=pending" {
		t.Errorf("when b ran: %s", got)
	}
	if got := stepStates(seenByC); got != "a=succeeded b=skipped c=running" {
		t.Errorf("when c ran: %s", got)
	}
	if a.Result["repository_url"] != "https://example/a" || a.Result["url"] != "http://c.svc" || a.Result["why"] != "nothing to protect" {
		t.Errorf("result %v", a.Result)
	}
	for _, st := range a.Steps {
		if st.StartedAt.IsZero() || st.FinishedAt.Before(st.StartedAt) || st.Attempts != 1 || st.Title == "" {
			t.Errorf("step %+v", st)
		}
	}
	if a.Steps[0].LeftBehind != "repository A" {
		t.Errorf("left behind: %+v", a.Steps[0])
	}
	got := strings.Join(auditActions(t, svc, a.ID), ",")
	if want := "action.requested,action.started,action.step_succeeded,action.step_skipped,action.step_succeeded,action.succeeded"; got != want {
		t.Errorf("audit %s, want %s", got, want)
	}
}

// TestAFailedStepIsRetriedFromThatStep: a step that fails fails the action with the step's error; a retry by the
// requester runs that step and the ones after it, not those before; others may not retry.
func TestAFailedStepIsRetriedFromThatStep(t *testing.T) {
	svc, _, clk := newTestService(t)
	ctx := context.Background()
	var runsA, runsB, runsC atomic.Int32
	ex := stepsExecutor(func() []Step {
		return []Step{
			{ID: "a", Run: func(context.Context, *StepRun) (Output, error) {
				runsA.Add(1)
				return Output{Values: map[string]string{"sha": "abc"}}, nil
			}},
			{ID: "b", Run: func(ctx context.Context, r *StepRun) (Output, error) {
				if runsB.Add(1) == 1 {
					return Output{Values: map[string]string{"branch": "atrium/x"}}, Permanentf("the pull request cannot be opened: base branch main does not exist")
				}
				if r.Record.Output["branch"] != "atrium/x" {
					t.Errorf("retried step lost its output: %v", r.Record.Output)
				}
				return Output{Values: map[string]string{"pr_url": "https://example/pull/1"}}, nil
			}},
			{ID: "c", Run: func(context.Context, *StepRun) (Output, error) {
				runsC.Add(1)
				return Output{}, nil
			}},
		}
	})
	w := newStepsWorker(svc, ex)
	a := runUntilFinal(t, w, svc, clk, request(t, svc, "retry").ID)
	if a.State != StateFailed || stepStates(a) != "a=succeeded b=failed c=pending" ||
		!strings.Contains(a.Steps[1].Error, "base branch main does not exist") || !strings.Contains(a.Error, "step b") {
		t.Fatalf("%s %q: %s %+v", a.State, a.Error, stepStates(a), a.Steps)
	}
	other := auth.Principal{Subject: "erin", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}
	if _, err := svc.Retry(ctx, other, a.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("another developer retried: %v", err)
	}
	owner := auth.Principal{Subject: "olga", Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}}
	r, err := svc.Retry(ctx, owner, a.ID)
	if err != nil || r.State != StateApproved || r.Error != "" || r.Attempts != 0 || stepStates(r) != "a=succeeded b=pending c=pending" {
		t.Fatalf("retry: %v %+v %s", err, r, stepStates(r))
	}
	a = runUntilFinal(t, w, svc, clk, a.ID)
	if a.State != StateSucceeded || runsA.Load() != 1 || runsB.Load() != 2 || runsC.Load() != 1 {
		t.Fatalf("%s; runs a=%d b=%d c=%d", a.State, runsA.Load(), runsB.Load(), runsC.Load())
	}
	if a.Steps[1].Attempts != 2 || a.Steps[1].Error != "" || a.Result["pr_url"] == "" || a.Result["sha"] != "abc" {
		t.Errorf("after retry: %+v %v", a.Steps[1], a.Result)
	}
	if _, err := svc.Retry(ctx, dev, a.ID); !errors.Is(err, ErrConflict) {
		t.Errorf("retry of a succeeded action: %v", err)
	}
	var retried bool
	for _, h := range a.History {
		retried = retried || h.Message == "retried by olga from b"
	}
	if !retried {
		t.Errorf("history: %+v", a.History)
	}
	if got := strings.Join(auditActions(t, svc, a.ID), ","); !strings.Contains(got, "action.step_failed,action.failed,action.retried") {
		t.Errorf("audit: %s", got)
	}
}

// TestTransientStepErrorsAreRetriedWithTheStepRunning: an error that is not permanent keeps the step running
// with its error shown, and the worker runs it again.
func TestTransientStepErrorsAreRetriedWithTheStepRunning(t *testing.T) {
	svc, _, clk := newTestService(t)
	var n atomic.Int32
	var during Action
	ex := stepsExecutor(func() []Step {
		return []Step{{ID: "only", Run: func(ctx context.Context, r *StepRun) (Output, error) {
			if n.Add(1) == 1 {
				return Output{}, errors.New("GitHub answered 502")
			}
			during, _ = svc.Store.Get(ctx, r.Action.ID)
			return Output{}, nil
		}}}
	})
	a := runUntilFinal(t, newStepsWorker(svc, ex), svc, clk, request(t, svc, "transient").ID)
	if a.State != StateSucceeded || n.Load() != 2 || during.Steps[0].State != StepRunning ||
		during.Steps[0].Error != "GitHub answered 502" || a.Steps[0].Error != "" || a.Steps[0].Attempts != 2 {
		t.Fatalf("%s after %d runs; during: %+v; after: %+v", a.State, n.Load(), during.Steps, a.Steps)
	}
}

// TestCancelStopsBeforeTheNextStepAndSaysWhatItLeftBehind covers the three moments a cancel can come: before the
// run started (at once), while a step runs (the run stops before the next step), and while a step waits between
// checks (at once).
func TestCancelStopsBeforeTheNextStepAndSaysWhatItLeftBehind(t *testing.T) {
	ctx := context.Background()
	t.Run("before it runs", func(t *testing.T) {
		svc, _, _ := newTestService(t)
		a := request(t, svc, "cancel-early")
		c, err := svc.Cancel(ctx, dev, a.ID, "")
		if err != nil || c.State != StateCancelled || c.Result["left_behind"] != "nothing was created" {
			t.Fatalf("%v %+v", err, c)
		}
		if ran, _ := newStepsWorker(svc, stepsExecutor(func() []Step { return nil })).RunOnce(ctx); ran {
			t.Error("a cancelled action ran")
		}
		if _, err := svc.Cancel(ctx, dev, a.ID, ""); !errors.Is(err, ErrConflict) {
			t.Errorf("cancel twice: %v", err)
		}
	})
	t.Run("while a step runs", func(t *testing.T) {
		svc, _, clk := newTestService(t)
		var id string
		var ranC atomic.Bool
		ex := stepsExecutor(func() []Step {
			return []Step{
				{ID: "repo", Title: "Create the repository", Run: func(context.Context, *StepRun) (Output, error) {
					return Output{Values: map[string]string{"repository_url": "https://gh/sphera/orders"},
						LeftBehind: "repository https://gh/sphera/orders"}, nil
				}},
				{ID: "pr", Title: "Open the pull request", Run: func(ctx context.Context, r *StepRun) (Output, error) {
					// The cancel arrives while this step works.
					stranger := auth.Principal{Subject: "mallory", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "search"}}}
					if _, err := svc.Cancel(ctx, stranger, id, ""); !errors.Is(err, ErrForbidden) {
						t.Errorf("a developer of another team cancelled: %v", err)
					}
					c, err := svc.Cancel(ctx, dev, id, "wrong name")
					if err != nil || c.State != StateRunning || !c.CancelRequested {
						t.Errorf("cancel while running: %v %+v", err, c)
					}
					return Output{Values: map[string]string{"pr_url": "https://gh/sphera/infra/pull/7"},
						LeftBehind: "pull request https://gh/sphera/infra/pull/7 (open)"}, nil
				}},
				{ID: "deploy", Title: "Deploy to dev", Run: func(context.Context, *StepRun) (Output, error) {
					ranC.Store(true)
					return Output{}, nil
				}},
			}
		})
		id = request(t, svc, "cancel-mid").ID
		a := runUntilFinal(t, newStepsWorker(svc, ex), svc, clk, id)
		want := "left behind: repository https://gh/sphera/orders; pull request https://gh/sphera/infra/pull/7 (open)"
		if a.State != StateCancelled || ranC.Load() || a.Result["left_behind"] != want || a.Reason != "wrong name" ||
			stepStates(a) != "repo=succeeded pr=succeeded deploy=skipped" || a.CancelRequested {
			t.Fatalf("%s ranC=%v %q: %s %+v", a.State, ranC.Load(), a.Result["left_behind"], stepStates(a), a)
		}
		last := a.History[len(a.History)-1]
		if last.Actor != "dana" || last.To != StateCancelled ||
			last.Message != "cancelled by dana before Deploy to dev (wrong name): "+want {
			t.Errorf("history: %+v", last)
		}
		if got := strings.Join(auditActions(t, svc, id), ","); !strings.HasSuffix(got, "action.cancel_requested,action.step_succeeded,action.cancelled") {
			t.Errorf("audit: %s", got)
		}
	})
	t.Run("while a step waits", func(t *testing.T) {
		svc, _, _ := newTestService(t)
		ex := stepsExecutor(func() []Step {
			return []Step{{ID: "deploy", Title: "Deploy", Run: func(context.Context, *StepRun) (Output, error) {
				return Output{Wait: true, After: time.Hour, Note: "queued for the agent of dev-1",
					Values: map[string]string{"work_id": "wrk_1"}, LeftBehind: "manifests queued for dev-1"}, nil
			}}}
		})
		w := newStepsWorker(svc, ex)
		a := request(t, svc, "cancel-wait")
		if ran, err := w.RunOnce(ctx); !ran || err != nil {
			t.Fatal(ran, err)
		}
		a, _ = svc.Store.Get(ctx, a.ID)
		if a.State != StateRunning || a.Steps[0].State != StepRunning || a.Steps[0].Output["work_id"] != "wrk_1" {
			t.Fatalf("waiting: %+v", a)
		}
		c, err := svc.Cancel(ctx, dev, a.ID, "")
		if err != nil || c.State != StateCancelled || c.Result["left_behind"] != "left behind: manifests queued for dev-1" ||
			c.Steps[0].State != StepSkipped {
			t.Fatalf("%v %+v", err, c)
		}
	})
}

// TestARunResumesAtTheStepItWasIn: a worker that dies in a step (its lease runs out) is replaced by another, which
// runs that step again and not the ones before.
func TestARunResumesAtTheStepItWasIn(t *testing.T) {
	svc, _, clk := newTestService(t)
	ctx := context.Background()
	var runsA, runsB atomic.Int32
	block := make(chan struct{})
	ex := stepsExecutor(func() []Step {
		return []Step{
			{ID: "a", Run: func(context.Context, *StepRun) (Output, error) { runsA.Add(1); return Output{}, nil }},
			{ID: "b", Run: func(ctx context.Context, r *StepRun) (Output, error) {
				if runsB.Add(1) == 1 {
					if err := r.Save(ctx, map[string]string{"repository_id": "42"}, "repository 42"); err != nil {
						t.Error(err)
					}
					close(block)
					<-ctx.Done() // the first worker "dies" here: its lease is taken over
					return Output{}, ctx.Err()
				}
				if r.Record.Output["repository_id"] != "42" || r.Record.Attempts != 2 {
					t.Errorf("resumed step: %+v", r.Record)
				}
				return Output{}, nil
			}},
		}
	})
	first := newStepsWorker(svc, ex)
	first.Owner = "first"
	a := request(t, svc, "resume")
	firstCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _, _ = first.RunOnce(firstCtx) }() // cut short on purpose: what it returns is moot
	<-block
	stop() // the first worker is gone without finishing; its lease runs out
	<-done
	clk.advance(2 * svc.Config.Worker.Lease)
	second := newStepsWorker(svc, ex)
	second.Owner = "second"
	a = runUntilFinal(t, second, svc, clk, a.ID)
	if a.State != StateSucceeded || runsA.Load() != 1 || runsB.Load() != 2 {
		t.Fatalf("%s: a ran %d, b ran %d", a.State, runsA.Load(), runsB.Load())
	}
}

// TestWaitAnswersAtTheNextChange: a reader waiting on an action's version gets it as soon as it changes, and as it
// is when nothing changed in time.
func TestWaitAnswersAtTheNextChange(t *testing.T) {
	svc, _, _ := newTestService(t)
	ctx := context.Background()
	a := request(t, svc, "wait")
	same, err := svc.Wait(ctx, a.ID, a.Version, 10*time.Millisecond)
	if err != nil || same.Version != a.Version {
		t.Fatalf("nothing changed: %v %+v", err, same)
	}
	got := make(chan Action, 1)
	go func() {
		b, err := svc.Wait(ctx, a.ID, a.Version, time.Minute)
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	if _, err := svc.Cancel(ctx, dev, a.ID, ""); err != nil {
		t.Fatal(err)
	}
	if b := <-got; b.State != StateCancelled || b.Version <= a.Version {
		t.Errorf("after the change: %+v", b)
	}
	if _, err := svc.Wait(ctx, "act_nope", 1, time.Millisecond); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown action: %v", err)
	}
}

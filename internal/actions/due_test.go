package actions

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// TestDueRunsAWaitingActionNow: an action waiting an hour for something outside (an agent's report) runs at once
// when Due says that happened — also when it happened while the executor was still running.
func TestDueRunsAWaitingActionNow(t *testing.T) {
	for _, during := range []bool{false, true} {
		name := map[bool]string{false: "after the executor returned", true: "while the executor ran"}[during]
		t.Run(name, func(t *testing.T) {
			svc, _, _ := newTestService(t)
			ctx := context.Background()
			calls := 0
			ex := executorFunc(func(ctx context.Context, a Action) (Outcome, error) {
				calls++
				if calls > 1 {
					return Outcome{Done: true, Result: map[string]string{"url": "http://hello"}}, nil
				}
				if during {
					if err := svc.Store.Due(ctx, a.ID); err != nil {
						t.Error(err)
					}
				}
				return Outcome{After: time.Hour, Note: "waiting for the cluster agent"}, nil
			})
			w := NewWorker(svc.Store, map[string]Executor{DeliveryDirect: ex}, svc.Config.Worker, slog.New(slog.DiscardHandler))
			a := request(t, svc, "due")
			if ran, err := w.RunOnce(ctx); !ran || err != nil {
				t.Fatalf("first run: %v %v", ran, err)
			}
			if !during {
				if ran, _ := w.RunOnce(ctx); ran {
					t.Fatal("a waiting action ran before it was due")
				}
				if err := svc.Store.Due(ctx, a.ID); err != nil {
					t.Fatal(err)
				}
			}
			if ran, err := w.RunOnce(ctx); !ran || err != nil {
				t.Fatalf("after Due: ran=%v %v", ran, err)
			}
			got, _ := svc.Store.Get(ctx, a.ID)
			if got.State != StateSucceeded || calls != 2 || got.Result["url"] != "http://hello" {
				t.Errorf("%s after %d calls: %+v", got.State, calls, got.Result)
			}
			// Due on a finished action changes nothing.
			if err := svc.Store.Due(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if ran, _ := w.RunOnce(ctx); ran {
				t.Error("a finished action ran again")
			}
		})
	}
}

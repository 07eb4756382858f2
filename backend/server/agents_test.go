package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/store/storetest"
)

// clusterExecutor is how an executor that changes a cluster uses the agent queue: the first run queues the work
// (idempotently, keyed by the action) and waits; a later run finds the agent's report.
type clusterExecutor struct {
	q     *agent.Queue
	calls int
}

func (e *clusterExecutor) Execute(ctx context.Context, a actions.Action) (actions.Outcome, error) {
	e.calls++
	it, err := e.q.Enqueue(ctx, "eu", agent.Work{Kind: "deploy", IdempotencyKey: a.ID + "/deploy", Ref: "action/" + a.ID,
		Payload: agent.Payload{Namespace: "apps", Apply: []json.RawMessage{
			json.RawMessage(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"hello"}}`)}}})
	if err != nil {
		return actions.Outcome{}, err
	}
	if !it.State.Final() {
		return actions.Outcome{After: time.Hour, Note: "waiting for the agent of eu"}, nil
	}
	return actions.Outcome{Done: true, Result: map[string]string{"work": it.ID, "state": string(it.State)}}, nil
}

// TestAgentReportWakesTheWaitingAction: an action waiting an hour for agent work runs again as soon as the agent
// reports, and completes.
func TestAgentReportWakesTheWaitingAction(t *testing.T) {
	ctx := context.Background()
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	quiet := slog.New(slog.DiscardHandler)
	svc := actions.NewService(db.SQL(), actions.Config{}, db)
	q := agent.NewQueue(db.SQL(), agent.Config{}, quiet)
	ex := &clusterExecutor{q: q}
	w := actions.NewWorker(svc.Store, map[string]actions.Executor{"cluster": ex}, actions.WorkerConfig{}, quiet)
	woken := 0
	q.OnFinish = wakeOnAgentReport(svc.Store, func() { woken++; w.Wake() }, quiet)

	a, _, err := svc.Submit(ctx, actions.Action{Requester: "dana", Team: "payments", Kind: "deploy",
		Params: json.RawMessage(`{}`), Environment: "dev", Delivery: "cluster", IdempotencyKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	if ran, err := w.RunOnce(ctx); !ran || err != nil {
		t.Fatalf("first run: %v %v", ran, err)
	}
	if ran, _ := w.RunOnce(ctx); ran {
		t.Fatal("the action ran again before the agent reported")
	}
	it, ok, err := q.Lease(ctx, "eu", "agent-eu")
	if err != nil || !ok || it.Ref != "action/"+a.ID {
		t.Fatalf("lease: %v %v %+v", ok, err, it)
	}
	if _, err := q.Report(ctx, "eu", it.ID, it.LeaseID, agent.Result{Objects: []agent.ObjectResult{}}); err != nil {
		t.Fatal(err)
	}
	if woken != 1 {
		t.Fatalf("the worker was woken %d times", woken)
	}
	if ran, err := w.RunOnce(ctx); !ran || err != nil {
		t.Fatalf("after the report: %v %v", ran, err)
	}
	got, _ := svc.Store.Get(ctx, a.ID)
	if got.State != actions.StateSucceeded || got.Result["work"] != it.ID || ex.calls != 2 {
		t.Errorf("%s after %d runs: %+v", got.State, ex.calls, got.Result)
	}
}

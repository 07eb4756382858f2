package actions

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

// executorFunc adapts a function to Executor: the worker's retry and failure handling is what is under test here;
// the real executors are tested against goaws and a GitHub server.
type executorFunc func(ctx context.Context, a Action) (Outcome, error)

func (f executorFunc) Execute(ctx context.Context, a Action) (Outcome, error) { return f(ctx, a) }

// clock is a Store.Now that only the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestService(t *testing.T) (*Service, *sql.DB, *clock) {
	t.Helper()
	return newTestServiceOn(t, storetest.Default())
}

func newTestServiceOn(t *testing.T, e store.Engine) (*Service, *sql.DB, *clock) {
	t.Helper()
	db, err := storetest.Target(t, e)()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := db.PutServices(context.Background(), []catalog.Service{{Name: "checkout", Owner: "payments",
		Description: "x", Lifecycle: "production", Type: "service", Language: "Go", Source: "manual"}}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Environments: map[string]Environment{"staging": {Regions: []string{"eu-west-1"}, Delivery: DeliveryDirect}},
		Worker: WorkerConfig{Poll: 5 * time.Millisecond, Lease: time.Second, MaxAttempts: 3}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	svc := NewService(db.SQL(), cfg, db)
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	svc.Store.Now = clk.now
	return svc, db.SQL(), clk
}

var dev = auth.Principal{Subject: "dana", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}

func request(t *testing.T, svc *Service, key string) Action {
	t.Helper()
	a, _, err := svc.Request(context.Background(), dev, key, Request{Kind: KindSQSQueue, Service: "checkout",
		Environment: "staging", Region: "eu-west-1", Params: json.RawMessage(`{"name":"q-` + key + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// runUntilFinal runs the worker until the action is final, moving the clock past the longest backoff between runs.
func runUntilFinal(t *testing.T, w *Worker, svc *Service, clk *clock, id string) Action {
	t.Helper()
	for range 20 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		a, err := svc.Store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.State.Final() {
			return a
		}
		clk.advance(10 * time.Minute)
	}
	a, _ := svc.Store.Get(context.Background(), id)
	t.Fatalf("not finished after 20 runs: %+v", a)
	return a
}

func TestWorkerRetriesTransientErrorsAndFailsPermanentOnes(t *testing.T) {
	svc, _, clk := newTestService(t)
	var calls atomic.Int32
	ex := executorFunc(func(ctx context.Context, a Action) (Outcome, error) {
		n := calls.Add(1)
		switch {
		case strings.Contains(string(a.Params), "q-flaky") && n == 1:
			return Outcome{}, errors.New("connection reset by peer")
		case strings.Contains(string(a.Params), "q-flaky"):
			return Outcome{Done: true, Result: map[string]string{"queue_url": "http://q"}}, nil
		case strings.Contains(string(a.Params), "q-denied"):
			return Outcome{}, Permanentf("AccessDenied: not allowed")
		default:
			return Outcome{}, errors.New("still down")
		}
	})
	w := NewWorker(svc.Store, map[string]Executor{DeliveryDirect: ex}, svc.Config.Worker, slog.New(slog.DiscardHandler))

	// A failed attempt is retried once its backoff (at first the poll interval) has passed, not before.
	flaky := request(t, svc, "flaky")
	ctx := context.Background()
	if worked, err := w.RunOnce(ctx); !worked || err != nil {
		t.Fatalf("first attempt: %v %v", worked, err)
	}
	clk.advance(svc.Config.Worker.Poll - time.Millisecond)
	if worked, _ := w.RunOnce(ctx); worked {
		t.Error("retried before its backoff")
	}
	clk.advance(time.Millisecond)
	a := runUntilFinal(t, w, svc, clk, flaky.ID)
	if calls.Load() != 2 {
		t.Errorf("the retry took %d more runs", calls.Load()-1)
	}
	if a.State != StateSucceeded || a.Attempts != 2 || a.Error != "" || a.Result["queue_url"] != "http://q" {
		t.Errorf("flaky: %+v", a)
	}
	if !strings.Contains(a.History[2].Message, "attempt 1 failed, retrying: connection reset") {
		t.Errorf("history: %+v", a.History)
	}

	calls.Store(0)
	a = runUntilFinal(t, w, svc, clk, request(t, svc, "denied").ID)
	if a.State != StateFailed || a.Attempts != 1 || !strings.Contains(a.Error, "AccessDenied") {
		t.Errorf("permanent: %+v", a)
	}

	a = runUntilFinal(t, w, svc, clk, request(t, svc, "down").ID)
	if a.State != StateFailed || a.Attempts != 3 || !strings.Contains(a.Error, "gave up after 3 attempts: still down") {
		t.Errorf("exhausted: %+v", a)
	}
}

// TestWorkerClaimsOnlyWhatItCanRun: portals sharing one database may run different delivery paths (one has the
// golden path or AWS credentials configured, another does not). A worker leaves an action it has no executor for
// to a worker that has one: before, it claimed it and failed it for good ("no executor for delivery").
func TestWorkerClaimsOnlyWhatItCanRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		svc, _, clk := newTestServiceOn(t, e)
		a := request(t, svc, "elsewhere") // delivered directly
		ran := executorFunc(func(context.Context, Action) (Outcome, error) { return Outcome{Done: true}, nil })
		other := NewWorker(svc.Store, map[string]Executor{DeliveryFlags: ran}, svc.Config.Worker, slog.New(slog.DiscardHandler))
		if worked, err := other.RunOnce(ctx); worked || err != nil {
			t.Fatalf("a worker without the direct path took the action: %v %v", worked, err)
		}
		if got, _ := svc.Store.Get(ctx, a.ID); got.State != StateApproved || got.Attempts != 0 || len(got.History) != 1 {
			t.Fatalf("the action was touched by a worker that cannot run it: %+v", got)
		}
		nobody := NewWorker(svc.Store, map[string]Executor{}, svc.Config.Worker, slog.New(slog.DiscardHandler))
		if worked, err := nobody.RunOnce(ctx); worked || err != nil {
			t.Fatalf("a worker without executors took the action: %v %v", worked, err)
		}
		direct := NewWorker(svc.Store, map[string]Executor{DeliveryDirect: ran}, svc.Config.Worker, slog.New(slog.DiscardHandler))
		if got := runUntilFinal(t, direct, svc, clk, a.ID); got.State != StateSucceeded || got.Attempts != 1 {
			t.Errorf("the worker with the direct path: %+v", got)
		}
	})
}

func TestLeaseKeepsOtherWorkersOff(t *testing.T) {
	svc, db, _ := newTestService(t)
	a := request(t, svc, "held")
	got, ok, err := svc.Store.claim(context.Background(), "w1", time.Minute, []string{DeliveryDirect})
	if err != nil || !ok || got.ID != a.ID {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if _, ok, _ := svc.Store.claim(context.Background(), "w2", time.Minute, []string{DeliveryDirect}); ok {
		t.Fatal("a held action was claimed twice")
	}
	// The lease runs out (w1 died): w2 takes over, and w1's late result is dropped.
	if _, err := db.Exec(`UPDATE actions SET lease_until = 1 WHERE id = ?`, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := svc.Store.claim(context.Background(), "w2", time.Minute, []string{DeliveryDirect}); !ok {
		t.Fatal("expired lease not taken over")
	}
	if _, err := svc.Store.finish(context.Background(), a.ID, "w1", true, nil, ""); !errors.Is(err, errLeaseLost) {
		t.Errorf("stale worker finished the action: %v", err)
	}
	if _, err := svc.Store.finish(context.Background(), a.ID, "w2", true, nil, ""); err != nil {
		t.Fatal(err)
	}
	final, _ := svc.Store.Get(context.Background(), a.ID)
	if final.State != StateSucceeded || final.Attempts != 2 {
		t.Errorf("%+v", final)
	}
}

package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

// clock is a settable clock for lease expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newQueue(t *testing.T, cfg agent.Config) (*agent.Queue, *store.DB) {
	t.Helper()
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return agent.NewQueue(db.SQL(), cfg, slog.New(slog.DiscardHandler)), db
}

func manifest(kind, name string) json.RawMessage {
	api := "v1"
	if kind == "Deployment" {
		api = "apps/v1"
	}
	return json.RawMessage(fmt.Sprintf(`{"apiVersion":%q,"kind":%q,"metadata":{"name":%q}}`, api, kind, name))
}

func work(key string) agent.Work {
	return agent.Work{Kind: "deploy", IdempotencyKey: key, Ref: "action/act_1",
		Payload: agent.Payload{Namespace: "apps", Apply: []json.RawMessage{manifest("ConfigMap", "cfg-"+key)}}}
}

var ok = agent.Result{Objects: []agent.ObjectResult{{ObjectRef: agent.ObjectRef{APIVersion: "v1", Kind: "ConfigMap",
	Namespace: "apps", Name: "cfg"}, Action: agent.ActionCreated}}}

func TestEnqueueIsIdempotentPerClusterAndKey(t *testing.T) {
	q, _ := newQueue(t, agent.Config{})
	ctx := context.Background()
	a, err := q.Enqueue(ctx, "eu-1", work("act_1/apply"))
	if err != nil {
		t.Fatal(err)
	}
	if a.State != agent.StateQueued || a.Cluster != "eu-1" || a.Attempts != 0 || !strings.HasPrefix(a.ID, "wrk_") {
		t.Fatalf("queued item: %+v", a)
	}
	again, err := q.Enqueue(ctx, "eu-1", work("act_1/apply"))
	if err != nil || again.ID != a.ID {
		t.Fatalf("same key again: %v, id %s, want %s", err, again.ID, a.ID)
	}
	other, err := q.Enqueue(ctx, "us-1", work("act_1/apply"))
	if err != nil || other.ID == a.ID {
		t.Fatalf("same key on another cluster: %v, id %s", err, other.ID)
	}
	changed := work("act_1/apply")
	changed.Payload.Namespace = "elsewhere"
	if _, err := q.Enqueue(ctx, "eu-1", changed); !errors.Is(err, agent.ErrIdempotencyConflict) {
		t.Fatalf("same key, different work: %v", err)
	}
	st, err := q.Agents(ctx)
	if err != nil || len(st) != 2 || st[0].Cluster != "eu-1" || st[0].Queued != 1 || st[0].Connected {
		t.Fatalf("agents: %v %+v", err, st)
	}
}

func TestEnqueueRefusesBadWorkNamingEachProblem(t *testing.T) {
	q, _ := newQueue(t, agent.Config{})
	big := work("big")
	big.Payload.Apply = []json.RawMessage{json.RawMessage(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":"` +
		strings.Repeat("x", agent.MaxPayload) + `"}}`)}
	for _, tt := range []struct {
		name    string
		cluster string
		w       func(w *agent.Work)
		want    []string
	}{
		{"bad cluster", "EU 1", func(*agent.Work) {}, []string{"not a cluster name"}},
		{"nothing to do", "eu", func(w *agent.Work) { w.Payload.Apply = nil }, []string{"nothing to apply"}},
		{"no key, no kind", "eu", func(w *agent.Work) { w.IdempotencyKey, w.Kind = "", "" }, []string{"idempotency key", "kind"}},
		{"secret in the clear", "eu", func(w *agent.Work) {
			w.Payload.Apply = append(w.Payload.Apply, json.RawMessage(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"stringData":{"password":"hunter2"}}`))
		}, []string{"payload.apply[1]", "must travel sealed"}},
		{"manifest without name, not JSON", "eu", func(w *agent.Work) {
			w.Payload.Apply = []json.RawMessage{json.RawMessage(`{"apiVersion":"v1","kind":"ConfigMap"}`), json.RawMessage(`[1]`)}
		}, []string{"payload.apply[0]: lacks metadata.name", "payload.apply[1]: not a JSON object"}},
		{"wait on a ConfigMap", "eu", func(w *agent.Work) {
			w.Payload.Wait = []agent.ObjectRef{{APIVersion: "v1", Kind: "ConfigMap", Name: "x"}}
		}, []string{"payload.wait[0]"}},
		{"timeout too long", "eu", func(w *agent.Work) { w.Payload.TimeoutSeconds = 7200 }, []string{"timeout_seconds"}},
		{"too large", "eu", func(w *agent.Work) { *w = big }, []string{"at most 1048576"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := work("k-" + tt.name)
			tt.w(&w)
			_, err := q.Enqueue(context.Background(), tt.cluster, w)
			if !errors.Is(err, agent.ErrInvalid) {
				t.Fatalf("err %v, want ErrInvalid", err)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error repeats a secret: %v", err)
			}
		})
	}
	st, _ := q.Agents(context.Background())
	if len(st) != 0 {
		t.Errorf("refused work was stored: %+v", st)
	}
}

// TestLeaseExpiryReoffersAndResultIsRecordedOnce: an agent that stops renewing loses the item to the next one;
// its late report and renewal are refused, the new holder's report is recorded once (a repeat changes nothing).
func TestLeaseExpiryReoffersAndResultIsRecordedOnce(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	q, _ := newQueue(t, agent.Config{Lease: 10 * time.Second})
	q.Now = clk.Now
	var finished []agent.Item
	q.OnFinish = func(it agent.Item) { finished = append(finished, it) }
	ctx := context.Background()
	w, _ := q.Enqueue(ctx, "eu", work("a"))

	first, got, err := q.Lease(ctx, "eu", "agent-a")
	if err != nil || !got || first.ID != w.ID || first.Attempts != 1 || first.LeaseID == "" {
		t.Fatalf("first lease: %v %v %+v", err, got, first)
	}
	if _, got, _ := q.Lease(ctx, "eu", "agent-b"); got {
		t.Fatal("a leased item was leased again before its lease ran out")
	}
	clk.Add(9 * time.Second)
	if _, err := q.Renew(ctx, "eu", w.ID, first.LeaseID); err != nil {
		t.Fatalf("renew: %v", err)
	}
	clk.Add(9 * time.Second) // 18 s after leasing: renewed at 9 s, so still held
	if _, got, _ := q.Lease(ctx, "eu", "agent-b"); got {
		t.Fatal("a renewed lease was taken")
	}
	clk.Add(2 * time.Second) // 20 s: past the renewal's 10 s
	second, got, err := q.Lease(ctx, "eu", "agent-b")
	if err != nil || !got || second.ID != w.ID || second.Attempts != 2 || second.LeaseID == first.LeaseID {
		t.Fatalf("after the lease ran out: %v %v %+v", err, got, second)
	}
	if _, err := q.Renew(ctx, "eu", w.ID, first.LeaseID); !errors.Is(err, agent.ErrLeaseLost) {
		t.Errorf("renewal of the lost lease: %v", err)
	}
	if _, err := q.Report(ctx, "eu", w.ID, first.LeaseID, ok); !errors.Is(err, agent.ErrLeaseLost) {
		t.Errorf("report under the lost lease: %v", err)
	}
	if _, err := q.Report(ctx, "us", w.ID, second.LeaseID, ok); !errors.Is(err, agent.ErrNotFound) {
		t.Errorf("report through another cluster: %v", err)
	}
	done, err := q.Report(ctx, "eu", w.ID, second.LeaseID, ok)
	if err != nil || done.State != agent.StateSucceeded || done.Result == nil || len(done.Result.Objects) != 1 ||
		done.FinishedAt.IsZero() {
		t.Fatalf("report: %v %+v", err, done)
	}
	failed := agent.Result{Message: "a different story"}
	again, err := q.Report(ctx, "eu", w.ID, second.LeaseID, failed)
	if err != nil || again.State != agent.StateSucceeded || again.Error != "" {
		t.Fatalf("the same lease reporting again: %v %+v", err, again)
	}
	if len(finished) != 1 || finished[0].ID != w.ID {
		t.Errorf("OnFinish heard %d finishes", len(finished))
	}
	clk.Add(time.Hour)
	if _, got, _ := q.Lease(ctx, "eu", "agent-c"); got {
		t.Error("a finished item was leased")
	}
}

func TestLeaseGivesUpAfterMaxAttempts(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	q, _ := newQueue(t, agent.Config{Lease: time.Second, MaxAttempts: 2})
	q.Now = clk.Now
	ctx := context.Background()
	w, _ := q.Enqueue(ctx, "eu", work("crashy"))
	clk.Add(time.Millisecond) // queued later: leased after crashy
	next, _ := q.Enqueue(ctx, "eu", work("next"))
	for i := range 2 {
		it, got, err := q.Lease(ctx, "eu", "a")
		if err != nil || !got || it.ID != w.ID {
			t.Fatalf("lease %d: %v %v %s", i, err, got, it.ID)
		}
		clk.Add(2 * time.Second)
	}
	it, got, err := q.Lease(ctx, "eu", "a")
	if err != nil || !got || it.ID != next.ID {
		t.Fatalf("after giving up, the next item: %v %v %+v", err, got, it)
	}
	gone, _ := q.Get(ctx, w.ID)
	if gone.State != agent.StateFailed || !strings.Contains(gone.Error, "gave up after 2 attempts") {
		t.Errorf("given up: %+v", gone)
	}
}

func TestWaitWakesWhenTheAgentReports(t *testing.T) {
	q, _ := newQueue(t, agent.Config{Recheck: time.Hour}) // only the report's wake-up can end the wait
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, _ := q.Enqueue(ctx, "eu", work("w"))
	got := make(chan agent.Item, 1)
	errs := make(chan error, 1)
	go func() {
		it, err := q.Wait(ctx, w.ID)
		if err != nil {
			errs <- err
			return
		}
		got <- it
	}()
	it, _, _ := q.Lease(ctx, "eu", "a")
	if _, err := q.Report(ctx, "eu", it.ID, it.LeaseID, agent.Result{Message: "refused"}); err != nil {
		t.Fatal(err)
	}
	select {
	case it := <-got:
		if it.State != agent.StateFailed || it.Error != "refused" {
			t.Errorf("waited for: %+v", it)
		}
	case err := <-errs:
		t.Fatal(err)
	}
}

// TestTwoAgentsNeverHoldOneItem: agents leasing concurrently from one cluster's queue each get distinct items, and
// every item is leased exactly once.
func TestTwoAgentsNeverHoldOneItem(t *testing.T) {
	q, _ := newQueue(t, agent.Config{})
	ctx := context.Background()
	const n = 40
	for i := range n {
		if _, err := q.Enqueue(ctx, "eu", work(fmt.Sprint("item-", i))); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	leases := map[string]int{}
	var wg sync.WaitGroup
	var failures atomic.Int32
	for a := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				it, got, err := q.Lease(ctx, "eu", fmt.Sprint("agent-", a))
				if err != nil {
					t.Error(err)
					failures.Add(1)
					return
				}
				if !got {
					return
				}
				mu.Lock()
				leases[it.ID]++
				mu.Unlock()
				if _, err := q.Report(ctx, "eu", it.ID, it.LeaseID, ok); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if len(leases) != n {
		t.Errorf("%d items leased, want %d", len(leases), n)
	}
	for id, k := range leases {
		if k != 1 {
			t.Errorf("item %s leased %d times", id, k)
		}
	}
}

func TestNextReturnsWorkQueuedWhileItWaits(t *testing.T) {
	q, _ := newQueue(t, agent.Config{Recheck: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type answer struct {
		it  agent.Item
		got bool
		err error
	}
	out := make(chan answer, 1)
	polls := waiting(q)
	go func() {
		it, got, err := q.Next(ctx, "eu", "agent-a", 50*time.Second)
		out <- answer{it, got, err}
	}()
	<-polls // the poll found nothing and waits: only the enqueue's wake-up can answer it
	w, err := q.Enqueue(ctx, "eu", work("late"))
	if err != nil {
		t.Fatal(err)
	}
	a := <-out
	if a.err != nil || !a.got || a.it.ID != w.ID || a.it.State != agent.StateLeased {
		t.Fatalf("long poll: %+v", a)
	}
	st, _ := q.Agents(ctx)
	if len(st) != 1 || !st[0].Connected || st[0].Leased != 1 || st[0].Subject != "agent-a" {
		t.Errorf("status: %+v", st)
	}
}

// waiting returns a channel that hears of every long poll of q that found nothing and waits.
func waiting(q *agent.Queue) <-chan string {
	ch := make(chan string, 16)
	q.Waiting = func(cluster string) { ch <- cluster }
	return ch
}

func TestNextBoundsOpenPollsAndTimesOut(t *testing.T) {
	q, _ := newQueue(t, agent.Config{MaxPollsPerCluster: 1, Recheck: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	polls := waiting(q)
	go func() {
		_, _, err := q.Next(ctx, "eu", "a", time.Minute)
		done <- err
	}()
	<-polls
	if _, _, err := q.Next(context.Background(), "eu", "b", time.Second); !errors.Is(err, agent.ErrBusy) {
		t.Errorf("a second poll of eu: %v", err)
	}
	// Another cluster has its own bound; with nothing queued it answers empty when its wait is over.
	if _, got, err := q.Next(context.Background(), "us", "c", 20*time.Millisecond); err != nil || got {
		t.Errorf("poll of us: %v %v", got, err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled poll: %v", err)
	}
}

package actions

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

// TestWorkersOfTwoReplicasRunEachActionOnce: the workers of two portal replicas (two handles on one database) work
// through a burst of actions side by side; each action runs exactly once and all succeed.
func TestWorkersOfTwoReplicasRunEachActionOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		open := storetest.Target(t, e)
		var svcs []*Service
		for range 2 {
			db, err := open()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			cfg := Config{Environments: map[string]Environment{"staging": {Regions: []string{"eu-west-1"},
				Delivery: DeliveryDirect}}, Worker: WorkerConfig{Poll: time.Millisecond, Lease: time.Minute, MaxAttempts: 3}}
			if err := cfg.Check(); err != nil {
				t.Fatal(err)
			}
			svcs = append(svcs, NewService(db.SQL(), cfg, db))
		}
		if _, err := svcs[0].Catalog.(*store.DB).PutServices(ctx, []catalog.Service{{Name: "checkout", Owner: "payments",
			Description: "x", Lifecycle: "production", Type: "service", Language: "Go", Source: "manual"}}); err != nil {
			t.Fatal(err)
		}
		const n = 40
		ids := map[string]bool{}
		for i := range n {
			ids[request(t, svcs[i%2], fmt.Sprint("burst-", i)).ID] = true
		}
		var mu sync.Mutex
		runs := map[string]int{}
		ex := executorFunc(func(_ context.Context, a Action) (Outcome, error) {
			mu.Lock()
			runs[a.ID]++
			mu.Unlock()
			return Outcome{Done: true}, nil
		})
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for i, svc := range svcs {
			w := NewWorker(svc.Store, map[string]Executor{DeliveryDirect: ex}, svc.Config.Worker, slog.New(slog.DiscardHandler))
			w.Owner = fmt.Sprint("replica-", i)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					worked, err := w.RunOnce(ctx)
					if err != nil {
						errs <- err
						return
					}
					if !worked {
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for id := range ids {
			a, err := svcs[0].Store.Get(ctx, id)
			if err != nil || a.State != StateSucceeded || runs[id] != 1 {
				t.Errorf("action %s: ran %d times, %s %v", id, runs[id], a.State, err)
			}
		}
	})
}

// TestClaimSkipsActionsOthersAreClaiming: on PostgreSQL a worker does not wait for an action another replica's
// worker is claiming at that moment (its row locked): it skips it and takes the next (FOR UPDATE SKIP LOCKED).
func TestClaimSkipsActionsOthersAreClaiming(t *testing.T) {
	ctx := context.Background()
	svc, db, _ := newTestServiceOn(t, store.Postgres)
	first := request(t, svc, "first")
	second := request(t, svc, "second")
	tx, err := db.BeginTx(store.RowLocking(ctx), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var locked string
	if err := tx.QueryRowContext(ctx, `SELECT id FROM actions WHERE id = ? FOR UPDATE`, first.ID).Scan(&locked); err != nil {
		t.Fatal(err)
	}
	type claimed struct {
		a   Action
		err error
	}
	got := make(chan claimed, 1)
	go func() {
		a, _, err := svc.Store.claim(ctx, "other", time.Minute, []string{DeliveryDirect})
		got <- claimed{a, err}
	}()
	select {
	case c := <-got:
		if c.err != nil || c.a.ID != second.ID {
			t.Errorf("claimed %s (%v), want the unlocked %s", c.a.ID, c.err, second.ID)
		}
	case <-time.After(30 * time.Second): // a guard against hanging, not a measure of speed
		t.Fatal("the claim waited for the locked action instead of skipping it")
	}
}

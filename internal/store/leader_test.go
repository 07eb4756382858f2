package store

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// leader runs db.Lead in the background and reports when its work starts and stops.
type leader struct {
	started, stopped chan struct{}
	running          *atomic.Int32 // work running in any replica of the test
	overlap          *atomic.Bool  // work ever started while another's ran
	done             chan struct{}
}

func lead(ctx context.Context, db *DB, running *atomic.Int32, overlap *atomic.Bool) *leader {
	l := &leader{started: make(chan struct{}, 8), stopped: make(chan struct{}, 8), running: running, overlap: overlap,
		done: make(chan struct{})}
	go func() {
		defer close(l.done)
		db.Lead(ctx, "collectors", LeadConfig{Retry: 20 * time.Millisecond, Check: 20 * time.Millisecond},
			func(ctx context.Context) {
				if running.Add(1) > 1 {
					overlap.Store(true)
				}
				l.started <- struct{}{}
				<-ctx.Done()
				running.Add(-1)
				l.stopped <- struct{}{}
			})
	}()
	return l
}

func waitFor(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(time.Minute): // a guard against hanging, not a measure of speed
		t.Fatal(what)
	}
}

// TestPostgresLeadershipMoves: of two replicas one leads and runs the work; when it stops (shut down) or its
// connection holding the lead is cut (its process died, the network failed), the other takes over — and the two
// never run the work at the same time while the leader leaves in good order.
func TestPostgresLeadershipMoves(t *testing.T) {
	open := target(t, Postgres)
	a, err := open(LatestVersion())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close() //nolint:errcheck // test cleanup
	b, err := open(LatestVersion())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close() //nolint:errcheck // test cleanup
	var running atomic.Int32
	var overlap atomic.Bool
	ctxA, stopA := context.WithCancel(context.Background())
	defer stopA()
	la := lead(ctxA, a, &running, &overlap)
	waitFor(t, la.started, "the first replica never led")
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	lb := lead(ctxB, b, &running, &overlap)

	// The leader shuts down: the standby takes over.
	stopA()
	waitFor(t, la.stopped, "the leader's work did not stop")
	waitFor(t, lb.started, "the standby did not take over from a leader that shut down")
	<-la.done
	if overlap.Load() {
		t.Error("both replicas ran the work at once")
	}

	// A new standby; then the leader's connection is cut under it (as when its process is killed).
	ctxC, stopC := context.WithCancel(context.Background())
	defer stopC()
	lc := lead(ctxC, a, &running, &overlap)
	if _, err := a.SQL().Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'atrium lead collectors' AND pid IN (SELECT pid FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objid = ?)`, uint32(LockKey("lead:collectors"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, lb.stopped, "the leader whose connection was cut went on working")
	waitFor(t, lc.started, "the standby did not take over from a leader whose connection was cut")
	stopB()
	stopC()
	<-lb.done
	<-lc.done
}

// TestLeadOnSQLiteRunsAtOnce: a SQLite portal is alone with its file: it leads from the start.
func TestLeadOnSQLiteRunsAtOnce(t *testing.T) {
	db := openEngine(t, SQLite)
	var running atomic.Int32
	var overlap atomic.Bool
	ctx, stop := context.WithCancel(context.Background())
	l := lead(ctx, db, &running, &overlap)
	waitFor(t, l.started, "a SQLite portal did not run its work")
	stop()
	waitFor(t, l.stopped, "the work did not stop with its context")
	<-l.done
}

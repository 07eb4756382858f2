package actions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"
)

// Executor carries out actions of one delivery path. Execute must be idempotent: it may be called again for an
// action it already (partly) carried out — after a crash, a lost lease or a retry — and must then neither create
// a second resource nor fail because the first exists with the requested attributes.
//
// It returns Outcome.Done when the action is complete; otherwise the action waits Outcome.After (a pull request
// not merged yet) and Execute is called again. An error marked Permanent fails the action; other errors are
// retried with backoff up to the configured attempts.
type Executor interface {
	Execute(ctx context.Context, a Action) (Outcome, error)
}

// Outcome is what an execution achieved.
type Outcome struct {
	Done   bool
	Result map[string]string // merged into the action's result
	After  time.Duration     // when not Done: check again after this long (0: the worker's poll interval)
	Note   string            // when not Done: a history line for a new result, e.g. "pull request opened"
}

// Worker runs approved actions. Several workers (in one or several portal processes on one database) may run:
// each action is held by one lease at a time.
type Worker struct {
	Store     Store
	Executors map[string]Executor // by delivery path
	Config    WorkerConfig
	Log       *slog.Logger
	// Owner identifies this worker in leases; default: host, pid and a random suffix.
	Owner string

	wake chan struct{}
}

// NewWorker returns a worker; cfg's zero fields take their defaults.
func NewWorker(store Store, executors map[string]Executor, cfg WorkerConfig, log *slog.Logger) *Worker {
	c := Config{Worker: cfg}
	_ = c.Check() // with no environments Check only fills in the worker's defaults, and cannot fail
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	if log == nil {
		log = slog.Default()
	}
	return &Worker{Store: store, Executors: executors, Config: c.Worker, Log: log,
		Owner: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b)), wake: make(chan struct{}, 1)}
}

// Wake asks the worker to look for work now.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx ends: it claims runnable actions one at a time and sleeps between scans. Unfinished actions
// of a previous run are found by their expired leases and resumed.
func (w *Worker) Run(ctx context.Context) {
	w.Log.Info("action worker started", "owner", w.Owner, "lease", w.Config.Lease)
	// Scan at least this often, so expired leases of dead workers are noticed promptly.
	scan := min(w.Config.Poll, w.Config.Lease)
	for {
		for ctx.Err() == nil {
			worked, err := w.RunOnce(ctx)
			if err != nil {
				w.Log.Error("action worker", "err", err)
				break
			}
			if !worked {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-time.After(scan):
		}
	}
}

// RunOnce claims and executes one runnable action of a delivery path it has an executor for; false when there was
// none. Actions of other paths wait for a worker (of another portal sharing the database) that can run them.
func (w *Worker) RunOnce(ctx context.Context) (bool, error) {
	var deliveries []string
	for d, ex := range w.Executors {
		if ex != nil {
			deliveries = append(deliveries, d)
		}
	}
	slices.Sort(deliveries)
	a, ok, err := w.Store.claim(ctx, w.Owner, w.Config.Lease, deliveries)
	if err != nil || !ok {
		return false, err
	}
	log := w.Log.With("action", a.ID, "kind", a.Kind, "attempt", a.Attempts)
	ex := w.Executors[a.Delivery]

	// Renew the lease while the executor works; stop the work if the lease is lost.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	renewDone := make(chan struct{})
	go func() {
		defer close(renewDone)
		t := time.NewTicker(w.Config.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				if ok, err := w.Store.renew(runCtx, a.ID, w.Owner, w.Config.Lease); err == nil && !ok {
					log.Warn("lease lost; another worker takes over")
					cancel()
					return
				}
			}
		}
	}()
	out, xerr := ex.Execute(withLease(runCtx, leaseOf{store: w.Store, owner: w.Owner}), a)
	cancel()
	<-renewDone
	if ctx.Err() != nil {
		// Shutting down: leave the lease to expire; the action is resumed by the next worker.
		return true, nil
	}
	if !(xerr == nil && out.Done) {
		// A cancel that arrived while the executor ran ends the action now, before anything more is done (RunSteps
		// stops before the next step by itself; an executor without steps stops when it returns).
		if c, err := w.Store.cancelRequested(ctx, a.ID); err != nil {
			return true, err
		} else if c || errors.Is(xerr, errCancelled) {
			c, err := w.Store.cancelRunning(ctx, a.ID, w.Owner)
			if errors.Is(err, errLeaseLost) {
				err = nil
			}
			if err == nil {
				log.Info("action cancelled", "left_behind", c.Result["left_behind"])
			}
			return true, err
		}
	}

	switch {
	case xerr == nil && out.Done:
		_, err = w.Store.finish(ctx, a.ID, w.Owner, true, out.Result, "")
		if err == nil {
			log.Info("action succeeded")
		}
	case xerr == nil:
		after := out.After
		if after <= 0 {
			after = w.Config.Poll
		}
		err = w.Store.wait(ctx, a.ID, w.Owner, out.Result, "", out.Note, w.Store.now().Add(after))
		if err == nil {
			// A cancel requested after the check above found the action held; now nothing holds it.
			_, err = w.Store.cancelIfIdle(ctx, a.ID)
		}
	case IsPermanent(xerr) || a.Attempts >= w.Config.MaxAttempts:
		msg := xerr.Error()
		if !IsPermanent(xerr) {
			msg = fmt.Sprintf("gave up after %d attempts: %s", a.Attempts, msg)
		}
		log.Warn("action failed", "err", msg)
		_, err = w.Store.finish(ctx, a.ID, w.Owner, false, out.Result, msg)
	default:
		// Back off from the poll interval, doubling per attempt, at most ten minutes.
		backoff := min(w.Config.Poll<<min(a.Attempts-1, 10), 10*time.Minute)
		log.Warn("action attempt failed; will retry", "err", xerr, "in", backoff)
		err = w.Store.wait(ctx, a.ID, w.Owner, out.Result, xerr.Error(),
			fmt.Sprintf("attempt %d failed, retrying: %v", a.Attempts, xerr), w.Store.now().Add(backoff))
		if err == nil {
			_, err = w.Store.cancelIfIdle(ctx, a.ID)
		}
	}
	if errors.Is(err, errLeaseLost) {
		log.Warn("lease lost before the outcome was stored; another worker redoes the action")
		err = nil
	}
	return true, err
}

// ByKind is the executor of a delivery path whose kinds are carried out differently: the preview of local mode
// renders Terraform for a queue or a topic and previews the golden path for a new service.
type ByKind struct {
	Kinds   map[Kind]Executor
	Default Executor // the other kinds; nil: they fail
}

// Execute implements Executor.
func (b ByKind) Execute(ctx context.Context, a Action) (Outcome, error) {
	ex := b.Kinds[a.Kind]
	if ex == nil {
		ex = b.Default
	}
	if ex == nil {
		return Outcome{}, Permanentf("the %s delivery path of this portal cannot carry out %s actions", a.Delivery, a.Kind)
	}
	return ex.Execute(ctx, a)
}

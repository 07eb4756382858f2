package store

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// LeadConfig tunes Lead; zero fields take their defaults.
type LeadConfig struct {
	// Retry is how often a standby replica tries to take the lead (default 5 s): how long the work may stand still
	// after a leader died before another replica takes it over.
	Retry time.Duration
	// Check is how often the leader makes sure it still holds the lead (default 5 s): how long two replicas may
	// both run the work when the leader's connection to the database broke while it kept running.
	Check time.Duration
	// OnChange, when set, hears when this process becomes the leader (true) and stops being it (false).
	OnChange func(leading bool)
	Log      *slog.Logger
}

// Lead runs fn while this process leads name among the replicas sharing the database, and returns when ctx ends.
// On SQLite there is one portal per file: fn runs at once, with ctx. On PostgreSQL the leader is the replica holding
// a session advisory lock (LockKey("lead:" + name)) on a connection of its own: the others try again every
// Retry; when the leader's process dies its session ends and the lock is free, and when its connection breaks
// while it lives on, fn's context is cancelled within Check (the work must be idempotent: for at most that long two
// replicas may run it). fn may be called again each time this replica takes the lead anew.
func (d *DB) Lead(ctx context.Context, name string, cfg LeadConfig, fn func(ctx context.Context)) {
	if cfg.OnChange == nil {
		cfg.OnChange = func(bool) {}
	}
	if d.engine != Postgres {
		cfg.OnChange(true)
		fn(ctx)
		cfg.OnChange(false)
		return
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 5 * time.Second
	}
	if cfg.Check <= 0 {
		cfg.Check = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	lockCfg := d.pgConfig.Copy()
	lockCfg.RuntimeParams["application_name"] = "atrium lead " + name
	// A leader whose host vanished (no FIN, no RST) is noticed by the server within about 25 s, not TCP's default
	// two hours, so that its lock is freed for another replica.
	lockCfg.RuntimeParams["tcp_keepalives_idle"] = "10"
	lockCfg.RuntimeParams["tcp_keepalives_interval"] = "5"
	lockCfg.RuntimeParams["tcp_keepalives_count"] = "3"
	key := LockKey("lead:" + name)
	standby := false
	for ctx.Err() == nil {
		held, conn := d.tryLead(ctx, lockCfg, key)
		if !held {
			if !standby {
				cfg.Log.Info("standing by: another replica leads", "work", name)
				standby = true
			}
			select {
			case <-ctx.Done():
			case <-time.After(cfg.Retry):
			}
			continue
		}
		standby = false
		cfg.Log.Info("leading: this replica runs the work", "work", name)
		cfg.OnChange(true)
		d.holdLead(ctx, conn, key, cfg, fn)
		cfg.OnChange(false)
		if ctx.Err() == nil {
			cfg.Log.Warn("lost the lead: the connection holding it broke; the work stopped here", "work", name)
			// The standbys try every Retry: one of them takes over before this replica, whose connection is the one
			// in trouble, tries again (were it to retry at once it would mostly win, and keep the lead it lost).
			select {
			case <-ctx.Done():
			case <-time.After(2 * cfg.Retry):
			}
		}
	}
}

// tryLead connects and takes the lock if it is free; the connection is returned (open) only when it holds it.
func (d *DB) tryLead(ctx context.Context, cfg *pgx.ConnConfig, key int64) (bool, *pgx.Conn) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, nil
	}
	var held bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&held); err != nil || !held {
		_ = conn.Close(context.Background()) // a standby's probe: nothing to keep
		return false, nil
	}
	return true, conn
}

// holdLead runs fn while conn holds the lock, checking the connection every Check; it returns once fn returned, the
// lock released (or its session gone).
func (d *DB) holdLead(ctx context.Context, conn *pgx.Conn, key int64, cfg LeadConfig, fn func(ctx context.Context)) {
	workCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); fn(workCtx) }()
	t := time.NewTicker(cfg.Check)
	for lost := false; !lost && ctx.Err() == nil; {
		select {
		case <-ctx.Done():
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, cfg.Check)
			lost = conn.Ping(pctx) != nil && ctx.Err() == nil
			cancel()
		}
	}
	t.Stop()
	stop()
	wg.Wait()
	uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, key) // closing the session frees it anyway
	_ = conn.Close(uctx)
}

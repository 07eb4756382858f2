package server

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/sphera/atrium/backend/api"
)

// collect adds the portal's own samples to a scrape of /metrics: the database, the change feed, the action and
// agent queues, the collectors and who leads.
func (s *Server) collect(ctx context.Context, e *api.Exposition) {
	e.Family("atrium_leader", "gauge", "1 when this replica runs the collectors and scoring (leader election), else 0.")
	e.Sample("atrium_leader", b2f(s.Leading.Load()))
	up := s.DB.SQL().PingContext(ctx) == nil
	e.Family("atrium_database_up", "gauge", "1 when the portal's database answers, else 0.")
	e.Sample("atrium_database_up", b2f(up), "engine", string(s.DB.Engine()))
	st := s.DB.SQL().Stats()
	e.Family("atrium_db_connections", "gauge", "The replica's connections to its database, in use and idle.")
	e.Sample("atrium_db_connections", float64(st.InUse), "state", "in_use")
	e.Sample("atrium_db_connections", float64(st.Idle), "state", "idle")
	e.Family("atrium_db_connections_max", "gauge", "The most connections the replica opens.")
	e.Sample("atrium_db_connections_max", float64(st.MaxOpenConnections))
	e.Family("atrium_db_connection_waits_total", "counter", "Times a query waited for a free connection.")
	e.Sample("atrium_db_connection_waits_total", float64(st.WaitCount))
	e.Family("atrium_db_connection_wait_seconds_total", "counter", "Time queries spent waiting for a free connection.")
	e.Sample("atrium_db_connection_wait_seconds_total", st.WaitDuration.Seconds())
	for _, c := range s.collectors {
		st := c.Status()
		e.Family("atrium_collector_state", "gauge", "1 for the state each collector of this replica is in "+
			"(idle on a standby replica).")
		e.Sample("atrium_collector_state", 1, "collector", st.Name, "kind", st.Kind, "state", st.State)
	}
	if !up {
		return
	}
	db := s.DB.SQL()
	var seq int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM feed`).Scan(&seq); err == nil {
		e.Family("atrium_feed_sequence", "gauge", "The change feed's newest sequence number.")
		e.Sample("atrium_feed_sequence", float64(seq))
	}
	now := time.Now().UnixMilli()
	var runnable int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM actions
		WHERE (state = 'approved' OR (state = 'running' AND lease_until < ?)) AND next_run_at <= ?`, now, now).
		Scan(&runnable); err == nil {
		e.Family("atrium_actions_runnable", "gauge", "Actions waiting for a worker now: the queue's depth.")
		e.Sample("atrium_actions_runnable", float64(runnable))
	}
	countsBy(ctx, db, e, "atrium_actions", "Actions by state.", `SELECT state, COUNT(*) FROM actions GROUP BY state`)
	countsBy(ctx, db, e, "atrium_agent_work", "Cluster agents' work by state.",
		`SELECT state, COUNT(*) FROM agent_work GROUP BY state`)
	var outbox int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM scorecard_outbox`).Scan(&outbox); err == nil {
		e.Family("atrium_scorecard_warnings_pending", "gauge", "Owners' warnings waiting to be posted.")
		e.Sample("atrium_scorecard_warnings_pending", float64(outbox))
	}
	srcs, err := s.DB.Sources(ctx)
	if err != nil {
		return
	}
	e.Family("atrium_source_sync_age_seconds", "gauge",
		"How old each source's data is: seconds since its collector last finished a sync (the catalog's sync lag).")
	for _, src := range srcs {
		if !src.SyncedAt.IsZero() {
			e.Sample("atrium_source_sync_age_seconds", time.Since(src.SyncedAt).Seconds(), "source", src.Name)
		}
	}
	e.Family("atrium_source_status", "gauge", "1 for the outcome of each source's last sync.")
	for _, src := range srcs {
		e.Sample("atrium_source_status", 1, "source", src.Name, "status", src.Status)
	}
}

// countsBy writes one gauge per row of q, which selects a state and a count.
func countsBy(ctx context.Context, db *sql.DB, e *api.Exposition, name, help, q string) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return
	}
	defer rows.Close()
	e.Family(name, "gauge", help)
	for rows.Next() {
		var state string
		var n int64
		if rows.Scan(&state, &n) == nil {
			e.Sample(name, float64(n), "state", state)
		}
	}
	_ = rows.Err() // a scrape with what could be read
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// serveMetrics serves GET /metrics on addr until ctx ends: a listener of its own, for the cluster's Prometheus,
// apart from the API (the metrics need no token; keep the address off the load balancer).
func (s *Server) serveMetrics(ctx context.Context, addr string) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.Metrics.Handler())
	mux.HandleFunc("GET /healthz", api.Health)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Log.Error("metrics listener stopped", "err", err)
		}
	}()
	return ln.Addr().String(), func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-done
	}, nil
}

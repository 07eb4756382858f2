// Package server runs the portal: it opens the portal's database, seeds it, starts the collectors and serves the
// API. `atrium serve` and the desktop's local mode both start a portal through it.
package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/sources/kube"
	"github.com/sphera/atrium/internal/store"
)

// Config configures a portal server.
type Config struct {
	Addr    string // listen address, e.g. 127.0.0.1:8080
	DataDir string // holds portal.db
	// AdminToken, when set, is stored (hashed) as an admin API token on start unless it already exists.
	AdminToken string
	// Demo seeds the demo catalog: "on", "off", or "auto" (on when no collector is configured).
	Demo string
	// KubeClusters is the path of the Kubernetes cluster registry (see kube.Config); FromEnv reads it into Kube.
	KubeClusters string
	Kube         kube.Config
	Log          *slog.Logger
}

// RegisterFlags defines the server's flags on fs, with defaults from the environment.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", envOr("ATRIUM_ADDR", "127.0.0.1:8080"), "address to listen on ($ATRIUM_ADDR)")
	fs.StringVar(&c.DataDir, "data", envOr("ATRIUM_DATA", "atrium-data"), "directory of the portal database ($ATRIUM_DATA)")
	fs.StringVar(&c.Demo, "demo", envOr("ATRIUM_DEMO", "auto"),
		"seed the demo catalog: auto (when no collector is configured), on, off ($ATRIUM_DEMO)")
	fs.StringVar(&c.KubeClusters, "kube-clusters", os.Getenv("ATRIUM_KUBE_CLUSTERS"),
		"YAML file registering the Kubernetes clusters to collect ($ATRIUM_KUBE_CLUSTERS)")
}

// FromEnv completes c from the environment (secrets are never flags, so they stay out of process listings) and
// checks it.
func (c *Config) FromEnv() error {
	switch c.Demo {
	case "auto", "on", "off":
	default:
		return fmt.Errorf("--demo must be auto, on or off, not %q", c.Demo)
	}
	c.AdminToken = os.Getenv("ATRIUM_ADMIN_TOKEN")
	if c.KubeClusters != "" {
		k, err := kube.LoadConfig(c.KubeClusters)
		if err != nil {
			return err
		}
		c.Kube = k
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Server is a portal: its database and handler, and the background work feeding it.
type Server struct {
	DB      *store.DB
	Log     *slog.Logger
	handler http.Handler

	ctx    context.Context // background work runs until Close cancels it
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open opens the portal in cfg.DataDir, seeding tokens and the demo catalog as configured.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}
	db, err := store.Open(filepath.Join(cfg.DataDir, "portal.db"))
	if err != nil {
		return nil, err
	}
	s := newServer(db, cfg.Log)
	if err := s.seedAdmin(ctx, cfg); err != nil {
		s.Close()
		return nil, err
	}
	collectors := false // collectors (GitHub, Kubernetes, AWS) register here as they are configured
	if len(cfg.Kube.Clusters) > 0 {
		collectors = true
		s.startKube(cfg)
	}
	if cfg.Demo == "on" || ((cfg.Demo == "auto" || cfg.Demo == "") && !collectors) {
		n, err := demo.Seed(ctx, db)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("seed demo catalog: %w", err)
		}
		cfg.Log.Info("demo catalog seeded", "changed", n)
	}
	return s, nil
}

// OpenLocal opens the in-process portal of a desktop's local mode: the demo catalog, no tokens (the desktop
// passes its user in the request context).
func OpenLocal(ctx context.Context, dbPath string, log *slog.Logger) (*Server, error) {
	db, err := store.Open(dbPath)
	if err != nil {
		return nil, err
	}
	if _, err := demo.Seed(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("seed demo catalog: %w", err)
	}
	return newServer(db, log), nil
}

func newServer(db *store.DB, log *slog.Logger) *Server {
	s := &Server{DB: db, Log: log}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	p := &api.Portal{DB: db, Log: log}
	s.handler = p.Handler()
	return s
}

// startKube runs the Kubernetes collector until Close.
func (s *Server) startKube(cfg Config) {
	kube.LogClientGoTo(s.Log.With("component", "client-go"))
	c := &kube.Collector{DB: s.DB, Config: cfg.Kube, Log: s.Log.With("collector", "kube")}
	s.Log.Info("kubernetes collector starting", "clusters", len(cfg.Kube.Clusters))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := c.Run(s.ctx); err != nil {
			s.Log.Error("kubernetes collector stopped", "err", err)
		}
	}()
}

// seedAdmin stores the configured admin token, or, on a server with no tokens at all, makes one and writes it to a
// file only the server's user can read (never to the log).
func (s *Server) seedAdmin(ctx context.Context, cfg Config) error {
	tokens := auth.Tokens{DB: s.DB.SQL()}
	admin := auth.Token{Name: "admin (seeded)", Subject: "admin", Grants: []auth.Grant{{Role: auth.RoleAdmin}},
		CreatedBy: "atrium serve"}
	if cfg.AdminToken != "" {
		created, err := tokens.Ensure(ctx, admin, cfg.AdminToken)
		if err != nil {
			return fmt.Errorf("seed admin token: %w", err)
		}
		if created {
			s.Log.Info("admin token from ATRIUM_ADMIN_TOKEN stored")
		}
		return nil
	}
	n, err := tokens.Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	secret, _, err := tokens.Create(ctx, admin, "")
	if err != nil {
		return err
	}
	path := filepath.Join(cfg.DataDir, "admin-token")
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("write first admin token: %w", err)
	}
	s.Log.Warn("no ATRIUM_ADMIN_TOKEN set: created a first admin token", "file", path)
	return nil
}

// Handler is the portal API.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops background work and closes the database.
func (s *Server) Close() error {
	s.cancel()
	s.wg.Wait()
	return s.DB.Close()
}

// Serve opens a portal and serves it on cfg.Addr until ctx ends, then shuts down gracefully.
func Serve(ctx context.Context, cfg Config, ready func(addr string)) error {
	s, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	// Requests run under base, cancelled at shutdown so that held long polls return at once.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{
		BaseContext:       func(net.Listener) context.Context { return base },
		Handler:           api.LogRequests(s.Log, s.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.Log.Info("portal listening", "addr", ln.Addr().String(), "data", cfg.DataDir)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	cancelBase()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

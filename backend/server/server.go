// Package server runs the portal: it opens the portal's database, seeds it, starts the collectors and serves the
// API. `atrium serve` and the desktop's local mode both start a portal through it.
package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/direct"
	"github.com/sphera/atrium/internal/actions/gitops"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/kube"
	"github.com/sphera/atrium/internal/sources/versions"
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
	// ConfigFile is the portal's YAML configuration (OIDC, actions, flags, sources).
	ConfigFile string
	// File is the parsed ConfigFile, completed from the environment by FromEnv.
	File FileConfig
	// FlagEnvironments are the environments flags are managed in (default dev, staging, production).
	FlagEnvironments []string
	// FlagStaleDays is how long a fully rolled-out or disabled flag stays unchanged before it is marked stale.
	FlagStaleDays int
	// KubeClusters is the path of the Kubernetes cluster registry (see kube.Config); FromEnv reads it into Kube.
	KubeClusters string
	Kube         kube.Config
	Log          *slog.Logger
}

// FileConfig is the portal's configuration file.
//
//	oidc:                        # optional; ATRIUM_OIDC_ISSUER and ATRIUM_OIDC_AUDIENCE override issuer and audience
//	  issuer: https://login.sphera.example
//	  audience: atrium
//	  subject_claim: email       # default sub
//	  groups_claim: groups       # default groups
//	  grants:                    # group → grants, "role" (all teams) or "role@team"
//	    platform-team: [platform_approver]
//	    payments-devs: [developer@payments]
//	actions: ...                 # see actions.Config and docs/self-service.md
//	flags: ...                   # see FlagsConfig and docs/flags.md
//	github: ...                  # see GitHubConfig and docs/github.md
//	versions: ...                # see VersionsConfig
type FileConfig struct {
	OIDC     *auth.OIDCConfig `yaml:"oidc"`
	Actions  actions.Config   `yaml:"actions"`
	Flags    FlagsConfig      `yaml:"flags"`
	GitHub   GitHubConfig     `yaml:"github"`
	Versions VersionsConfig   `yaml:"versions"`
}

// LoadFileConfig reads and checks a configuration file; unknown keys are errors, so a typo is not ignored.
func LoadFileConfig(path string) (FileConfig, error) {
	var fc FileConfig
	f, err := os.Open(path)
	if err != nil {
		return fc, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return fc, fmt.Errorf("config %s: %w", path, err)
	}
	return fc, nil
}

// RegisterFlags defines the server's flags on fs, with defaults from the environment.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", envOr("ATRIUM_ADDR", "127.0.0.1:8080"), "address to listen on ($ATRIUM_ADDR)")
	fs.StringVar(&c.DataDir, "data", envOr("ATRIUM_DATA", "atrium-data"), "directory of the portal database ($ATRIUM_DATA)")
	fs.StringVar(&c.Demo, "demo", envOr("ATRIUM_DEMO", "auto"),
		"seed the demo catalog: auto (when no collector is configured), on, off ($ATRIUM_DEMO)")
	fs.StringVar(&c.ConfigFile, "config", os.Getenv("ATRIUM_CONFIG"),
		"YAML configuration: OIDC sign-in, action environments, approval policy, GitHub organisations, registries ($ATRIUM_CONFIG)")
	fs.Func("flag-environments", "comma-separated environments of feature flags (default dev,staging,production; "+
		"$ATRIUM_FLAG_ENVIRONMENTS)", func(v string) error {
		envs, err := ParseEnvironments(v)
		c.FlagEnvironments = envs
		return err
	})
	fs.IntVar(&c.FlagStaleDays, "flag-stale-days", envInt("ATRIUM_FLAG_STALE_DAYS", 30),
		"days a fully rolled-out or disabled flag stays unchanged before it is marked stale ($ATRIUM_FLAG_STALE_DAYS)")
	fs.StringVar(&c.KubeClusters, "kube-clusters", os.Getenv("ATRIUM_KUBE_CLUSTERS"),
		"YAML file registering the Kubernetes clusters to collect ($ATRIUM_KUBE_CLUSTERS)")
}

// ParseEnvironments reads a comma-separated list of flag environments.
func ParseEnvironments(v string) ([]string, error) {
	var envs []string
	for _, e := range strings.Split(v, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if !flags.ValidKey(e) {
			return nil, fmt.Errorf("flag environment %q: use letters, digits, and _ . : -", e)
		}
		if slices.Contains(envs, e) {
			return nil, fmt.Errorf("flag environment %q is listed twice", e)
		}
		envs = append(envs, e)
	}
	if len(envs) == 0 {
		return nil, fmt.Errorf("no flag environments given")
	}
	return envs, nil
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return def
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
	if len(c.FlagEnvironments) == 0 {
		if v := os.Getenv("ATRIUM_FLAG_ENVIRONMENTS"); v != "" {
			envs, err := ParseEnvironments(v)
			if err != nil {
				return fmt.Errorf("$ATRIUM_FLAG_ENVIRONMENTS: %w", err)
			}
			c.FlagEnvironments = envs
		}
	}
	if c.FlagStaleDays < 0 {
		return fmt.Errorf("--flag-stale-days must not be negative, not %d", c.FlagStaleDays)
	}
	if c.KubeClusters != "" {
		k, err := kube.LoadConfig(c.KubeClusters)
		if err != nil {
			return err
		}
		c.Kube = k
	}
	if c.ConfigFile != "" {
		fc, err := LoadFileConfig(c.ConfigFile)
		if err != nil {
			return err
		}
		c.File = fc
	}
	return c.File.complete()
}

// complete fills the configuration from the environment and checks it.
func (fc *FileConfig) complete() error {
	iss, aud := os.Getenv("ATRIUM_OIDC_ISSUER"), os.Getenv("ATRIUM_OIDC_AUDIENCE")
	if iss != "" || aud != "" {
		if fc.OIDC == nil {
			fc.OIDC = &auth.OIDCConfig{}
		}
		if iss != "" {
			fc.OIDC.Issuer = iss
		}
		if aud != "" {
			fc.OIDC.Audience = aud
		}
	}
	if fc.OIDC != nil {
		if fc.OIDC.Issuer == "" || fc.OIDC.Audience == "" {
			return errors.New("OIDC needs an issuer and an audience (oidc.issuer/oidc.audience in the config file, or $ATRIUM_OIDC_ISSUER/$ATRIUM_OIDC_AUDIENCE)")
		}
		if _, err := auth.NewOIDC(*fc.OIDC, nil); err != nil {
			return err
		}
	}
	if fc.Actions.Environments == nil {
		fc.Actions.Environments = map[string]actions.Environment{}
	}
	if err := fc.Actions.Check(); err != nil {
		return err
	}
	if err := fc.Flags.check(); err != nil {
		return err
	}
	fc.Actions.GitHub.Token = os.Getenv("ATRIUM_GITHUB_TOKEN")
	if err := fc.applyEnv(); err != nil {
		return err
	}
	if fc.GitHubEnabled() {
		if _, err := fc.githubConfig(); err != nil {
			return err
		}
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
	DB  *store.DB
	Log *slog.Logger
	// Flags serves feature flags.
	Flags   *api.Flags
	GitHub  *github.Hub     // nil unless GitHub organisations are configured
	Version *versions.Cache // newest package versions, with GitHub
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
	// FromEnv checked a configuration read from a file; one built in code is checked (and defaulted) here.
	if err := cfg.File.Actions.Check(); err != nil {
		db.Close()
		return nil, err
	}
	// Collectors (GitHub; later Kubernetes, AWS) register here as they are configured.
	collectors := sources.Set{}
	var routes []api.Route
	var hub *github.Hub
	var vc *versions.Cache
	if cfg.File.GitHubEnabled() {
		ghc, err := cfg.File.githubConfig()
		if err != nil {
			db.Close()
			return nil, err
		}
		vcfg := cfg.File.versionsConfig()
		vc = versions.New(db.SQL(), vcfg)
		if hub, err = github.New(db, ghc, vc, cfg.Log); err != nil {
			db.Close()
			return nil, err
		}
		for _, c := range hub.Collectors() {
			collectors[c.Name()] = c
		}
		routes = append(routes, api.GitHubWebhook(hub, cfg.Log))
		cfg.Log.Info("github collector configured", "orgs", ghc.Orgs, "api", ghc.APIURL,
			"npm_registry", vcfg.NPMRegistry, "goproxy", vcfg.GoProxy, "webhooks", ghc.WebhookSecret != "")
	}
	s, err := newServer(db, cfg.Log, cfg, collectors, routes)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.GitHub, s.Version = hub, vc
	if err := s.seedAdmin(ctx, cfg); err != nil {
		s.Close()
		return nil, err
	}
	if len(cfg.Kube.Clusters) > 0 {
		s.startKube(cfg)
	}
	if cfg.Demo == "on" || ((cfg.Demo == "auto" || cfg.Demo == "") && len(collectors) == 0 && len(cfg.Kube.Clusters) == 0) {
		n, err := demo.Seed(ctx, db)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("seed demo catalog: %w", err)
		}
		cfg.Log.Info("demo catalog seeded", "changed", n)
		if err := s.seedDemoFlags(ctx); err != nil {
			s.Close()
			return nil, err
		}
	} else if n, err := db.DeleteSource(ctx, demo.Source); err != nil {
		s.Close()
		return nil, fmt.Errorf("remove demo catalog: %w", err)
	} else if n > 0 {
		cfg.Log.Info("demo catalog removed", "services", n)
	}
	if hub != nil {
		s.wg.Add(2)
		go func() { defer s.wg.Done(); hub.Run(s.ctx) }()
		go func() {
			defer s.wg.Done()
			vc.Run(s.ctx, func(ctx context.Context) {
				if err := hub.Rewrite(ctx); err != nil {
					s.Log.Warn("rewrite services with new package versions", "err", err)
				}
			})
		}()
	}
	return s, nil
}

// seedDemoFlags gives empty flag environments the demo's flags (the desktop's own flags among them).
func (s *Server) seedDemoFlags(ctx context.Context) error {
	envs := s.Flags.Environments
	if len(envs) == 0 {
		envs = api.DefaultEnvironments
	}
	seeded, err := demo.SeedFlags(ctx, s.Flags.Store, envs)
	if err != nil {
		return err
	}
	if len(seeded) > 0 {
		s.Log.Info("demo flags seeded", "environments", seeded)
	}
	return nil
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
	s, err := newServer(db, log, Config{File: LocalConfig()}, nil, nil)
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := s.seedDemoFlags(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// LocalConfig is the portal configuration of local mode: the demo's environments, whose actions are previewed
// (the Terraform a pull request would add is shown) rather than carried out, with the approval rules a team
// portal would typically have.
func LocalConfig() FileConfig {
	none := []string{}
	owners := []string{"team_owner"}
	regions := []string{"eu-west-1", "us-east-1"}
	fc := FileConfig{Actions: actions.Config{
		Environments: map[string]actions.Environment{
			"dev":        {Regions: regions, Delivery: actions.DeliveryPreview, Approvers: &none},
			"staging":    {Regions: regions, Delivery: actions.DeliveryPreview, Approvers: &owners},
			"production": {Regions: regions, Delivery: actions.DeliveryPreview}, // a platform approver
		},
		Worker: actions.WorkerConfig{Poll: 2 * time.Second},
	},
		// One user, who may not approve their own changes: flag edits apply at once in local mode.
		Flags: FlagsConfig{Approvers: map[string][]string{}},
	}
	if err := fc.Actions.Check(); err != nil {
		panic(err) // a constant configuration
	}
	return fc
}

func newServer(db *store.DB, log *slog.Logger, cfg Config, collectors sources.Set, routes []api.Route) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	fc := cfg.File
	s := &Server{DB: db, Log: log}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	flagStore := &flagstore.Store{DB: db.SQL(), InTx: auditFlagChangeTx}
	s.Flags = &api.Flags{Store: flagStore, Audit: flagAuditor{log: audit.Log{DB: db.SQL()}, slogs: log}, Log: log,
		Environments: cfg.FlagEnvironments, StaleAfter: time.Duration(cfg.FlagStaleDays) * 24 * time.Hour}
	p := &api.Portal{DB: db, Log: log, Collectors: collectors, Routes: append(routes, s.Flags.Routes()...)}
	if fc.OIDC != nil {
		o, err := auth.NewOIDC(*fc.OIDC, nil)
		if err != nil {
			return nil, err
		}
		p.OIDC = o
		log.Info("OIDC sign-in enabled", "issuer", fc.OIDC.Issuer)
	}
	p.Actions = actions.NewService(db.SQL(), fc.Actions, db)
	s.Flags.Gate = flagGate{cfg: fc.Flags, store: flagStore, actions: p.Actions}
	// One worker runs every durable action: infrastructure requests and approved flag changes.
	executors := map[string]actions.Executor{actions.DeliveryFlags: flagExecutor{store: flagStore}}
	if len(fc.Actions.Environments) > 0 {
		executors[actions.DeliveryDirect] = direct.New(fc.Actions)
		executors[actions.DeliveryPreview] = gitops.Preview{Config: fc.Actions}
		gh, err := gitops.New(fc.Actions)
		if err != nil {
			return nil, err
		}
		if gh != nil {
			executors[actions.DeliveryGitOps] = gh
		}
	}
	w := actions.NewWorker(p.Actions.Store, executors, fc.Actions.Worker, log)
	p.Actions.Wake = w.Wake
	s.wg.Add(1)
	go func() { defer s.wg.Done(); w.Run(s.ctx) }()
	s.handler = p.Handler()
	return s, nil
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

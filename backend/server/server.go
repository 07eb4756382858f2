// Package server runs the portal: it opens the portal's database, seeds it, starts the collectors and serves the
// API. `atrium serve` and the desktop's local mode both start a portal through it.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/direct"
	"github.com/sphera/atrium/internal/actions/flagchange"
	"github.com/sphera/atrium/internal/actions/gitops"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/drift"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/scaffold"
	"github.com/sphera/atrium/internal/scorecard"
	"github.com/sphera/atrium/internal/secrets"
	"github.com/sphera/atrium/internal/sources"
	awssrc "github.com/sphera/atrium/internal/sources/aws"
	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/kube"
	"github.com/sphera/atrium/internal/sources/versions"
	"github.com/sphera/atrium/internal/store"
)

// Server is a portal: its database and handler, and the background work feeding it.
type Server struct {
	DB  *store.DB
	Log *slog.Logger
	// Flags serves feature flags.
	Flags  *api.Flags
	GitHub *github.Hub // nil unless GitHub organisations or templates repositories are configured
	// AWS lists the regions the portal writes to or is told to observe; nil when there are none.
	AWS     *awssrc.Collector
	Version *versions.Cache // newest package versions, with GitHub
	// Agents is the work queue of cluster agents (docs/agent.md): executors that change a cluster enqueue work
	// here with Ref "action/ID", return not done, and run again when the agent reports.
	Agents *agent.Queue
	// Scorer keeps scorecards current; nil when scorecards are off.
	Scorer *scorecard.Scorer
	// Fleet is the fleet configuration, installs, usage and the KPI (docs/fleet.md).
	Fleet *api.Fleet
	gates *api.Gates
	// Secrets writes, reveals and observes secrets; nil without a secrets section.
	Secrets *secrets.Service
	// Drift detects drift; nil when drift is off.
	Drift   *drift.Engine
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
		_ = db.Close() // the error below is the one to report
		return nil, err
	}
	// Collectors register here as they are configured: one per GitHub organisation, one per Kubernetes cluster
	// (later: AWS); the sources API reports them all the same way.
	collectors := sources.Set{}
	var routes []api.Route
	var hub *github.Hub
	var vc *versions.Cache
	// Drift's engine exists before the collectors: each reports to it.
	if err := cfg.File.checkDrift(); err != nil {
		_ = db.Close() // the error below is the one to report
		return nil, err
	}
	eng := newDriftEngine(&cfg.File)
	if cfg.File.GoldenPath != nil {
		// One registry for the golden path: the built-in templates, and those the templates repositories' syncs load.
		cfg.templates = scaffold.NewRegistry(scaffold.Builtin())
	}
	repos, err := cfg.File.templateRepos()
	if err != nil {
		_ = db.Close() // the error below is the one to report
		return nil, err
	}
	catalogSources := 0 // collectors that write services: without any, the demo is seeded (--demo auto)
	if cfg.File.githubHubNeeded() {
		ghc, err := cfg.File.githubConfig()
		if err != nil {
			_ = db.Close() // the error below is the one to report
			return nil, err
		}
		wireGitHubForDrift(&ghc, eng)
		var vcfg versions.Config
		var newest github.Versions // an interface: nil, not a nil *versions.Cache, when no organisation is cataloged
		if cfg.File.GitHubEnabled() {
			vcfg = cfg.File.versionsConfig()
			vc = versions.New(db.SQL(), vcfg)
			newest = vc
		}
		if hub, err = github.New(db, ghc, newest, cfg.Log); err != nil {
			_ = db.Close() // the error below is the one to report
			return nil, err
		}
		for _, c := range hub.Collectors() {
			collectors.Add(c)
			catalogSources++
		}
		for _, r := range repos {
			ts, err := hub.AddTemplates(r, cfg.templates, github.TemplateLimits{})
			if err != nil {
				_ = db.Close() // the error below is the one to report
				return nil, err
			}
			collectors.Add(ts)
		}
		routes = append(routes, api.GitHubWebhook(hub, cfg.Log))
		if vc != nil {
			cfg.Log.Info("github collector configured", "orgs", ghc.Orgs, "api", ghc.APIURL,
				"npm_registry", vcfg.NPMRegistry, "goproxy", vcfg.GoProxy, "webhooks", ghc.WebhookSecret != "")
		}
		if len(repos) > 0 {
			names := make([]string, len(repos))
			for i, r := range repos {
				names[i] = r.SourceName()
			}
			cfg.Log.Info("templates repositories configured", "repos", names, "api", ghc.APIURL, "webhooks", ghc.WebhookSecret != "")
		}
	}
	var kc *kube.Collector
	if len(cfg.Kube.Clusters) > 0 {
		kc = &kube.Collector{DB: db, Config: cfg.Kube, Log: cfg.Log.With("collector", "kube")}
		wireKubeForDrift(kc, eng)
		collectors.Add(kc.Clusters()...)
		catalogSources += len(kc.Clusters())
	}
	// The demo fills a portal that collects no services; AWS regions provide none (they follow from the actions'
	// and secrets' environments), so they do not count.
	demoOn := cfg.Demo == "on" || ((cfg.Demo == "auto" || cfg.Demo == "") && catalogSources == 0)
	ac, err := newAWSCollector(&cfg.File, db, cfg.Log)
	if err != nil {
		_ = db.Close() // the error below is the one to report
		return nil, err
	}
	if ac != nil {
		wireAWSForDrift(ac, eng)
		collectors.Add(ac.Regions()...)
	}
	s, err := newServer(db, cfg.Log, cfg, collectors, routes, ac, serverExtras{drift: eng, hub: hub})
	if err != nil {
		_ = db.Close() // the error below is the one to report
		return nil, err
	}
	s.GitHub, s.Version = hub, vc
	if err := s.seedAdmin(ctx, cfg); err != nil {
		_ = s.Close() // the error below is the one to report
		return nil, err
	}
	if kc != nil {
		s.startKube(kc)
	}
	if hub != nil {
		s.startDirectory(hub, time.Duration(cfg.File.Fleet.DirectoryRefresh))
	}
	if demoOn {
		n, err := demo.Seed(ctx, db)
		if err != nil {
			_ = s.Close() // the error below is the one to report
			return nil, fmt.Errorf("seed demo catalog: %w", err)
		}
		cfg.Log.Info("demo catalog seeded", "changed", n)
		s.seedDemoScores(ctx)
		if err := s.seedDemoFlags(ctx); err != nil {
			_ = s.Close() // the error below is the one to report
			return nil, err
		}
		s.seedDemoDevelopers(ctx)
	} else if n, err := db.DeleteSource(ctx, demo.Source); err != nil {
		_ = s.Close() // the error below is the one to report
		return nil, fmt.Errorf("remove demo catalog: %w", err)
	} else if n > 0 {
		cfg.Log.Info("demo catalog removed", "services", n)
	}
	if ac != nil {
		s.AWS = ac
		s.wg.Add(1)
		go func() { defer s.wg.Done(); ac.Run(s.ctx) }()
		s.Log.Info("aws collector starting", "regions", len(ac.Regions()))
	}
	if hub != nil {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); hub.Run(s.ctx) }()
	}
	if vc != nil {
		s.wg.Add(1)
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

// seedDemoDevelopers gives the demo a developer directory (plus extra logins), so that its adoption KPI has a
// denominator.
func (s *Server) seedDemoDevelopers(ctx context.Context, extra ...string) {
	if _, err := demo.SeedDevelopers(ctx, s.Fleet.Directory, extra...); err != nil {
		s.Log.Warn("seeding the demo's developers failed", "err", err)
	}
}

// LocalOptions tune an in-process portal.
type LocalOptions struct {
	// NoWorker starts no action worker (see Config.NoWorker): for commands that only read.
	NoWorker bool
	// User is the local user, a developer of the demo's directory.
	User string
	// VaultKey gives the secrets vault its key (the OS keyring's); nil: a key file in the data directory.
	VaultKey func() ([]byte, error)
}

// OpenLocal opens the in-process portal of a desktop's local mode: the demo catalog, no tokens (the desktop
// passes its user in the request context).
func OpenLocal(ctx context.Context, dbPath string, log *slog.Logger, opts LocalOptions) (*Server, error) {
	db, err := store.Open(dbPath)
	if err != nil {
		return nil, err
	}
	if _, err := demo.Seed(ctx, db); err != nil {
		_ = db.Close() // the error below is the one to report
		return nil, fmt.Errorf("seed demo catalog: %w", err)
	}
	s, err := newServer(db, log, Config{File: LocalConfig(), NoWorker: opts.NoWorker, VaultKey: opts.VaultKey,
		DataDir: filepath.Dir(dbPath)}, nil, nil, nil, serverExtras{drift: localDrift(ctx, db)})
	if err != nil {
		_ = db.Close() // the error below is the one to report
		return nil, err
	}
	s.seedDemoScores(ctx)
	if err := s.seedDemoFlags(ctx); err != nil {
		_ = s.Close() // the error below is the one to report
		return nil, err
	}
	if opts.User != "" {
		s.seedDemoDevelopers(ctx, opts.User)
	} else {
		s.seedDemoDevelopers(ctx)
	}
	s.seedDemoDrift(ctx)
	return s, nil
}

// seedDemoDrift runs local mode's drift detection once now, so that the demo's drift is there for a command that
// only reads (its portal runs no background work) as for the window.
func (s *Server) seedDemoDrift(ctx context.Context) {
	if s.Drift == nil {
		return
	}
	if _, err := s.Drift.Detect(ctx); err != nil {
		s.Log.Warn("detecting the demo's drift failed", "err", err)
	}
}

// seedDemoScores scores the demo catalog now and gives its scorecards a past, so that the trends show weeks.
func (s *Server) seedDemoScores(ctx context.Context) {
	if s.Scorer == nil {
		return
	}
	if _, err := s.Scorer.Pass(ctx); err != nil {
		s.Log.Warn("scoring the demo catalog failed", "err", err)
		return
	}
	if _, err := demo.SeedScoreHistory(ctx, s.DB, s.DB.Now()); err != nil {
		s.Log.Warn("seeding the demo's score history failed", "err", err)
	}
}

// serverExtras are parts Open builds before the server that the server wires further.
type serverExtras struct {
	drift *drift.Engine
	hub   *github.Hub
}

func newServer(db *store.DB, log *slog.Logger, cfg Config, collectors sources.Set, routes []api.Route,
	ac *awssrc.Collector, x serverExtras) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	fc := cfg.File
	s := &Server{DB: db, Log: log}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	flagStore := &flagstore.Store{DB: db.SQL(), InTx: flagchange.AuditTx}
	s.Flags = &api.Flags{Store: flagStore, Audit: flagchange.Auditor{Trail: audit.Log{DB: db.SQL()}, Log: log}, Log: log,
		Environments: cfg.FlagEnvironments, StaleAfter: time.Duration(cfg.FlagStaleDays) * 24 * time.Hour}
	s.Agents = agent.NewQueue(db.SQL(), agent.Config{}, log)
	fl, err := newFleet(db, fc.Fleet, s)
	if err != nil {
		return nil, err
	}
	s.Fleet = fl
	p := &api.Portal{DB: db, Log: log, Collectors: collectors, Routes: append(routes, s.Flags.Routes()...),
		Agents:      s.Agents,
		Fleet:       fl,
		AuthLimiter: &api.AuthLimiter{TrustedProxies: cfg.TrustedProxies, Log: log},
		Refused:     s.Flags.Refused}
	if fc.OIDC != nil {
		o, err := auth.NewOIDC(*fc.OIDC, nil)
		if err != nil {
			return nil, err
		}
		p.OIDC = o
		log.Info("OIDC sign-in enabled", "issuer", fc.OIDC.Issuer)
	}
	p.Actions = actions.NewService(db.SQL(), fc.Actions, db)
	s.Flags.Gate = flagchange.Gate{Config: fc.Flags, Store: flagStore, Actions: p.Actions}
	s.Flags.Approvers = fc.Flags.Approvers
	// What each kind of request will do, for approvers to see before they decide (GET /actions/{id}/preview).
	p.Actions.Previewers = map[actions.Kind]actions.Previewer{actions.KindFlagChange: flagchange.Previewer{Store: flagStore}}
	if len(fc.Actions.Environments) > 0 {
		rp := gitops.ResourcePreviewer{Config: fc.Actions}
		p.Actions.Previewers[actions.KindSQSQueue], p.Actions.Previewers[actions.KindSNSTopic] = rp, rp
	}
	if err := s.startScorecards(p, fc, cfg.NoWorker); err != nil {
		return nil, err
	}
	// One worker runs every durable action: infrastructure requests and approved flag changes.
	executors := map[string]actions.Executor{actions.DeliveryFlags: flagchange.Executor{Store: flagStore,
		Tokens: auth.Tokens{DB: db.SQL()}}}
	if len(fc.Actions.Environments) > 0 {
		dx := direct.New(fc.Actions)
		executors[actions.DeliveryDirect] = dx
		// Topics subscribe queues that exist: in direct environments AWS says which do (and the portal's requests).
		p.Actions.Observers = map[string]actions.QueueObserver{}
		for name, env := range fc.Actions.Environments {
			if env.Delivery == actions.DeliveryDirect {
				p.Actions.Observers[name] = dx
			}
		}
		executors[actions.DeliveryPreview] = gitops.Preview{Config: fc.Actions}
		gh, err := gitops.New(fc.Actions)
		if err != nil {
			return nil, err
		}
		if gh != nil {
			executors[actions.DeliveryGitOps] = gh
		}
	}
	if fc.GoldenPath != nil {
		// The golden path: service_create requests are checked against the templates and the catalog, run by
		// the golden delivery path, or previewed with the other previews.
		req, ex, preview, err := goldenPath(fc, db, s.Agents, cfg.templates)
		if err != nil {
			return nil, err
		}
		p.Golden = req
		p.Actions.Preparers = map[actions.Kind]actions.Preparer{actions.KindServiceCreate: req}
		p.Actions.Previewers[actions.KindServiceCreate] = actions.PreviewerFunc(planPreview)
		if ex != nil {
			executors[actions.DeliveryGolden] = ex
		}
		executors[actions.DeliveryPreview] = actions.ByKind{Kinds: map[actions.Kind]actions.Executor{
			actions.KindServiceCreate: preview}, Default: executors[actions.DeliveryPreview]}
	}
	dataDir := cfg.DataDir
	if dataDir == "" {
		dataDir = filepath.Dir(db.Path())
	}
	secretsSvc, secretsEx, err := newSecrets(s.ctx, fc, db, p.Actions, s.Agents, log,
		secretsOptions{dataDir: dataDir, vaultKey: cfg.VaultKey, aws: ac})
	if err != nil {
		return nil, err
	}
	if secretsSvc != nil {
		p.Secrets, s.Secrets = secretsSvc, secretsSvc
		executors[secrets.Delivery] = secretsEx
		for _, k := range []actions.Kind{secrets.KindCreate, secrets.KindRotate, secrets.KindDelete} {
			p.Actions.Previewers[k] = secretsSvc
		}
	}
	if err := s.startDrift(x.drift, fc, p, x.hub, cfg.NoWorker); err != nil {
		return nil, err
	}
	if !cfg.NoWorker {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); fl.RunMaintenance(s.ctx) }()
		if secretsSvc != nil {
			s.wg.Add(2)
			go func() { defer s.wg.Done(); sweepSecrets(s.ctx, secretsSvc, log) }()
			go func() { defer s.wg.Done(); observeSecrets(s.ctx, secretsSvc, log) }()
		}
		w := actions.NewWorker(p.Actions.Store, executors, fc.Actions.Worker, log)
		p.Actions.Wake = w.Wake
		s.Agents.OnFinish = wakeOnAgentReport(p.Actions.Store, w.Wake, log)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); w.Run(s.ctx) }()
	}
	s.handler = p.Handler()
	return s, nil
}

// startScorecards compiles the scorecard rules, scores the catalog once, and (unless the process only reads) keeps
// scoring on every change and posts owners' warnings. With scorecards off, stored scorecards are removed, so that
// no stale score is shown or gates anything.
func (s *Server) startScorecards(p *api.Portal, fc FileConfig, noWorker bool) error {
	engine, err := fc.scorecardEngine()
	if err != nil {
		return err
	}
	sc := fc.Scorecards
	exceptions := &scorecard.Exceptions{DB: s.DB, MaxDays: sc.Gate.MaxExceptionDays}
	p.Gates = &api.Gates{DB: s.DB, Engine: engine, Gate: &scorecard.Gate{DB: s.DB, Engine: engine,
		Exceptions: exceptions}, Log: s.Log}
	s.gates = p.Gates
	if engine == nil {
		if n, err := s.DB.DeleteScoreRules(s.ctx); err != nil {
			return fmt.Errorf("remove scorecards: %w", err)
		} else if n > 0 {
			s.Log.Info("scorecards are off: stored scorecards removed", "removed", n)
		}
		return nil
	}
	scorer := &scorecard.Scorer{DB: s.DB, Engine: engine, Log: s.Log.With("component", "scorecards"),
		Warn: sc.Webhook.URL != ""}
	s.Scorer = scorer
	if _, err := scorer.Pass(s.ctx); err != nil {
		s.Log.Warn("scoring services failed; retrying on the next change", "err", err)
	}
	if noWorker {
		return nil
	}
	if sc.Webhook.URL != "" {
		n := &scorecard.Notifier{DB: s.DB.SQL(), URL: sc.Webhook.URL, Log: s.Log.With("component", "scorecards")}
		n.Start()
		scorer.Wake = n.Wake
		s.wg.Add(1)
		go func() { defer s.wg.Done(); n.Run(s.ctx) }()
	}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); scorer.Run(s.ctx) }()
	s.Log.Info("scorecards on", "rules", len(engine.Rules()), "threshold", engine.Info().Threshold,
		"gated", engine.Info().GatedEnvironments, "webhook", sc.Webhook.URL != "")
	return nil
}

// startKube runs the Kubernetes collector until Close.
func (s *Server) startKube(c *kube.Collector) {
	kube.LogClientGoTo(s.Log.With("component", "client-go"))
	s.Log.Info("kubernetes collector starting", "clusters", len(c.Config.Clusters))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := c.Run(s.ctx); err != nil {
			s.Log.Error("kubernetes collector stopped", "err", err)
		}
	}()
}

// seedAdmin stores the configured admin token, or, on a server with no tokens at all, makes one and writes it to a
// file only the server's user can read (never to the log). ATRIUM_ADMIN_TOKEN is the server's one seeded admin
// token: a new value revokes the token of the previous value (and the first start's file token), audited; the
// same value again changes nothing.
func (s *Server) seedAdmin(ctx context.Context, cfg Config) error {
	tokens := auth.Tokens{DB: s.DB.SQL()}
	admin := auth.Token{Name: "admin (seeded)", Subject: "admin", Grants: []auth.Grant{{Role: auth.RoleAdmin}},
		CreatedBy: "atrium serve"}
	path := filepath.Join(cfg.DataDir, "admin-token")
	if cfg.AdminToken != "" {
		rot, err := tokens.Rotate(ctx, admin, cfg.AdminToken, "atrium serve", "ATRIUM_ADMIN_TOKEN set to a new value")
		if err != nil {
			return fmt.Errorf("seed admin token: %w", err)
		}
		switch {
		case !rot.Current.RevokedAt.IsZero():
			s.Log.Warn("the token in ATRIUM_ADMIN_TOKEN was revoked and stays revoked: set a new value", "token", rot.Current.ID)
		case rot.Created:
			s.Log.Info("admin token from ATRIUM_ADMIN_TOKEN stored", "token", rot.Current.ID)
		}
		if len(rot.Revoked) > 0 {
			s.Log.Warn("ATRIUM_ADMIN_TOKEN changed: revoked the previous seeded admin token", "revoked", rot.Revoked)
			// The first start's token file holds a revoked token now (unless it is the value in use): of no use.
			if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) != cfg.AdminToken {
				if err := os.Remove(path); err != nil {
					s.Log.Warn("remove the revoked first admin token's file", "file", path, "err", err)
				} else {
					s.Log.Info("removed the first start's admin token file: its token is revoked", "file", path)
				}
			}
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
	var err error
	if s.Fleet != nil {
		// Reports received since the last flush (a read-only process runs no flush loop).
		err = s.Fleet.Installs.Flush(context.Background())
	}
	return errors.Join(err, s.DB.Close())
}

// newHTTPServer bounds what a connection may cost before a handler sees it: headers must arrive within 10 s and
// fit in 64 KiB, idle connections close after 2 minutes. There is no ReadTimeout or WriteTimeout for whole
// requests: change-feed long polls hold a request for up to a minute and exports stream; handlers that read a
// body from the internet set their own read deadline (the webhook, api.WebhookLimits).
func newHTTPServer(base context.Context, h http.Handler) *http.Server {
	return &http.Server{
		BaseContext:       func(net.Listener) context.Context { return base },
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// Serve opens a portal and serves it on cfg.Addr until ctx ends, then shuts down gracefully.
func Serve(ctx context.Context, cfg Config, ready func(addr string)) (err error) {
	s, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		// Closing the portal's database checkpoints its WAL: a failure there is the command's failure, unless
		// serving failed first.
		if cerr := s.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close portal: %w", cerr)
		}
	}()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	// Requests run under base, cancelled at shutdown so that held long polls return at once.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := newHTTPServer(base, api.LogRequests(s.Log, s.Handler()))
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

// planPreview says what a new service's run does: its stored plan holds every file, the infrastructure pull request,
// the dev manifests and the steps (GET /actions/{id}/plan), so the preview points there.
func planPreview(_ context.Context, a actions.Action) (actions.Preview, error) {
	var p struct {
		Template   string         `json:"template"`
		Parameters map[string]any `json:"parameters"`
	}
	_ = json.Unmarshal(a.Params, &p) // what cannot be read is left out of the sentence
	name, _ := p.Parameters["name"].(string)
	return actions.Preview{Summary: []string{fmt.Sprintf("Creates the service %s from the template %s for team %s: "+
		"its repository, catalog entry, infrastructure pull request and dev deployment, step by step, exactly as "+
		"the plan stored with the request says (every file, the pull request, the manifests, the steps).",
		name, p.Template, a.Team)}}, nil
}

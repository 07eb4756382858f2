// Package aws is Atrium's AWS collector, the sibling of the GitHub and Kubernetes collectors: for every configured
// environment and region it lists, with the portal's own read-only credentials (aws-sdk-go-v2), the SQS queues
// (attributes and tags), the SNS topics (attributes, tags and subscriptions) and the Secrets Manager secrets (tags
// and dates, never values) that exist there — the observed state drift detection compares with what the portal and
// the gitops repositories declare, and that secrets' metadata is kept current with.
//
// Each region is a source of its own (aws:ENVIRONMENT/REGION) in the portal's sources.Set: it reports its state
// and progress like a GitHub organisation (items done of total while it lists, ok / partial / error after), records
// its freshness with store.PutSource so desktops know how old its data is, and syncs on request (sources.Syncer).
//
// A region that cannot be listed is reported as such, and its inventory says which services were not listed: a
// reader must treat those as unknown, never as empty. An unreachable region is not a region where everything was
// deleted.
package aws

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/store"
)

// Kind is the kind of source a region reports.
const Kind = "aws"

// Services the collector lists.
const (
	ServiceSQS            = "sqs"
	ServiceSNS            = "sns"
	ServiceSecretsManager = "secretsmanager"
)

// AllServices lists every service the collector knows, in the order it lists them.
func AllServices() []string { return []string{ServiceSQS, ServiceSNS, ServiceSecretsManager} }

// Target is one environment's region to list.
type Target struct {
	Environment string
	Region      string
	// Endpoint overrides AWS's endpoint for this region (an emulator, a VPC endpoint); empty: AWS's.
	Endpoint string
	// Profile of the shared AWS configuration; empty: the default credential chain.
	Profile string
	// Services to list here (ServiceSQS, ServiceSNS, ServiceSecretsManager); empty: all.
	Services []string
}

// Key is "ENVIRONMENT/REGION".
func (t Target) Key() string { return t.Environment + "/" + t.Region }

// Config configures the collector.
type Config struct {
	Targets []Target
	// Interval between syncs of a region; default 5 minutes.
	Interval time.Duration
	// Concurrency is how many per-resource requests (attributes, tags, subscriptions) a region has in flight;
	// default 16.
	Concurrency int
	// Timeout bounds one sync of one region; default 2 minutes.
	Timeout time.Duration
	// MaxAttempts is the SDK's attempts per request (retries of throttling and network errors); default 3.
	MaxAttempts int
	// HTTPClient, when set, is the SDK's HTTP client (tests, proxies).
	HTTPClient *http.Client
}

// SourceName is the name of the source an environment's region reports as: aws:ENVIRONMENT/REGION.
func SourceName(env, region string) string { return "aws:" + env + "/" + region }

// Collector lists every target region. Build it with New; Run keeps it current.
type Collector struct {
	cfg Config
	db  *store.DB
	log *slog.Logger

	regions []*Region
	byKey   map[string]*Region

	mu      sync.Mutex
	subs    []func(context.Context, Inventory)
	running bool
}

// New returns a collector of cfg's targets; db may be nil (nothing is recorded), log nil (slog's default).
// Targets naming the same environment and region are one region listing the union of their services, each service
// through the endpoint and profile of the first target naming it (the actions' SQS and SNS may be reached through
// another endpoint than the secrets' Secrets Manager).
func New(cfg Config, db *store.DB, log *slog.Logger) (*Collector, error) {
	if log == nil {
		log = slog.Default()
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Minute
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	c := &Collector{cfg: cfg, db: db, log: log, byKey: map[string]*Region{}}
	for _, t := range cfg.Targets {
		if t.Environment == "" || t.Region == "" {
			return nil, fmt.Errorf("aws collector: a target needs an environment and a region (got %q/%q)", t.Environment, t.Region)
		}
		if len(t.Services) == 0 {
			t.Services = AllServices()
		}
		for _, s := range t.Services {
			if s != ServiceSQS && s != ServiceSNS && s != ServiceSecretsManager {
				return nil, fmt.Errorf("aws collector: %s: unknown service %q (sqs, sns, secretsmanager)", t.Key(), s)
			}
		}
		r, ok := c.byKey[t.Key()]
		if !ok {
			r = &Region{c: c, target: Target{Environment: t.Environment, Region: t.Region}, by: map[string]Target{},
				trigger: make(chan struct{}, 1), clients: map[string]*clientSet{},
				st: sources.Status{Name: SourceName(t.Environment, t.Region), Kind: Kind, State: sources.StateIdle}}
			c.regions = append(c.regions, r)
			c.byKey[t.Key()] = r
		}
		for _, svc := range t.Services {
			if _, ok := r.by[svc]; !ok {
				r.by[svc] = t
			}
		}
		r.target.Services = union(r.target.Services, t.Services)
	}
	sort.Slice(c.regions, func(i, j int) bool { return c.regions[i].target.Key() < c.regions[j].target.Key() })
	return c, nil
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	// Keep the listing order of AllServices.
	sort.Slice(out, func(i, j int) bool { return order(out[i]) < order(out[j]) })
	return out
}

func order(s string) int {
	for i, x := range AllServices() {
		if x == s {
			return i
		}
	}
	return len(AllServices())
}

// Subscribe calls fn with every inventory a region lists from now on (after its sync, in the syncing goroutine).
// Drift detection subscribes; fn must not block for long.
func (c *Collector) Subscribe(fn func(context.Context, Inventory)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subs = append(c.subs, fn)
}

// Regions are the targets as sources (sources.Syncer), one per environment and region, named aws:ENV/REGION.
func (c *Collector) Regions() []sources.Collector {
	out := make([]sources.Collector, len(c.regions))
	for i, r := range c.regions {
		out[i] = r
	}
	return out
}

// Region returns the region of env, or nil when it is not a target.
func (c *Collector) Region(env, region string) *Region { return c.byKey[env+"/"+region] }

// Inventories are the last inventory of every region that has listed at least once.
func (c *Collector) Inventories() []Inventory {
	var out []Inventory
	for _, r := range c.regions {
		if inv, ok := r.Inventory(); ok {
			out = append(out, inv)
		}
	}
	return out
}

// Run syncs every region now, then every Interval or when triggered, until ctx ends. A Collector runs once.
func (c *Collector) Run(ctx context.Context) {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return
	}
	c.running = true
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range c.regions {
		wg.Add(1)
		go func() { defer wg.Done(); r.run(ctx) }()
	}
	wg.Wait()
}

// SyncAll syncs every region once, concurrently, and returns their inventories in the order of Regions.
func (c *Collector) SyncAll(ctx context.Context) []Inventory {
	out := make([]Inventory, len(c.regions))
	var wg sync.WaitGroup
	for i, r := range c.regions {
		wg.Add(1)
		go func() { defer wg.Done(); out[i] = r.Sync(ctx) }()
	}
	wg.Wait()
	return out
}

// clientSet is the SDK clients of one endpoint and profile of a region.
type clientSet struct {
	sqs *sqs.Client
	sns *sns.Client
	sm  *sm.Client
}

// newClients builds the SDK clients of t's endpoint and profile.
func (c *Collector) newClients(ctx context.Context, t Target) (*clientSet, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(t.Region),
		awsconfig.WithRetryer(func() sdk.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = c.cfg.MaxAttempts
				o.MaxBackoff = 5 * time.Second
			})
		})}
	if t.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(t.Profile))
	}
	if c.cfg.HTTPClient != nil {
		opts = append(opts, awsconfig.WithHTTPClient(c.cfg.HTTPClient))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration for %s: %w", t.Key(), err)
	}
	ep := t.Endpoint
	q := sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if ep != "" {
			o.BaseEndpoint = sdk.String(ep)
		}
	})
	n := sns.NewFromConfig(cfg, func(o *sns.Options) {
		if ep != "" {
			o.BaseEndpoint = sdk.String(ep)
		}
	})
	s := sm.NewFromConfig(cfg, func(o *sm.Options) {
		if ep != "" {
			o.BaseEndpoint = sdk.String(ep)
		}
	})
	return &clientSet{sqs: q, sns: n, sm: s}, nil
}

// Region is one environment's region: a source (sources.Syncer) and its last inventory.
type Region struct {
	c       *Collector
	target  Target            // the environment, region and every service listed
	by      map[string]Target // service → the target naming it (its endpoint and profile)
	trigger chan struct{}

	clientMu sync.Mutex
	clients  map[string]*clientSet // by endpoint and profile

	syncMu sync.Mutex // one sync at a time

	mu    sync.Mutex
	st    sources.Status
	inv   Inventory
	have  bool
	items []sources.ItemError
}

var _ sources.Syncer = (*Region)(nil)

// Target is what the region lists: its environment, region and services.
func (r *Region) Target() Target { return r.target }

// Endpoint is the endpoint service is listed through ("" for AWS's own).
func (r *Region) Endpoint(service string) string { return r.by[service].Endpoint }

// Name implements sources.Collector: aws:ENV/REGION.
func (r *Region) Name() string { return r.st.Name }

// Status implements sources.Collector.
func (r *Region) Status() sources.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

// Detail implements sources.Collector: the services whose last listing failed are its item errors.
func (r *Region) Detail(context.Context) (sources.Detail, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return sources.Detail{Status: r.st, Items: len(r.target.Services), ItemErrors: append([]sources.ItemError{}, r.items...)}, nil
}

// Trigger implements sources.Syncer.
func (r *Region) Trigger() {
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// Inventory is the region's last inventory; false before its first sync.
func (r *Region) Inventory() (Inventory, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inv, r.have
}

func (r *Region) run(ctx context.Context) {
	t := time.NewTicker(r.c.cfg.Interval)
	defer t.Stop()
	for {
		r.Sync(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.trigger:
		}
	}
}

// clientsFor is the clients of service's endpoint and profile.
func (r *Region) clientsFor(ctx context.Context, service string) (*clientSet, error) {
	t := r.by[service]
	key := t.Endpoint + "\x00" + t.Profile
	r.clientMu.Lock()
	defer r.clientMu.Unlock()
	if cs, ok := r.clients[key]; ok {
		return cs, nil
	}
	cs, err := r.c.newClients(ctx, Target{Environment: r.target.Environment, Region: r.target.Region,
		Endpoint: t.Endpoint, Profile: t.Profile})
	if err != nil {
		return nil, err
	}
	r.clients[key] = cs
	return cs, nil
}

// Sync lists the region's services now (after a sync already running, never two at once), records the outcome
// and hands the inventory to the subscribers.
func (r *Region) Sync(ctx context.Context) Inventory {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	start := time.Now().UTC()
	r.mu.Lock()
	r.st.State, r.st.StartedAt, r.st.Done, r.st.Total, r.st.Message = sources.StateSyncing, start, 0, 0, ""
	r.mu.Unlock()
	sctx, cancel := context.WithTimeout(ctx, r.c.cfg.Timeout)
	defer cancel()
	inv := Inventory{Environment: r.target.Environment, Region: r.target.Region, At: start,
		Listed: map[string]bool{}, Failed: map[string]string{}}
	for _, svc := range r.target.Services {
		cs, err := r.clientsFor(sctx, svc)
		if err == nil {
			switch svc {
			case ServiceSQS:
				inv.Queues, err = listQueues(sctx, cs.sqs, r.c.cfg.Concurrency, r.progress)
			case ServiceSNS:
				inv.Topics, err = listTopics(sctx, cs.sns, r.c.cfg.Concurrency, r.progress)
			case ServiceSecretsManager:
				inv.Secrets, err = listSecrets(sctx, cs.sm)
				r.progress(len(inv.Secrets), len(inv.Secrets))
			}
		}
		if err != nil {
			inv.Failed[svc] = (&ListError{Service: svc, Target: r.target, Err: err}).Error()
			continue
		}
		inv.Listed[svc] = true
	}
	if ctx.Err() != nil {
		// Stopped by our own shutdown: record nothing, keep the last good inventory.
		r.mu.Lock()
		r.st.State = sources.StateIdle
		r.mu.Unlock()
		return inv
	}
	r.record(ctx, inv)
	r.c.mu.Lock()
	subs := append([]func(context.Context, Inventory){}, r.c.subs...)
	r.c.mu.Unlock()
	for _, fn := range subs {
		fn(ctx, inv)
	}
	return inv
}

// progress counts resources described so far.
func (r *Region) progress(done, total int) {
	r.mu.Lock()
	r.st.Done += done
	r.st.Total += total
	r.mu.Unlock()
}

// record keeps the inventory and the status, and writes the region's freshness to the store. A failed service
// keeps nothing of it in the inventory (it is unknown); the previous listing of it is not reused as if it were
// current.
func (r *Region) record(ctx context.Context, inv Inventory) {
	now := time.Now().UTC()
	var errs []sources.ItemError
	var msgs []string
	for _, svc := range r.target.Services {
		if m, ok := inv.Failed[svc]; ok {
			errs = append(errs, sources.ItemError{Item: svc, Error: m, At: now})
			msgs = append(msgs, m)
		}
	}
	state := sources.StateOK
	switch {
	case len(errs) == len(r.target.Services):
		state = sources.StateError
	case len(errs) > 0:
		state = sources.StatePartial
	}
	message := fmt.Sprintf("%d queues, %d topics, %d secrets", len(inv.Queues), len(inv.Topics), len(inv.Secrets))
	if len(msgs) > 0 {
		message = strings.Join(msgs, "; ")
	}
	r.mu.Lock()
	r.inv, r.have, r.items = inv, true, errs
	r.st.State, r.st.Message, r.st.FinishedAt, r.st.Errors = state, message, now, len(errs)
	r.st.Services = 0
	st := r.st
	r.mu.Unlock()
	if r.c.db != nil {
		if err := r.c.db.PutSource(ctx, store.Source{Name: st.Name, SyncedAt: now, Status: state, Message: message}); err != nil && ctx.Err() == nil {
			r.c.log.Warn("record AWS region's freshness", "region", st.Name, "err", err)
		}
	}
	if state != sources.StateOK {
		r.c.log.Warn("AWS region not listed completely", "region", st.Name, "state", state, "message", message)
	}
}

// ListSecrets lists the region's Secrets Manager secrets now (tags and dates, never values). Secrets' comparison
// with AWS (secrets.Lister) goes through it.
func (r *Region) ListSecrets(ctx context.Context) ([]Secret, error) {
	if _, ok := r.by[ServiceSecretsManager]; !ok {
		return nil, fmt.Errorf("%s does not list Secrets Manager", r.Name())
	}
	cs, err := r.clientsFor(ctx, ServiceSecretsManager)
	if err != nil {
		return nil, err
	}
	list, err := listSecrets(ctx, cs.sm)
	if err != nil {
		return nil, &ListError{Service: ServiceSecretsManager, Target: r.target, Err: err}
	}
	return list, nil
}

package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/gitops"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/drift"
	"github.com/sphera/atrium/internal/scorecard"
	awssrc "github.com/sphera/atrium/internal/sources/aws"
	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/kube"
	"github.com/sphera/atrium/internal/store"
)

// The drift section of the configuration file is drift.Config (docs/drift.md): gitops repositories and their
// layouts, ignore rules per kind, where re-applying through the agent is allowed, the webhook.

// checkDrift checks the drift section (and takes the webhook from the environment).
func (fc *FileConfig) checkDrift() error {
	if u := os.Getenv("ATRIUM_DRIFT_WEBHOOK_URL"); u != "" {
		fc.Drift.Webhook.URL = u
	}
	if err := fc.Drift.Check(); err != nil {
		return err
	}
	if len(fc.Drift.GitOps) > 0 && !fc.GitHubEnabled() {
		return errors.New("drift config: drift.gitops names repositories, but no GitHub organisation is configured " +
			"to sync them (github.orgs)")
	}
	return nil
}

// newDriftEngine is the engine of a portal's drift detection before its wiring (nil when drift is off): the
// collectors built next report to it.
func newDriftEngine(fc *FileConfig) *drift.Engine {
	if fc.Drift.Off {
		return nil
	}
	return &drift.Engine{Config: &fc.Drift}
}

// wireGitHubForDrift makes the GitHub collector read the gitops repositories' files and tell the engine.
func wireGitHubForDrift(ghc *github.Config, e *drift.Engine) {
	if e == nil || len(e.Config.GitOps) == 0 {
		return
	}
	ghc.Extra = e.Config.Prefixes
	ghc.OnRead = func(string) { e.Trigger() }
}

// wireKubeForDrift hands each cluster's snapshots to the engine.
func wireKubeForDrift(kc *kube.Collector, e *drift.Engine) {
	if e == nil || kc == nil {
		return
	}
	kc.Observe = func(_ context.Context, s kube.Snapshot) {
		e.ObserveCluster(drift.ClusterView{Name: s.Cluster.Name, Environment: s.Cluster.Environment,
			Region: s.Cluster.Region, Known: s.OK, Reason: s.Message, Workloads: s.Workloads})
	}
	for _, c := range kc.Config.Clusters {
		e.Clusters = append(e.Clusters, drift.ClusterInfo{Name: c.Name, Environment: c.Environment, Region: c.Region})
	}
}

// wireAWSForDrift hands each region's inventory to the engine.
func wireAWSForDrift(ac *awssrc.Collector, e *drift.Engine) {
	if e == nil || ac == nil {
		return
	}
	ac.Subscribe(func(_ context.Context, inv awssrc.Inventory) { e.ObserveRegion(inv) })
	for _, r := range ac.Regions() {
		if reg, ok := r.(*awssrc.Region); ok {
			t := reg.Target()
			e.Regions = append(e.Regions, drift.RegionInfo{Environment: t.Environment, Region: t.Region, Services: t.Services})
		}
	}
}

// startDrift completes the engine's wiring (the store, the actions, the GitHub files) and runs it, with its
// webhook notifier, until the server closes; a read-only process only wires it (the API reads the store).
func (s *Server) startDrift(e *drift.Engine, fc FileConfig, p *api.Portal, hub *github.Hub, noWorker bool) error {
	if e == nil {
		// Drift is off: what an earlier run found is neither shown nor alerted any more.
		if n, err := s.DB.ClearDrift(s.ctx); err != nil {
			return fmt.Errorf("remove drift items: %w", err)
		} else if n > 0 {
			s.Log.Info("drift detection is off: its items were removed", "items", n)
		}
		return nil
	}
	acts := p.Actions
	e.DB, e.Log = s.DB, s.Log.With("component", "drift")
	e.Requested = acts.Store.Succeeded
	e.Creatable = func(env, region string) bool {
		en, ok := fc.Actions.Environments[env]
		if !ok {
			return false
		}
		for _, r := range en.Regions {
			if r == region {
				return true
			}
		}
		return false
	}
	if hub != nil && e.Files == nil {
		e.Files = func(ctx context.Context, repo string, dirs []string) (drift.RepoFiles, error) {
			f, err := hub.Files(ctx, repo, dirs)
			if errors.Is(err, github.ErrNotRead) {
				return drift.RepoFiles{}, fmt.Errorf("%w: %v", drift.ErrNotRead, err)
			}
			return drift.RepoFiles{Repo: f.FullName, Head: f.Head, DefaultBranch: f.DefaultBranch, Files: f.Files}, err
		}
	}
	e.Alert = fc.Drift.Webhook.URL != ""
	s.Drift = e
	// Topics subscribe queues that exist: where the delivery path does not ask AWS (gitops, preview), the AWS
	// collector's inventory says which do.
	if acts.Observers == nil {
		acts.Observers = map[string]actions.QueueObserver{}
	}
	for name := range fc.Actions.Environments {
		if acts.Observers[name] == nil {
			acts.Observers[name] = e
		}
	}
	svc := &drift.Service{DB: s.DB, Engine: e, Actions: acts, Agents: s.Agents, Audit: audit.Log{DB: s.DB.SQL()},
		Log: e.Log}
	if tok := fc.Actions.GitHub.Token; tok != "" {
		c, err := gitops.NewClient(fc.Actions.GitHub.APIURL, tok, nil)
		if err != nil {
			return err
		}
		svc.GitHub = c
		e.Proposals = true
	}
	p.Drift = svc
	if noWorker {
		return nil
	}
	if e.Alert {
		n := &scorecard.Notifier{DB: s.DB.SQL(), URL: fc.Drift.Webhook.URL, Table: "drift_outbox", What: "drift alerts",
			Log: s.Log.With("component", "drift")}
		n.Start()
		e.Alerted = n.Wake
		s.lead(n.Run)
	}
	// On the leader, with the collectors that feed it (a replica that does not lead has no inventories to compare).
	s.lead(func(ctx context.Context) { e.Run(ctx, 500*time.Millisecond) })
	s.Log.Info("drift detection on", "gitops", len(fc.Drift.GitOps), "clusters", len(e.Clusters), "aws_regions",
		len(e.Regions), "interval", fc.Drift.Interval.String(), "webhook", e.Alert)
	return nil
}

// localDrift is local mode's drift engine on the demo's world (demo.DriftWorld): the demo catalog's clusters as
// the Kubernetes collector would report them, a gitops repository made from them with a few hand edits, and
// production's AWS inventories. Nothing is collected: the engine is the real one, fed what collectors would feed
// it.
func localDrift(ctx context.Context, db *store.DB) *drift.Engine {
	cfg := demo.DriftConfig()
	if err := cfg.Check(); err != nil {
		panic(err) // a constant configuration
	}
	svcs, err := db.AllServices(ctx)
	if err != nil {
		return nil
	}
	clusters, files, invs := demo.DriftWorld(svcs)
	e := &drift.Engine{Config: &cfg}
	for _, c := range clusters {
		e.Clusters = append(e.Clusters, drift.ClusterInfo{Name: c.Name, Environment: c.Environment, Region: c.Region})
		e.ObserveCluster(c)
	}
	for _, inv := range invs {
		e.Regions = append(e.Regions, drift.RegionInfo{Environment: inv.Environment, Region: inv.Region,
			Services: []string{awssrc.ServiceSQS, awssrc.ServiceSNS}})
		e.ObserveRegion(inv)
	}
	e.Files = func(_ context.Context, repo string, _ []string) (drift.RepoFiles, error) {
		if !strings.EqualFold(repo, demo.DriftRepo) {
			return drift.RepoFiles{}, fmt.Errorf("repository %s: %w", repo, drift.ErrNotRead)
		}
		return drift.RepoFiles{Repo: demo.DriftRepo, Head: demo.DriftHead, DefaultBranch: "main", Files: files}, nil
	}
	return e
}

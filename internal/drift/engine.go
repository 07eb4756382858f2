package drift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/drift/gitops"
	"github.com/sphera/atrium/internal/problem"
	awssrc "github.com/sphera/atrium/internal/sources/aws"
	"github.com/sphera/atrium/internal/store"
)

// RepoFiles is a gitops repository as the GitHub collector last read it: the commit and the files under the
// layouts' directories.
type RepoFiles struct {
	Repo          string
	Head          string
	DefaultBranch string
	Files         map[string][]byte
}

// ErrNotRead is returned (wrapped) for a gitops repository the GitHub collector has not read (yet).
var ErrNotRead = errors.New("not read by the GitHub collector")

// ClusterInfo is a registered cluster.
type ClusterInfo struct{ Name, Environment, Region string }

// RegionInfo is an AWS region the collector lists, and which services.
type RegionInfo struct {
	Environment, Region string
	Services            []string
}

// Engine runs detection: on change (a cluster's watch events, a region listed, a gitops push, an action done),
// and every Config.Interval. It keeps what the collectors last reported, reads desired state, runs Detect, and
// stores the outcome (items, status, alerts) through store.ReplaceDrift.
type Engine struct {
	DB     *store.DB
	Config *Config
	Log    *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Files reads a gitops repository's files under prefixes (the GitHub collector); nil: no gitops.
	Files func(ctx context.Context, repo string, prefixes []string) (RepoFiles, error)
	// Requested lists the succeeded actions of kinds (actions.Store.Succeeded); nil: none.
	Requested func(ctx context.Context, kinds ...actions.Kind) ([]actions.Action, error)
	// Creatable says whether an action can create a resource in an environment's region.
	Creatable func(env, region string) bool
	// Proposals: the portal can open pull requests (the pull_request fix is offered).
	Proposals bool
	// Clusters and Regions are what the collectors observe: a registered place that has not reported yet is
	// unknown, not empty.
	Clusters []ClusterInfo
	Regions  []RegionInfo
	// Alert queues a webhook message for every drift opened and resolved; Alerted, when set, is called after a
	// detection queued some (the notifier's wake-up).
	Alert   bool
	Alerted func()
	// Detected, when set, is called after every detection Run makes (tests wait on it).
	Detected func(Result, error)

	mu        sync.Mutex
	clusters  map[string]ClusterView
	regions   map[string]awssrc.Inventory
	parsed    map[string]parsedRepo
	evidence  map[string]*Evidence
	last      catalog.DriftStatus
	wake      chan struct{}
	cache     DiffCache // used under detectMu
	detectMu  sync.Mutex
	startOnce sync.Once
}

// parsedRepo caches a repository's declarations at a commit.
type parsedRepo struct {
	head      string
	manifests []Manifest
	resources []Resource
	problems  problem.Problems
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Engine) log() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.Default()
}

func (e *Engine) init() {
	e.startOnce.Do(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.clusters = map[string]ClusterView{}
		e.regions = map[string]awssrc.Inventory{}
		e.parsed = map[string]parsedRepo{}
		e.evidence = map[string]*Evidence{}
		e.wake = make(chan struct{}, 1)
	})
}

// ObserveCluster records a cluster's snapshot (the Kubernetes collector's) and asks for a detection.
func (e *Engine) ObserveCluster(c ClusterView) {
	e.init()
	e.mu.Lock()
	e.clusters[c.Name] = c
	e.mu.Unlock()
	e.Trigger()
}

// ObserveRegion records a region's inventory (the AWS collector's) and asks for a detection.
func (e *Engine) ObserveRegion(inv awssrc.Inventory) {
	e.init()
	e.mu.Lock()
	e.regions[inv.Environment+"/"+inv.Region] = inv
	e.mu.Unlock()
	e.Trigger()
}

// ObservedQueues lists the SQS queues of env's region in the AWS collector's last inventory
// (actions.QueueObserver): the queues that exist there, whoever made them, for topics to subscribe in the
// environments whose delivery path does not ask AWS itself (gitops, preview). It lists none while this process
// holds no complete SQS listing of the region: not listed yet, SQS failed there, or a replica that does not lead
// (the collectors run on the leader).
func (e *Engine) ObservedQueues(_ context.Context, env, region string) ([]actions.Queue, error) {
	e.init()
	e.mu.Lock()
	inv, ok := e.regions[env+"/"+region]
	e.mu.Unlock()
	if !ok || !inv.Known(awssrc.ServiceSQS) {
		return nil, nil
	}
	out := make([]actions.Queue, 0, len(inv.Queues))
	for _, q := range inv.Queues {
		out = append(out, actions.Queue{Name: q.Name, State: actions.QueueExists,
			FIFO: strings.HasSuffix(q.Name, ".fifo") || q.Attributes["FifoQueue"] == "true"})
	}
	return out, nil
}

// Trigger asks for a detection soon; it returns at once.
func (e *Engine) Trigger() {
	e.init()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run detects now, then on every trigger (bursts coalesced for quiet) and every Config.Interval, until ctx ends.
func (e *Engine) Run(ctx context.Context, quiet time.Duration) {
	e.init()
	t := time.NewTicker(e.Config.Interval)
	defer t.Stop()
	for {
		res, err := e.Detect(ctx)
		if err != nil && ctx.Err() == nil {
			e.log().Warn("drift detection failed; retrying on the next change", "err", err)
		}
		if e.Detected != nil {
			e.Detected(res, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.wake:
			// Let a burst of changes (a cluster's first snapshot with its neighbours') settle.
			q := time.NewTimer(quiet)
			select {
			case <-ctx.Done():
				q.Stop()
				return
			case <-q.C:
			}
		}
	}
}

// Evidence is what the last detection knew of an item (nil when it did not see it).
func (e *Engine) Evidence(id string) *Evidence {
	e.init()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.evidence[id]
}

// Status is what the last detection could and could not see.
func (e *Engine) Status() catalog.DriftStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last
}

// Inputs gathers what a detection looks at now.
func (e *Engine) Inputs(ctx context.Context) (Inputs, error) {
	e.init()
	in := Inputs{Now: e.now(), Rules: e.Config.rules, Reapply: e.Config.reapply, Creatable: e.Creatable,
		Proposals: e.Proposals, UnreadRepos: map[string]string{}}
	e.mu.Lock()
	for _, c := range e.Clusters {
		v, ok := e.clusters[c.Name]
		if !ok {
			v = ClusterView{Name: c.Name, Environment: c.Environment, Region: c.Region, Reason: "not listed yet"}
		}
		v.Environment, v.Region = c.Environment, c.Region
		in.Clusters = append(in.Clusters, v)
	}
	for _, r := range e.Regions {
		v := RegionView{Environment: r.Environment, Region: r.Region, Services: r.Services}
		if inv, ok := e.regions[r.Environment+"/"+r.Region]; ok {
			v.Inventory = &inv
		}
		in.Regions = append(in.Regions, v)
	}
	e.mu.Unlock()
	owners, err := e.DB.ServiceOwners(ctx)
	if err != nil {
		return in, err
	}
	in.Owners = owners
	if in.Secrets, err = e.DB.ListSecrets(ctx, store.SecretQuery{}); err != nil {
		return in, err
	}
	if e.Requested != nil {
		acts, err := e.Requested(ctx, actions.KindSQSQueue, actions.KindSNSTopic)
		if err != nil {
			return in, err
		}
		in.Resources = append(in.Resources, portalResources(acts)...)
	}
	for _, r := range e.Config.layouts {
		if e.Files == nil {
			in.UnreadRepos[strings.ToLower(r.Repo)] = "no GitHub collector"
			continue
		}
		p, err := e.repo(ctx, r)
		if err != nil {
			in.UnreadRepos[strings.ToLower(r.Repo)] = err.Error()
			continue
		}
		in.Manifests = append(in.Manifests, p.manifests...)
		in.Resources = append(in.Resources, p.resources...)
	}
	return in, nil
}

// repo reads and parses a gitops repository, again only when its head moved.
func (e *Engine) repo(ctx context.Context, r compiledRepo) (parsedRepo, error) {
	var prefixes []string
	if r.hasKube {
		prefixes = append(prefixes, r.kube.Prefix())
	}
	if r.hasTerraform {
		prefixes = append(prefixes, r.tf.Prefix())
	}
	f, err := e.Files(ctx, r.Repo, prefixes)
	if err != nil {
		return parsedRepo{}, err
	}
	key := strings.ToLower(r.Repo)
	e.mu.Lock()
	p, ok := e.parsed[key]
	e.mu.Unlock()
	if ok && p.head == f.Head && f.Head != "" {
		return p, nil
	}
	p = parseRepo(r, f)
	for _, pr := range p.problems {
		e.log().Warn("gitops file not read", "repo", r.Repo, "problem", pr.Summary, "detail", pr.Detail)
	}
	e.mu.Lock()
	e.parsed[key] = p
	e.mu.Unlock()
	return p, nil
}

// parseRepo reads a repository's declarations: manifests under the Kubernetes layout, Terraform under the
// Terraform layout, each with the place its directory names.
func parseRepo(r compiledRepo, f RepoFiles) parsedRepo {
	p := parsedRepo{head: f.Head}
	branch := r.Branch
	if branch == "" {
		branch = f.DefaultBranch
	}
	if branch == "" {
		branch = "main"
	}
	if r.hasKube {
		// Each place's directory is read on its own: a kustomization renders what its directory lists.
		byPlace := map[string]map[string][]byte{}
		vars := map[string]map[string]string{}
		for path, data := range f.Files {
			v, ok := r.kube.Match(path)
			if !ok {
				continue
			}
			dir := r.kube.Dir(v)
			if byPlace[dir] == nil {
				byPlace[dir] = map[string][]byte{}
				vars[dir] = v
			}
			byPlace[dir][path] = data
		}
		var dirs []string
		for d := range byPlace {
			dirs = append(dirs, d)
		}
		sort.Strings(dirs)
		for _, dir := range dirs {
			ms, ps := gitops.ReadKubernetes(byPlace[dir])
			p.problems = append(p.problems, ps...)
			v := vars[dir]
			for _, m := range ms {
				svc := v["service"]
				if svc == "" {
					md, _ := m.Object["metadata"].(map[string]any)
					an, _ := md["annotations"].(map[string]any)
					lb, _ := md["labels"].(map[string]any)
					if s, ok := an["atrium.sphera.io/service"].(string); ok {
						svc = s
					} else if s, ok := lb["app.kubernetes.io/name"].(string); ok {
						svc = s
					}
				}
				p.manifests = append(p.manifests, Manifest{Manifest: m, Repo: r.Repo, Head: f.Head, Branch: branch,
					Cluster: v["cluster"], Environment: v["environment"], Region: v["region"], Service: svc})
			}
		}
	}
	if r.hasTerraform {
		files := map[string][]byte{}
		for path, data := range f.Files {
			if _, ok := r.tf.Match(path); ok && gitops.IsTerraform(path) {
				files[path] = data
			}
		}
		rs, ps := gitops.ReadTerraform(files)
		p.problems = append(p.problems, ps...)
		subs := map[string][]string{} // dir + topic → queues
		for _, res := range rs {
			if res.Type == "sns_subscription" && res.Attrs["protocol"] == "sqs" && res.Attrs["topic"] != "" && res.Attrs["queue"] != "" {
				k := dirOf(res.Path) + "\x00" + res.Attrs["topic"]
				subs[k] = append(subs[k], res.Attrs["queue"])
			}
		}
		for _, res := range rs {
			if res.Type != catalog.DriftSQSQueue && res.Type != catalog.DriftSNSTopic || res.Name == "" {
				continue
			}
			v, _ := r.tf.Match(res.Path)
			svc := v["service"]
			if svc == "" {
				svc = res.Tags["atrium:service"]
			}
			p.resources = append(p.resources, Resource{Type: res.Type, Name: res.Name, Service: svc,
				Team: res.Tags["atrium:team"], Environment: v["environment"], Region: v["region"], Attrs: res.Attrs,
				Subscriptions: subs[dirOf(res.Path)+"\x00"+res.Name], Source: catalog.DriftFromGitOps,
				DeclaredIn: fmt.Sprintf("%s@%s %s", r.Repo, short(f.Head), res.Path), Repo: r.Repo, Head: f.Head, Branch: branch,
				Path: res.Path, TFType: res.TFType, Label: res.Label})
		}
	}
	return p
}

func dirOf(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i]
	}
	return ""
}

// portalResources are the queues and topics the portal's actions created (preview deliveries create nothing).
func portalResources(acts []actions.Action) []Resource {
	var out []Resource
	for i := range acts {
		a := acts[i]
		if a.Delivery == actions.DeliveryPreview {
			continue
		}
		r := Resource{Service: a.Service, Team: a.Team, Environment: a.Environment, Region: a.Region,
			Attrs: map[string]string{}, Source: catalog.DriftFromPortal, DeclaredIn: "action " + a.ID, Action: &a}
		switch a.Kind {
		case actions.KindSQSQueue:
			var p actions.SQSQueueParams
			if json.Unmarshal(a.Params, &p) != nil {
				continue
			}
			r.Type, r.Name = catalog.DriftSQSQueue, p.Name
			r.Attrs["fifo_queue"] = strconv.FormatBool(p.FIFO)
			if p.VisibilityTimeoutSeconds != nil {
				r.Attrs["visibility_timeout_seconds"] = strconv.Itoa(*p.VisibilityTimeoutSeconds)
			}
			if p.MessageRetentionSeconds != nil {
				r.Attrs["message_retention_seconds"] = strconv.Itoa(*p.MessageRetentionSeconds)
			}
		case actions.KindSNSTopic:
			var p actions.SNSTopicParams
			if json.Unmarshal(a.Params, &p) != nil {
				continue
			}
			r.Type, r.Name = catalog.DriftSNSTopic, p.Name
			r.Attrs["fifo_topic"] = strconv.FormatBool(p.FIFO)
			if p.SubscribeQueue != "" {
				r.Subscriptions = []string{p.SubscribeQueue}
			}
		default:
			continue
		}
		out = append(out, r)
	}
	return out
}

// Detect runs one detection now and stores its outcome; it returns the items found.
func (e *Engine) Detect(ctx context.Context) (Result, error) {
	e.init()
	e.detectMu.Lock()
	defer e.detectMu.Unlock()
	in, err := e.Inputs(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("drift: gather what to compare: %w", err)
	}
	in.Cache = &e.cache
	res := Detect(in)
	r := store.DriftReplace{Items: res.Items, Known: res.Known, Now: in.Now}
	if e.Alert {
		r.Alert = Message
	}
	events, err := e.DB.ReplaceDrift(ctx, r)
	if err != nil {
		return res, fmt.Errorf("drift: store: %w", err)
	}
	if err := e.DB.PutDriftStatus(ctx, res.Status); err != nil {
		return res, fmt.Errorf("drift: store status: %w", err)
	}
	e.mu.Lock()
	e.evidence, e.last = res.Evidence, res.Status
	e.mu.Unlock()
	opened, resolved := 0, 0
	for _, ev := range events {
		if ev.Kind == store.DriftOpened {
			opened++
		} else {
			resolved++
		}
	}
	if opened+resolved > 0 {
		e.log().Info("drift detected", "items", len(res.Items), "opened", opened, "resolved", resolved)
		if e.Alert && e.Alerted != nil {
			e.Alerted()
		}
	}
	return res, nil
}

// Package kube is Atrium's Kubernetes collector: for every cluster registered on the portal it runs client-go
// shared informers (list + watch) on Deployments, StatefulSets, DaemonSets and HorizontalPodAutoscalers, keeps only
// the fields Atrium shows, maps workloads to catalog services, and writes them to the store — coalescing bursts
// of events into one write, and writing only what changed, so desktops receive changes through the change feed.
//
// Mapping convention, strongest first: an admin's claim (POST /api/v1/kube/claims); the workload's
// atrium.sphera.io/service annotation; its app.kubernetes.io/name label. Workloads none of these map to a
// catalog service are listed for admins to claim (GET /api/v1/kube/unmapped).
//
// A cluster that cannot be reached, rejects the credentials, forbids listing or has an unusable kubeconfig gets
// that state and keeps its last good data, with the time it was last good; the other clusters carry on.
package kube

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"k8s.io/client-go/discovery"
	appsclient "k8s.io/client-go/kubernetes/typed/apps/v1"
	autoscalingclient "k8s.io/client-go/kubernetes/typed/autoscaling/v2"
	"k8s.io/client-go/rest"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/store"
)

// Kind is the kind of source a cluster reports.
const Kind = "kube"

// Collector collects every registered cluster into the store. Each cluster is a source of its own (Clusters),
// reported in the portal's sources.Set next to GitHub's organisations.
type Collector struct {
	DB     *store.DB
	Config Config
	Log    *slog.Logger
	// Debounce is how long a cluster must be quiet before its changes are written; MaxDelay bounds how long a
	// change waits while events keep coming.
	Debounce time.Duration
	MaxDelay time.Duration
	// ProbeInterval is how often each cluster is checked for reachability (and how often the time of its last
	// good data is recorded).
	ProbeInterval time.Duration
	// Reload is how often a kubeconfig is re-read: a broken one is retried, a changed one reconnects.
	Reload time.Duration
	// Observe, when set, receives each cluster's snapshot for drift detection: its workloads every time they are
	// written (after a burst of watch events), and OK false with the reason when the cluster is not ok — its data
	// is then old, and what it holds now is unknown. It is called from the cluster's goroutines; it must not block.
	Observe func(ctx context.Context, s Snapshot)

	// clients replaces the client of a cluster in tests that use client-go's fake clientset.
	clients func(ClusterConfig) (Client, error)
	writeMu sync.Mutex

	once     sync.Once
	clusters []*cluster
}

// Snapshot is what a cluster holds as its informers see it.
type Snapshot struct {
	Cluster ClusterConfig
	// OK is true when the informers are synced and current; Workloads are then all the cluster's workloads (with
	// their drift projections). When false, State and Message say why, and there are no workloads.
	OK             bool
	State, Message string
	Workloads      []catalog.Workload
}

// Defaults of a Collector's timings.
const (
	DefaultDebounce      = 200 * time.Millisecond
	DefaultMaxDelay      = time.Second
	DefaultProbeInterval = 30 * time.Second
	DefaultReload        = time.Minute
)

// Client is what the collector uses of a cluster: the typed clients of the two API groups it reads, and
// discovery for the reachability probe. kubernetes.Interface (and client-go's fake clientset) satisfy it; the
// collector builds only these three, which keeps the other fifty-odd API groups' clients out of the binary.
type Client interface {
	AppsV1() appsclient.AppsV1Interface
	AutoscalingV2() autoscalingclient.AutoscalingV2Interface
	Discovery() discovery.DiscoveryInterfaces
}

type client struct {
	apps        *appsclient.AppsV1Client
	autoscaling *autoscalingclient.AutoscalingV2Client
	discovery   *discovery.DiscoveryClient
}

func (c client) AppsV1() appsclient.AppsV1Interface                      { return c.apps }
func (c client) AutoscalingV2() autoscalingclient.AutoscalingV2Interface { return c.autoscaling }
func (c client) Discovery() discovery.DiscoveryInterfaces                { return c.discovery }

func newClient(rc *rest.Config) (Client, error) {
	// One HTTP client (one connection pool) for the three.
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		return nil, err
	}
	var c client
	if c.apps, err = appsclient.NewForConfigAndClient(rc, hc); err != nil {
		return nil, err
	}
	if c.autoscaling, err = autoscalingclient.NewForConfigAndClient(rc, hc); err != nil {
		return nil, err
	}
	if c.discovery, err = discovery.NewDiscoveryClientForConfigAndClient(rc, hc); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Collector) connect(cc ClusterConfig) (Client, string, error) {
	if c.clients != nil {
		cs, err := c.clients(cc)
		return cs, configFingerprint(cc), err
	}
	rc, fp, err := restConfig(cc)
	if err != nil {
		return nil, fp, err
	}
	cs, err := newClient(rc)
	if err != nil {
		return nil, fp, fmt.Errorf("client for cluster %s: %w", cc.Name, err)
	}
	return cs, fp, nil
}

// Clusters are the registered clusters as sources (sources.Collector), one per cluster, named kube:NAME. They
// report as soon as they exist; Run collects them.
func (c *Collector) Clusters() []sources.Collector {
	c.init()
	out := make([]sources.Collector, len(c.clusters))
	for i, cl := range c.clusters {
		out[i] = cl
	}
	return out
}

// init applies the defaults and makes one cluster per registered one, once.
func (c *Collector) init() {
	c.once.Do(func() {
		if c.Log == nil {
			c.Log = slog.Default()
		}
		if c.Debounce <= 0 {
			c.Debounce = DefaultDebounce
		}
		if c.MaxDelay < c.Debounce {
			c.MaxDelay = max(DefaultMaxDelay, c.Debounce)
		}
		if c.ProbeInterval <= 0 {
			c.ProbeInterval = DefaultProbeInterval
		}
		if c.Reload <= 0 {
			c.Reload = DefaultReload
		}
		for _, cc := range c.Config.Clusters {
			c.clusters = append(c.clusters, &cluster{cfg: cc, c: c, log: c.Log.With("cluster", cc.Name),
				errs: map[string]failure{}, dirty: make(chan struct{}, 1)})
		}
	})
}

// Run collects until ctx ends; a Collector runs once. Clusters the store knows that are no longer registered are forgotten first, their
// deployments removed from services.
func (c *Collector) Run(ctx context.Context) error {
	c.init()
	known, err := c.DB.Clusters(ctx)
	if err != nil {
		return fmt.Errorf("kube: read clusters: %w", err)
	}
	registered := map[string]bool{}
	for _, cc := range c.Config.Clusters {
		registered[cc.Name] = true
	}
	lastOK := map[string]time.Time{}
	for _, k := range known {
		lastOK[k.Name] = k.LastOKAt
		if registered[k.Name] {
			continue
		}
		n, err := c.DB.ForgetCluster(ctx, k.Name)
		if err != nil {
			return fmt.Errorf("kube: forget cluster %s: %w", k.Name, err)
		}
		c.Log.Info("cluster no longer registered: its deployments were removed", "cluster", k.Name, "services", n)
	}
	var wg sync.WaitGroup
	for _, cl := range c.clusters {
		cl.mu.Lock()
		cl.lastOK = lastOK[cl.cfg.Name]
		cl.mu.Unlock()
		cl.publish(ctx, true)
		wg.Add(1)
		go func() { defer wg.Done(); cl.run(ctx) }()
	}
	wg.Wait()
	return nil
}

package kube

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/sources"
)

// resource is one kind of object a cluster's informers list and watch.
type resource struct {
	name    string // as RBAC names it, e.g. deployments.apps
	example runtime.Object
	list    func(context.Context, Client, metav1.ListOptions) (runtime.Object, error)
	watch   func(context.Context, Client, metav1.ListOptions) (watch.Interface, error)
}

const hpaResource = "horizontalpodautoscalers.autoscaling"

var resources = []resource{
	{"deployments.apps", &appsv1.Deployment{},
		func(ctx context.Context, cs Client, o metav1.ListOptions) (runtime.Object, error) {
			return cs.AppsV1().Deployments("").List(ctx, o)
		},
		func(ctx context.Context, cs Client, o metav1.ListOptions) (watch.Interface, error) {
			return cs.AppsV1().Deployments("").Watch(ctx, o)
		}},
	{"statefulsets.apps", &appsv1.StatefulSet{},
		func(ctx context.Context, cs Client, o metav1.ListOptions) (runtime.Object, error) {
			return cs.AppsV1().StatefulSets("").List(ctx, o)
		},
		func(ctx context.Context, cs Client, o metav1.ListOptions) (watch.Interface, error) {
			return cs.AppsV1().StatefulSets("").Watch(ctx, o)
		}},
	{"daemonsets.apps", &appsv1.DaemonSet{},
		func(ctx context.Context, cs Client, o metav1.ListOptions) (runtime.Object, error) {
			return cs.AppsV1().DaemonSets("").List(ctx, o)
		},
		func(ctx context.Context, cs Client, o metav1.ListOptions) (watch.Interface, error) {
			return cs.AppsV1().DaemonSets("").Watch(ctx, o)
		}},
	{hpaResource, &autoscalingv2.HorizontalPodAutoscaler{},
		func(ctx context.Context, cs Client, o metav1.ListOptions) (runtime.Object, error) {
			return cs.AutoscalingV2().HorizontalPodAutoscalers("").List(ctx, o)
		},
		func(ctx context.Context, cs Client, o metav1.ListOptions) (watch.Interface, error) {
			return cs.AutoscalingV2().HorizontalPodAutoscalers("").Watch(ctx, o)
		}},
}

// probePart names the periodic reachability check among a cluster's failing parts.
const probePart = "probe"

// cluster runs the informers of one registered cluster, writes its workloads to the store, and keeps its state.
type cluster struct {
	cfg ClusterConfig
	c   *Collector
	log *slog.Logger

	mu      sync.Mutex
	errs    map[string]failure // failing parts: resources by name, and the probe
	cfgErr  error
	synced  bool
	lastOK  time.Time
	saved   catalog.Cluster // what the store holds
	savedAt time.Time
	dirty   chan struct{}
}

var _ sources.Collector = (*cluster)(nil)

// Name implements sources.Collector: kube:NAME.
func (cl *cluster) Name() string { return catalog.ClusterSource(cl.cfg.Name) }

// Status implements sources.Collector: the cluster's state as last recorded in the store, and when its data was
// last complete and current. A cluster provides no services of its own (it adds deployments to the services other
// sources provide) and has nothing to sync on request: its informers watch continuously.
func (cl *cluster) Status() sources.Status {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	st := sources.Status{Name: cl.Name(), Kind: Kind, State: cl.saved.State, Message: cl.saved.Message,
		FinishedAt: cl.saved.LastOKAt.Truncate(time.Millisecond)}
	if st.State == "" { // not recorded yet
		st.State, st.Message = cl.state()
		st.FinishedAt = cl.lastOK.Truncate(time.Millisecond)
	}
	return st
}

// Detail implements sources.Collector; the Clusters page (GET /api/v1/kube/clusters) has the cluster's workloads.
func (cl *cluster) Detail(context.Context) (sources.Detail, error) {
	return sources.Detail{Status: cl.Status(), ItemErrors: []sources.ItemError{}}, nil
}

// restConfig builds the client configuration of a cluster and a fingerprint of the files it came from, so a
// changed kubeconfig (a renewed token) is picked up without a restart.
func restConfig(cc ClusterConfig) (*rest.Config, string, error) {
	var rc *rest.Config
	var err error
	fp := configFingerprint(cc)
	if cc.InCluster {
		rc, err = rest.InClusterConfig()
	} else {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		if cc.Kubeconfig != "" {
			rules.ExplicitPath = cc.Kubeconfig
		}
		rc, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
			&clientcmd.ConfigOverrides{CurrentContext: cc.Context}).ClientConfig()
	}
	if err != nil {
		return nil, fp, err
	}
	rc = rest.CopyConfig(rc)
	rc.UserAgent = "atrium"
	rc.QPS, rc.Burst = 20, 40
	// No client-wide Timeout: it would cut watches. Connecting is bounded here, each list and probe by its
	// context, and a stalled watch by the probe.
	rc.Dial = (&net.Dialer{Timeout: cc.Timeout, KeepAlive: 30 * time.Second}).DialContext
	return rc, fp, nil
}

// configFingerprint fingerprints the files a cluster's configuration comes from.
func configFingerprint(cc ClusterConfig) string {
	if cc.InCluster {
		return "in-cluster"
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if cc.Kubeconfig != "" {
		rules.ExplicitPath = cc.Kubeconfig
	}
	return fingerprint(rules)
}

func fingerprint(rules *clientcmd.ClientConfigLoadingRules) string {
	h := sha256.New()
	paths := rules.GetLoadingPrecedence()
	if rules.ExplicitPath != "" {
		paths = []string{rules.ExplicitPath}
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		fmt.Fprintf(h, "%s\x00%v\x00", p, err != nil)
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// run keeps the cluster collected until ctx ends: it connects, runs a session of informers, and starts over when
// the kubeconfig changes. A kubeconfig that does not load is retried at the reload interval.
func (cl *cluster) run(ctx context.Context) {
	for ctx.Err() == nil {
		cs, fp, err := cl.c.connect(cl.cfg)
		if err != nil {
			cl.mu.Lock()
			cl.cfgErr = err
			cl.mu.Unlock()
			cl.publish(ctx, false)
			if !sleep(ctx, cl.c.Reload) {
				return
			}
			continue
		}
		cl.mu.Lock()
		cl.cfgErr = nil
		cl.mu.Unlock()
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); cl.session(sctx, cs) }()
		for sleep(ctx, cl.c.Reload) {
			if configFingerprint(cl.cfg) != fp {
				cl.log.Info("kubeconfig changed; reconnecting")
				break
			}
		}
		cancel()
		<-done
		cl.mu.Lock()
		cl.errs, cl.synced = map[string]failure{}, false
		cl.mu.Unlock()
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// session runs the four informers over one client until ctx ends.
func (cl *cluster) session(ctx context.Context, cs Client) {
	stores := map[string]cache.Store{}
	var synced []cache.InformerSynced
	var wg sync.WaitGroup
	for _, res := range resources {
		lw := &cache.ListWatch{
			ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				lctx, cancel := context.WithTimeout(ctx, cl.cfg.Timeout)
				defer cancel()
				obj, err := res.list(lctx, cs, o)
				cl.report(ctx, res.name, "listing "+res.name, err)
				return obj, err
			},
			WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				w, err := res.watch(ctx, cs, o)
				cl.report(ctx, res.name, "watching "+res.name, err)
				return w, err
			},
		}
		// The wrapper turns off streaming lists (WatchList) for clients that cannot do them (the fake clientset).
		inf := cache.NewSharedIndexInformerWithOptions(cache.ToListWatcherWithWatchListSemantics(lw, cs), res.example, cache.SharedIndexInformerOptions{
			ResyncPeriod: cl.cfg.Resync, ObjectDescription: cl.cfg.Name + "/" + res.name})
		if err := inf.SetTransform(Transform); err != nil {
			panic(err) // only fails once started
		}
		_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
			// Failed lists and watch requests are reported by the wrappers above; this sees streams that ended.
			cl.log.Debug("watch ended", "resource", res.name, "err", err)
		})
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: func(any) { cl.markDirty() },
			UpdateFunc: func(oldObj, newObj any) {
				if o, ok := oldObj.(metav1.Object); ok {
					if n, ok := newObj.(metav1.Object); ok && o.GetResourceVersion() == n.GetResourceVersion() {
						return // a resync: nothing changed
					}
				}
				cl.markDirty()
			},
			DeleteFunc: func(any) { cl.markDirty() },
		}); err != nil {
			panic(err)
		}
		stores[res.name] = inf.GetStore()
		synced = append(synced, inf.HasSynced)
		wg.Add(1)
		go func() { defer wg.Done(); inf.RunWithContext(ctx) }()
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		if cache.WaitForCacheSync(ctx.Done(), synced...) {
			cl.mu.Lock()
			cl.synced = true
			cl.mu.Unlock()
			cl.markDirty()
			cl.publish(ctx, false)
		}
	}()
	go func() { defer wg.Done(); cl.writer(ctx, stores) }()
	go func() { defer wg.Done(); cl.probe(ctx, cs) }()
	wg.Wait()
}

func (cl *cluster) markDirty() {
	select {
	case cl.dirty <- struct{}{}:
	default:
	}
}

// writer coalesces bursts of events: it writes once the cluster has been quiet for Debounce, or MaxDelay after
// the first change of a burst that keeps going.
func (cl *cluster) writer(ctx context.Context, stores map[string]cache.Store) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-cl.dirty:
		}
		first := time.Now()
		quiet := time.NewTimer(cl.c.Debounce)
	burst:
		for {
			select {
			case <-ctx.Done():
				quiet.Stop()
				return
			case <-cl.dirty:
				quiet.Reset(max(0, min(cl.c.Debounce, cl.c.MaxDelay-time.Since(first))))
			case <-quiet.C:
				break burst
			}
		}
		cl.flush(ctx, stores)
	}
}

// flush writes the informers' caches to the store, once all have synced: a partial picture would delete the
// deployments not listed yet.
func (cl *cluster) flush(ctx context.Context, stores map[string]cache.Store) {
	cl.mu.Lock()
	synced := cl.synced
	cl.mu.Unlock()
	if !synced {
		return
	}
	ws := cl.snapshot(stores)
	// One cluster writes at a time: the first snapshots of many large clusters would otherwise queue inside
	// SQLite, past its busy timeout.
	cl.c.writeMu.Lock()
	start := time.Now()
	n, err := cl.c.DB.ReplaceClusterWorkloads(ctx, cl.cfg.Name, ws)
	cl.c.writeMu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			cl.log.Error("write workloads; retrying", "err", err)
			time.AfterFunc(time.Second, cl.markDirty) // nothing else would bring this snapshot back
		}
		return
	}
	cl.log.Debug("workloads written", "workloads", len(ws), "services_changed", n, "ms", time.Since(start).Milliseconds())
	cl.publish(ctx, false)
	if cl.c.Observe != nil {
		cl.c.Observe(ctx, Snapshot{Cluster: cl.cfg, OK: true, State: StateOK, Workloads: ws})
	}
}

// snapshot turns the caches into workloads with their autoscalers.
func (cl *cluster) snapshot(stores map[string]cache.Store) []catalog.Workload {
	type target struct{ namespace, kind, name string }
	hpas := map[target]*autoscaler{}
	for _, obj := range stores[hpaResource].List() {
		if a, ok := obj.(*autoscaler); ok {
			hpas[target{a.Namespace, a.TargetKind, a.TargetName}] = a
		}
	}
	var ws []catalog.Workload
	for _, res := range resources {
		if res.name == hpaResource {
			continue
		}
		for _, obj := range stores[res.name].List() {
			w, ok := obj.(*workload)
			if !ok || slices.Contains(cl.cfg.ExcludeNamespaces, w.Namespace) {
				continue
			}
			ws = append(ws, toWorkload(cl.cfg, w, hpas[target{w.Namespace, w.Kind, w.Name}]))
		}
	}
	return ws
}

// probe checks the cluster answers at all, every ProbeInterval: a watch on a silently dead connection would
// otherwise look healthy for minutes.
func (cl *cluster) probe(ctx context.Context, cs Client) {
	t := time.NewTicker(cl.c.ProbeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, cl.cfg.Timeout)
		_, err := cs.Discovery().ServerVersionWithContext(pctx)
		cancel()
		if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
			err = nil // it answered and knew the credentials: reachable; what may be listed is the informers' to say
		}
		if ctx.Err() != nil {
			return
		}
		cl.report(ctx, probePart, "checking the cluster (GET /version)", err)
	}
}

// failure is a failed request: what it was doing, and the error.
type failure struct {
	what string
	err  error
}

// report records how a request to part of the cluster went; what says what the request was doing.
func (cl *cluster) report(ctx context.Context, part, what string, err error) {
	if ctx.Err() != nil && err != nil {
		return // our own cancellation, not the cluster's doing
	}
	cl.mu.Lock()
	if err == nil {
		delete(cl.errs, part)
	} else {
		cl.errs[part] = failure{what, err}
	}
	cl.mu.Unlock()
	cl.publish(ctx, false)
}

// state is the cluster's state and message; cl.mu is held.
func (cl *cluster) state() (string, string) {
	if cl.cfgErr != nil {
		return StateInvalidConfig, "the kubeconfig cannot be used: " + configMessage(cl.cfgErr)
	}
	parts := make([]string, 0, len(cl.errs))
	for p := range cl.errs {
		parts = append(parts, p)
	}
	sort.Strings(parts)
	state, msg := StateOK, ""
	for _, p := range parts {
		f := cl.errs[p]
		s, m := classify(f.what, f.err)
		if severity[s] > severity[state] {
			state, msg = s, m
		}
	}
	if state == StateOK && !cl.synced {
		return StateConnecting, "listing workloads for the first time"
	}
	return state, msg
}

// publish stores the cluster's state when it changed, and while it is ok refreshes the time its data was last
// known good (at most once per probe interval, as that time does not advance the change feed).
func (cl *cluster) publish(ctx context.Context, force bool) {
	cl.mu.Lock()
	now := time.Now().UTC()
	state, msg := cl.state()
	if state == StateOK {
		cl.lastOK = now
	}
	next := catalog.Cluster{Name: cl.cfg.Name, Region: cl.cfg.Region, Environment: cl.cfg.Environment, State: state,
		Message: msg, LastOKAt: cl.lastOK, CheckedAt: now}
	prev := cl.saved
	changed := prev.State != state || prev.Message != msg
	if !force && !changed && now.Sub(cl.savedAt) < cl.c.ProbeInterval {
		cl.mu.Unlock()
		return
	}
	cl.saved, cl.savedAt = next, now
	cl.mu.Unlock()
	if changed {
		switch {
		case state == StateOK:
			cl.log.Info("cluster ok", "was", prev.State)
			cl.markDirty() // a snapshot of what it holds now, for drift
		case state != StateConnecting:
			cl.log.Warn("cluster not ok; keeping its last data", "state", state, "message", msg,
				"last_ok_at", next.LastOKAt)
		}
		if state != StateOK && cl.c.Observe != nil {
			cl.c.Observe(ctx, Snapshot{Cluster: cl.cfg, State: state, Message: msg})
		}
	}
	if err := cl.c.DB.PutCluster(context.WithoutCancel(ctx), next); err != nil {
		cl.log.Error("record cluster state", "err", err)
	}
}

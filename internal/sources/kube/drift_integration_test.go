//go:build integration

package kube_test

// Drift against a real kube-apiserver: the collector's informers hand their snapshots to drift detection (as the
// portal wires them, through Collector.Observe), and a hand edit of an autoscaler shows as "changed" field by field
// with the field manager that made it; a declared workload deleted from the cluster shows as "missing"; a cluster
// that stops answering is unknown, not "everything missing".

import (
	"context"
	"sync"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/drift"
	"github.com/sphera/atrium/internal/drift/gitops"
	"github.com/sphera/atrium/internal/sources/kube"
	"github.com/sphera/atrium/internal/sources/kube/kubetest"
)

// snapshots keeps the newest snapshot the collector reported.
type snapshots struct {
	mu   sync.Mutex
	last kube.Snapshot
	n    int
}

func (s *snapshots) observe(_ context.Context, snap kube.Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last, s.n = snap, s.n+1
}

// detect runs drift detection over the newest snapshot and the declarations, keeping the items in namespace ns.
func (s *snapshots) detect(declared []drift.Manifest, ns string) (items []catalog.DriftItem, place catalog.DriftPlace) {
	s.mu.Lock()
	snap := s.last
	s.mu.Unlock()
	view := drift.ClusterView{Name: snap.Cluster.Name, Environment: snap.Cluster.Environment, Region: snap.Cluster.Region,
		Known: snap.OK, Reason: snap.Message, Workloads: snap.Workloads}
	res := drift.Detect(drift.Inputs{Now: time.Now(), Clusters: []drift.ClusterView{view}, Manifests: declared})
	for _, it := range res.Items {
		if it.Namespace == ns {
			items = append(items, it)
		}
	}
	for _, p := range res.Status.Places {
		if p.Cluster == snap.Cluster.Name {
			place = p
		}
	}
	return items, place
}

func declaration(cluster, path string, obj map[string]any) drift.Manifest {
	return drift.Manifest{Manifest: gitops.Manifest{Path: path, Object: obj}, Repo: "sphera/deploy", Head: "0123456789abcdef",
		Branch: "main", Cluster: cluster, Service: "shop-cart"}
}

func TestDriftFromALiveCluster(t *testing.T) {
	ctx := context.Background()
	c := env.Fresh(t, "drifting") // its apiserver is stopped at the end
	cs := admin(t, c)
	ns := unique("drift")
	namespace(t, cs, ns)
	deploy(t, cs, ns, "cart", "registry.example/shop/cart:1.4.0", map[string]string{kube.NameLabel: "shop-cart"}, nil, 2, 2)
	minReplicas := int32(2)
	created, err := cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: ns},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: &minReplicas, MaxReplicas: 10,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "cart"}},
	}, metav1.CreateOptions{FieldManager: "argocd-controller"})
	if err != nil {
		t.Fatal(err)
	}
	// What the gitops repository declares for this cluster: the Deployment (without the replicas the autoscaler
	// owns) and its autoscaler, as a YAML decoder gives them.
	declared := []drift.Manifest{
		declaration(c.Name, "clusters/eu/shop/cart.yaml", map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "cart", "namespace": ns, "labels": map[string]any{kube.NameLabel: "shop-cart"}},
			"spec": map[string]any{
				"selector": map[string]any{"matchLabels": map[string]any{"app": "cart"}},
				"template": map[string]any{
					"metadata": map[string]any{"labels": map[string]any{"app": "cart"}},
					"spec": map[string]any{"containers": []any{
						map[string]any{"name": "cart", "image": "registry.example/shop/cart:1.4.0"}}}}}}),
		declaration(c.Name, "clusters/eu/shop/cart-hpa.yaml", map[string]any{
			"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
			"metadata": map[string]any{"name": "cart", "namespace": ns},
			"spec": map[string]any{"minReplicas": 2, "maxReplicas": 10,
				"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "cart"}}}),
	}

	var seen snapshots
	runCtx, cancel := context.WithCancel(ctx)
	cfg := reader(t, c, kubetest.UserReader, "eu-west-1", "production")
	cfg.Timeout, cfg.Resync, cfg.ExcludeNamespaces = 5*time.Second, kube.DefaultResync, kube.DefaultExcludeNamespaces
	p := newPortal(t, "shop-cart")
	col := &kube.Collector{DB: p.db, Config: kube.Config{Clusters: []kube.ClusterConfig{cfg}}, Log: quietLog(t),
		Debounce: 50 * time.Millisecond, MaxDelay: 500 * time.Millisecond, ProbeInterval: time.Second, Observe: seen.observe}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := col.Run(runCtx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })

	// As declared: the informers' view of both objects matches gitops — nothing drifts.
	var items []catalog.DriftItem
	var place catalog.DriftPlace
	waitFor(t, "a snapshot with the cart Deployment and its autoscaler, and no drift", 30*time.Second, func() bool {
		items, place = seen.detect(declared, ns)
		return place.State == catalog.DriftPlaceOK && len(items) == 0 && hasWorkload(&seen, ns, "cart")
	})

	// Someone raises maxReplicas by hand (as `kubectl edit` does): changed, field by field, with who did it. The
	// apiserver stamps managed fields to the second, so the edit is made in a later second than the creation (as a
	// hand edit is): within one second, which manager came last cannot be told from the object.
	createdAt := created.ManagedFields[0].Time.Time
	waitFor(t, "the apiserver's clock to pass the creation's second", 3*time.Second, func() bool {
		return time.Now().Truncate(time.Second).After(createdAt)
	})
	hpa, err := cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, "cart", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hpa.Spec.MaxReplicas = 25
	if _, err := cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Update(ctx, hpa, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the hand edit to show as drift", 30*time.Second, func() bool {
		items, _ = seen.detect(declared, ns)
		return len(items) > 0
	})
	if len(items) != 1 || items[0].Kind != catalog.DriftChanged || items[0].ResourceType != "HorizontalPodAutoscaler" {
		t.Fatalf("after the edit: want one changed HorizontalPodAutoscaler, got %+v", items)
	}
	it := items[0]
	if len(it.Fields) != 1 || it.Fields[0].Path != "spec.maxReplicas" || it.Fields[0].Desired != "10" || it.Fields[0].Live != "25" {
		t.Errorf("fields: want spec.maxReplicas 10 → 25, got %+v", it.Fields)
	}
	if it.LastChangedBy != "kubectl-edit" || it.Cluster != c.Name || it.Environment != "production" || it.Region != "eu-west-1" {
		t.Errorf("who and where: got last changed by %q in %s %s/%s", it.LastChangedBy, it.Cluster, it.Environment, it.Region)
	}
	if it.Service != "shop-cart" || it.DeclaredIn == "" {
		t.Errorf("service %q, declared in %q", it.Service, it.DeclaredIn)
	}

	// The Deployment is deleted by hand: missing where gitops declares it.
	if err := cs.AppsV1().Deployments(ns).Delete(ctx, "cart", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deleted Deployment to show as missing", 30*time.Second, func() bool {
		items, _ = seen.detect(declared, ns)
		for _, it := range items {
			if it.Kind == catalog.DriftMissing && it.ResourceType == "Deployment" && it.Name == "cart" {
				return true
			}
		}
		return false
	})

	// The cluster stops answering: its place is unknown and nothing is concluded there (no "everything missing").
	if err := c.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stopped cluster to be reported unknown", 60*time.Second, func() bool {
		items, place = seen.detect(declared, ns)
		return place.State == catalog.DriftPlaceUnknown
	})
	if len(items) != 0 {
		t.Errorf("an unreachable cluster concluded drift: %+v", items)
	}
	if place.Reason == "" {
		t.Error("the unknown place gives no reason")
	}
}

func hasWorkload(s *snapshots, ns, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.last.Workloads {
		if w.Deployment.Namespace == ns && w.Deployment.Name == name && w.Live != nil && w.AutoscalerLive != nil {
			return true
		}
	}
	return false
}

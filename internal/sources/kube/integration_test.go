//go:build integration

package kube_test

// Integration tests against real kube-apiservers (built by kubetest from the Go module proxy, cached outside the
// repository): no mocks. Each test uses its own namespaces and service names, so tests sharing the two clusters
// ("eu" and "us") do not see each other's workloads as theirs. They build with the integration tag
// (`go test -tags integration`, run by `task test`), so that `go test ./...` needs no kube-apiserver.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sphera/atrium/app/replica"
	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/sources/kube"
	"github.com/sphera/atrium/internal/sources/kube/kubetest"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/pgtest"
)

var env *kubetest.Env

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	start := time.Now()
	env, err = kubetest.Setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if d := time.Since(start); d > 10*time.Second {
		fmt.Fprintf(os.Stderr, "kubetest: binaries ready after %v\n", d.Round(time.Second))
	}
	kube.LogClientGoTo(quietLog(nil))
	code := pgtest.Run(m)
	if err := env.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "kubetest: clean up:", err) // the tests' outcome stands; this says what was left
	}
	os.Exit(code)
}

func quietLog(testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// portal is a portal database with a catalog and a collector running over some clusters.
type portal struct {
	t  testing.TB
	db *store.DB
}

func newPortal(t testing.TB, services ...string) *portal {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	var svcs []catalog.Service
	for _, name := range services {
		owner, _, _ := strings.Cut(name, "-")
		svcs = append(svcs, catalog.Service{Name: name, Owner: owner, Lifecycle: "production", Type: "service",
			Language: "Go", Description: name})
	}
	if _, err := db.ReplaceSource(context.Background(), "github", svcs); err != nil {
		t.Fatal(err)
	}
	return &portal{t: t, db: db}
}

// collect starts a collector over clusters; it stops when the test ends.
func (p *portal) collect(clusters ...kube.ClusterConfig) {
	p.t.Helper()
	for i := range clusters {
		if clusters[i].Timeout == 0 {
			clusters[i].Timeout = 5 * time.Second
		}
		if clusters[i].Resync == 0 {
			clusters[i].Resync = kube.DefaultResync
		}
		if clusters[i].ExcludeNamespaces == nil {
			clusters[i].ExcludeNamespaces = kube.DefaultExcludeNamespaces
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &kube.Collector{DB: p.db, Config: kube.Config{Clusters: clusters}, Log: quietLog(p.t),
		Debounce: 50 * time.Millisecond, MaxDelay: 500 * time.Millisecond, ProbeInterval: time.Second}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := c.Run(ctx); err != nil {
			p.t.Error(err)
		}
	}()
	p.t.Cleanup(func() { cancel(); wg.Wait() })
}

func (p *portal) deployments(name string) []catalog.Deployment {
	s, err := p.db.GetService(context.Background(), name)
	if err != nil {
		p.t.Fatalf("service %s: %v", name, err)
	}
	return s.Deployments
}

func (p *portal) cluster(name string) catalog.Cluster {
	cs, err := p.db.Clusters(context.Background())
	if err != nil {
		p.t.Fatal(err)
	}
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return catalog.Cluster{}
}

func (p *portal) waitState(name, state string, timeout time.Duration) catalog.Cluster {
	p.t.Helper()
	waitFor(p.t, fmt.Sprintf("cluster %s to be %s (is %+v)", name, state, p.cluster(name)), timeout,
		func() bool { return p.cluster(name).State == state })
	return p.cluster(name)
}

// reader registers a cluster as Atrium would: a kubeconfig for the RBAC-restricted reader.
func reader(t testing.TB, c *kubetest.Cluster, user, region, environment string) kube.ClusterConfig {
	t.Helper()
	path := filepath.Join(t.TempDir(), c.Name+"-"+user+".kubeconfig")
	if err := c.WriteKubeconfig(path, user); err != nil {
		t.Fatal(err)
	}
	return kube.ClusterConfig{Name: c.Name, Region: region, Environment: environment, Kubeconfig: path}
}

func admin(t testing.TB, c *kubetest.Cluster) kubernetes.Interface {
	t.Helper()
	cs, err := c.Client(kubetest.UserAdmin)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

var runs atomic.Int64

// unique names a namespace for one run of a test, so tests can be repeated (-count) on the shared clusters.
func unique(base string) string { return fmt.Sprintf("%s-%d", base, runs.Add(1)) }

// namespace creates a namespace; when the test ends its workloads are deleted (no controller-manager runs to
// finish deleting the namespace itself, which is why names are unique per run).
func namespace(t testing.TB, cs kubernetes.Interface, name string) {
	t.Helper()
	ctx := context.Background()
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Best effort: names are unique per run, so what is left cannot clash with a later test, and a test may
		// have stopped this cluster's apiserver for good.
		all := metav1.ListOptions{}
		_ = cs.AppsV1().Deployments(name).DeleteCollection(ctx, metav1.DeleteOptions{}, all)
		_ = cs.AppsV1().StatefulSets(name).DeleteCollection(ctx, metav1.DeleteOptions{}, all)
		_ = cs.AppsV1().DaemonSets(name).DeleteCollection(ctx, metav1.DeleteOptions{}, all)
		_ = cs.AutoscalingV2().HorizontalPodAutoscalers(name).DeleteCollection(ctx, metav1.DeleteOptions{}, all)
		_ = cs.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
	})
}

func podTemplate(name, image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: image}}}}
}

// deploy creates a Deployment and, as no controller-manager runs, sets its status as the controller would.
func deploy(t testing.TB, cs kubernetes.Interface, ns, name, image string, labels, annotations map[string]string,
	desired, ready int32) *appsv1.Deployment {
	t.Helper()
	ctx := context.Background()
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels, Annotations: annotations},
		Spec: appsv1.DeploymentSpec{Replicas: &desired,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name, image)}}
	d, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: desired, UpdatedReplicas: desired,
		ReadyReplicas: ready, AvailableReplicas: ready}
	d, err = cs.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// setImage rolls a Deployment to image and reports the rollout done.
func setImage(t testing.TB, cs kubernetes.Interface, ns, name, image string) {
	t.Helper()
	ctx := context.Background()
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].Image = image
	if d, err = cs.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	d.Status.ObservedGeneration = d.Generation
	if _, err := cs.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func versions(ds []catalog.Deployment) map[string]string {
	out := map[string]string{}
	for _, d := range ds {
		out[d.Cluster+"/"+d.Kind] = d.Version
	}
	return out
}

func TestTwoClustersMapToServices(t *testing.T) {
	ctx := context.Background()
	clusters := env.Clusters(t, "eu", "us")
	eu, us := admin(t, clusters[0]), admin(t, clusters[1])
	ns := unique("shop")
	namespace(t, eu, ns)
	namespace(t, us, ns)

	byLabel := map[string]string{kube.NameLabel: "shop-checkout"}
	deploy(t, eu, ns, "checkout", "registry.example/shop/checkout:2.3.1", byLabel, nil, 3, 3)
	deploy(t, us, ns, "checkout", "registry.example/shop/checkout:2.3.0", byLabel, nil, 3, 1)
	deploy(t, eu, ns, "mystery", "registry.example/mystery:0.1", nil, nil, 1, 1)
	minReplicas := int32(2)
	if _, err := eu.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "checkout", Namespace: ns},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: &minReplicas, MaxReplicas: 8,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "checkout"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	three := int32(3)
	// The annotation wins over the label (postgres is not a catalog service).
	if _, err := eu.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "orders-db", Namespace: ns, Labels: map[string]string{kube.NameLabel: "postgres"},
			Annotations: map[string]string{kube.ServiceAnnotation: "shop-orders"}},
		Spec: appsv1.StatefulSetSpec{Replicas: &three, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "orders-db"}},
			Template: podTemplate("orders-db", "postgres:16.2")}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := us.AppsV1().DaemonSets(ns).Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "log-agent", Namespace: ns, Labels: map[string]string{kube.NameLabel: "shop-logs"}},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "log-agent"}},
			Template: podTemplate("log-agent", "fluent/fluent-bit:3.0.4")}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	p := newPortal(t, "shop-checkout", "shop-orders", "shop-logs")
	p.collect(reader(t, clusters[0], kubetest.UserReader, "eu-west-1", "production"),
		reader(t, clusters[1], kubetest.UserReader, "us-east-1", "production"))
	p.waitState("eu", kube.StateOK, 30*time.Second)
	p.waitState("us", kube.StateOK, 30*time.Second)
	waitFor(t, "checkout in both clusters", 10*time.Second, func() bool { return len(p.deployments("shop-checkout")) == 2 })

	ds := p.deployments("shop-checkout")
	if got := versions(ds); got["eu/Deployment"] != "2.3.1" || got["us/Deployment"] != "2.3.0" {
		t.Errorf("versions: %v", got)
	}
	euDep, usDep := ds[0], ds[1]
	if euDep.Region != "eu-west-1" || euDep.Environment != "production" || euDep.Namespace != ns ||
		euDep.Image != "registry.example/shop/checkout:2.3.1" || euDep.Ready != 3 || euDep.Desired != 3 ||
		euDep.Health != catalog.HealthHealthy || euDep.RolloutAt.IsZero() {
		t.Errorf("eu deployment: %+v", euDep)
	}
	if a := euDep.Autoscaler; a == nil || a.Min != 2 || a.Max != 8 {
		t.Errorf("eu autoscaler: %+v", a)
	}
	if usDep.Ready != 1 || usDep.Health != catalog.HealthDegraded || usDep.Autoscaler != nil {
		t.Errorf("us deployment: %+v", usDep)
	}
	if got := versions(p.deployments("shop-orders")); got["eu/StatefulSet"] != "16.2" {
		t.Errorf("statefulset by annotation: %v", got)
	}
	if got := versions(p.deployments("shop-logs")); got["us/DaemonSet"] != "3.0.4" {
		t.Errorf("daemonset by label: %v", got)
	}

	// Unmapped: the workload without a label, listed for an admin, who claims it.
	page, err := p.db.Unmapped(ctx, store.UnmappedQuery{Namespace: ns})
	if err != nil || page.Total != 1 || page.Items[0].Name != "mystery" || page.Items[0].Cluster != "eu" {
		t.Fatalf("unmapped: %+v %v", page, err)
	}
	if _, n, err := p.db.PutClaim(ctx, catalog.Claim{Namespace: ns, Kind: kube.KindDeployment, Name: "mystery",
		Service: "shop-orders", CreatedBy: "admin"}); err != nil || n != 1 {
		t.Fatalf("claim: %d %v", n, err)
	}
	if got := versions(p.deployments("shop-orders")); got["eu/Deployment"] != "0.1" {
		t.Errorf("claimed workload: %v", got)
	}

	// The matrix: the two regions run different versions of checkout.
	m, err := p.db.Matrix(ctx, store.MatrixQuery{Teams: []string{"shop"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Clusters) != 2 || m.Clusters[0].Name != "eu" || m.Clusters[0].State != kube.StateOK {
		t.Fatalf("matrix columns: %+v", m.Clusters)
	}
	var checkout store.MatrixRow
	for _, r := range m.Services {
		if r.Service == "shop-checkout" {
			checkout = r
		}
	}
	if len(checkout.Cells) != 2 || checkout.Cells[0].Status != store.CellDiffers || checkout.Cells[1].Status != store.CellDiffers {
		t.Errorf("checkout row: %+v", checkout)
	}
}

func TestImageChangeReachesDesktopReplica(t *testing.T) {
	ctx := context.Background()
	clusters := env.Clusters(t, "eu", "us")
	eu := admin(t, clusters[0])
	ns := unique("latency")
	namespace(t, eu, ns)
	deploy(t, eu, ns, "api", "registry.example/latency/api:1.0.0", map[string]string{kube.NameLabel: "latency-api"}, nil, 2, 2)

	p := newPortal(t, "latency-api")
	p.collect(reader(t, clusters[0], kubetest.UserReader, "eu-west-1", "production"),
		reader(t, clusters[1], kubetest.UserReader, "us-east-1", "production"))

	// The portal on loopback, and a desktop replica syncing from it over HTTP as the desktop app does.
	const token = "atr_kube_integration_0123456789"
	if _, err := (auth.Tokens{DB: p.db.SQL()}).Ensure(ctx, auth.Token{Name: "admin", Subject: "admin",
		Grants: []auth.Grant{{Role: auth.RoleAdmin}}}, token); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&api.Portal{DB: p.db, Log: quietLog(t)}).Handler())
	defer srv.Close()
	rdb, err := store.Open(filepath.Join(t.TempDir(), "replica.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rdb.Close(); err != nil {
			t.Error(err)
		}
	}()
	loop := replica.New(rdb, client.New(srv.URL, token), srv.URL, quietLog(t))
	lctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); loop.Run(lctx) }()
	defer func() { stop(); wg.Wait() }()

	replicaVersion := func() string {
		s, err := rdb.GetService(ctx, "latency-api")
		if err != nil || len(s.Deployments) == 0 {
			return ""
		}
		return s.Deployments[0].Version
	}
	waitFor(t, "the first version in the replica", 30*time.Second, func() bool { return replicaVersion() == "1.0.0" })

	for _, v := range []string{"1.0.1", "1.1.0", "2.0.0"} {
		start := time.Now()
		setImage(t, eu, ns, "api", "registry.example/latency/api:"+v)
		took := waitFor(t, "version "+v+" in the replica", 5*time.Second, func() bool { return replicaVersion() == v })
		t.Logf("image %s: apiserver → portal store → feed → replica in %v", v, took.Round(time.Millisecond))
		if took > 2*time.Second {
			t.Errorf("image change took %v to reach the replica; the target is 2 s", time.Since(start))
		}
	}
	// The replica answers the matrix offline, from what the feed brought.
	m, err := rdb.Matrix(ctx, store.MatrixQuery{Teams: []string{"latency"}})
	if err != nil || len(m.Services) != 1 || m.Services[0].Cells[0].Versions[0] != "2.0.0" {
		t.Errorf("replica matrix: %+v %v", m, err)
	}
}

func TestUnreachableClusterKeepsItsLastData(t *testing.T) {
	ctx := context.Background()
	eu := env.Clusters(t, "eu")[0]
	gone := env.Fresh(t, "gone")
	euc, gonec := admin(t, eu), admin(t, gone)
	ns := unique("outage")
	namespace(t, euc, ns)
	namespace(t, gonec, ns)
	labels := map[string]string{kube.NameLabel: "outage-api"}
	deploy(t, euc, ns, "api", "registry.example/outage/api:1.0.0", labels, nil, 2, 2)
	deploy(t, gonec, ns, "api", "registry.example/outage/api:1.0.0", labels, nil, 2, 2)

	p := newPortal(t, "outage-api")
	p.collect(reader(t, eu, kubetest.UserReader, "eu-west-1", "production"),
		reader(t, gone, kubetest.UserReader, "ap-south-1", "production"))
	waitFor(t, "both deployments", 30*time.Second, func() bool { return len(p.deployments("outage-api")) == 2 })
	before := p.waitState("gone", kube.StateOK, 10*time.Second)

	stopping := time.Now()
	if err := gone.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	t.Logf("apiserver stopped in %v", stopped.Sub(stopping).Round(time.Millisecond))
	st := p.waitState("gone", kube.StateUnreachable, 20*time.Second)
	t.Logf("unreachable noticed after %v: %s", time.Since(stopped).Round(time.Millisecond), st.Message)
	if !strings.Contains(st.Message, "connection refused") || st.LastOKAt.IsZero() || st.LastOKAt.Before(before.LastOKAt) ||
		st.LastOKAt.After(stopped.Add(time.Second)) {
		t.Errorf("unreachable cluster: %+v", st)
	}
	// Its last data stays; the other cluster keeps updating.
	setImage(t, euc, ns, "api", "registry.example/outage/api:1.1.0")
	waitFor(t, "eu's new version while gone is down", 10*time.Second, func() bool {
		return versions(p.deployments("outage-api"))["eu/Deployment"] == "1.1.0"
	})
	if got := versions(p.deployments("outage-api")); got["gone/Deployment"] != "1.0.0" {
		t.Errorf("unreachable cluster's data was dropped: %v", got)
	}
	if p.cluster("eu").State != kube.StateOK {
		t.Errorf("eu: %+v", p.cluster("eu"))
	}
	m, _ := p.db.Matrix(ctx, store.MatrixQuery{Teams: []string{"outage"}})
	for _, c := range m.Clusters {
		if c.Name == "gone" && (c.State != kube.StateUnreachable || c.LastOKAt.IsZero()) {
			t.Errorf("matrix column of the unreachable cluster: %+v", c)
		}
	}

	// Back: ok again, and changes made meanwhile arrive.
	if err := gone.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	setImage(t, gonec, ns, "api", "registry.example/outage/api:1.1.0")
	back := time.Now()
	p.waitState("gone", kube.StateOK, 60*time.Second)
	waitFor(t, "gone's change after it came back", 60*time.Second, func() bool {
		return versions(p.deployments("outage-api"))["gone/Deployment"] == "1.1.0"
	})
	t.Logf("recovered after %v", time.Since(back).Round(time.Millisecond))
}

func TestBadInputGivesClearPerClusterStatus(t *testing.T) {
	eu := env.Clusters(t, "eu")[0]
	expiring := env.Fresh(t, "expiring")
	euc := admin(t, eu)
	ns := unique("badinput")
	namespace(t, euc, ns)
	deploy(t, euc, ns, "api", "registry.example/badinput/api:3.0.0", map[string]string{kube.NameLabel: "badinput-api"}, nil, 1, 1)
	namespace(t, admin(t, expiring), ns)
	deploy(t, admin(t, expiring), ns, "api", "registry.example/badinput/api:3.0.0",
		map[string]string{kube.NameLabel: "badinput-api"}, nil, 1, 1)

	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.kubeconfig")
	if err := os.WriteFile(garbage, []byte("apiVersion: v1\nclusters: [this is: not: a kubeconfig\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wrongToken := reader(t, eu, kubetest.UserReader, "eu-west-1", "production")
	b, _ := os.ReadFile(wrongToken.Kubeconfig)
	if err := os.WriteFile(wrongToken.Kubeconfig, []byte(strings.ReplaceAll(string(b), eu.Token(kubetest.UserReader),
		"not-a-token-this-cluster-knows")), 0o600); err != nil {
		t.Fatal(err)
	}
	hole, closeHole, err := kubetest.Blackhole()
	if err != nil {
		t.Fatal(err)
	}
	defer closeHole()
	holeCfg := filepath.Join(dir, "hole.kubeconfig")
	b, _ = os.ReadFile(reader(t, eu, kubetest.UserReader, "", "").Kubeconfig)
	if err := os.WriteFile(holeCfg, []byte(strings.ReplaceAll(string(b), eu.Server, hole)), 0o600); err != nil {
		t.Fatal(err)
	}

	good := reader(t, eu, kubetest.UserReader, "eu-west-1", "production")
	named := func(cc kube.ClusterConfig, name string) kube.ClusterConfig {
		cc.Name, cc.Region, cc.Environment = name, "eu-west-1", "staging"
		return cc
	}
	p := newPortal(t, "badinput-api")
	p.collect(good,
		named(kube.ClusterConfig{Kubeconfig: garbage}, "garbage"),
		named(kube.ClusterConfig{Kubeconfig: filepath.Join(dir, "absent.kubeconfig")}, "absent"),
		named(kube.ClusterConfig{Kubeconfig: good.Kubeconfig, Context: "no-such-context"}, "nocontext"),
		named(wrongToken, "badtoken"),
		named(reader(t, eu, kubetest.UserNobody, "", ""), "forbidden"),
		named(kube.ClusterConfig{Kubeconfig: holeCfg, Timeout: 2 * time.Second}, "timeout"),
		named(reader(t, expiring, kubetest.UserExpiring, "", ""), "expiring"),
	)
	want := []struct{ cluster, state, says string }{
		{"garbage", kube.StateInvalidConfig, "kubeconfig"},
		{"absent", kube.StateInvalidConfig, "absent.kubeconfig"},
		{"nocontext", kube.StateInvalidConfig, "no-such-context"},
		{"badtoken", kube.StateUnauthorized, "renew it"},
		{"forbidden", kube.StateForbidden, `forbidden by the cluster's RBAC (`},
		{"timeout", kube.StateUnreachable, "timed out"},
		{"expiring", kube.StateOK, ""},
		{"eu", kube.StateOK, ""},
	}
	for _, w := range want {
		st := p.waitState(w.cluster, w.state, 30*time.Second)
		if !strings.Contains(st.Message, w.says) {
			t.Errorf("%s: message %q does not say %q", w.cluster, st.Message, w.says)
		}
		t.Logf("%-10s %-15s %s", w.cluster, st.State, st.Message)
	}
	waitFor(t, "the good clusters' data", 10*time.Second, func() bool { return len(p.deployments("badinput-api")) == 2 })

	// The token expires: that cluster says so and keeps its data; the others carry on.
	if err := expiring.RestartAPIServer(true); err != nil {
		t.Fatal(err)
	}
	st := p.waitState("expiring", kube.StateUnauthorized, 60*time.Second)
	if got := versions(p.deployments("badinput-api")); got["expiring/Deployment"] != "3.0.0" || got["eu/Deployment"] != "3.0.0" {
		t.Errorf("data after the token expired: %v", got)
	}
	setImage(t, euc, ns, "api", "registry.example/badinput/api:3.0.1")
	waitFor(t, "eu still updating", 10*time.Second, func() bool {
		return versions(p.deployments("badinput-api"))["eu/Deployment"] == "3.0.1"
	})
	t.Logf("%-10s %-15s %s", "expiring", st.State, st.Message)

	// No message carries a token.
	cs, _ := p.db.Clusters(context.Background())
	for _, c := range cs {
		for _, tok := range []string{eu.Token(kubetest.UserReader), eu.Token(kubetest.UserNobody),
			expiring.Token(kubetest.UserExpiring), "not-a-token-this-cluster-knows"} {
			if strings.Contains(c.Message, tok) {
				t.Errorf("%s's message contains a token", c.Name)
			}
		}
	}
}

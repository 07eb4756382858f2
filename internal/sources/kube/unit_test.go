package kube

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apiresource "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/store"
)

// Fast tests of the pure parts, and of the collector over client-go's fake clientset. The same behaviour is
// tested against real kube-apiservers in integration_test.go; these never replace those.

func TestImageVersion(t *testing.T) {
	tests := []struct{ image, want string }{
		{"registry.example:5000/team/api:1.4.2", "1.4.2"},
		{"registry.example/team/api:1.4.2@sha256:0123456789abcdef0123", "1.4.2"},
		{"registry.example/team/api@sha256:0123456789abcdef0123", "sha256:0123456789ab"},
		{"registry.example:5000/team/api", "latest"},
		{"nginx", "latest"},
		{"nginx:1.27-alpine", "1.27-alpine"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			if got := ImageVersion(tt.image); got != tt.want {
				t.Errorf("ImageVersion(%q) = %q, want %q", tt.image, got, tt.want)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	tests := []struct {
		name string
		w    workload
		want string
	}{
		{"scaled to zero", workload{Desired: 0}, catalog.HealthScaledToZero},
		{"none ready", workload{Desired: 3, Updated: 3}, catalog.HealthUnavailable},
		{"stalled", workload{Desired: 3, Ready: 3, Updated: 1, Stalled: true}, catalog.HealthDegraded},
		{"new generation not observed", workload{ObjectMeta: metav1.ObjectMeta{Generation: 4}, Observed: 3,
			Desired: 3, Ready: 3, Updated: 3}, catalog.HealthProgressing},
		{"rolling", workload{Desired: 3, Ready: 3, Updated: 1}, catalog.HealthProgressing},
		{"some not ready", workload{Desired: 3, Ready: 2, Updated: 3}, catalog.HealthDegraded},
		{"healthy", workload{Desired: 3, Ready: 3, Updated: 3}, catalog.HealthHealthy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, detail := health(&tt.w); got != tt.want || detail == "" {
				t.Errorf("health = %q (%q), want %q", got, detail, tt.want)
			}
		})
	}
}

// fullDeployment is a Deployment as a cluster serves it, with the weight Atrium drops.
func fullDeployment(ns, name, image string, labels map[string]string) *appsv1.Deployment {
	three := int32(3)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: "7", Generation: 2, Labels: labels,
			Annotations: map[string]string{
				"kubectl.kubernetes.io/last-applied-configuration": strings.Repeat("{}", 500),
				ServiceAnnotation: labels["svc"]},
			ManagedFields: []metav1.ManagedFieldsEntry{
				{Manager: "argocd-controller", Operation: "Apply", Time: &metav1.Time{Time: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}},
				{Manager: "kubectl-edit", Operation: "Update", Time: &metav1.Time{Time: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}},
				{Manager: "kube-controller-manager", Operation: "Update", Time: &metav1.Time{Time: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}},
				{Manager: "kube-controller-manager", Operation: "Update", Subresource: "status", Time: &metav1.Time{Time: time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)}},
			},
			CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))},
		Spec: appsv1.DeploymentSpec{Replicas: &three, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{
				{Name: "istio-proxy", Image: "istio/proxyv2:1.20"},
				{Name: name, Image: image, Env: []corev1.EnvVar{{Name: "A", Value: "b"}},
					Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{
						corev1.ResourceMemory: apiresource.MustParse("512Mi")}}}}}}},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, ReadyReplicas: 3, UpdatedReplicas: 3,
			AvailableReplicas: 3, Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing,
				Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable",
				LastUpdateTime: metav1.NewTime(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))}}},
	}
}

func TestTransformKeepsOnlyWhatAtriumShows(t *testing.T) {
	d := fullDeployment("pay", "payments-api", "r.example/payments-api:1.4.2",
		map[string]string{NameLabel: "payments", "svc": "payments-api"})
	out, err := Transform(d)
	if err != nil {
		t.Fatal(err)
	}
	w, ok := out.(*workload)
	if !ok {
		t.Fatalf("transform returned %T", out)
	}
	// Labels stay (drift compares them with declarations); annotations and managed fields go, but who made the
	// last change is kept: the newest entry that is not the controller's or the status subresource's.
	if w.Annotations != nil || w.ManagedFields != nil || w.ObjectMeta.Labels != nil || len(w.Labels) != 2 {
		t.Errorf("metadata not stripped: %+v", w.ObjectMeta)
	}
	if w.Manager != "kubectl-edit" || !w.ChangedAt.Equal(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)) {
		t.Errorf("last change: %s at %s", w.Manager, w.ChangedAt)
	}
	if w.Name != "payments-api" || w.Namespace != "pay" || w.ResourceVersion != "7" || w.Service != "payments-api" ||
		w.Label != "payments" || w.Desired != 3 || w.Ready != 3 || len(w.Containers) != 2 {
		t.Errorf("workload: %+v", w)
	}
	if again, _ := Transform(w); again != w {
		t.Error("transform is not idempotent")
	}
	sw := toWorkload(ClusterConfig{Name: "eu", Region: "eu-west-1", Environment: "production"}, w,
		&autoscaler{Min: 2, Max: 9, Current: 3, Desired: 3})
	dp := sw.Deployment
	if dp.Image != "r.example/payments-api:1.4.2" || dp.Version != "1.4.2" || dp.Autoscaler.Max != 9 ||
		dp.Health != catalog.HealthHealthy || !dp.RolloutAt.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) ||
		sw.AnnotationService != "payments-api" || sw.LabelService != "payments" {
		t.Errorf("deployment: %+v", sw)
	}
	// What drift compares: a projection of the declared fields, in the shape of a manifest.
	live, err := json.Marshal(sw.Live.Object)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app.kubernetes.io/name":"payments",` +
		`"svc":"payments-api"},"name":"payments-api","namespace":"pay"},"spec":{"replicas":3,"template":{"spec":` +
		`{"containers":[{"image":"istio/proxyv2:1.20","name":"istio-proxy"},{"image":"r.example/payments-api:1.4.2",` +
		`"name":"payments-api","resources":{"limits":{"memory":"512Mi"}}}]}}}}`
	if string(live) != want || sw.Live.Manager != "kubectl-edit" {
		t.Errorf("live projection:\n%s\nwant\n%s", live, want)
	}
	hpa, _ := json.Marshal(sw.AutoscalerLive.Object)
	if !strings.Contains(string(hpa), `"maxReplicas":9`) || !strings.Contains(string(hpa), `"kind":"HorizontalPodAutoscaler"`) {
		t.Errorf("autoscaler projection: %s", hpa)
	}
}

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`
clusters:
  - name: prod-eu-1
    region: eu-west-1
    environment: production
    kubeconfig: /etc/atrium/kube/prod.yaml
    context: prod-eu-1
    timeout: 5s
  - name: prod-us-1
    region: us-east-1
    environment: production
    in_cluster: true
    exclude_namespaces: []
`))
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Clusters[0], c.Clusters[1]
	if a.Timeout != 5*time.Second || a.Resync != DefaultResync || len(a.ExcludeNamespaces) != 3 ||
		b.Timeout != DefaultTimeout || !b.InCluster || len(b.ExcludeNamespaces) != 0 {
		t.Errorf("parsed: %+v", c)
	}

	_, err = ParseConfig([]byte(`
clusters:
  - name: Prod EU
    environment: production
  - name: dup
    region: r
    environment: e
    in_cluster: true
    context: x
    resync: 5s
  - name: dup
    region: r
    environment: e
`))
	for _, want := range []string{"lowercase DNS label", "region is required", "in_cluster excludes",
		"resync must be", "used by another cluster"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems %v: want %q", err, want)
		}
	}
	if _, err := ParseConfig([]byte("clusters:\n  - name: a\n    regoin: x\n")); err == nil || !strings.Contains(err.Error(), "regoin") {
		t.Errorf("unknown field: %v", err)
	}
}

func TestClassify(t *testing.T) {
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	tests := []struct {
		err  error
		want string
	}{
		{apierrors.NewUnauthorized("Unauthorized"), StateUnauthorized},
		{apierrors.NewForbidden(gr, "", errors.New(`User "x" cannot list`)), StateForbidden},
		{apierrors.NewNotFound(gr, ""), StateError},
		{context.DeadlineExceeded, StateUnreachable},
		{errors.New(`Get "https://127.0.0.1:1/apis": dial tcp 127.0.0.1:1: connect: connection refused`), StateUnreachable},
	}
	for _, tt := range tests {
		if got, msg := classify("listing deployments.apps", tt.err); got != tt.want || msg == "" {
			t.Errorf("classify(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCollectorOverFakeClientset(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := store.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	if _, err := db.ReplaceSource(ctx, "github", []catalog.Service{{Name: "payments-api", Owner: "payments", Lifecycle: "production",
		Type: "service", Language: "Go"}}); err != nil {
		t.Fatal(err)
	}
	ten := int32(10)
	cs := fake.NewClientset(
		fullDeployment("pay", "payments-api", "r.example/payments-api:1.4.2", map[string]string{NameLabel: "payments-api"}),
		fullDeployment("kube-system", "coredns", "coredns:1.11", nil),
		&autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "payments-api", Namespace: "pay"},
			Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: ten, ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{
				Kind: "Deployment", Name: "payments-api", APIVersion: "apps/v1"}},
			Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 3, DesiredReplicas: 3}},
	)
	c := &Collector{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Debounce: 20 * time.Millisecond,
		Config: Config{Clusters: []ClusterConfig{{Name: "eu", Region: "eu-west-1", Environment: "production",
			Timeout: time.Second, Resync: time.Minute, ExcludeNamespaces: DefaultExcludeNamespaces}}},
		clients: func(ClusterConfig) (Client, error) { return cs, nil }}
	// Drift hears every snapshot the collector writes, with the workloads' projections.
	snaps := make(chan Snapshot, 64)
	c.Observe = func(_ context.Context, s Snapshot) {
		select {
		case snaps <- s:
		default:
		}
	}
	// Each cluster is a source of the portal's sources.Set, reporting before the collector runs.
	srcs := c.Clusters()
	if len(srcs) != 1 || srcs[0].Name() != "kube:eu" || srcs[0].Status().State != StateConnecting {
		t.Fatalf("sources before running: %+v", srcs)
	}
	if _, syncs := srcs[0].(sources.Syncer); syncs {
		t.Error("a cluster's informers watch continuously: it has nothing to sync on request")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.Run(ctx); err != nil {
			t.Error(err)
		}
	}()

	version := func() string {
		s, _ := db.GetService(ctx, "payments-api")
		if len(s.Deployments) != 1 {
			return ""
		}
		return s.Deployments[0].Version
	}
	waitUntil(t, "the deployment in the store", 5*time.Second, func() bool { return version() == "1.4.2" })
	s, _ := db.GetService(ctx, "payments-api")
	if a := s.Deployments[0].Autoscaler; a == nil || a.Min != 1 || a.Max != 10 || a.Current != 3 {
		t.Errorf("autoscaler: %+v", a)
	}
	if page, _ := db.Unmapped(ctx, store.UnmappedQuery{}); page.Total != 0 {
		t.Errorf("kube-system is excluded by default: %+v", page)
	}
	waitUntil(t, "cluster ok", 5*time.Second, func() bool {
		cs, _ := db.Clusters(ctx)
		return len(cs) == 1 && cs[0].State == StateOK
	})
	// The source reports what the store recorded, which replicas receive.
	recs, _ := db.Sources(ctx)
	st := srcs[0].Status()
	if len(recs) != 1 || st.Kind != "kube" || st.State != recs[0].Status || st.Message != recs[0].Message ||
		!st.FinishedAt.Equal(recs[0].SyncedAt) || st.FinishedAt.IsZero() {
		t.Errorf("source status %+v, store records %+v", st, recs)
	}

	d, _ := cs.AppsV1().Deployments("pay").Get(ctx, "payments-api", metav1.GetOptions{})
	d.Spec.Template.Spec.Containers[1].Image = "r.example/payments-api:1.5.0"
	d.ResourceVersion = "8"
	if _, err := cs.AppsV1().Deployments("pay").Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the new version in the store", 5*time.Second, func() bool { return version() == "1.5.0" })
	deadline := time.After(10 * time.Second)
	for seen := false; !seen; {
		select {
		case s := <-snaps:
			if s.Cluster.Name != "eu" || (!s.OK && (s.State != StateConnecting || len(s.Workloads) > 0)) {
				t.Fatalf("snapshot: %+v", s)
			}
			for _, w := range s.Workloads {
				if w.Deployment.Name != "payments-api" || w.Live == nil || w.AutoscalerLive == nil {
					continue
				}
				cs := w.Live.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)
				seen = cs[1].(map[string]any)["image"] == "r.example/payments-api:1.5.0"
			}
		case <-deadline:
			t.Fatal("no snapshot with the new image for drift")
		}
	}
	cancel()
	<-done
}

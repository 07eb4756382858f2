//go:build integration

package runner_test

// End-to-end tests of the cluster agent: the real agent (runner.Run) against a real portal (the API on loopback,
// a real SQLite file) and a real cluster — kube-apiserver, kube-controller-manager, kube-scheduler and kwok, built
// by kubetest — so a Deployment really gets its ReplicaSet and Pods, and its rollout is watched to the end. The
// agent acts as the static user atrium-agent, bound to the narrow Role of docs/agent.md in each test's namespace.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/agent/runner"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/sources/kube/kubetest"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/pgtest"
)

var env *kubetest.Env

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	env, err = kubetest.SetupControllers()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := pgtest.Run(m)
	if err := env.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "kubetest: clean up:", err) // the tests' outcome stands; this says what was left
	}
	os.Exit(code)
}

const clusterName = "agents"

func testLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

// world is a portal and the shared cluster, with the agent's credentials for both.
type world struct {
	t          testing.TB
	q          *agent.Queue
	db         *store.DB
	url        string
	token      string // the agent's portal token: agent:work:agents
	cluster    *kubetest.Cluster
	admin      *kubernetes.Clientset
	kubeconfig string // the agent's kubeconfig (user atrium-agent)
	hc         *http.Client
}

func newWorld(t testing.TB, cfg agent.Config) *world {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	secret, _, err := (auth.Tokens{DB: db.SQL()}).Create(ctx, auth.Token{Name: "agent", Subject: "agent-" + clusterName,
		Scopes: []string{"agent:work:" + clusterName}}, "")
	if err != nil {
		t.Fatal(err)
	}
	log := testLog()
	q := agent.NewQueue(db.SQL(), cfg, log)
	srv := httptest.NewServer((&api.Portal{DB: db, Agents: q, Log: log}).Handler())
	t.Cleanup(srv.Close)
	c := env.Shared(t, clusterName, kubetest.WithControllers())
	admin, err := c.Client(kubetest.UserAdmin)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, q: q, db: db, url: srv.URL, token: secret, cluster: c, admin: admin,
		kubeconfig: filepath.Join(dir, "agent.kubeconfig"),
		// Every exchange of the agent with the portal is checked against openapi.yaml.
		hc: &http.Client{Transport: apitest.Transport(t, nil), Timeout: 90 * time.Second}}
	if err := c.WriteKubeconfig(w.kubeconfig, kubetest.UserAgent); err != nil {
		t.Fatal(err)
	}
	return w
}

var nsSeq int

// agentRole is the Role docs/agent.md gives the agent in each namespace it deploys to.
var agentRole = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"configmaps", "services", "secrets", "serviceaccounts"},
		Verbs: []string{"get", "create", "patch", "update", "delete"}},
	{APIGroups: []string{"apps"}, Resources: []string{"deployments"},
		Verbs: []string{"get", "list", "watch", "create", "patch", "update", "delete"}},
}

// namespace makes a namespace where the agent may do what rules allow (default: deploy, agentRole), and removes it
// afterwards.
func (w *world) namespace(prefix string, rules ...rbacv1.PolicyRule) string {
	w.t.Helper()
	ctx := context.Background()
	// A name of its own: the namespace of an earlier run (-count) may still be terminating.
	nsSeq++
	name := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid()%10000, nsSeq)
	if _, err := w.admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}},
		metav1.CreateOptions{}); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() {
		if err := w.admin.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil &&
			!apierrors.IsNotFound(err) {
			w.t.Error(err)
		}
	})
	if len(rules) == 0 {
		rules = agentRole
	}
	w.grant(name, rules)
	return name
}

func (w *world) grant(ns string, rules []rbacv1.PolicyRule) {
	w.t.Helper()
	ctx := context.Background()
	if _, err := w.admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "atrium-agent"},
		Rules: rules}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		w.t.Fatal(err)
	}
	if _, err := w.admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "atrium-agent"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "atrium-agent"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: kubetest.UserAgent}}},
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		w.t.Fatal(err)
	}
}

// startAgent runs the agent until the returned function stops it (and waits for it); a test's end stops it too.
func (w *world) startAgent(o runner.Options) (stop func() error) {
	w.t.Helper()
	o.Portal, o.Token, o.Cluster, o.Kubeconfig, o.HTTP, o.Log = w.url, w.token, clusterName, w.kubeconfig, w.hc, testLog()
	if o.KeyFile == "" && o.KeySecret == "" {
		o.KeyFile = filepath.Join(w.t.TempDir(), "agent.key")
	}
	if o.Wait == 0 {
		o.Wait = 20 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx, o) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	// Tests that expect an error from the agent check stop's themselves; this only makes sure the agent is gone.
	w.t.Cleanup(func() { _ = stop() })
	return stop
}

func manifest(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func helloDeployment(name string, replicas int, extra func(*appsv1.Deployment)) json.RawMessage {
	r := int32(replicas)
	labels := map[string]string{"app.kubernetes.io/name": name}
	d := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: &r, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "hello", Image: "registry.k8s.io/pause:3.10",
					Ports:   []corev1.ContainerPort{{ContainerPort: 8080}},
					EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}}}}}}}}
	if extra != nil {
		extra(d)
	}
	return manifest(d)
}

func helloWork(key, name string, replicas int, extra func(*appsv1.Deployment)) agent.Work {
	labels := map[string]string{"app.kubernetes.io/name": name}
	return agent.Work{Kind: "deploy", IdempotencyKey: key, Ref: "action/act_test",
		Payload: agent.Payload{Namespace: "", TimeoutSeconds: 120, Apply: []json.RawMessage{
			manifest(&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
				ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"GREETING": "hello, world"}}),
			helloDeployment(name, replicas, extra),
			manifest(&corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
				ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: labels,
					Ports: []corev1.ServicePort{{Name: "http", Port: 8080}}}}),
		}, Wait: []agent.ObjectRef{{APIVersion: "apps/v1", Kind: "Deployment", Name: name}}}}
}

func (w *world) wait(id string) agent.Item {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	it, err := w.q.Wait(ctx, id)
	if err != nil {
		w.t.Fatalf("work %s: %v", id, err)
	}
	return it
}

func objectResult(it agent.Item, kind, name string) agent.ObjectResult {
	if it.Result != nil {
		for _, o := range it.Result.Objects {
			if o.Kind == kind && o.Name == name {
				return o
			}
		}
	}
	return agent.ObjectResult{}
}

// TestAgentDeploysHelloWorld: a ConfigMap, a Deployment of two replicas and a Service are applied by the agent,
// the rollout is watched until every replica is available, and the portal's item ends succeeded with the
// Service's in-cluster URL. The same work again changes nothing. The agent keeps its key in a Secret of its own
// namespace, and its RBAC does not reach other namespaces' Secrets.
func TestAgentDeploysHelloWorld(t *testing.T) {
	w := newWorld(t, agent.Config{})
	ns := w.namespace("hello")
	// The agent's own namespace: it may create its key Secret and read that one Secret, nothing else.
	system := w.namespace("atrium-system",
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"create"}},
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"atrium-agent-key"}, Verbs: []string{"get"}})

	work := helloWork("act_1/deploy", "hello", 2, nil)
	work.Payload.Namespace = ns
	item, err := w.q.Enqueue(context.Background(), clusterName, work)
	if err != nil {
		t.Fatal(err)
	}
	w.startAgent(runner.Options{KeySecret: system + "/atrium-agent-key"})
	done := w.wait(item.ID)
	if done.State != agent.StateSucceeded {
		t.Fatalf("work %s: %s: %+v", done.State, done.Error, done.Result)
	}
	cm, dep, svc := objectResult(done, "ConfigMap", "hello"), objectResult(done, "Deployment", "hello"), objectResult(done, "Service", "hello")
	if cm.Action != agent.ActionCreated || dep.Action != agent.ActionCreated || svc.Action != agent.ActionCreated {
		t.Errorf("actions: %s %s %s", cm.Action, dep.Action, svc.Action)
	}
	if svc.URL != "http://hello."+ns+".svc.cluster.local:8080" {
		t.Errorf("service URL %q", svc.URL)
	}
	if r := dep.Rollout; r == nil || r.Status != agent.RolloutAvailable || r.Replicas != 2 || r.Available != 2 || r.Updated != 2 {
		t.Fatalf("rollout: %+v", r)
	}
	// What the agent reported is what the cluster holds: two available replicas, fields managed by atrium-agent.
	d, err := w.admin.AppsV1().Deployments(ns).Get(context.Background(), "hello", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status.AvailableReplicas != 2 || d.Status.ObservedGeneration < d.Generation {
		t.Errorf("deployment status: %+v", d.Status)
	}
	if !slices.ContainsFunc(d.ManagedFields, func(m metav1.ManagedFieldsEntry) bool {
		return m.Manager == runner.FieldManager && m.Operation == metav1.ManagedFieldsOperationApply
	}) {
		t.Errorf("not server-side applied by %s: %+v", runner.FieldManager, d.ManagedFields)
	}
	pods, _ := w.admin.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	ready := 0
	for _, p := range pods.Items {
		if p.Spec.NodeName != "" && p.Status.PodIP != "" && p.Status.Phase == corev1.PodRunning {
			ready++
		}
	}
	if ready != 2 {
		t.Errorf("%d pods scheduled and running with an IP, want 2", ready)
	}

	// The agent's key lives in its Secret, and is the key the portal has.
	s, err := w.admin.CoreV1().Secrets(system).Get(context.Background(), "atrium-agent-key", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var kp agent.KeyPair
	if err := kp.UnmarshalText(s.Data["agent.key"]); err != nil {
		t.Fatal(err)
	}
	if pub, err := w.q.PublicKey(context.Background(), clusterName); err != nil || pub != kp.Public {
		t.Errorf("registered key %v, the Secret's %s: %v", pub.ID(), kp.Public.ID(), err)
	}
	st, _ := w.q.Agents(context.Background())
	if len(st) != 1 || !st[0].Connected || st[0].KubeVersion == "" || st[0].KubeVersion == "unknown" || st[0].Queued+st[0].Leased != 0 {
		t.Errorf("agent status: %+v", st)
	}

	// Its RBAC: nothing outside the namespaces it was given.
	agentClient, err := w.cluster.Client(kubetest.UserAgent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agentClient.CoreV1().Secrets("kube-system").List(context.Background(), metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("the agent lists Secrets of kube-system: %v", err)
	}
	if _, err := agentClient.CoreV1().Secrets(system).Get(context.Background(), "another", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("the agent reads other Secrets of its own namespace: %v", err)
	}

	// The same work again (a retried step): nothing changes, the rollout is already complete.
	again, err := w.q.Enqueue(context.Background(), clusterName, agent.Work{Kind: "deploy", IdempotencyKey: "act_2/deploy",
		Payload: work.Payload})
	if err != nil {
		t.Fatal(err)
	}
	done = w.wait(again.ID)
	for _, o := range done.Result.Objects {
		if o.Action != agent.ActionUnchanged {
			t.Errorf("re-applied %s: %s", o.ObjectRef, o.Action)
		}
	}
	if r := objectResult(done, "Deployment", "hello").Rollout; done.State != agent.StateSucceeded || r == nil || r.Status != agent.RolloutAvailable {
		t.Errorf("again: %s %+v", done.State, done.Result)
	}
}

// TestAgentReportsWhatTheClusterRefuses: an item whose Deployment the API server refuses fails with the API
// server's message and field causes, and nothing of it is applied (the ConfigMap before it neither); a kind the
// cluster does not serve, and a namespace the agent has no rights in, are refused clearly too.
func TestAgentReportsWhatTheClusterRefuses(t *testing.T) {
	w := newWorld(t, agent.Config{})
	ns := w.namespace("refused")
	w.startAgent(runner.Options{})
	ctx := context.Background()

	bad := helloWork("bad/1", "broken", 1, func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort = 70000
	})
	bad.Payload.Namespace = ns
	it, _ := w.q.Enqueue(ctx, clusterName, bad)
	done := w.wait(it.ID)
	if done.State != agent.StateFailed || !strings.Contains(done.Error, "refused") {
		t.Fatalf("work %s: %q", done.State, done.Error)
	}
	dep := objectResult(done, "Deployment", "broken")
	if dep.Action != agent.ActionRefused || dep.Error == nil || dep.Error.Status != 422 || dep.Error.Reason != "Invalid" {
		t.Fatalf("deployment: %+v %+v", dep, dep.Error)
	}
	if !slices.ContainsFunc(dep.Error.Causes, func(c agent.Cause) bool {
		return c.Field == "spec.template.spec.containers[0].ports[0].containerPort" && c.Type == "FieldValueInvalid"
	}) {
		t.Errorf("causes do not name the field: %+v", dep.Error.Causes)
	}
	if cm := objectResult(done, "ConfigMap", "broken"); cm.Action != agent.ActionSkipped {
		t.Errorf("configmap: %s", cm.Action)
	}
	if _, err := w.admin.CoreV1().ConfigMaps(ns).Get(ctx, "broken", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the ConfigMap of refused work was applied: %v", err)
	}

	unknown := agent.Work{Kind: "deploy", IdempotencyKey: "bad/2", Payload: agent.Payload{Namespace: ns,
		Apply: []json.RawMessage{json.RawMessage(`{"apiVersion":"widgets.example.com/v1","kind":"Widget","metadata":{"name":"w"}}`)}}}
	it, _ = w.q.Enqueue(ctx, clusterName, unknown)
	done = w.wait(it.ID)
	if o := objectResult(done, "Widget", "w"); done.State != agent.StateFailed || o.Error == nil || !strings.Contains(o.Error.Message, "serves no kind Widget") {
		t.Errorf("unknown kind: %s %+v", done.State, o.Error)
	}

	// A namespace where the agent may read pods, and nothing else.
	other := w.namespace("not-granted", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}})
	elsewhere := helloWork("bad/3", "elsewhere", 1, nil)
	elsewhere.Payload.Namespace = other
	it, _ = w.q.Enqueue(ctx, clusterName, elsewhere)
	done = w.wait(it.ID)
	if o := objectResult(done, "ConfigMap", "elsewhere"); done.State != agent.StateFailed || o.Error == nil || o.Error.Status != 403 ||
		!strings.Contains(o.Error.Message, "RBAC") {
		t.Errorf("a namespace without the Role: %s %+v", done.State, o.Error)
	}
}

// TestAgentStoppedMidItemIsFinishedByAnother: the first agent applies the Deployment and is stopped while it
// watches the rollout; it reports nothing. When its lease runs out a second agent takes the item, finds the
// objects applied (unchanged), watches the rollout to the end and reports once.
func TestAgentStoppedMidItemIsFinishedByAnother(t *testing.T) {
	w := newWorld(t, agent.Config{Lease: 2 * time.Second, Recheck: 200 * time.Millisecond})
	ns := w.namespace("handover")
	ctx := context.Background()
	// Its pods need a node of the pool "late", which does not exist yet: the rollout cannot finish.
	work := helloWork("handover/1", "handover", 1, func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.NodeSelector = map[string]string{"atrium-test/pool": "late"}
	})
	work.Payload.Namespace = ns
	it, _ := w.q.Enqueue(ctx, clusterName, work)
	stop1 := w.startAgent(runner.Options{})
	// Wait (for the cluster, another process) until the first agent has applied the Deployment.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if _, err := w.admin.AppsV1().Deployments(ns).Get(ctx, "handover", metav1.GetOptions{}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first agent never applied the Deployment")
		}
	}
	if err := stop1(); err != nil {
		t.Fatalf("first agent: %v", err)
	}
	if cur, _ := w.q.Get(ctx, it.ID); cur.State != agent.StateLeased || cur.Attempts != 1 {
		t.Fatalf("after the first agent stopped: %s, %d attempts", cur.State, cur.Attempts)
	}
	if err := w.cluster.AddNode(ctx, "kwok-late", map[string]string{"atrium-test/pool": "late"}); err != nil {
		t.Fatal(err)
	}
	w.startAgent(runner.Options{})
	done := w.wait(it.ID)
	if done.State != agent.StateSucceeded || done.Attempts != 2 {
		t.Fatalf("work %s after %d attempts: %s", done.State, done.Attempts, done.Error)
	}
	dep := objectResult(done, "Deployment", "handover")
	if dep.Action != agent.ActionUnchanged || dep.Rollout == nil || dep.Rollout.Status != agent.RolloutAvailable {
		t.Errorf("the second agent's report: %+v %+v", dep, dep.Rollout)
	}
}

// TestAgentAppliesSealedSecret: a Secret sealed to the agent's key is applied by it; its value reaches the cluster
// and never the portal's database, and a value the API server refuses is not repeated in the report.
func TestAgentAppliesSealedSecret(t *testing.T) {
	w := newWorld(t, agent.Config{})
	ns := w.namespace("sealed")
	ctx := context.Background()
	// The agent's key, made beforehand so that work can be sealed to it before the agent says hello.
	kp, _ := agent.GenerateKey()
	keyFile := filepath.Join(t.TempDir(), "agent.key")
	text, _ := kp.MarshalText()
	if err := os.WriteFile(keyFile, text, 0o600); err != nil {
		t.Fatal(err)
	}
	w.startAgent(runner.Options{KeyFile: keyFile})
	value := "sealed-value-" + base64.RawURLEncoding.EncodeToString([]byte(t.Name()))
	sealed, err := agent.Seal(kp.Public, agent.SealedContent{Apply: []json.RawMessage{
		json.RawMessage(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"stringData":{"password":"` + value + `"}}`)}})
	if err != nil {
		t.Fatal(err)
	}
	it, err := w.q.Enqueue(ctx, clusterName, agent.Work{Kind: "secret", IdempotencyKey: "secret/1",
		Payload: agent.Payload{Namespace: ns, Sealed: sealed}})
	if err != nil {
		t.Fatal(err)
	}
	done := w.wait(it.ID)
	if o := objectResult(done, "Secret", "db"); done.State != agent.StateSucceeded || o.Action != agent.ActionCreated || !o.Sealed {
		t.Fatalf("sealed secret: %s %+v", done.State, done.Result)
	}
	s, err := w.admin.CoreV1().Secrets(ns).Get(ctx, "db", metav1.GetOptions{})
	if err != nil || string(s.Data["password"]) != value {
		t.Fatalf("the cluster's Secret: %v", err)
	}

	// A value the API server refuses (a data key it does not allow): the refusal names the field, not the value.
	refusedValue := "refused-" + value
	sealed, _ = agent.Seal(kp.Public, agent.SealedContent{Apply: []json.RawMessage{
		json.RawMessage(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"bad"},"stringData":{"not a key!":"` + refusedValue + `"}}`)}})
	it, _ = w.q.Enqueue(ctx, clusterName, agent.Work{Kind: "secret", IdempotencyKey: "secret/2", Payload: agent.Payload{Namespace: ns, Sealed: sealed}})
	done = w.wait(it.ID)
	o := objectResult(done, "Secret", "bad")
	if done.State != agent.StateFailed || o.Error == nil || o.Error.Status != 422 {
		t.Fatalf("refused secret: %s %+v", done.State, o)
	}
	report, _ := json.Marshal(done)
	for _, v := range []string{value, refusedValue, base64.StdEncoding.EncodeToString([]byte(refusedValue))} {
		if bytes.Contains(report, []byte(v)) {
			t.Errorf("the report holds a sealed value: %s", report)
		}
	}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(w.db.Path() + suffix)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{value, refusedValue, base64.StdEncoding.EncodeToString([]byte(value))} {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds a sealed value", w.db.Path()+suffix)
			}
		}
	}
}

// BenchmarkAgentApplyToAvailable measures cluster time: from enqueueing a hello-world (ConfigMap, Deployment of
// one replica, Service) to the agent's report that the Deployment is Available, on the real apiserver,
// controllers, scheduler and kwok. Each iteration deploys a new Deployment. It reports the median.
func BenchmarkAgentApplyToAvailable(b *testing.B) {
	w := newWorld(b, agent.Config{})
	ns := w.namespace("bench")
	w.startAgent(runner.Options{})
	ctx := context.Background()
	var times []time.Duration
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("hello-%d-%d", time.Now().UnixNano()%1e6, i)
		work := helloWork("bench/"+name, name, 1, nil)
		work.Payload.Namespace = ns
		start := time.Now()
		it, err := w.q.Enqueue(ctx, clusterName, work)
		if err != nil {
			b.Fatal(err)
		}
		done := w.wait(it.ID)
		times = append(times, time.Since(start))
		if done.State != agent.StateSucceeded {
			b.Fatalf("work %s: %s", done.State, done.Error)
		}
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(times[len(times)-1].Milliseconds()), "max-ms")
}

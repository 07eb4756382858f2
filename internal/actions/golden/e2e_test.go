//go:build integration

package golden_test

// The golden path end to end on a team portal: the portal's API on loopback over a real SQLite file, the GitHub
// fake speaking the REST wire format, and a dev cluster — a real kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok from kubetest — whose agent (runner.Run, the real agent) pulls the hello-world, applies it
// with server-side apply and watches its rollout to Available. Every request of the developer, the agent and the
// run goes through the API, checked against openapi.yaml.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/gitops"
	"github.com/sphera/atrium/internal/actions/golden"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/agent/runner"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/scaffold"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
	"github.com/sphera/atrium/internal/sources/kube/kubetest"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/pgtest"
)

var kube *kubetest.Env

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	kube, err = kubetest.SetupControllers()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := pgtest.Run(m)
	if err := kube.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = max(code, 1)
	}
	os.Exit(code)
}

func e2eLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

// teamPortal is a team portal with the golden path configured for the GitHub fake and one dev cluster, dev-1,
// whose agent runs.
type teamPortal struct {
	t      testing.TB
	url    string
	gh     *githubtest.Server
	db     *store.DB
	admin  *kubernetes.Clientset
	hc     *http.Client
	dev    string // the developer's token
	target scaffold.Target
}

var seq int

func newTeamPortal(t testing.TB) *teamPortal {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := e2eLog()
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
	gh := githubtest.New(t)
	gh.AddOrg("sphera")
	gh.AddRepo("sphera", githubtest.Repo{Name: "infra", Files: map[string]string{"README.md": "infra\n"}})
	ghc, err := gitops.NewClient(gh.URL, gh.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Each run's services live in a namespace of their own ({team}-{service}): the shared cluster outlives runs.
	target := scaffold.Target{GitHub: scaffold.GitHubTarget{Org: "sphera"}, Infra: scaffold.InfraTarget{Repo: "sphera/infra"},
		Environments: []scaffold.Environment{{Name: "dev", Regions: []string{"eu-west-1"}, Delivery: "direct",
			Clusters: []scaffold.Cluster{{Name: "dev-1", Region: "eu-west-1"}}}},
		Registry: "registry.example.com/sphera", Namespace: "{team}-{service}"}
	if ps := target.Check(); ps.HasErrors() {
		t.Fatal(ps)
	}
	cfg := actions.Config{Environments: map[string]actions.Environment{"dev": {Regions: []string{"eu-west-1"},
		Delivery: actions.DeliveryDirect}}, Worker: actions.WorkerConfig{Poll: time.Second, Lease: 10 * time.Second}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	svc := actions.NewService(db.SQL(), cfg, db)
	req := &golden.Requests{Registry: scaffold.NewRegistry(scaffold.Builtin()), Target: target,
		Checker: golden.CatalogChecker{Catalog: db, GitHub: ghc}}
	svc.Preparers = map[actions.Kind]actions.Preparer{actions.KindServiceCreate: req}
	q := agent.NewQueue(db.SQL(), agent.Config{}, log)
	w := actions.NewWorker(svc.Store, map[string]actions.Executor{actions.DeliveryGolden: &golden.Executor{GitHub: ghc,
		Catalog: db, Clusters: golden.AgentClusters{Queue: q}, Poll: 30 * time.Second}}, cfg.Worker, log)
	svc.Wake = w.Wake
	// As the portal wires it: the agent's report makes the waiting action due at once (backend/server).
	q.OnFinish = func(it agent.Item) {
		if id, ok := strings.CutPrefix(it.Ref, "action/"); ok && svc.Store.Due(context.Background(), id) == nil {
			w.Wake()
		}
	}
	go w.Run(ctx)
	srv := httptest.NewServer((&api.Portal{DB: db, Agents: q, Actions: svc, Golden: req, Log: log}).Handler())
	t.Cleanup(srv.Close)

	tokens := auth.Tokens{DB: db.SQL()}
	dev, _, err := tokens.Create(ctx, auth.Token{Name: "dana", Subject: "dana", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	agentToken, _, err := tokens.Create(ctx, auth.Token{Name: "agent dev-1", Subject: "agent-dev-1", Scopes: []string{"agent:work:dev-1"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutTeams(ctx, []catalog.Team{{Name: "payments"}}); err != nil {
		t.Fatal(err)
	}
	c := kube.Shared(t, "dev-1", kubetest.WithControllers())
	admin, err := c.Client(kubetest.UserAdmin)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dir, "agent.kubeconfig")
	if err := c.WriteKubeconfig(kubeconfig, kubetest.UserAgent); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: apitest.Transport(t, nil), Timeout: 90 * time.Second}
	agentDone := make(chan error, 1)
	go func() {
		agentDone <- runner.Run(ctx, runner.Options{Portal: srv.URL, Token: agentToken, Cluster: "dev-1", Kubeconfig: kubeconfig,
			KeyFile: filepath.Join(dir, "agent.key"), HTTP: hc, Log: log, Wait: 20 * time.Second})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-agentDone; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("agent: %v", err)
		}
	})
	return &teamPortal{t: t, url: srv.URL, gh: gh, db: db, admin: admin, hc: hc, dev: dev, target: target}
}

// agentRole is what docs/agent.md gives the agent in a namespace it deploys to.
var agentRole = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"configmaps", "services", "secrets", "serviceaccounts"},
		Verbs: []string{"get", "create", "patch", "update", "delete"}},
	{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch", "create", "patch", "update", "delete"}},
}

// provision makes a team's namespace as the platform team does: the namespace, and the agent's Role in it (none
// when bind is false).
func (p *teamPortal) provision(ns string, bind bool) {
	p.t.Helper()
	ctx := context.Background()
	if _, err := p.admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() {
		if err := p.admin.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}); err != nil {
			p.t.Error(err)
		}
	})
	if !bind {
		return
	}
	if _, err := p.admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "atrium-agent"}, Rules: agentRole},
		metav1.CreateOptions{}); err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "atrium-agent"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "atrium-agent"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: kubetest.UserAgent}}},
		metav1.CreateOptions{}); err != nil {
		p.t.Fatal(err)
	}
}

func (p *teamPortal) call(method, path, body string, hdr map[string]string, out any) int {
	p.t.Helper()
	req, _ := http.NewRequest(method, p.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.dev)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			p.t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// create requests a service and follows its run with the action's long poll until it is final.
func (p *teamPortal) create(name string) actions.Action {
	p.t.Helper()
	var a api.ActionView
	body := `{"kind":"service_create","environment":"dev","params":{"template":"go-http-service","parameters":{"name":"` + name +
		`","team":"payments","description":"Hello from the golden path"}}}`
	if st := p.call("POST", "/api/v1/actions", body, map[string]string{"Idempotency-Key": "create-" + name}, &a); st != 201 {
		p.t.Fatalf("request: %d %+v", st, a)
	}
	deadline := time.Now().Add(4 * time.Minute)
	for !a.State.Final() {
		if time.Now().After(deadline) {
			p.t.Fatalf("run of %s not final: %s %+v", name, a.State, a.Steps)
		}
		p.call("GET", fmt.Sprintf("/api/v1/actions/%s?wait=30&version=%d", a.ID, a.Version), "", nil, &a)
	}
	return a.Action
}

func serviceName(prefix string) string {
	seq++
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid()%10000, seq)
}

// TestHelloWorldOnTheDevCluster: a developer creates a service through the API; the run creates the repository
// (one commit, protected main), registers it in the catalog, opens the infrastructure pull request, and the dev
// cluster's agent applies the hello-world and watches its Deployment to Available. Time to hello-world is split
// into GitHub, cluster and portal time (bench/RESULTS.md).
func TestHelloWorldOnTheDevCluster(t *testing.T) {
	p := newTeamPortal(t)
	name := serviceName("hello")
	ns := "payments-" + name
	p.provision(ns, true)

	start := time.Now()
	a := p.create(name)
	total := time.Since(start)
	if a.State != actions.StateSucceeded {
		t.Fatalf("%s: %q %+v", a.State, a.Error, a.Steps)
	}
	step := map[string]actions.StepRecord{}
	for _, st := range a.Steps {
		step[st.ID] = st
		if st.State != actions.StepSucceeded || st.Attempts != 1 {
			t.Errorf("step %s: %s after %d attempts %q", st.ID, st.State, st.Attempts, st.Error)
		}
	}
	// GitHub: the repository with its one commit and protection, the pull request.
	if h := p.gh.History("sphera", name, "main"); len(h) != 1 || h[0] != step["push_initial_commit"].Output["commit_sha"] {
		t.Errorf("main: %v", h)
	}
	if pr, ok := p.gh.BranchProtection("sphera", name, "main"); !ok || pr.RequiredReviews != 1 || !pr.RequireCodeOwnerReviews {
		t.Errorf("protection %+v", pr)
	}
	if pulls := p.gh.Pulls("sphera", "infra"); len(pulls) != 1 || !strings.HasSuffix(step["open_infra_pull_request"].Output["pr_url"], "/pull/1") {
		t.Errorf("pull requests: %+v", pulls)
	}
	// The catalog entry, at once and marked.
	var s catalog.Service
	if st := p.call("GET", "/api/v1/services/"+name, "", nil, &s); st != 200 || s.CreatedByAction != a.ID || s.Template != "go-http-service@v1" {
		t.Errorf("catalog: %d %+v", st, s)
	}
	// The cluster: the Deployment Available, as the agent watched it, and its in-cluster URL.
	want := "http://" + name + "." + ns + ".svc.cluster.local:8080"
	if a.Result["url"] != want || step["wait_dev_available"].Output["url:dev-1"] != want {
		t.Errorf("url %q, want %q", a.Result["url"], want)
	}
	d, err := p.admin.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !available(d) {
		t.Errorf("deployment status: %+v", d.Status)
	}

	portal, gitHub, cluster := split(total, step)
	t.Logf("time to hello-world: %v in all — portal %v, GitHub %v, cluster %v (portal + cluster %v; target < 10s)",
		total.Round(time.Millisecond), portal.Round(time.Millisecond), gitHub.Round(time.Millisecond),
		cluster.Round(time.Millisecond), (portal + cluster).Round(time.Millisecond))
	if portal+cluster > 10*time.Second {
		t.Errorf("portal and cluster time %v, over the 10 s target", portal+cluster)
	}
}

// split divides a run's time to hello-world: GitHub time is the GitHub steps' (repository, commit, protection,
// pull request), cluster time from queueing the hello-world to the agent's report that it is available, portal time
// the rest (the request, its checks and the plan, the worker, the catalog, the long poll).
func split(total time.Duration, step map[string]actions.StepRecord) (portal, gitHub, cluster time.Duration) {
	gitHub = span(step, "create_repository", "protect_branch") + span(step, "open_infra_pull_request", "open_infra_pull_request")
	cluster = span(step, "deploy_dev", "wait_dev_available")
	return total - gitHub - cluster, gitHub, cluster
}

// BenchmarkTimeToHelloWorld measures, per created service, the time from the create request to the agent's report
// that its dev Deployment is Available, and its split (task bench:golden).
func BenchmarkTimeToHelloWorld(b *testing.B) {
	p := newTeamPortal(b)
	var portal, gitHub, cluster, total time.Duration
	for b.Loop() {
		name := serviceName("bench")
		b.StopTimer()
		p.provision("payments-"+name, true)
		b.StartTimer()
		start := time.Now()
		a := p.create(name)
		took := time.Since(start)
		if a.State != actions.StateSucceeded {
			b.Fatalf("%s: %q", a.State, a.Error)
		}
		step := map[string]actions.StepRecord{}
		for _, st := range a.Steps {
			step[st.ID] = st
		}
		pt, gt, ct := split(took, step)
		portal, gitHub, cluster, total = portal+pt, gitHub+gt, cluster+ct, total+took
	}
	n := float64(b.N)
	b.ReportMetric(float64(total.Milliseconds())/n, "total-ms")
	b.ReportMetric(float64(portal.Milliseconds())/n, "portal-ms")
	b.ReportMetric(float64(gitHub.Milliseconds())/n, "github-ms")
	b.ReportMetric(float64(cluster.Milliseconds())/n, "cluster-ms")
}

// span is the time from the start of step from to the end of step to.
func span(steps map[string]actions.StepRecord, from, to string) time.Duration {
	return steps[to].FinishedAt.Sub(steps[from].StartedAt)
}

func available(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			return d.Status.AvailableReplicas >= 1 && d.Status.ObservedGeneration >= d.Generation
		}
	}
	return false
}

// TestClusterRefusesTheHelloWorld: a namespace where the agent may not deploy refuses the manifests; the run fails
// at its wait step with the API server's words, after the earlier steps, and says so.
func TestClusterRefusesTheHelloWorld(t *testing.T) {
	p := newTeamPortal(t)
	name := serviceName("refused")
	p.provision("payments-"+name, false)
	a := p.create(name)
	var last actions.StepRecord
	if len(a.Steps) > 0 {
		last = a.Steps[len(a.Steps)-1]
	}
	if a.State != actions.StateFailed || last.ID != "wait_dev_available" || last.State != actions.StepFailed ||
		!strings.Contains(last.Error, "dev-1: the API server refused") || !strings.Contains(last.Error, "forbidden") {
		t.Fatalf("%s: %q", a.State, last.Error)
	}
	t.Logf("the failed step says: %s", last.Error)
}

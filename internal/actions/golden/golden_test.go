package golden_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/gitops"
	"github.com/sphera/atrium/internal/actions/golden"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/scaffold"
	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

// target is the portal's golden-path configuration in these tests: the GitHub fake's organisation sphera, its
// infrastructure repository sphera/infra, and one dev cluster.
func target() scaffold.Target {
	t := scaffold.Target{GitHub: scaffold.GitHubTarget{Org: "sphera"}, Infra: scaffold.InfraTarget{Repo: "sphera/infra"},
		Environments: []scaffold.Environment{{Name: "dev", Regions: []string{"eu-west-1"}, Delivery: "direct",
			Clusters: []scaffold.Cluster{{Name: "dev-1", Region: "eu-west-1"}}}},
		Registry: "registry.example.com/sphera"}
	if ps := t.Check(); ps.HasErrors() {
		panic(ps)
	}
	return t
}

// reportAs answers the next work item of cluster as its agent would: lease it, report res.
func (e *env) reportAs(t *testing.T, cluster string, res agent.Result) agent.Item {
	t.Helper()
	ctx := context.Background()
	it, ok, err := e.queue.Lease(ctx, cluster, "agent-"+cluster)
	if err != nil || !ok {
		t.Fatalf("lease work of %s: %v %v", cluster, ok, err)
	}
	done, err := e.queue.Report(ctx, cluster, it.ID, it.LeaseID, res)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

type env struct {
	gh    *githubtest.Server
	db    *store.DB
	svc   *actions.Service
	w     *actions.Worker
	queue *agent.Queue
	ex    *golden.Executor
	clk   *clock
}

var dana = auth.Principal{Subject: "dana", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}

func newEnv(t *testing.T, transport http.RoundTripper) *env {
	t.Helper()
	gh := githubtest.New(t)
	gh.AddOrg("sphera")
	gh.AddRepo("sphera", githubtest.Repo{Name: "infra", Files: map[string]string{"README.md": "infra\n"}})
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := db.PutTeams(context.Background(), []catalog.Team{{Name: "payments"}}); err != nil {
		t.Fatal(err)
	}
	var hc *http.Client
	if transport != nil {
		hc = &http.Client{Transport: transport}
	}
	client, err := gitops.NewClient(gh.URL, gh.Token, hc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := actions.Config{Environments: map[string]actions.Environment{"dev": {Regions: []string{"eu-west-1"},
		Delivery: actions.DeliveryDirect}}, Worker: actions.WorkerConfig{Poll: 5 * time.Millisecond, Lease: time.Second, MaxAttempts: 3}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	svc := actions.NewService(db.SQL(), cfg, db)
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	svc.Store.Now = clk.now
	svc.Preparers = map[actions.Kind]actions.Preparer{actions.KindServiceCreate: golden.Requests{
		Registry: scaffold.NewRegistry(scaffold.Builtin()), Target: target(),
		Checker: golden.CatalogChecker{Catalog: db, GitHub: client}}}
	q := agent.NewQueue(db.SQL(), agent.Config{}, slog.New(slog.DiscardHandler))
	ex := &golden.Executor{GitHub: client, Catalog: db, Clusters: golden.AgentClusters{Queue: q}, Poll: 5 * time.Millisecond}
	w := actions.NewWorker(svc.Store, map[string]actions.Executor{actions.DeliveryGolden: ex}, cfg.Worker, slog.New(slog.DiscardHandler))
	return &env{gh: gh, db: db, svc: svc, w: w, queue: q, ex: ex, clk: clk}
}

// clock is the actions' clock in these tests: the worker's waits and backoffs pass when the test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (e *env) request(t *testing.T, name string) actions.Action {
	t.Helper()
	a, created, err := e.svc.Request(context.Background(), dana, "create-"+name, actions.Request{Kind: actions.KindServiceCreate,
		Environment: "dev", Params: json.RawMessage(`{"template":"go-http-service","parameters":{"name":"` + name +
			`","team":"payments","description":"Orders API"}}`)})
	if err != nil || !created {
		t.Fatalf("request: %v %v", created, err)
	}
	return a
}

// run runs the worker until the action is final or waits for the agents' report (its last step running).
func (e *env) run(t *testing.T, id string) actions.Action { return e.runUntil(t, id, false) }

// finish runs the worker until the action is final.
func (e *env) finish(t *testing.T, id string) actions.Action { return e.runUntil(t, id, true) }

func (e *env) runUntil(t *testing.T, id string, final bool) actions.Action {
	t.Helper()
	ctx := context.Background()
	for range 100 {
		if _, err := e.w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.Store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		waiting := len(a.Steps) > 0 && a.Steps[len(a.Steps)-1].State == actions.StepRunning && a.Error == ""
		if a.State.Final() || (waiting && !final) {
			return a
		}
		e.clk.advance(time.Minute) // past any wait or backoff of the worker
	}
	a, _ := e.svc.Store.Get(ctx, id)
	t.Fatalf("not done after 100 runs: %s %s %q", a.State, states(a), a.Error)
	return a
}

func states(a actions.Action) string {
	var s []string
	for _, st := range a.Steps {
		s = append(s, st.ID+"="+string(st.State))
	}
	return strings.Join(s, " ")
}

// TestGoldenPathRun: a request runs every step against the GitHub fake — one repository with exactly one commit
// holding the plan's files, a protected main, the catalog entry at once, one infrastructure pull request, the
// hello-world queued for the dev cluster's agent — and succeeds when the agent reports it available, with each
// step's output. A real sync of the organisation afterwards keeps the service, once, with its provenance.
func TestGoldenPathRun(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	a := e.request(t, "orders")
	if a.Delivery != actions.DeliveryGolden || a.Team != "payments" || a.Service != "orders" || a.Region != "eu-west-1" {
		t.Fatalf("requested: %+v", a)
	}
	a = e.run(t, a.ID)
	if a.State != actions.StateRunning || !strings.HasSuffix(states(a), "deploy_dev=succeeded wait_dev_available=running") {
		t.Fatalf("before the agent's report: %s %s %q", a.State, states(a), a.Error)
	}
	// The catalog entry is there before the hello-world runs.
	reg, err := e.db.GetService(ctx, "orders")
	if err != nil || reg.Source != "template:go-http-service" || reg.Template != "go-http-service@v1" ||
		reg.CreatedByAction != a.ID || reg.Owner != "payments" || reg.Repository.URL != e.gh.URL+"/sphera/orders" {
		t.Fatalf("registered: %+v %v", reg, err)
	}
	work, err := e.queue.Get(ctx, a.Steps[5].Output["work_id:dev-1"])
	if err != nil || work.Cluster != "dev-1" || work.Kind != "deploy" || work.IdempotencyKey != a.ID+"/deploy_dev/dev-1" ||
		work.Ref != "action/"+a.ID || len(work.Payload.Apply) != 3 || work.Payload.Wait[0].Name != "orders" ||
		work.Payload.Wait[0].Namespace != "payments" || !strings.Contains(string(work.Payload.Apply[1]), `"kind":"Deployment"`) {
		t.Fatalf("work: %s %v", work.Payload.Apply, err)
	}
	// The namespace is the platform's, with the agent's RoleBinding in it: the agent applies what goes in it, never
	// the Namespace (that would need a cluster-wide right).
	for _, m := range work.Payload.Apply {
		if strings.Contains(string(m), `"kind":"Namespace"`) {
			t.Errorf("the Namespace is sent to the agent: %s", m)
		}
	}
	dep := agent.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "payments", Name: "orders"}
	e.reportAs(t, "dev-1", agent.Result{Objects: []agent.ObjectResult{
		{ObjectRef: agent.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: "payments"}, Action: agent.ActionCreated},
		{ObjectRef: dep, Action: agent.ActionCreated, Rollout: &agent.Rollout{Status: agent.RolloutAvailable, Replicas: 1, Updated: 1, Available: 1}},
		{ObjectRef: agent.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: "payments", Name: "orders"}, Action: agent.ActionCreated,
			URL: "http://orders.payments.svc.cluster.local:8080"}}})
	a = e.finish(t, a.ID)
	if a.State != actions.StateSucceeded || a.Attempts != 1 {
		t.Fatalf("%s %s %q", a.State, states(a), a.Error)
	}
	want := "create_repository=succeeded push_initial_commit=succeeded protect_branch=succeeded register_catalog=succeeded " +
		"open_infra_pull_request=succeeded deploy_dev=succeeded wait_dev_available=succeeded"
	if states(a) != want {
		t.Errorf("steps: %s", states(a))
	}

	// GitHub: one repository, one commit with every file, the protection asked for, one pull request.
	if n := e.gh.Counts().Writes[githubtest.KindCreateRepo]; n != 1 {
		t.Errorf("%d repositories created", n)
	}
	info := e.gh.Info("sphera", "orders")
	if info.Description != "Orders API" || !info.Private {
		t.Errorf("repository: %+v (the marker is gone once the id is recorded)", info)
	}
	hist := e.gh.History("sphera", "orders", "main")
	if len(hist) != 1 || a.Steps[1].Output["commit_sha"] != hist[0] || a.Result["commit_sha"] != hist[0] {
		t.Errorf("history %v, step output %v", hist, a.Steps[1].Output)
	}
	plan, err := golden.LoadPlan(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range plan.Files {
		if got, _ := e.gh.File("sphera", "orders", "main", f.Path); got != f.Content {
			t.Errorf("%s on main: %q", f.Path, got)
		}
	}
	if p, ok := e.gh.BranchProtection("sphera", "orders", "main"); !ok || p.RequiredReviews != 1 || !p.RequireCodeOwnerReviews ||
		strings.Join(p.RequiredChecks, ",") != strings.Join(plan.Repository.Protection.RequiredChecks, ",") || !p.Strict {
		t.Errorf("protection: %+v %v", p, ok)
	}
	pulls := e.gh.Pulls("sphera", "infra")
	if len(pulls) != 1 || pulls[0].Head != "atrium/new-service-orders" || pulls[0].Title != plan.InfraPullRequest.Title ||
		pulls[0].Body != plan.InfraPullRequest.Body {
		t.Fatalf("pull requests: %+v", pulls)
	}
	for _, f := range plan.InfraPullRequest.Files {
		if got, _ := e.gh.File("sphera", "infra", "atrium/new-service-orders", f.Path); got != f.Content {
			t.Errorf("infra file %s: %q", f.Path, got)
		}
	}
	out := a.Result
	if out["repository_url"] != e.gh.URL+"/sphera/orders" || !strings.HasSuffix(out["pr_url"], "/sphera/infra/pull/1") ||
		out["url"] != "http://orders.payments.svc.cluster.local:8080" || out["catalog_service"] != "orders" {
		t.Errorf("result: %v", out)
	}

	// The next sync of the organisation reads the new repository and adopts the entry: one service, its template
	// and action kept.
	hub, err := github.New(e.db, github.Config{APIURL: e.gh.URL, Orgs: []string{"sphera"}, Token: e.gh.Token}, nil,
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := hub.Collector("sphera").Sync(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := e.db.ListServices(ctx, store.ServiceQuery{Q: "orders", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range page.Items {
		names = append(names, s.Name)
	}
	sort.Strings(names)
	got, _ := e.db.GetService(ctx, "orders")
	if strings.Count(strings.Join(names, ","), "orders") != 1 || got.Source != "github:sphera" ||
		got.Template != "go-http-service@v1" || got.CreatedByAction != a.ID || len(got.Findings) != 0 {
		t.Fatalf("after a sync: %v; %+v", names, got)
	}
	if err := hub.Collector("sphera").Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if again, _ := e.db.GetService(ctx, "orders"); again.Source != "github:sphera" || again.CreatedByAction != a.ID {
		t.Errorf("after a second sync: %+v", again)
	}
}

// TestNameTakenOnGitHub: a repository of the name that the run did not create stops the run at its first step,
// with nothing created: no catalog entry, no pull request, no work for a cluster.
func TestNameTakenOnGitHub(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	// The name is free when the request is checked, and taken before the run starts.
	a := e.request(t, "orders")
	e.gh.AddRepo("sphera", githubtest.Repo{Name: "orders", Description: "someone else's"})
	a = e.run(t, a.ID)
	if a.State != actions.StateFailed || !strings.Contains(a.Steps[0].Error, "name taken on GitHub") ||
		states(a) != "create_repository=failed push_initial_commit=pending protect_branch=pending register_catalog=pending "+
			"open_infra_pull_request=pending deploy_dev=pending wait_dev_available=pending" {
		t.Fatalf("%s %s: %q", a.State, states(a), a.Steps[0].Error)
	}
	if _, err := e.db.GetService(ctx, "orders"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("catalog entry: %v", err)
	}
	if st, _ := e.queue.Agents(ctx); len(e.gh.Pulls("sphera", "infra")) != 0 || len(st) != 0 || e.gh.Info("sphera", "orders").Description != "someone else's" {
		t.Error("something was created")
	}
	// Checked at request time, the same name is refused at its field.
	_, _, err := e.svc.Request(ctx, dana, "again", actions.Request{Kind: actions.KindServiceCreate, Environment: "dev",
		Params: json.RawMessage(`{"template":"go-http-service","parameters":{"name":"orders","team":"payments"}}`)})
	var ps problem.Problems
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Path != "/params/parameters/name" ||
		ps[0].Summary != "the repository sphera/orders already exists on GitHub" {
		t.Errorf("request for a taken name: %v", err)
	}
}

// TestRetryFromTheFailedStep: the pull request step fails once (GitHub refuses it); a retry opens it without
// creating the repository, pushing, protecting or registering again.
func TestRetryFromTheFailedStep(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	e.gh.FailNext(githubtest.KindPulls, http.MethodPost, 1, http.StatusForbidden, "Resource not accessible by integration")
	a := e.run(t, e.request(t, "orders").ID)
	if a.State != actions.StateFailed || !strings.Contains(a.Steps[4].Error, "Resource not accessible by integration") ||
		!strings.HasPrefix(states(a), "create_repository=succeeded push_initial_commit=succeeded protect_branch=succeeded register_catalog=succeeded open_infra_pull_request=failed") {
		t.Fatalf("%s %s %q", a.State, states(a), a.Error)
	}
	e.gh.ResetCounts()
	if _, err := e.svc.Retry(ctx, dana, a.ID); err != nil {
		t.Fatal(err)
	}
	a = e.run(t, a.ID)
	if a.State != actions.StateRunning || !strings.Contains(states(a), "open_infra_pull_request=succeeded") {
		t.Fatalf("after retry: %s %s %q", a.State, states(a), a.Error)
	}
	w := e.gh.Counts().Writes
	if w[githubtest.KindCreateRepo] != 0 || w[githubtest.KindBlob] != 0 || w[githubtest.KindTree] != 0 ||
		w[githubtest.KindGitCommit] != 0 || w[githubtest.KindProtection] != 0 || w[githubtest.KindPulls] != 1 {
		t.Errorf("writes of the retry: %v", w)
	}
	for _, st := range a.Steps[:4] {
		if st.Attempts != 1 {
			t.Errorf("step %s ran %d times", st.ID, st.Attempts)
		}
	}
	if len(e.gh.Pulls("sphera", "infra")) != 1 {
		t.Error("pull requests")
	}
}

// TestClusterRefusesTheManifest: an agent's report that the API server refused an object fails the wait step
// with the API server's words.
func TestClusterRefusesTheManifest(t *testing.T) {
	e := newEnv(t, nil)
	a := e.run(t, e.request(t, "orders").ID)
	e.reportAs(t, "dev-1", agent.Result{Objects: []agent.ObjectResult{
		{ObjectRef: agent.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: "payments"}, Action: agent.ActionUnchanged},
		{ObjectRef: agent.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "payments", Name: "orders"},
			Action: agent.ActionRefused, Error: &agent.KubeError{Status: 422, Reason: "Invalid",
				Message: `Deployment.apps "orders" is invalid: spec.template.spec.containers[0].image: Required value`,
				Causes:  []agent.Cause{{Field: "spec.template.spec.containers[0].image", Type: "FieldValueRequired", Message: "Required value"}}}}}})
	a = e.finish(t, a.ID)
	want := `dev-1: the API server refused Deployment payments/orders: Deployment.apps "orders" is invalid: ` +
		`spec.template.spec.containers[0].image: Required value`
	if a.State != actions.StateFailed || a.Steps[6].State != actions.StepFailed || a.Steps[6].Error != want {
		t.Fatalf("%s %s %q", a.State, states(a), a.Steps[6].Error)
	}
}

// TestCancelLeavesBehindWhatItMade: a run cancelled while it waits for the agent says what it left behind: the
// repository, the open pull request, the catalog entry and the hello-world sent to the cluster.
func TestCancelLeavesBehindWhatItMade(t *testing.T) {
	e := newEnv(t, nil)
	a := e.run(t, e.request(t, "orders").ID)
	c, err := e.svc.Cancel(context.Background(), dana, a.ID, "")
	if err != nil || c.State != actions.StateCancelled {
		t.Fatalf("%v %+v", err, c)
	}
	want := "left behind: repository " + e.gh.URL + "/sphera/orders; catalog entry orders; pull request " + e.gh.URL +
		"/sphera/infra/pull/1 (open); hello-world Deployment payments/orders (with its ServiceAccount and Service) sent to the agents of dev-1"
	if c.Result["left_behind"] != want || c.Steps[6].State != actions.StepSkipped {
		t.Errorf("left behind: %q\nwant         %q\n%s", c.Result["left_behind"], want, states(c))
	}
}

// crashAfter stands for a portal that dies right after GitHub did something: the request reaches GitHub, which
// does it, and the answer is lost — the first time a request matching it is sent.
type crashAfter struct {
	mu     sync.Mutex
	method string
	suffix string
	done   bool
}

func (c *crashAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || c.done || req.Method != c.method || !strings.HasSuffix(req.URL.Path, c.suffix) {
		return resp, err
	}
	c.done = true
	resp.Body.Close()
	return nil, errors.New("simulated crash after GitHub acted")
}

// TestLostAnswersAreFoundAgain: when GitHub's answer to creating the repository, moving the branch or opening the
// pull request is lost, the next attempt of the step finds what was done — one repository, one commit, one pull
// request. (The kill -9 version of this is the server's crash test.)
func TestLostAnswersAreFoundAgain(t *testing.T) {
	for _, c := range []struct{ method, suffix string }{
		{http.MethodPost, "/orgs/sphera/repos"},
		{http.MethodPatch, "/git/refs/heads/main"},
		{http.MethodPost, "/sphera/infra/pulls"},
	} {
		t.Run(c.method+" "+c.suffix, func(t *testing.T) {
			e := newEnv(t, &crashAfter{method: c.method, suffix: c.suffix})
			a := e.run(t, e.request(t, "orders").ID)
			if a.State != actions.StateRunning || !strings.HasSuffix(states(a), "wait_dev_available=running") {
				t.Fatalf("%s %s %q", a.State, states(a), a.Error)
			}
			retried := 0
			for _, st := range a.Steps {
				retried += st.Attempts - 1
			}
			cnt := e.gh.Counts().Writes
			if retried != 1 || cnt[githubtest.KindCreateRepo] != 1 || len(e.gh.History("sphera", "orders", "main")) != 1 ||
				len(e.gh.Pulls("sphera", "infra")) != 1 {
				t.Errorf("retried %d; writes %v; history %v; pulls %d", retried, cnt, e.gh.History("sphera", "orders", "main"),
					len(e.gh.Pulls("sphera", "infra")))
			}
		})
	}
}

// TestPreviewRegistersForRealAndPreviewsTheRest is local mode's run: the catalog entry is real, every other step
// is skipped with what a team portal would have done.
func TestPreviewRegistersForRealAndPreviewsTheRest(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	w := actions.NewWorker(e.svc.Store, map[string]actions.Executor{actions.DeliveryGolden: golden.Preview{Catalog: e.db}},
		e.svc.Config.Worker, slog.New(slog.DiscardHandler))
	a := e.request(t, "orders")
	e.w = w
	a = e.run(t, a.ID)
	want := "create_repository=skipped push_initial_commit=skipped protect_branch=skipped register_catalog=succeeded " +
		"open_infra_pull_request=skipped deploy_dev=skipped wait_dev_available=skipped"
	if a.State != actions.StateSucceeded || states(a) != want {
		t.Fatalf("%s %s %q", a.State, states(a), a.Error)
	}
	if p := a.Steps[0].Output["preview"]; p != `a team portal would have created the private repository sphera/orders on GitHub (https://github.com/sphera/orders), described "Orders API"` {
		t.Errorf("create_repository: %q", p)
	}
	if p := a.Steps[1].Output["preview"]; !strings.Contains(p, "one commit to main of sphera/orders with these 11 files: .dockerignore, .github/CODEOWNERS, .github/workflows/ci.yml,") {
		t.Errorf("push: %q", p)
	}
	if p := a.Steps[4].Output["preview"]; !strings.Contains(p, `pull request "New service orders (team payments): infrastructure for dev" on sphera/infra from branch atrium/new-service-orders into main, with these 4 files: envs/dev/eu-west-1/orders/iam.tf,`) {
		t.Errorf("pull request: %q", p)
	}
	if p := a.Steps[5].Output["preview"]; !strings.Contains(p, "to dev-1 in namespace payments (which the platform provides, with the agent's RoleBinding): serviceaccount.yaml, deployment.yaml, service.yaml") {
		t.Errorf("deploy: %q", p)
	}
	if s, err := e.db.GetService(ctx, "orders"); err != nil || s.Template != "go-http-service@v1" || s.CreatedByAction != a.ID {
		t.Errorf("catalog: %+v %v", s, err)
	}
	if e.gh.Exists("sphera", "orders") || e.gh.Counts().Writes[githubtest.KindCreateRepo] != 0 {
		t.Error("the preview created a repository")
	}
}

// TestRequestsAreIdempotentAndBrokenTemplatesRefused: the same request under the same key returns the first action
// even once the run registered the name it checked; a template whose skeleton does not render cannot be asked for.
func TestRequestsAreIdempotentAndBrokenTemplatesRefused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	a := e.request(t, "orders")
	a = e.run(t, a.ID)
	if _, err := e.db.GetService(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	again, created, err := e.svc.Request(ctx, dana, "create-orders", actions.Request{Kind: actions.KindServiceCreate,
		Environment: "dev", Params: json.RawMessage(`{"parameters":{"description":"Orders API","team":"payments","name":"orders"},"template":"go-http-service"}`)})
	if err != nil || created || again.ID != a.ID {
		t.Fatalf("the same request again: %v %v %s", created, err, again.ID)
	}
	if _, _, err := e.svc.Request(ctx, dana, "create-orders", actions.Request{Kind: actions.KindServiceCreate,
		Environment: "dev", Params: json.RawMessage(`{"template":"go-http-service","parameters":{"name":"other","team":"payments"}}`)}); !errors.Is(err, actions.ErrIdempotencyConflict) {
		t.Errorf("the key for another request: %v", err)
	}

	broken := fstest.MapFS{
		"bad/template.yaml":         {Data: []byte("apiVersion: atrium.sphera.io/v1\nkind: Template\nname: bad\ntitle: Bad\nlanguage: Go\n")},
		"bad/skeleton/main.go.tmpl": {Data: []byte("package {{ .name | nosuchfunc }}\n")},
	}
	rq := golden.Requests{Registry: scaffold.NewRegistry(scaffold.Builtin(), scaffold.Source{Name: "github:sphera/templates", FS: broken}),
		Target: target(), Checker: golden.CatalogChecker{Catalog: e.db}}
	e.svc.Preparers[actions.KindServiceCreate] = rq
	_, _, err = e.svc.Request(ctx, dana, "bad-1", actions.Request{Kind: actions.KindServiceCreate, Environment: "dev",
		Params: json.RawMessage(`{"template":"bad","parameters":{"name":"bad-one","team":"payments"}}`)})
	var ps problem.Problems
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Path != "/params/template" || !strings.Contains(ps[0].Summary, "template is broken") {
		t.Fatalf("a broken template: %v", err)
	}
	if list, _ := e.svc.Store.List(ctx, actions.Filter{}); len(list) != 1 {
		t.Errorf("%d actions stored", len(list))
	}
}

// TestApprovalPolicyHoldsTheRun: in an environment whose policy asks for an approval, a new service waits for it
// before anything is created; an owner of the team approves, and the run starts.
func TestApprovalPolicyHoldsTheRun(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	owners := []string{"team_owner"}
	env := e.svc.Config.Environments["dev"]
	env.Approvers = &owners
	e.svc.Config.Environments["dev"] = env
	a := e.request(t, "orders")
	if a.State != actions.StatePendingApproval || len(a.Steps) != 0 {
		t.Fatalf("requested: %s", a.State)
	}
	if ran, _ := e.w.RunOnce(ctx); ran || e.gh.Exists("sphera", "orders") {
		t.Fatal("the run started before its approval")
	}
	olga := auth.Principal{Subject: "olga", Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}}
	if _, err := e.svc.Decide(ctx, olga, a.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if a = e.run(t, a.ID); a.Steps[0].State != actions.StepSucceeded || !e.gh.Exists("sphera", "orders") {
		t.Fatalf("after the approval: %s %s", a.State, states(a))
	}
}

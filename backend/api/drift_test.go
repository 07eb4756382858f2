package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/gitops"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/drift"
	awssrc "github.com/sphera/atrium/internal/sources/aws"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
	"github.com/sphera/atrium/internal/store"
)

// deployHPA is the gitops repository's declaration of payments-api's autoscaler in prod-eu-1.
const deployHPA = `# payments-api's autoscaler; reviewed by the payments team.
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: payments-api
  namespace: payments
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: payments-api}
  minReplicas: 3
  maxReplicas: 10 # enough for Black Friday 2025
`

// driftPortal is a portal with drift: a gitops repository on a GitHub fake declaring payments-api's autoscaler
// (live someone raised its maxReplicas to 25), production's two regions listed (a queue the portal created is gone
// from us-east-1; a queue nobody declared lives in eu-west-1), and the agents' queue.
func driftPortal(t *testing.T, reapply ...string) (*portal, *githubtest.Server, *agent.Queue, map[string]string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := demo.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	gh := githubtest.New(t)
	gh.AddOrg("acme")
	gh.AddRepo("acme", githubtest.Repo{Name: "deploy", Files: map[string]string{
		"clusters/prod-eu-1/payments/hpa.yaml": deployHPA}})
	client, err := gitops.NewClient(gh.URL, gh.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	acfg := actions.Config{Environments: map[string]actions.Environment{
		"production": {Regions: []string{"eu-west-1", "us-east-1"}, Delivery: actions.DeliveryDirect}}}
	if err := acfg.Check(); err != nil {
		t.Fatal(err)
	}
	acts := actions.NewService(db.SQL(), acfg, db)
	// The queue the portal created in both regions.
	created, _, err := acts.Request(ctx, auth.Principal{Subject: "dana", Grants: []auth.Grant{{Role: auth.RoleAdmin}}}, "q1",
		actions.Request{Kind: actions.KindSQSQueue, Service: "payments-api", Environment: "production", Region: "us-east-1",
			Params: json.RawMessage(`{"name":"orders-events","visibility_timeout_seconds":45}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `UPDATE actions SET state = 'succeeded' WHERE id = ?`, created.ID); err != nil {
		t.Fatal(err)
	}
	cfg := &drift.Config{GitOps: []drift.GitOpsRepo{{Repo: "acme/deploy", Kubernetes: "clusters/{cluster}"}},
		Reapply: append([]string{"staging"}, reapply...)}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	eng := &drift.Engine{DB: db, Config: cfg, Proposals: true, Requested: acts.Store.Succeeded,
		Creatable: func(env, region string) bool { return env == "production" },
		Clusters:  []drift.ClusterInfo{{Name: "prod-eu-1", Environment: "production", Region: "eu-west-1"}},
		Regions: []drift.RegionInfo{{Environment: "production", Region: "eu-west-1", Services: []string{"sqs", "sns"}},
			{Environment: "production", Region: "us-east-1", Services: []string{"sqs", "sns"}}},
		Files: func(ctx context.Context, repo string, _ []string) (drift.RepoFiles, error) {
			content, _ := gh.File("acme", "deploy", "main", "clusters/prod-eu-1/payments/hpa.yaml")
			return drift.RepoFiles{Repo: repo, Head: gh.Head("acme", "deploy"), DefaultBranch: "main",
				Files: map[string][]byte{"clusters/prod-eu-1/payments/hpa.yaml": []byte(content)}}, nil
		}}
	hpa := &catalog.LiveObject{Object: map[string]any{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
		"metadata": map[string]any{"name": "payments-api", "namespace": "payments"},
		"spec": map[string]any{"minReplicas": 3.0, "maxReplicas": 25.0,
			"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "payments-api"}}},
		Manager: "kubectl-edit", ChangedAt: time.Date(2026, 11, 20, 14, 2, 11, 0, time.UTC)}
	eng.ObserveCluster(drift.ClusterView{Name: "prod-eu-1", Environment: "production", Region: "eu-west-1", Known: true,
		Workloads: []catalog.Workload{{Deployment: catalog.Deployment{Cluster: "prod-eu-1", Namespace: "payments",
			Kind: "Deployment", Name: "payments-api"}, AnnotationService: "payments-api",
			Live: &catalog.LiveObject{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
				"metadata": map[string]any{"name": "payments-api", "namespace": "payments"}, "spec": map[string]any{}}},
			AutoscalerLive: hpa}}})
	listed := map[string]bool{"sqs": true, "sns": true}
	eng.ObserveRegion(awssrc.Inventory{Environment: "production", Region: "eu-west-1", Listed: listed, Failed: map[string]string{},
		Queues: []awssrc.Queue{{Name: "tmp-debug", Attributes: map[string]string{}, Tags: map[string]string{}}}})
	eng.ObserveRegion(awssrc.Inventory{Environment: "production", Region: "us-east-1", Listed: listed, Failed: map[string]string{}})
	if _, err := eng.Detect(ctx); err != nil {
		t.Fatal(err)
	}
	queue := agent.NewQueue(db.SQL(), agent.Config{}, nil)
	svc := &drift.Service{DB: db, Engine: eng, Actions: acts, Agents: queue, GitHub: client, Audit: audit.Log{DB: db.SQL()}}
	tokens := map[string]string{}
	for name, g := range map[string]auth.Grant{"dana": {Role: auth.RoleDeveloper, Team: "payments"},
		"sam": {Role: auth.RoleDeveloper, Team: "search"}, "pat": {Role: auth.RolePlatformApprover}} {
		s, _, err := auth.Tokens{DB: db.SQL()}.Create(ctx, auth.Token{Name: name, Subject: name, Grants: []auth.Grant{g}}, "")
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = s
	}
	srv := httptest.NewServer((&api.Portal{DB: db, Actions: acts, Drift: svc}).Handler())
	t.Cleanup(srv.Close)
	return &portal{t: t, url: srv.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}, gh, queue, tokens
}

func driftByKind(t *testing.T, items []catalog.DriftItem, kind, typ string) catalog.DriftItem {
	t.Helper()
	for _, it := range items {
		if it.Kind == kind && it.ResourceType == typ {
			return it
		}
	}
	t.Fatalf("no %s %s among %+v", kind, typ, items)
	return catalog.DriftItem{}
}

// TestDriftOverHTTP: everyone with a role reads the items; the owning team acknowledges and silences them with a
// reason (another team may not, nor anybody but the platform items of no service), each audited, bad input
// refused with nothing stored; the fixes open a pull request with the live value (once per drift), ask for the
// missing copy through the same action, and refuse what does not apply.
func TestDriftOverHTTP(t *testing.T) {
	p, gh, _, tok := driftPortal(t)
	var list api.DriftList
	// The Deployment is live and declared nowhere (only its autoscaler is): unmanaged too.
	if st, _ := p.do("GET", "/api/v1/drift", tok["sam"], "", nil, &list); st != 200 || len(list.Items) != 4 {
		t.Fatalf("list: %d %+v", st, list)
	}
	changed := driftByKind(t, list.Items, catalog.DriftChanged, "HorizontalPodAutoscaler")
	missing := driftByKind(t, list.Items, catalog.DriftMissing, catalog.DriftSQSQueue)
	unmanaged := driftByKind(t, list.Items, catalog.DriftUnmanaged, catalog.DriftSQSQueue)
	_ = driftByKind(t, list.Items, catalog.DriftUnmanaged, "Deployment")
	if len(changed.Fields) != 1 || changed.Fields[0].Path != "spec.maxReplicas" || changed.Fields[0].Desired != "10" ||
		changed.Fields[0].Live != "25" || changed.LastChangedBy != "kubectl-edit" || changed.Team != "payments" ||
		strings.Join(changed.Fixes, ",") != "pull_request" {
		t.Fatalf("changed: %+v", changed)
	}
	if unmanaged.Service != "" || missing.Region != "us-east-1" || strings.Join(missing.Fixes, ",") != "create" {
		t.Fatalf("unmanaged %+v, missing %+v", unmanaged, missing)
	}
	var only api.DriftList
	if st, _ := p.do("GET", "/api/v1/drift?service=payments-api&kind=changed", tok["dana"], "", nil, &only); st != 200 || len(only.Items) != 1 {
		t.Fatalf("filtered: %d %+v", st, only)
	}
	var e errBody
	if st, _ := p.do("GET", "/api/v1/drift?kind=weird", tok["dana"], "", nil, &e); st != 400 || !strings.Contains(e.fields(), "kind") {
		t.Fatalf("bad kind: %d %+v", st, e)
	}

	ackPath := "/api/v1/drift/" + changed.ID + "/acknowledge"
	for _, bad := range []struct{ body, field string }{
		{`{"reason":"  "}`, "reason"},
		{`{"reason":"ok","until":"2020-01-01T00:00:00Z"}`, "until"},
		{`{"reason":"ok","until":"` + time.Now().Add(200*24*time.Hour).UTC().Format(time.RFC3339) + `"}`, "until"},
	} {
		if st, _ := p.do("POST", ackPath, tok["dana"], bad.body, nil, &e); st != 400 || !strings.Contains(e.fields(), bad.field) {
			t.Fatalf("%s: %d %+v", bad.body, st, e)
		}
	}
	var it catalog.DriftItem
	if st, _ := p.do("GET", "/api/v1/drift/"+changed.ID, tok["dana"], "", nil, &it); st != 200 || it.Acknowledgement != nil {
		t.Fatalf("after refused input: %d %+v", st, it)
	}
	if st, _ := p.do("POST", ackPath, tok["sam"], `{"reason":"not mine"}`, nil, &e); st != 403 {
		t.Fatalf("another team's developer: %d", st)
	}
	if st, _ := p.do("POST", ackPath, tok["dana"], `{"reason":"raised for the incident INC-42; PR follows"}`, nil, &it); st != 200 ||
		it.State != catalog.DriftAcknowledged || it.Acknowledgement.By != "dana" {
		t.Fatalf("acknowledge: %d %+v", st, it)
	}
	// Items of no service are the platform's.
	uPath := "/api/v1/drift/" + unmanaged.ID + "/acknowledge"
	if st, _ := p.do("POST", uPath, tok["dana"], `{"reason":"mine?"}`, nil, &e); st != 403 {
		t.Fatalf("a developer on an item of no service: %d", st)
	}
	until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	if st, _ := p.do("POST", uPath, tok["pat"], `{"reason":"load test queue, deleted Friday","until":"`+until.Format(time.RFC3339)+`"}`,
		nil, &it); st != 200 || it.State != catalog.DriftSilenced || !it.Acknowledgement.Until.Equal(until) {
		t.Fatalf("silence: %d %+v", st, it)
	}
	if st, _ := p.do("DELETE", "/api/v1/drift/"+changed.ID+"/acknowledgement", tok["dana"], "", nil, &it); st != 200 ||
		it.State != catalog.DriftOpen {
		t.Fatalf("unacknowledge: %d %+v", st, it)
	}
	events, err := audit.Log{DB: p.db.SQL()}.Query(context.Background(), audit.Filter{Action: "drift."})
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, ev := range events {
		reason, _ := ev.Detail["reason"].(string)
		if ev.Outcome == audit.Denied {
			reason = "" // the policy's, not the caller's
		}
		trail = append(trail, strings.TrimSpace(ev.Actor+" "+ev.Action+" "+ev.Outcome+" "+reason))
	}
	got := strings.Join(trail, "\n")
	for _, want := range []string{"sam drift.acknowledged denied", "dana drift.acknowledged success raised for the incident INC-42; PR follows",
		"dana drift.acknowledged denied", "pat drift.silenced success load test queue, deleted Friday", "dana drift.unacknowledged success"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, got)
		}
	}

	// Fixes.
	fixPath := "/api/v1/drift/" + changed.ID + "/fix"
	if st, _ := p.do("POST", fixPath, tok["dana"], `{"kind":"delete-everything"}`, nil, &e); st != 400 {
		t.Fatalf("bad fix kind: %d", st)
	}
	if st, _ := p.do("POST", fixPath, tok["dana"], `{"kind":"reapply"}`, nil, &e); st != 409 || e.Error.Code != "fix_unavailable" {
		t.Fatalf("re-apply where policy does not allow it: %d %+v", st, e)
	}
	if st, _ := p.do("POST", fixPath, tok["sam"], `{"kind":"pull_request"}`, nil, &e); st != 403 {
		t.Fatalf("another team fixes: %d", st)
	}
	var res drift.FixResult
	if st, _ := p.do("POST", fixPath, tok["dana"], `{"kind":"pull_request"}`, map[string]string{"Idempotency-Key": "first"}, &res); st != 200 || res.PullRequest == "" ||
		res.Item.Fix == nil || res.Item.Fix.URL != res.PullRequest {
		t.Fatalf("pull request: %d %+v", st, res)
	}
	pulls := gh.Pulls("acme", "deploy")
	if len(pulls) != 1 || !strings.Contains(pulls[0].Body, "`spec.maxReplicas`: 10 → **25**") || !strings.Contains(pulls[0].Body, "kubectl-edit") {
		t.Fatalf("pull requests: %+v", pulls)
	}
	content, ok := gh.File("acme", "deploy", pulls[0].Head, "clusters/prod-eu-1/payments/hpa.yaml")
	if !ok || !strings.Contains(content, "maxReplicas: 25 # enough for Black Friday 2025") ||
		!strings.Contains(content, "# payments-api's autoscaler; reviewed by the payments team.") {
		t.Fatalf("proposed file:\n%s", content)
	}
	// Asked again, with another idempotency key (another window): the same pull request.
	if st, _ := p.do("POST", fixPath, tok["dana"], `{"kind":"pull_request"}`, map[string]string{"Idempotency-Key": "another"}, &res); st != 200 ||
		len(gh.Pulls("acme", "deploy")) != 1 || !strings.HasSuffix(res.PullRequest, "/pull/1") {
		t.Fatalf("asked twice: %d, %d pull requests", st, len(gh.Pulls("acme", "deploy")))
	}
	if st, _ := p.do("POST", "/api/v1/drift/"+missing.ID+"/fix", tok["dana"], `{"kind":"create"}`, nil, &res); st != 200 ||
		res.Action == nil || res.Action.Kind != actions.KindSQSQueue || res.Action.Region != "us-east-1" ||
		res.Action.Service != "payments-api" || !strings.Contains(string(res.Action.Params), `"visibility_timeout_seconds":45`) ||
		res.Action.State != actions.StatePendingApproval || res.Item.Fix.Action != res.Action.ID {
		t.Fatalf("create: %d %+v", st, res)
	}
}

// Where drift.reapply allows it, the fix asks the cluster's agent to apply the declaration again: one work item per
// drift (asking twice queues it once), holding the declared object, for that cluster.
func TestDriftReapplyThroughTheAgent(t *testing.T) {
	p, _, queue, tok := driftPortal(t, "production")
	var list api.DriftList
	if st, _ := p.do("GET", "/api/v1/drift", tok["dana"], "", nil, &list); st != 200 {
		t.Fatal(st)
	}
	changed := driftByKind(t, list.Items, catalog.DriftChanged, "HorizontalPodAutoscaler")
	if strings.Join(changed.Fixes, ",") != "pull_request,reapply" {
		t.Fatalf("fixes: %v", changed.Fixes)
	}
	var res drift.FixResult
	for range 2 {
		if st, _ := p.do("POST", "/api/v1/drift/"+changed.ID+"/fix", tok["dana"], `{"kind":"reapply"}`, nil, &res); st != 200 ||
			res.Work == nil || res.Work.Cluster != "prod-eu-1" || res.Item.Fix.Work != res.Work.ID {
			t.Fatalf("reapply: %d %+v", st, res)
		}
	}
	// What the cluster's agent gets: one item, the declaration.
	it, ok, err := queue.Lease(context.Background(), "prod-eu-1", "agent-test")
	if err != nil || !ok || it.ID != res.Work.ID || len(it.Payload.Apply) != 1 || it.Payload.Namespace != "payments" ||
		!strings.Contains(string(it.Payload.Apply[0]), `"maxReplicas":10`) ||
		!strings.Contains(string(it.Payload.Apply[0]), `"kind":"HorizontalPodAutoscaler"`) {
		t.Fatalf("leased work: %+v %v %v", it, ok, err)
	}
	if _, more, err := queue.Lease(context.Background(), "prod-eu-1", "agent-test"); err != nil || more {
		t.Fatalf("a second item: %v %v", more, err)
	}
}

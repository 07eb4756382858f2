package gitops_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/gitops"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
)

const ghToken = "ghp_test_token"

func gitopsEnv() actions.GitOps {
	return actions.GitOps{Repo: "sphera/infra", Base: "main", Path: "envs/{environment}/{region}/{service}"}
}

func action(kind actions.Kind, params string) actions.Action {
	return actions.Action{ID: "act_0123456789abcdef", Requester: "dana", Team: "payments", Service: "checkout",
		Kind: kind, Params: json.RawMessage(params), Environment: "production", Region: "eu-west-1",
		Delivery: actions.DeliveryGitOps}
}

// parse parses generated Terraform back with HCL's own parser and returns its blocks by "type.label0.label1".
func parse(t *testing.T, f gitops.File) map[string]*hclsyntax.Block {
	t.Helper()
	file, diags := hclparse.NewParser().ParseHCL(f.Content, f.Path)
	if diags.HasErrors() {
		t.Fatalf("generated HCL does not parse: %v\n%s", diags, f.Content)
	}
	blocks := map[string]*hclsyntax.Block{}
	for _, b := range file.Body.(*hclsyntax.Body).Blocks {
		blocks[b.Type+"."+strings.Join(b.Labels, ".")] = b
	}
	return blocks
}

func attr(t *testing.T, b *hclsyntax.Block, name string) cty.Value {
	t.Helper()
	a, ok := b.Body.Attributes[name]
	if !ok {
		t.Fatalf("block %s %v has no attribute %s", b.Type, b.Labels, name)
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("attribute %s: %v", name, diags)
	}
	return v
}

func traversal(t *testing.T, b *hclsyntax.Block, name string) string {
	t.Helper()
	tr, diags := hcl.AbsTraversalForExpr(b.Body.Attributes[name].Expr)
	if diags.HasErrors() {
		t.Fatalf("attribute %s is not a reference: %v", name, diags)
	}
	var parts []string
	for _, s := range tr {
		switch s := s.(type) {
		case hcl.TraverseRoot:
			parts = append(parts, s.Name)
		case hcl.TraverseAttr:
			parts = append(parts, s.Name)
		}
	}
	return strings.Join(parts, ".")
}

func TestGeneratedTerraformParsesBack(t *testing.T) {
	q, err := gitops.Generate(gitopsEnv(), action(actions.KindSQSQueue,
		`{"name":"orders.fifo","fifo":true,"visibility_timeout_seconds":60,"message_retention_seconds":86400}`))
	if err != nil {
		t.Fatal(err)
	}
	if q.Path != "envs/production/eu-west-1/checkout/sqs_orders.fifo.tf" {
		t.Errorf("path %s", q.Path)
	}
	b := parse(t, q)["resource.aws_sqs_queue.orders_fifo"]
	if b == nil {
		t.Fatalf("no queue resource:\n%s", q.Content)
	}
	if attr(t, b, "name").AsString() != "orders.fifo" || attr(t, b, "fifo_queue") != cty.True ||
		attr(t, b, "visibility_timeout_seconds").AsBigFloat().String() != "60" ||
		attr(t, b, "message_retention_seconds").AsBigFloat().String() != "86400" {
		t.Errorf("queue attributes:\n%s", q.Content)
	}
	if tags := attr(t, b, "tags").AsValueMap(); tags["atrium:team"].AsString() != "payments" || tags["atrium:action"].AsString() != "act_0123456789abcdef" {
		t.Errorf("tags: %v", tags)
	}

	s, err := gitops.Generate(gitopsEnv(), action(actions.KindSNSTopic,
		`{"name":"payments-settled","subscribe_queue":"ledger-inbox","raw_message_delivery":true}`))
	if err != nil {
		t.Fatal(err)
	}
	blocks := parse(t, s)
	topic := blocks["resource.aws_sns_topic.payments-settled"]
	data := blocks["data.aws_sqs_queue.payments-settled_ledger-inbox"]
	sub := blocks["resource.aws_sns_topic_subscription.payments-settled_ledger-inbox"]
	if topic == nil || data == nil || sub == nil {
		t.Fatalf("blocks %v:\n%s", blocks, s.Content)
	}
	if attr(t, topic, "name").AsString() != "payments-settled" || attr(t, data, "name").AsString() != "ledger-inbox" ||
		attr(t, sub, "protocol").AsString() != "sqs" || attr(t, sub, "raw_message_delivery") != cty.True {
		t.Errorf("topic:\n%s", s.Content)
	}
	if got := traversal(t, sub, "topic_arn"); got != "aws_sns_topic.payments-settled.arn" {
		t.Errorf("topic_arn = %s", got)
	}
	if got := traversal(t, sub, "endpoint"); got != "data.aws_sqs_queue.payments-settled_ledger-inbox.arn" {
		t.Errorf("endpoint = %s", got)
	}

	// Names that need quoting in HCL stay data, never code; names that would leave the directory are refused.
	odd := action(actions.KindSQSQueue, `{"name":"q"}`)
	odd.Team, odd.Requester = `pay"${file("/etc/passwd")}`, "eve\n}\nresource \"x\" \"y\" {"
	f, err := gitops.Generate(gitopsEnv(), odd)
	if err != nil {
		t.Fatal(err)
	}
	blocks = parse(t, f)
	if len(blocks) != 1 {
		t.Errorf("injected blocks: %v", blocks)
	}
	tags := attr(t, blocks["resource.aws_sqs_queue.q"], "tags").AsValueMap()
	if tags["atrium:team"].AsString() != odd.Team {
		t.Errorf("team tag %q", tags["atrium:team"].AsString())
	}
	odd.Service = "../../global"
	if _, err := gitops.Generate(gitopsEnv(), odd); err == nil || !actions.IsPermanent(err) {
		t.Errorf("path escape: %v", err)
	}
}

func executor(t *testing.T, gh *fakeGitHub) *gitops.Executor {
	t.Helper()
	cfg := actions.Config{Environments: map[string]actions.Environment{
		"production": {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryGitOps, GitOps: gitopsEnv()}},
		GitHub: actions.GitHubConfig{APIURL: gh.url, Token: ghToken}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	ex, err := gitops.New(cfg)
	if err != nil || ex == nil {
		t.Fatalf("executor: %v", err)
	}
	return ex
}

func TestPullRequestIsOpenedOnceAndTracked(t *testing.T) {
	ctx := context.Background()
	gh := newFakeGitHub(t, "sphera", "infra", ghToken)
	ex := executor(t, gh)
	a := action(actions.KindSQSQueue, `{"name":"orders"}`)

	out, err := ex.Execute(ctx, a)
	if err != nil || out.Done || out.Result["pr_number"] != "1" || !strings.HasSuffix(out.Result["pr_url"], "/pull/1") {
		t.Fatalf("first run: %+v %v", out, err)
	}
	path := "envs/production/eu-west-1/checkout/sqs_orders.tf"
	if out.Result["path"] != path || out.Result["branch"] != "atrium/"+a.ID || len(gh.file("atrium/"+a.ID, path)) == 0 {
		t.Fatalf("file not on the branch: %+v", out.Result)
	}
	// Run again (a retry, a resumed action): the same pull request, nothing written twice.
	for range 2 {
		again, err := ex.Execute(ctx, a)
		if err != nil || again.Done || again.Result["pr_number"] != "1" {
			t.Fatalf("re-run: %+v %v", again, err)
		}
	}
	if gh.count("POST pulls") != 1 || gh.count("PUT contents") != 1 || gh.count("POST ref") != 1 {
		t.Errorf("writes: %v", gh.calls)
	}
	// A crash between the branch and the pull request: the next run finds the branch and the file and opens it.
	b := action(actions.KindSQSQueue, `{"name":"payments"}`)
	b.ID = "act_bbbbbbbbbbbbbbbb"
	out, err = ex.Execute(ctx, b)
	if err != nil || out.Result["pr_number"] != "2" {
		t.Fatalf("second action: %+v %v", out, err)
	}

	gh.merge(1)
	done, err := ex.Execute(ctx, a)
	if err != nil || !done.Done || done.Result["merge_commit"] == "" {
		t.Fatalf("after merge: %+v %v", done, err)
	}
	if len(gh.file("main", path)) == 0 {
		t.Error("merged file not on main")
	}
	gh.close(2)
	if _, err := ex.Execute(ctx, b); err == nil || !actions.IsPermanent(err) || !strings.Contains(err.Error(), "closed without being merged") {
		t.Errorf("closed PR: %v", err)
	}
}

func TestBadGitHubCredentialsFailPermanently(t *testing.T) {
	gh := newFakeGitHub(t, "sphera", "infra", "another-token")
	_, err := executor(t, gh).Execute(context.Background(), action(actions.KindSQSQueue, `{"name":"orders"}`))
	if err == nil || !actions.IsPermanent(err) {
		t.Errorf("bad credentials: %v", err)
	}
}

func TestGitOpsActionEndToEnd(t *testing.T) {
	ctx := context.Background()
	gh := newFakeGitHub(t, "sphera", "infra", ghToken)
	db, err := store.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.PutServices(ctx, []catalog.Service{{Name: "checkout", Owner: "payments", Description: "x",
		Lifecycle: "production", Type: "service", Language: "Go", Source: "manual"}}); err != nil {
		t.Fatal(err)
	}
	ex := executor(t, gh)
	cfg := ex.Config
	cfg.Worker.Poll = 10 * time.Millisecond
	svc := actions.NewService(db.SQL(), cfg, db)
	w := actions.NewWorker(svc.Store, map[string]actions.Executor{actions.DeliveryGitOps: ex}, cfg.Worker, slog.New(slog.DiscardHandler))
	dev := auth.Principal{Subject: "dana", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}
	approver := auth.Principal{Subject: "pat", Grants: []auth.Grant{{Role: auth.RolePlatformApprover}}}

	a, _, err := svc.Request(ctx, dev, "k", actions.Request{Kind: actions.KindSNSTopic, Service: "checkout",
		Environment: "production", Region: "eu-west-1", Params: json.RawMessage(`{"name":"checkout-done","subscribe_queue":"ledger"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Decide(ctx, approver, a.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	run := func() {
		t.Helper()
		time.Sleep(20 * time.Millisecond) // past the poll interval
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	run()
	a, _ = svc.Store.Get(ctx, a.ID)
	if a.State != actions.StateRunning || a.Result["pr_url"] == "" {
		t.Fatalf("after opening the PR: %+v", a)
	}
	run() // still open: nothing new
	if gh.count("POST pulls") != 1 {
		t.Errorf("pulls opened: %d", gh.count("POST pulls"))
	}
	var body string
	gh.mu.Lock()
	body = gh.pulls[0].Body
	gh.mu.Unlock()
	if !strings.Contains(body, "approved by pat") || !strings.Contains(body, "dana") {
		t.Errorf("PR body: %s", body)
	}
	gh.merge(1)
	run()
	a, _ = svc.Store.Get(ctx, a.ID)
	if a.State != actions.StateSucceeded || a.Result["merge_commit"] == "" || a.Result["pr_url"] == "" || a.Attempts != 1 {
		t.Fatalf("after merge: %+v", a)
	}
	var notes []string
	for _, h := range a.History {
		notes = append(notes, string(h.To)+":"+h.Message)
	}
	joined := strings.Join(notes, "\n")
	if strings.Count(joined, "pull request #1 open") != 1 || !strings.HasSuffix(joined, "succeeded:succeeded") {
		t.Errorf("history:\n%s", joined)
	}
}

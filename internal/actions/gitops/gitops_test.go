package gitops_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
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
	"github.com/sphera/atrium/internal/sources/github/githubtest"
	"github.com/sphera/atrium/internal/store"
)

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
	return traversalString(tr)
}

// listRef reads an attribute that is a list of one reference.
func listRef(t *testing.T, b *hclsyntax.Block, name string) string {
	t.Helper()
	tuple, ok := b.Body.Attributes[name].Expr.(*hclsyntax.TupleConsExpr)
	if !ok || len(tuple.Exprs) != 1 {
		t.Fatalf("attribute %s is not a list of one element", name)
	}
	tr, diags := hcl.AbsTraversalForExpr(tuple.Exprs[0])
	if diags.HasErrors() {
		t.Fatalf("attribute %s does not hold a reference: %v", name, diags)
	}
	return traversalString(tr)
}

func traversalString(tr hcl.Traversal) string {
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
	// SNS delivers only to a queue whose policy lets the topic send: sns.amazonaws.com may sqs:SendMessage to this
	// queue when the message comes from this topic (aws:SourceArn), the statement the direct path adds.
	doc := blocks["data.aws_iam_policy_document.payments-settled_ledger-inbox"]
	qp := blocks["resource.aws_sqs_queue_policy.payments-settled_ledger-inbox"]
	if doc == nil || qp == nil {
		t.Fatalf("no queue policy: blocks %v:\n%s", blocks, s.Content)
	}
	if got := traversal(t, qp, "queue_url"); got != "data.aws_sqs_queue.payments-settled_ledger-inbox.url" {
		t.Errorf("queue_url = %s", got)
	}
	if got := traversal(t, qp, "policy"); got != "data.aws_iam_policy_document.payments-settled_ledger-inbox.json" {
		t.Errorf("policy = %s", got)
	}
	var st *hclsyntax.Block
	for _, b := range doc.Body.Blocks {
		if b.Type == "statement" {
			st = b
		}
	}
	if st == nil || attr(t, st, "sid").AsString() != "atrium-sns-payments-settled" || attr(t, st, "effect").AsString() != "Allow" ||
		attr(t, st, "actions").Index(cty.NumberIntVal(0)).AsString() != "sqs:SendMessage" {
		t.Fatalf("statement:\n%s", s.Content)
	}
	inner := map[string]*hclsyntax.Block{}
	for _, b := range st.Body.Blocks {
		inner[b.Type] = b
	}
	if p := inner["principals"]; p == nil || attr(t, p, "type").AsString() != "Service" ||
		attr(t, p, "identifiers").Index(cty.NumberIntVal(0)).AsString() != "sns.amazonaws.com" {
		t.Errorf("principals:\n%s", s.Content)
	}
	c := inner["condition"]
	if c == nil || attr(t, c, "test").AsString() != "ArnEquals" || attr(t, c, "variable").AsString() != "aws:SourceArn" {
		t.Fatalf("condition:\n%s", s.Content)
	}
	if got := listRef(t, c, "values"); got != "aws_sns_topic.payments-settled.arn" {
		t.Errorf("condition values = [%s]", got)
	}
	if got := listRef(t, st, "resources"); got != "data.aws_sqs_queue.payments-settled_ledger-inbox.arn" {
		t.Errorf("resources = [%s]", got)
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

// infra starts the fake GitHub of the GitHub collector's tests with the infrastructure repository gitopsEnv names.
func infra(t *testing.T) *githubtest.Server {
	t.Helper()
	gh := githubtest.New(t)
	gh.AddOrg("sphera")
	gh.AddRepo("sphera", githubtest.Repo{Name: "infra", Files: map[string]string{"README.md": "infra\n"}})
	return gh
}

func config(t *testing.T, gh *githubtest.Server, token string) actions.Config {
	t.Helper()
	cfg := actions.Config{Environments: map[string]actions.Environment{
		"production": {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryGitOps, GitOps: gitopsEnv()}},
		GitHub: actions.GitHubConfig{APIURL: gh.URL, Token: token}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func executor(t *testing.T, gh *githubtest.Server, token string) *gitops.Executor {
	t.Helper()
	ex, err := gitops.New(config(t, gh, token))
	if err != nil || ex == nil {
		t.Fatalf("executor: %v", err)
	}
	return ex
}

// crashing stands for a portal that dies around opening a pull request: before the request leaves (the branch and
// the file are written, the pull request is not), or after GitHub opened it but before the answer was recorded.
type crashing struct{ afterSend bool }

func (c crashing) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/pulls") {
		return http.DefaultTransport.RoundTrip(req)
	}
	if !c.afterSend {
		return nil, errors.New("simulated crash before opening the pull request")
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return nil, errors.New("simulated crash after GitHub opened the pull request")
}

func crashingExecutor(t *testing.T, gh *githubtest.Server, afterSend bool) *gitops.Executor {
	t.Helper()
	c, err := gitops.NewClient(gh.URL, gh.Token, &http.Client{Transport: crashing{afterSend: afterSend}})
	if err != nil {
		t.Fatal(err)
	}
	return &gitops.Executor{Config: config(t, gh, gh.Token), GitHub: c}
}

// prOf is the pull request whose head is branch, or nil.
func prOf(gh *githubtest.Server, branch string) *githubtest.PullRequest {
	var found *githubtest.PullRequest
	for _, p := range gh.Pulls("sphera", "infra") {
		if p.Head == branch {
			if found != nil {
				panic("two pull requests for " + branch)
			}
			found = &p
		}
	}
	return found
}

func TestPullRequestIsOpenedOnceAndTracked(t *testing.T) {
	ctx := context.Background()
	gh := infra(t)
	ex := executor(t, gh, gh.Token)
	a := action(actions.KindSQSQueue, `{"name":"orders"}`)

	out, err := ex.Execute(ctx, a)
	if err != nil || out.Done || out.Result["pr_number"] != "1" || !strings.HasSuffix(out.Result["pr_url"], "/pull/1") {
		t.Fatalf("first run: %+v %v", out, err)
	}
	path := "envs/production/eu-west-1/checkout/sqs_orders.tf"
	if out.Result["path"] != path || out.Result["branch"] != "atrium/"+a.ID {
		t.Fatalf("result: %+v", out.Result)
	}
	// The branch is a real branch of the repository: one commit on main holding the generated Terraform, which
	// parses back to the requested queue.
	tf, ok := gh.File("sphera", "infra", "atrium/"+a.ID, path)
	if !ok {
		t.Fatalf("file not on the branch: %+v", out.Result)
	}
	q := parse(t, gitops.File{Path: path, Content: []byte(tf)})["resource.aws_sqs_queue.orders"]
	if q == nil || attr(t, q, "name").AsString() != "orders" {
		t.Errorf("Terraform on the branch:\n%s", tf)
	}
	if readme, _ := gh.File("sphera", "infra", "atrium/"+a.ID, "README.md"); readme != "infra\n" {
		t.Errorf("the branch lost main's files: README.md %q", readme)
	}
	if _, onMain := gh.File("sphera", "infra", "main", path); onMain {
		t.Error("the file is on main before the pull request is merged")
	}
	// Run again (a retry, a resumed action): the same pull request, nothing written twice.
	for range 2 {
		again, err := ex.Execute(ctx, a)
		if err != nil || again.Done || again.Result["pr_number"] != "1" {
			t.Fatalf("re-run: %+v %v", again, err)
		}
	}
	if w := gh.Counts().Writes; w[githubtest.KindPulls] != 1 || w[githubtest.KindContents] != 1 || w[githubtest.KindRef] != 1 {
		t.Errorf("writes: %v", w)
	}

	// A crash after the branch and the file, before the pull request: the next run opens it, once, and writes
	// neither the branch nor the file again.
	b := action(actions.KindSQSQueue, `{"name":"payments"}`)
	b.ID = "act_bbbbbbbbbbbbbbbb"
	if _, err := crashingExecutor(t, gh, false).Execute(ctx, b); err == nil || actions.IsPermanent(err) {
		t.Fatalf("crash before the pull request: %v", err)
	}
	if _, ok := gh.File("sphera", "infra", "atrium/"+b.ID, "envs/production/eu-west-1/checkout/sqs_payments.tf"); !ok || prOf(gh, "atrium/"+b.ID) != nil {
		t.Fatalf("after the crash: file on the branch %v, pull request %+v", ok, prOf(gh, "atrium/"+b.ID))
	}
	gh.ResetCounts()
	out, err = ex.Execute(ctx, b)
	if pr := prOf(gh, "atrium/"+b.ID); err != nil || pr == nil || out.Result["pr_number"] != strconv.Itoa(pr.Number) {
		t.Fatalf("resumed after a crash before the pull request: %+v %v", out, err)
	}
	if w := gh.Counts().Writes; w[githubtest.KindPulls] != 1 || w[githubtest.KindContents] != 0 || w[githubtest.KindRef] != 0 {
		t.Errorf("writes when resuming: %v", w)
	}

	// A crash after GitHub opened the pull request but before the answer came back: the next run finds it.
	c := action(actions.KindSQSQueue, `{"name":"refunds"}`)
	c.ID = "act_cccccccccccccccc"
	if _, err := crashingExecutor(t, gh, true).Execute(ctx, c); err == nil || actions.IsPermanent(err) {
		t.Fatalf("crash after the pull request: %v", err)
	}
	opened := prOf(gh, "atrium/"+c.ID)
	if opened == nil {
		t.Fatal("the pull request was not opened before the crash")
	}
	gh.ResetCounts()
	out, err = ex.Execute(ctx, c)
	if err != nil || out.Result["pr_number"] != strconv.Itoa(opened.Number) || gh.Counts().Writes[githubtest.KindPulls] != 0 {
		t.Fatalf("resumed after a crash after the pull request: %+v %v, writes %v", out, err, gh.Counts().Writes)
	}
	if n := len(gh.Pulls("sphera", "infra")); n != 3 {
		t.Errorf("%d pull requests for 3 actions", n)
	}

	merge := gh.MergePull("sphera", "infra", 1)
	done, err := ex.Execute(ctx, a)
	if err != nil || !done.Done || done.Result["merge_commit"] != merge {
		t.Fatalf("after merge: %+v %v", done, err)
	}
	if merged, _ := gh.File("sphera", "infra", "main", path); merged != tf {
		t.Error("merged file not on main")
	}
	gh.ClosePull("sphera", "infra", prOf(gh, "atrium/"+b.ID).Number)
	if _, err := ex.Execute(ctx, b); err == nil || !actions.IsPermanent(err) || !strings.Contains(err.Error(), "closed without being merged") {
		t.Errorf("closed PR: %v", err)
	}
}

func TestBadGitHubCredentialsFailPermanently(t *testing.T) {
	gh := infra(t)
	_, err := executor(t, gh, "ghp_not_the_token").Execute(context.Background(), action(actions.KindSQSQueue, `{"name":"orders"}`))
	if err == nil || !actions.IsPermanent(err) || !strings.Contains(err.Error(), "401") {
		t.Errorf("bad credentials: %v", err)
	}
	if c := gh.Counts(); c.Rejected == 0 || len(gh.Pulls("sphera", "infra")) != 0 {
		t.Errorf("counts %+v", c)
	}
}

func TestGitOpsActionEndToEnd(t *testing.T) {
	ctx := context.Background()
	gh := infra(t)
	db, err := store.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	if _, err := db.PutServices(ctx, []catalog.Service{{Name: "checkout", Owner: "payments", Description: "x",
		Lifecycle: "production", Type: "service", Language: "Go", Source: "manual"}}); err != nil {
		t.Fatal(err)
	}
	ex := executor(t, gh, gh.Token)
	cfg := ex.Config
	cfg.Worker.Poll = 10 * time.Millisecond
	svc := actions.NewService(db.SQL(), cfg, db)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	svc.Store.Now = func() time.Time { return now }
	w := actions.NewWorker(svc.Store, map[string]actions.Executor{actions.DeliveryGitOps: ex}, cfg.Worker, slog.New(slog.DiscardHandler))
	dev := auth.Principal{Subject: "dana", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}
	approver := auth.Principal{Subject: "pat", Grants: []auth.Grant{{Role: auth.RolePlatformApprover}}}

	// The queue the topic subscribes is requested first (it stays pending here): a topic may subscribe only a
	// queue that exists or is on its way.
	if _, _, err := svc.Request(ctx, dev, "q", actions.Request{Kind: actions.KindSQSQueue, Service: "checkout",
		Environment: "production", Region: "eu-west-1", Params: json.RawMessage(`{"name":"ledger"}`)}); err != nil {
		t.Fatal(err)
	}
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
		now = now.Add(cfg.Worker.Poll) // the pull request is due for a check
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
	if n := gh.Counts().Writes[githubtest.KindPulls]; n != 1 {
		t.Errorf("pulls opened: %d", n)
	}
	pr := prOf(gh, "atrium/"+a.ID)
	if pr == nil || !strings.Contains(pr.Body, "approved by pat") || !strings.Contains(pr.Body, "dana") {
		t.Fatalf("PR: %+v", pr)
	}
	tf, _ := gh.File("sphera", "infra", pr.Head, a.Result["path"])
	if parse(t, gitops.File{Path: a.Result["path"], Content: []byte(tf)})["resource.aws_sns_topic.checkout-done"] == nil {
		t.Errorf("Terraform on the branch:\n%s", tf)
	}
	merge := gh.MergePull("sphera", "infra", pr.Number)
	run()
	a, _ = svc.Store.Get(ctx, a.ID)
	if a.State != actions.StateSucceeded || a.Result["merge_commit"] != merge || a.Result["pr_url"] == "" || a.Attempts != 1 {
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

// TestProposeASetOfFiles: a change of several files (the golden path's infrastructure pull request) is committed to
// its branch and proposed once; proposing it again writes nothing and finds the same pull request.
func TestProposeASetOfFiles(t *testing.T) {
	ctx := context.Background()
	gh := infra(t)
	c, err := gitops.NewClient(gh.URL, gh.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	change := gitops.Change{Repo: "sphera/infra", Branch: "atrium/service-orders", Title: "Infrastructure of orders",
		Body: "From template go-http-service", Message: "orders: infrastructure (Atrium)", Files: []gitops.File{
			{Path: "envs/dev/eu-west-1/orders/iam.tf", Content: []byte("# iam\n")},
			{Path: "envs/dev/eu-west-1/orders/kubernetes/deployment.yaml", Content: []byte("kind: Deployment\n")},
			{Path: "envs/staging/eu-west-1/orders/iam.tf", Content: []byte("# iam staging\n")}}}
	pr, err := gitops.Propose(ctx, c, change)
	if err != nil || pr.GetNumber() != 1 || pr.GetTitle() != "Infrastructure of orders" || pr.GetBase().GetRef() != "main" {
		t.Fatalf("propose: %+v %v", pr, err)
	}
	for _, f := range change.Files {
		if got, ok := gh.File("sphera", "infra", change.Branch, f.Path); !ok || got != string(f.Content) {
			t.Errorf("%s on the branch: %q %v", f.Path, got, ok)
		}
	}
	gh.ResetCounts()
	again, err := gitops.Propose(ctx, c, change)
	if err != nil || again.GetNumber() != 1 {
		t.Fatalf("again: %+v %v", again, err)
	}
	if w := gh.Counts().Writes; len(w) != 0 && (w[githubtest.KindPulls] != 0 || w[githubtest.KindContents] != 0 || w[githubtest.KindRef] != 0) {
		t.Errorf("proposing again wrote: %v", w)
	}
	if n := len(gh.Pulls("sphera", "infra")); n != 1 {
		t.Errorf("%d pull requests", n)
	}
	bad := change
	bad.Files = []gitops.File{{Path: "../escape.tf", Content: []byte("x")}}
	if _, err := gitops.Propose(ctx, c, bad); err == nil || !actions.IsPermanent(err) {
		t.Errorf("a path outside the repository: %v", err)
	}
}

// TestResourcePreview: what an approver sees before deciding is the Terraform the pull request will add — the same
// generator's file — with the pull request named; in a direct environment, the AWS calls in words.
func TestResourcePreview(t *testing.T) {
	ctx := context.Background()
	cfg := actions.Config{Environments: map[string]actions.Environment{
		"production": {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryGitOps, GitOps: gitopsEnv()},
		"staging":    {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryDirect},
	}}
	pv := gitops.ResourcePreviewer{Config: cfg}
	a := action(actions.KindSNSTopic, `{"name":"payments-settled","fifo":false,"subscribe_queue":"ledger-inbox"}`)
	p, err := pv.Preview(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := gitops.Generate(gitopsEnv(), a)
	if len(p.Files) != 1 || p.Files[0].Path != f.Path || p.Files[0].Content != string(f.Content) || p.Files[0].Language != "hcl" {
		t.Errorf("files: %+v", p.Files)
	}
	want := []string{
		"Creates the standard SNS topic payments-settled in production / eu-west-1, for checkout (team payments).",
		"Subscribes the SQS queue ledger-inbox to it, and lets the topic send to the queue: the queue's policy allows sns.amazonaws.com to sqs:SendMessage when aws:SourceArn is the topic.",
		"Delivered as a pull request to sphera/infra (into main) adding envs/production/eu-west-1/checkout/sns_payments-settled.tf; it exists once the pull request is merged and applied.",
	}
	if strings.Join(p.Summary, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary:\n%s", strings.Join(p.Summary, "\n"))
	}

	a.Environment = "staging"
	if p, err = pv.Preview(ctx, a); err != nil || len(p.Files) != 0 || len(p.Summary) != 4 ||
		!strings.Contains(p.Summary[2], "calls AWS itself") || !strings.Contains(p.Summary[3], "atrium-sns-payments-settled") {
		t.Errorf("direct: %+v %v", p, err)
	}
	a.Environment = "qa"
	if _, err := pv.Preview(ctx, a); err == nil {
		t.Error("an environment that is not configured was previewed")
	}
}

//go:build integration

// The executor against goaws, an SQS and SNS emulator (built by goawstest on first use, listening on 127.0.0.1):
// these tests build with the integration tag, which `task test` sets, so that `go test ./...` builds and starts
// no emulator.

package direct_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/direct"
	"github.com/sphera/atrium/internal/actions/direct/goawstest"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

func intp(i int) *int { return &i }

func TestEnsureQueueIsIdempotent(t *testing.T) {
	ctx := context.Background()
	g := goawstest.Start(t, "eu-west-1")
	q := g.SQS()
	p := actions.SQSQueueParams{Name: "orders-events", VisibilityTimeoutSeconds: intp(45)}
	first, err := direct.EnsureQueue(ctx, q, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(first["queue_url"], "/orders-events") || first["queue_arn"] != "arn:aws:sqs:eu-west-1:"+goawstest.AccountID+":orders-events" {
		t.Fatalf("result: %v", first)
	}
	again, err := direct.EnsureQueue(ctx, q, p, nil)
	if err != nil || again["queue_url"] != first["queue_url"] {
		t.Fatalf("second run: %v %v", again, err)
	}
	list, err := q.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil || len(list.QueueUrls) != 1 {
		t.Fatalf("queues after two runs: %v %v", list.QueueUrls, err)
	}
	// The same name with other attributes is not success, and is not retried.
	_, err = direct.EnsureQueue(ctx, q, actions.SQSQueueParams{Name: "orders-events", VisibilityTimeoutSeconds: intp(90)}, nil)
	if !errors.Is(err, direct.ErrDifferentAttributes) || !actions.IsPermanent(err) || !strings.Contains(err.Error(), "VisibilityTimeout is 45, requested 90") {
		t.Fatalf("different attributes: %v", err)
	}
	fifo, err := direct.EnsureQueue(ctx, q, actions.SQSQueueParams{Name: "orders.fifo", FIFO: true}, nil)
	if err != nil || !strings.HasSuffix(fifo["queue_arn"], ":orders.fifo") {
		t.Fatalf("fifo: %v %v", fifo, err)
	}
}

func TestEnsureTopicWithSubscriptionIsIdempotent(t *testing.T) {
	ctx := context.Background()
	g := goawstest.Start(t, "us-east-1")
	q, s := g.SQS(), g.SNS()
	p := actions.SNSTopicParams{Name: "payments-settled", SubscribeQueue: "ledger-inbox", RawMessageDelivery: true}
	// The queue to subscribe must exist first.
	if _, err := direct.EnsureTopic(ctx, s, q, p, nil, false); err == nil || !actions.IsPermanent(err) || !strings.Contains(err.Error(), "request it first") {
		t.Fatalf("missing queue: %v", err)
	}
	if _, err := direct.EnsureQueue(ctx, q, actions.SQSQueueParams{Name: "ledger-inbox"}, nil); err != nil {
		t.Fatal(err)
	}
	first, err := direct.EnsureTopic(ctx, s, q, p, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if first["topic_arn"] != "arn:aws:sns:us-east-1:"+goawstest.AccountID+":payments-settled" || first["subscription_arn"] == "" {
		t.Fatalf("result: %v", first)
	}
	second, err := direct.EnsureTopic(ctx, s, q, p, nil, false)
	if err != nil || second["topic_arn"] != first["topic_arn"] {
		t.Fatalf("second run: %v %v", second, err)
	}
	subs, err := s.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(first["topic_arn"])})
	if err != nil || len(subs.Subscriptions) != 1 {
		t.Fatalf("subscriptions after two runs: %d %v", len(subs.Subscriptions), err)
	}
	topics, _ := s.ListTopics(ctx, &sns.ListTopicsInput{})
	if len(topics.Topics) != 1 {
		t.Fatalf("topics: %d", len(topics.Topics))
	}
}

// env is a portal database with a catalog service and the actions service over it, executing directly against
// goaws in two regions.
type env struct {
	db      *store.DB
	svc     *actions.Service
	worker  *actions.Worker
	regions map[string]*goawstest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	eu, us := goawstest.Start(t, "eu-west-1"), goawstest.Start(t, "us-east-1")
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := db.PutServices(ctx, []catalog.Service{{Name: "checkout", Owner: "payments", Description: "x",
		Lifecycle: "production", Type: "service", Language: "Go", Source: "manual"}}); err != nil {
		t.Fatal(err)
	}
	// goaws cannot store queue policies (it rejects the JSON string AWS takes), so they are not managed here;
	// TestAllowTopic covers the policy document.
	awsCfg := actions.AWSConfig{Endpoints: map[string]string{"eu-west-1": eu.URL, "us-east-1": us.URL}, QueuePolicy: "skip"}
	cfg := actions.Config{Environments: map[string]actions.Environment{
		"staging":    {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryDirect, AWS: awsCfg},
		"production": {Regions: []string{"eu-west-1", "us-east-1"}, Delivery: actions.DeliveryDirect, AWS: awsCfg},
	}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	svc := actions.NewService(db.SQL(), cfg, db)
	w := actions.NewWorker(svc.Store, map[string]actions.Executor{actions.DeliveryDirect: direct.New(cfg)}, cfg.Worker,
		slog.New(slog.DiscardHandler))
	return &env{db: db, svc: svc, worker: w, regions: map[string]*goawstest.Server{"eu-west-1": eu, "us-east-1": us}}
}

func (e *env) drain(t *testing.T) {
	t.Helper()
	for range 10 {
		worked, err := e.worker.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !worked {
			return
		}
	}
	t.Fatal("worker still busy after 10 runs")
}

var (
	dev      = auth.Principal{Subject: "dana", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}
	approver = auth.Principal{Subject: "pat", Grants: []auth.Grant{{Role: auth.RolePlatformApprover}}}
	owner    = auth.Principal{Subject: "olga", Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}}
)

func TestRequestApproveRunOnRealSQS(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)

	// Staging needs no approval: the worker runs it straight away.
	a, created, err := e.svc.Request(ctx, dev, "k1", actions.Request{Kind: actions.KindSQSQueue, Service: "checkout",
		Environment: "staging", Region: "eu-west-1", Params: json.RawMessage(`{"name":"checkout-jobs"}`)})
	if err != nil || !created || a.State != actions.StateApproved || a.Team != "payments" {
		t.Fatalf("request: %+v %v %v", a, created, err)
	}
	e.drain(t)
	a, _ = e.svc.Store.Get(ctx, a.ID)
	if a.State != actions.StateSucceeded || a.Result["queue_url"] == "" || a.Attempts != 1 {
		t.Fatalf("after run: %+v", a)
	}
	var states []actions.State
	for _, h := range a.History {
		states = append(states, h.To)
	}
	if got := strings.Trim(strings.Join(strings.Fields(strings.Trim(jsonString(states), "[]")), ""), ""); got != `"approved","running","succeeded"` {
		t.Errorf("history: %s", got)
	}

	// Production needs a platform approver; the requester and a team owner may not approve it.
	a, _, err = e.svc.Request(ctx, dev, "k2", actions.Request{Kind: actions.KindSNSTopic, Service: "checkout",
		Environment: "production", Region: "us-east-1", Params: json.RawMessage(`{"name":"checkout-done"}`)})
	if err != nil || a.State != actions.StatePendingApproval {
		t.Fatalf("production request: %+v %v", a, err)
	}
	e.drain(t)
	if got, _ := e.svc.Store.Get(ctx, a.ID); got.State != actions.StatePendingApproval {
		t.Fatalf("ran without approval: %s", got.State)
	}
	selfApprover := auth.Principal{Subject: "dana", Grants: []auth.Grant{{Role: auth.RolePlatformApprover}}}
	if _, err := e.svc.Decide(ctx, selfApprover, a.ID, true, ""); !errors.Is(err, actions.ErrForbidden) {
		t.Errorf("self approval: %v", err)
	}
	if _, err := e.svc.Decide(ctx, owner, a.ID, true, ""); !errors.Is(err, actions.ErrForbidden) {
		t.Errorf("team owner approved production: %v", err)
	}
	if inbox, _ := e.svc.Inbox(ctx, owner); len(inbox) != 0 {
		t.Errorf("team owner's inbox: %d", len(inbox))
	}
	if inbox, _ := e.svc.Inbox(ctx, approver); len(inbox) != 1 || inbox[0].ID != a.ID {
		t.Errorf("approver's inbox: %+v", inbox)
	}
	if a, err = e.svc.Decide(ctx, approver, a.ID, true, "fine"); err != nil || a.State != actions.StateApproved {
		t.Fatalf("approve: %+v %v", a, err)
	}
	if _, err := e.svc.Decide(ctx, approver, a.ID, false, "changed my mind"); !errors.Is(err, actions.ErrConflict) {
		t.Errorf("reject after approve: %v", err)
	}
	e.drain(t)
	a, _ = e.svc.Store.Get(ctx, a.ID)
	if a.State != actions.StateSucceeded || !strings.HasSuffix(a.Result["topic_arn"], ":checkout-done") || len(a.Approvals) != 1 {
		t.Fatalf("after approval: %+v", a)
	}
	if topics, _ := e.regions["us-east-1"].SNS().ListTopics(ctx, &sns.ListTopicsInput{}); len(topics.Topics) != 1 {
		t.Errorf("topic not in us-east-1")
	}
	if topics, _ := e.regions["eu-west-1"].SNS().ListTopics(ctx, &sns.ListTopicsInput{}); len(topics.Topics) != 0 {
		t.Errorf("topic leaked into eu-west-1")
	}

	// Rejection needs a reason, and ends the action.
	r, _, _ := e.svc.Request(ctx, dev, "k3", actions.Request{Kind: actions.KindSQSQueue, Service: "checkout",
		Environment: "production", Region: "eu-west-1", Params: json.RawMessage(`{"name":"nope"}`)})
	if _, err := e.svc.Decide(ctx, approver, r.ID, false, " "); err == nil {
		t.Error("rejection without reason accepted")
	}
	if r, err = e.svc.Decide(ctx, approver, r.ID, false, "use the shared queue"); err != nil || r.State != actions.StateRejected || r.Reason != "use the shared queue" {
		t.Fatalf("reject: %+v %v", r, err)
	}
	e.drain(t)

	// Every decision and state change is in the audit log.
	evs, err := audit.Log{DB: e.db.SQL()}.Query(ctx, audit.Filter{Resource: "action/", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, ev := range evs {
		count[ev.Action]++
	}
	if count["action.requested"] != 3 || count["action.approved"] != 1 || count["action.rejected"] != 1 ||
		count["action.started"] != 2 || count["action.succeeded"] != 2 {
		t.Errorf("audit counts: %v", count)
	}
}

func TestDuplicateRequestReturnsFirstAction(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	req := actions.Request{Kind: actions.KindSQSQueue, Service: "checkout", Environment: "staging", Region: "eu-west-1",
		Params: json.RawMessage(`{"name":"dup-q"}`)}
	a1, created1, err := e.svc.Request(ctx, dev, "same", req)
	if err != nil || !created1 {
		t.Fatal(err)
	}
	a2, created2, err := e.svc.Request(ctx, dev, "same", req)
	if err != nil || created2 || a2.ID != a1.ID {
		t.Fatalf("duplicate: %v %v %v", a2.ID, created2, err)
	}
	// The same key from someone else is their own request.
	other := auth.Principal{Subject: "eve", Grants: dev.Grants}
	if a3, created3, _ := e.svc.Request(ctx, other, "same", req); !created3 || a3.ID == a1.ID {
		t.Error("keys are not per requester")
	}
	req.Params = json.RawMessage(`{"name":"other-q"}`)
	if _, _, err := e.svc.Request(ctx, dev, "same", req); !errors.Is(err, actions.ErrIdempotencyConflict) {
		t.Errorf("reused key for another request: %v", err)
	}
	e.drain(t)
	list, _ := e.regions["eu-west-1"].SQS().ListQueues(ctx, &sqs.ListQueuesInput{})
	if len(list.QueueUrls) != 1 {
		t.Errorf("queues: %v", list.QueueUrls)
	}
}

func TestTeamOwnerApprovesNonProductionWhenConfigured(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	env := e.svc.Config.Environments["staging"]
	env.Approvers = &[]string{"team_owner", "platform_approver"}
	e.svc.Config.Environments["staging"] = env
	a, _, err := e.svc.Request(ctx, dev, "k", actions.Request{Kind: actions.KindSQSQueue, Service: "checkout",
		Environment: "staging", Region: "eu-west-1", Params: json.RawMessage(`{"name":"owner-ok"}`)})
	if err != nil || a.State != actions.StatePendingApproval {
		t.Fatalf("%+v %v", a, err)
	}
	otherOwner := auth.Principal{Subject: "tom", Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "search"}}}
	if _, err := e.svc.Decide(ctx, otherOwner, a.ID, true, ""); !errors.Is(err, actions.ErrForbidden) {
		t.Errorf("owner of another team approved: %v", err)
	}
	if a, err = e.svc.Decide(ctx, owner, a.ID, true, ""); err != nil || a.State != actions.StateApproved {
		t.Fatalf("owner approval: %+v %v", a, err)
	}
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestSubscribeOnlyToQueuesThatExist: with the direct path observing AWS, a topic may subscribe a queue that exists
// there (made outside the portal too) or that was requested; any other queue is refused with a 400 at
// params.subscribe_queue naming those there are, and nothing is stored.
func TestSubscribeOnlyToQueuesThatExist(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	ex := direct.New(e.svc.Config)
	e.svc.Observers = map[string]actions.QueueObserver{"staging": ex, "production": ex}
	if _, err := e.regions["eu-west-1"].SQS().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("made-by-hand")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Request(ctx, dev, "q", actions.Request{Kind: actions.KindSQSQueue, Service: "checkout",
		Environment: "production", Region: "eu-west-1", Params: json.RawMessage(`{"name":"on-its-way"}`)}); err != nil {
		t.Fatal(err)
	}

	qs, err := e.svc.Queues(ctx, "staging", "eu-west-1")
	if err != nil || len(qs) != 1 || qs[0].Name != "made-by-hand" || qs[0].State != actions.QueueExists {
		t.Fatalf("staging's queues: %+v %v", qs, err)
	}
	if qs, _ := e.svc.Queues(ctx, "production", "eu-west-1"); len(qs) != 2 || qs[1].Name != "on-its-way" || qs[1].State != actions.QueueRequested {
		t.Errorf("production's queues (goaws is one account: the hand-made queue is seen there too): %+v", qs)
	}
	if qs, _ := e.svc.Queues(ctx, "production", "us-east-1"); len(qs) != 0 {
		t.Errorf("us-east-1's queues: %+v", qs)
	}

	topic := func(key, env, queue string) error {
		_, _, err := e.svc.Request(ctx, dev, key, actions.Request{Kind: actions.KindSNSTopic, Service: "checkout",
			Environment: env, Region: "eu-west-1", Params: json.RawMessage(`{"name":"t-` + key + `","subscribe_queue":"` + queue + `"}`)})
		return err
	}
	if err := topic("a", "staging", "made-by-hand"); err != nil {
		t.Errorf("a queue AWS has: %v", err)
	}
	if err := topic("b", "production", "on-its-way"); err != nil {
		t.Errorf("a requested queue: %v", err)
	}
	err = topic("c", "staging", "ghost")
	var ps problem.Problems
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Path != "params.subscribe_queue" ||
		!strings.Contains(ps[0].Summary, `"ghost"`) || !strings.Contains(ps[0].Summary, "made-by-hand") {
		t.Fatalf("a queue nobody has: %v", err)
	}
	if _, found, _ := e.svc.Store.ByKey(ctx, dev.Subject, "c"); found {
		t.Error("the refused request was stored")
	}
}

package drift

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/scorecard"
	awssrc "github.com/sphera/atrium/internal/sources/aws"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

// testDB is a portal's database of the engine under test (storetest.Default).
func testDB(t testing.TB) *store.DB { t.Helper(); return storetest.Open(t) }

func region(env, name string, queues ...string) awssrc.Inventory {
	inv := awssrc.Inventory{Environment: env, Region: name, Listed: map[string]bool{"sqs": true, "sns": true},
		Failed: map[string]string{}}
	for _, q := range queues {
		inv.Queues = append(inv.Queues, awssrc.Queue{Name: q, Attributes: map[string]string{},
			Tags: map[string]string{"atrium:service": "payments-api", "atrium:team": "payments"}})
	}
	return inv
}

// Detection runs on change: a region's inventory (or a cluster's snapshot) triggers it, without waiting for the
// schedule; bursts are coalesced.
func TestEngineDetectsOnChange(t *testing.T) {
	cfg := &Config{Interval: time.Hour} // the schedule never fires during the test
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	done := make(chan Result, 8)
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{DB: testDB(t), Config: cfg, Detected: func(r Result, err error) {
		if err != nil && ctx.Err() == nil {
			t.Error(err)
		}
		select {
		case done <- r:
		default:
		}
	}, Regions: []RegionInfo{{Environment: "production", Region: "eu-west-1", Services: []string{"sqs", "sns"}},
		{Environment: "production", Region: "us-east-1", Services: []string{"sqs", "sns"}}}}
	stopped := make(chan struct{})
	go func() { e.Run(ctx, 0); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	if r := <-done; len(r.Items) != 0 {
		t.Fatalf("first detection, nothing listed yet: %+v", r.Items)
	}
	e.ObserveRegion(region("production", "eu-west-1", "orders-events"))
	e.ObserveRegion(region("production", "us-east-1"))
	var r Result
	for len(r.Items) == 0 {
		select {
		case r = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("no detection after the inventories changed")
		}
	}
	if len(r.Items) != 1 || r.Items[0].Kind != catalog.DriftMissing || r.Items[0].Region != "us-east-1" {
		t.Fatalf("items: %+v", r.Items)
	}
}

// New drift posts once to the Slack-compatible webhook; the same drift seen again posts nothing; resolved drift
// posts its resolution, naming the same item. A region that becomes unreachable resolves nothing there.
func TestEngineAlerts(t *testing.T) {
	var mu sync.Mutex
	var posts []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("not Slack-compatible JSON: %s", b)
		}
		mu.Lock()
		posts = append(posts, m)
		mu.Unlock()
	}))
	defer hook.Close()
	ctx := context.Background()
	db := testDB(t)
	cfg := &Config{}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	e := &Engine{DB: db, Config: cfg, Alert: true, Regions: []RegionInfo{
		{Environment: "production", Region: "eu-west-1", Services: []string{"sqs", "sns"}},
		{Environment: "production", Region: "us-east-1", Services: []string{"sqs", "sns"}}}}
	n := &scorecard.Notifier{DB: db.SQL(), URL: hook.URL, Table: "drift_outbox", What: "drift alerts"}
	send := func() int {
		t.Helper()
		sent, err := n.Send(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return sent
	}
	detect := func() {
		t.Helper()
		if _, err := e.Detect(ctx); err != nil {
			t.Fatal(err)
		}
	}
	e.ObserveRegion(region("production", "eu-west-1", "orders-events"))
	e.ObserveRegion(region("production", "us-east-1"))
	detect()
	if sent := send(); sent != 1 {
		t.Fatalf("new drift: %d posts", sent)
	}
	detect()
	if sent := send(); sent != 0 {
		t.Fatalf("the same drift again: %d posts", sent)
	}
	// us-east-1 unreachable: the missing queue there is unknown, not resolved.
	down := region("production", "us-east-1")
	down.Listed, down.Failed = map[string]bool{}, map[string]string{"sqs": "SQS in production/us-east-1: unreachable", "sns": "unreachable"}
	e.ObserveRegion(down)
	detect()
	if sent := send(); sent != 0 {
		t.Fatalf("an unreachable region: %d posts", sent)
	}
	e.ObserveRegion(region("production", "us-east-1", "orders-events"))
	detect()
	if sent := send(); sent != 1 {
		t.Fatalf("resolved: %d posts", sent)
	}
	mu.Lock()
	defer mu.Unlock()
	first, _ := posts[0]["text"].(string)
	last, _ := posts[1]["text"].(string)
	if !strings.HasPrefix(first, "Drift (missing): sqs_queue orders-events in production us-east-1 — payments-api (team payments)") ||
		!strings.HasPrefix(last, "Drift resolved (missing): sqs_queue orders-events in production us-east-1") {
		t.Fatalf("messages:\n%s\n%s", first, last)
	}
	blocks, _ := json.Marshal(posts[1]["blocks"])
	items, _ := db.ListDrift(ctx, store.DriftQuery{Resolved: true}, time.Now())
	if len(items) != 1 || !strings.Contains(string(blocks), items[0].ID) {
		t.Fatalf("the resolution names the item it closes: %s %+v", blocks, items)
	}
}

// The comparison cache: a cluster whose snapshot changed is compared again (the drift follows it), the others'
// comparisons are reused.
func TestEngineComparesChangedClustersAgain(t *testing.T) {
	ctx := context.Background()
	cfg := &Config{GitOps: []GitOpsRepo{{Repo: "acme/deploy", Kubernetes: "clusters/{cluster}"}}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"clusters/prod-eu-1/hpa.yaml": []byte(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: payments-api, namespace: payments}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: payments-api}
  maxReplicas: 10
`)}
	e := &Engine{DB: testDB(t), Config: cfg, Clusters: []ClusterInfo{{Name: "prod-eu-1", Environment: "production", Region: "eu-west-1"}},
		Files: func(context.Context, string, []string) (RepoFiles, error) {
			return RepoFiles{Repo: "acme/deploy", Head: "h1", Files: files}, nil
		}}
	snapshot := func(hpaMax float64) ClusterView {
		w := deployment("prod-eu-1", "production", "eu-west-1", "payments", "payments-api", "r/p:1", 3, int(hpaMax), "kubectl-edit")
		delete(w.AutoscalerLive.Object["spec"].(map[string]any), "minReplicas")
		return ClusterView{Name: "prod-eu-1", Environment: "production", Region: "eu-west-1", Known: true,
			Workloads: []catalog.Workload{w}}
	}
	changed := func() []string {
		t.Helper()
		res, err := e.Detect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range res.Items {
			if it.Kind == catalog.DriftChanged {
				out = append(out, it.Summary)
			}
		}
		return out
	}
	e.ObserveCluster(snapshot(25))
	if got := changed(); len(got) != 1 || got[0] != "spec.maxReplicas 10 → 25" {
		t.Fatalf("raised: %v", got)
	}
	if got := changed(); len(got) != 1 {
		t.Fatalf("nothing changed, from the cache: %v", got)
	}
	e.ObserveCluster(snapshot(30))
	if got := changed(); len(got) != 1 || got[0] != "spec.maxReplicas 10 → 30" {
		t.Fatalf("raised again: %v", got)
	}
	e.ObserveCluster(snapshot(10))
	if got := changed(); len(got) != 0 {
		t.Fatalf("back as declared: %v", got)
	}
}

// The engine answers the SNS form's "which queues exist here" from the last inventory: every queue of a region
// whose SQS listing was complete (FIFO from its name or attribute), none where SQS failed or nothing was listed —
// an unknown region offers nothing rather than a partial list.
func TestObservedQueuesFromTheInventory(t *testing.T) {
	e := &Engine{}
	ctx := context.Background()
	e.ObserveRegion(awssrc.Inventory{Environment: "production", Region: "eu-west-1", Listed: map[string]bool{"sqs": true},
		Queues: []awssrc.Queue{{Name: "orders"}, {Name: "ledger.fifo"}, {Name: "odd", Attributes: map[string]string{"FifoQueue": "true"}}}})
	e.ObserveRegion(awssrc.Inventory{Environment: "production", Region: "us-east-1", Listed: map[string]bool{"sns": true},
		Failed: map[string]string{"sqs": "AccessDenied"}, Queues: []awssrc.Queue{{Name: "half"}}})
	got, err := e.ObservedQueues(ctx, "production", "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, q := range got {
		if q.State != "exists" {
			t.Errorf("%s: state %q", q.Name, q.State)
		}
		names = append(names, q.Name+map[bool]string{true: " fifo", false: ""}[q.FIFO])
	}
	if strings.Join(names, ",") != "orders,ledger.fifo fifo,odd fifo" {
		t.Errorf("eu-west-1: %v", names)
	}
	for _, region := range []string{"us-east-1", "ap-south-1"} {
		if got, err := e.ObservedQueues(ctx, "production", region); err != nil || len(got) != 0 {
			t.Errorf("%s: %v %v", region, got, err)
		}
	}
}

package scorecard_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/scorecard"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openDB(t *testing.T, name string, clk *clock) *store.DB {
	t.Helper()
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	db.Now = clk.Now
	return db
}

func service(name, owner string) catalog.Service {
	s := ready()
	s.Name, s.Owner, s.Source = name, owner, "test"
	return s
}

func pass(t *testing.T, s *scorecard.Scorer) int {
	t.Helper()
	n, err := s.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestScorerScoresOnChangeAndKeepsHistory(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)}
	db := openDB(t, "portal.db", clk)
	good, bad := service("good-api", "payments"), service("bad-api", "payments")
	bad.Repository.Facts.CodeOwners = ""
	if _, err := db.ReplaceSource(ctx, "test", []catalog.Service{good, bad, service("search-api", "search")}); err != nil {
		t.Fatal(err)
	}
	sc := &scorecard.Scorer{DB: db, Engine: engine(t, scorecard.Config{})}
	if n := pass(t, sc); n != 3 {
		t.Fatalf("first pass wrote %d, want 3", n)
	}
	if n := pass(t, sc); n != 0 {
		t.Fatalf("a pass with nothing changed wrote %d", n)
	}
	card, err := db.GetScorecard(ctx, "bad-api", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if card.Level != "none" || card.Score != 84 || card.Next.Level != "bronze" || len(card.History) != 1 {
		t.Fatalf("bad-api: %+v", card)
	}

	// A week later the service loses its README and its second region: only it is scored again.
	clk.Add(7 * 24 * time.Hour)
	bad.Repository.Facts.Readme = ""
	bad.Deployments = bad.Deployments[:1]
	if _, err := db.ReplaceSource(ctx, "test", []catalog.Service{good, bad, service("search-api", "search")}); err != nil {
		t.Fatal(err)
	}
	if n := pass(t, sc); n != 1 {
		t.Fatalf("pass after one change wrote %d, want 1", n)
	}
	card, _ = db.GetScorecard(ctx, "bad-api", clk.Now())
	if card.Score != 53 || len(card.History) != 2 || card.History[0].Score != 84 || card.History[1].Score != 53 ||
		!card.ChangedAt.Equal(clk.Now()) {
		t.Fatalf("after the change: score %d history %+v changed %v", card.Score, card.History, card.ChangedAt)
	}
	tr, err := db.ScoreTrend(ctx, "", "payments", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Twelve weekly points; the team existed for the last two: (100+84)/2, then (100+53)/2.
	if n := len(tr.Points); n != 2 || tr.Points[0].Score != 92 || tr.Points[1].Score != 77 {
		t.Fatalf("team trend: %+v", tr.Points)
	}
	teams, err := db.ScorecardTeams(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if teams[0].Team != "payments" || teams[0].Below != 1 || teams[0].Dragging[0].Service != "bad-api" ||
		teams[0].Average != 76.5 {
		t.Fatalf("teams: %+v", teams)
	}

	// The service is removed: its scorecard goes too.
	if _, err := db.ReplaceSource(ctx, "test", []catalog.Service{good, service("search-api", "search")}); err != nil {
		t.Fatal(err)
	}
	if n := pass(t, sc); n != 1 {
		t.Fatalf("pass after a deletion wrote %d, want 1", n)
	}
	if _, err := db.GetScorecard(ctx, "bad-api", clk.Now()); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("deleted service's card: %v", err)
	}

	// New rules rescore everything.
	sc.Engine = engine(t, scorecard.Config{Rules: []scorecard.RuleConfig{{Name: "owned-by-search", Level: "gold",
		Weight: 10, Expression: `service.owner == "search"`}}})
	if n := pass(t, sc); n != 2 {
		t.Fatalf("pass after a rule change wrote %d, want 2", n)
	}
	card, _ = db.GetScorecard(ctx, "good-api", clk.Now())
	if card.Level != "silver" || card.RulesVersion != sc.Engine.Info().Version {
		t.Fatalf("good-api under the new rules: %+v", card)
	}
}

func TestScorecardsReachTheReplica(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)}
	portal, replica := openDB(t, "portal.db", clk), openDB(t, "replica.db", clk)
	bad := service("bad-api", "payments")
	bad.Repository.Facts.Workflows = nil
	if _, err := portal.ReplaceSource(ctx, "test", []catalog.Service{service("good-api", "payments"), bad}); err != nil {
		t.Fatal(err)
	}
	sc := &scorecard.Scorer{DB: portal, Engine: engine(t, scorecard.Config{})}
	pass(t, sc)
	cursor := ""
	for {
		b, err := portal.Changes(ctx, cursor, 2, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The batch travels as JSON, as it does over HTTP.
		raw, _ := json.Marshal(b)
		var got store.Batch
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		if err := replica.ApplyBatch(ctx, got); err != nil {
			t.Fatal(err)
		}
		cursor = b.Cursor
		if b.Remaining == 0 {
			break
		}
	}
	rules, ok, err := replica.ScoreRules(ctx)
	if err != nil || !ok || len(rules.Rules) != 6 || rules.Threshold != 70 {
		t.Fatalf("replica's rules: %+v %v %v", rules, ok, err)
	}
	want, _ := portal.GetScorecard(ctx, "bad-api", clk.Now())
	got, err := replica.GetScorecard(ctx, "bad-api", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	if string(wj) != string(gj) {
		t.Fatalf("replica's card differs:\n%s\n%s", gj, wj)
	}
	page, err := replica.ListScorecards(ctx, store.ScorecardQuery{Teams: []string{"payments"}})
	if err != nil || page.Total != 2 || page.Items[0].Service != "bad-api" || page.Items[0].Failing != 1 {
		t.Fatalf("replica's list: %+v %v", page, err)
	}
}

// receiver is a webhook endpoint on loopback that keeps what it is posted.
type receiver struct {
	mu     sync.Mutex
	bodies []map[string]any
	fail   bool
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		http.Error(w, "no", http.StatusBadGateway)
		return
	}
	var m map[string]any
	if req.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &m) != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	r.bodies = append(r.bodies, m)
}

func (r *receiver) posts() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.bodies...)
}

func TestOwnersAreWarnedOncePerChange(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)}
	db := openDB(t, "portal.db", clk)
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	n := &scorecard.Notifier{DB: db.SQL(), URL: srv.URL + "/services/T000/B000/secret", Now: clk.Now}
	sc := &scorecard.Scorer{DB: db, Engine: engine(t, scorecard.Config{}), Warn: true}
	// The registry's production regions, whatever the catalog's deployments say.
	for _, c := range []catalog.Cluster{{Name: "eu-1", Region: "eu-west-1", Environment: "production"},
		{Name: "us-1", Region: "us-east-1", Environment: "production"}} {
		if err := db.PutCluster(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	svc := service("pay-api", "payments")
	put := func() {
		t.Helper()
		if _, err := db.ReplaceSource(ctx, "test", []catalog.Service{svc}); err != nil {
			t.Fatal(err)
		}
	}
	sync := func() int {
		t.Helper()
		pass(t, sc)
		if _, err := n.Send(ctx); err != nil {
			t.Fatal(err)
		}
		return len(rcv.posts())
	}
	put()
	if got := sync(); got != 0 {
		t.Fatalf("first scoring posted %d warnings: the starting point is not news", got)
	}
	// Loses branch protection and CI: silver → bronze and below the threshold (score 69).
	svc.Repository.Facts.BranchProtection.Enabled = false
	svc.Repository.Facts.Workflows = nil
	put()
	for i := 0; i < 3; i++ { // repeated syncs of the same state
		if got := sync(); got != 1 {
			t.Fatalf("sync %d: %d posts, want 1", i, got)
		}
		svc.Description = strings.Repeat("x", i) // a change that does not touch the score
		put()
	}
	p := rcv.posts()[0]
	text, _ := p["text"].(string)
	if !strings.Contains(text, "pay-api (team payments) dropped from gold to bronze and below the threshold (score 69 < 70)") {
		t.Errorf("text: %q", text)
	}
	blocks, _ := p["blocks"].([]any)
	if len(blocks) != 3 || !strings.Contains(mustJSON(blocks), "repo-branch-protection") ||
		!strings.Contains(mustJSON(blocks), "branch main is not protected") {
		t.Errorf("blocks: %s", mustJSON(blocks))
	}
	// Recovers (nothing posted), then drops again: a second change, a second post.
	svc.Repository.Facts.BranchProtection.Enabled = true
	svc.Repository.Facts.Workflows = []string{".github/workflows/ci.yml"}
	put()
	if got := sync(); got != 1 {
		t.Fatalf("recovery posted: %d", got)
	}
	svc.Repository.Facts.CodeOwners = ""
	put()
	if got := sync(); got != 2 {
		t.Fatalf("second drop: %d posts, want 2", got)
	}
	if !strings.Contains(rcv.posts()[1]["text"].(string), "dropped from gold to none") {
		t.Errorf("second post: %v", rcv.posts()[1]["text"])
	}

	// A receiver that fails keeps the warning until it accepts it, then it is posted once.
	rcv.mu.Lock()
	rcv.fail = true
	rcv.mu.Unlock()
	svc.Repository.Facts.Readme = ""
	svc.Deployments = svc.Deployments[:1]
	put()
	pass(t, sc)
	if sent, err := n.Send(ctx); err != nil || sent != 0 {
		t.Fatalf("failing receiver: sent %d, %v", sent, err)
	}
	var queued int
	if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM scorecard_outbox WHERE attempts = 1`).Scan(&queued); err != nil || queued != 1 {
		c, _ := db.GetScorecard(ctx, "pay-api", clk.Now())
		t.Fatalf("queued after a failed post: %d %v; card %d %s below %v", queued, err, c.Score, c.Level, c.Below)
	}
	rcv.mu.Lock()
	rcv.fail = false
	rcv.mu.Unlock()
	if sent, _ := n.Send(ctx); sent != 0 {
		t.Fatalf("retried before its backoff: %d", sent)
	}
	clk.Add(2 * time.Minute)
	if sent, err := n.Send(ctx); err != nil || sent != 1 || len(rcv.posts()) != 3 {
		t.Fatalf("after the backoff: sent %d (%v), %d posts", sent, err, len(rcv.posts()))
	}
	if text := rcv.posts()[2]["text"].(string); !strings.Contains(text, "fell below the threshold: score 53 < 70") {
		t.Errorf("third post: %q", text)
	}
	if sent, _ := n.Send(ctx); sent != 0 || len(rcv.posts()) != 3 {
		t.Fatalf("posted again: %d", len(rcv.posts()))
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestGate(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)}
	db := openDB(t, "portal.db", clk)
	bad := service("bad-api", "payments")
	bad.Repository.Facts.CodeOwners, bad.Repository.Facts.Workflows = "", nil
	bad.Deployments = bad.Deployments[:1]
	fresh := service("fresh-api", "payments")
	if _, err := db.ReplaceSource(ctx, "test", []catalog.Service{service("good-api", "payments"), bad}); err != nil {
		t.Fatal(err)
	}
	e := engine(t, scorecard.Config{})
	pass(t, &scorecard.Scorer{DB: db, Engine: e})
	if _, err := db.PutServices(ctx, []catalog.Service{fresh}); err != nil { // not scored yet
		t.Fatal(err)
	}
	ex := &scorecard.Exceptions{DB: db, Now: clk.Now, MaxDays: 14}
	g := &scorecard.Gate{DB: db, Engine: e, Exceptions: ex}

	d, err := g.Decide(ctx, "bad-api", "production")
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed || d.Score != 46 || d.Threshold != 70 || len(d.Failing) != 3 || d.Failing[0].Rule != "repo-codeowners" ||
		!strings.Contains(d.Reason, "failing: repo-codeowners, repo-ci-workflow, production-regions") {
		t.Fatalf("bad-api: %+v", d)
	}
	if d, _ := g.Decide(ctx, "bad-api", "staging"); !d.Allowed || d.Gated {
		t.Fatalf("staging is not gated: %+v", d)
	}
	if d, _ := g.Decide(ctx, "good-api", "production"); !d.Allowed || d.Score != 100 || len(d.Failing) != 0 {
		t.Fatalf("good-api: %+v", d)
	}
	if d, err := g.Decide(ctx, "fresh-api", "production"); err != nil || !d.Allowed || d.Score != 100 {
		t.Fatalf("a service not scored yet is scored on the spot: %+v %v", d, err)
	}
	if _, err := g.Decide(ctx, "nope", "production"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("unknown service: %v", err)
	}

	// Exceptions: validated, time-limited, audited, one service.
	_, err = ex.Grant(ctx, scorecard.ExceptionRequest{Service: "nope", Environment: "production",
		ExpiresAt: clk.Now().Add(30 * 24 * time.Hour)}, "root")
	var ps problem.Problems
	if !errors.As(err, &ps) || len(ps) != 3 || ps[0].Path != "service" || ps[1].Path != "reason" ||
		!strings.Contains(ps[2].Summary, "at most 14 days") {
		t.Fatalf("bad request: %v", err)
	}
	granted, err := ex.Grant(ctx, scorecard.ExceptionRequest{Service: "bad-api", Environment: "production",
		Reason: "hotfix for INC-42", ExpiresAt: clk.Now().Add(48 * time.Hour)}, "root")
	if err != nil {
		t.Fatal(err)
	}
	d, _ = g.Decide(ctx, "bad-api", "production")
	if !d.Allowed || d.Exception == nil || d.Exception.ID != granted.ID || !strings.Contains(d.Reason, "hotfix for INC-42") ||
		len(d.Failing) != 3 {
		t.Fatalf("with an exception: %+v", d)
	}
	if d, _ := g.Decide(ctx, "good-api", "production"); d.Exception != nil {
		t.Fatalf("the exception is for one service: %+v", d)
	}
	clk.Add(49 * time.Hour)
	if d, _ := g.Decide(ctx, "bad-api", "production"); d.Allowed {
		t.Fatalf("an expired exception still allows: %+v", d)
	}
	again, _ := ex.Grant(ctx, scorecard.ExceptionRequest{Service: "bad-api", Environment: "production",
		Reason: "again", ExpiresAt: clk.Now().Add(time.Hour)}, "root")
	if _, err := ex.Revoke(ctx, again.ID, "root"); err != nil {
		t.Fatal(err)
	}
	if d, _ := g.Decide(ctx, "bad-api", "production"); d.Allowed {
		t.Fatalf("a revoked exception still allows: %+v", d)
	}
	if _, err := ex.Revoke(ctx, "gex_nope", "root"); !errors.Is(err, scorecard.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	list, _ := ex.List(ctx, "bad-api", true)
	if len(list) != 2 || list[0].Active || list[1].Active {
		t.Fatalf("list: %+v", list)
	}
	var events int
	if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action LIKE 'gate.exception.%'`).
		Scan(&events); err != nil || events != 3 {
		t.Fatalf("audit events: %d %v", events, err)
	}
}

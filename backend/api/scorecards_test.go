package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/scorecard"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

// newScoredPortal is a portal on the demo catalog with scorecards on (the built-in rules, react as a core package),
// scored once, and the demo's production cluster registered.
func newScoredPortal(t testing.TB) (*portal, *scorecard.Engine) {
	t.Helper()
	db, e, h := scoredHandler(t)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	var hc *http.Client
	if tt, ok := t.(*testing.T); ok {
		hc = &http.Client{Transport: apitest.Transport(tt, nil)}
	} else {
		hc = srv.Client()
	}
	tp, _ := t.(*testing.T)
	return &portal{t: tp, url: srv.URL, db: db, hc: hc}, e
}

// scoredHandler is newScoredPortal's database, rules and handler, for serving it otherwise (over TLS).
func scoredHandler(t testing.TB) (*store.DB, *scorecard.Engine, http.Handler) {
	t.Helper()
	ctx := context.Background()
	db, err := storetest.Target(t, storetest.Default())()
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
	if err := db.PutCluster(ctx, catalog.Cluster{Name: "prod-eu", Region: "eu-west-1", Environment: "production"}); err != nil {
		t.Fatal(err)
	}
	if _, err := (auth.Tokens{DB: db.SQL()}).Ensure(ctx, auth.Token{Name: "admin", Subject: "admin",
		Grants: []auth.Grant{{Role: auth.RoleAdmin}}}, adminToken); err != nil {
		t.Fatal(err)
	}
	e, err := scorecard.New(scorecard.Config{CorePackages: []scorecard.CorePackage{{Name: "react", AllowedLag: "minor"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&scorecard.Scorer{DB: db, Engine: e}).Pass(ctx); err != nil {
		t.Fatal(err)
	}
	gates := &api.Gates{DB: db, Engine: e, Gate: &scorecard.Gate{DB: db, Engine: e,
		Exceptions: &scorecard.Exceptions{DB: db}}}
	return db, e, (&api.Portal{DB: db, Gates: gates}).Handler()
}

// demoSides are demo services on either side of the threshold under newScoredPortal's rules.
func demoSides(t testing.TB, db *store.DB) (below, above string) {
	t.Helper()
	cards, err := db.StoredScorecards(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range cards {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if cards[n].Card.Below && below == "" {
			below = n
		}
		if !cards[n].Card.Below && above == "" {
			above = n
		}
	}
	if below == "" || above == "" {
		t.Fatalf("the demo has no services on both sides of the threshold")
	}
	return below, above
}

func TestScorecardEndpoints(t *testing.T) {
	p, _ := newScoredPortal(t)
	below, _ := demoSides(t, p.db)

	var list api.ScorecardList
	if st := p.send("GET", "/api/v1/scorecards?below=true&limit=500", "", &list); st != 200 {
		t.Fatalf("list: %d", st)
	}
	if list.Rules == nil || len(list.Rules.Rules) != 6 || list.Total == 0 || list.Total != len(list.Items) {
		t.Fatalf("list: %+v", list)
	}
	for i, r := range list.Items {
		if !r.Below || r.Failing == 0 || (i > 0 && r.Score < list.Items[i-1].Score) {
			t.Fatalf("below=true, lowest first: %+v", list.Items)
		}
	}
	owner := list.Items[0].Owner
	var team api.ScorecardList
	p.send("GET", "/api/v1/scorecards?team="+owner, "", &team)
	for _, r := range team.Items {
		if r.Owner != owner {
			t.Fatalf("team filter: %+v", r)
		}
	}
	if st := p.send("GET", "/api/v1/scorecards?level=platinum&sort=size", "", nil); st != 400 {
		t.Errorf("bad filters: %d", st)
	}

	var teams api.Items[store.TeamScore]
	p.send("GET", "/api/v1/scorecards/teams", "", &teams)
	if len(teams.Items) == 0 || teams.Items[0].Average > teams.Items[len(teams.Items)-1].Average {
		t.Fatalf("teams: %+v", teams)
	}
	var tr store.Trend
	if st := p.send("GET", "/api/v1/scorecards/trend?team="+owner, "", &tr); st != 200 || len(tr.Points) != 1 {
		t.Fatalf("trend: %d %+v", st, tr)
	}
	if st := p.send("GET", "/api/v1/scorecards/trend?team=a&service=b", "", nil); st != 400 {
		t.Errorf("trend of both: %d", st)
	}

	var card api.ServiceScorecard
	if st := p.send("GET", "/api/v1/services/"+below+"/scorecard", "", &card); st != 200 {
		t.Fatalf("card: %d", st)
	}
	failed := 0
	for _, r := range card.Rules {
		if r.Status == catalog.RuleFailed {
			failed++
			if r.Remediation == "" || r.Message == "" || r.Description == "" {
				t.Errorf("a failed rule says why and how to fix it: %+v", r)
			}
		}
	}
	if failed == 0 || !card.Below || len(card.History) != 1 {
		t.Fatalf("card: %+v", card)
	}
	if st := p.send("GET", "/api/v1/services/nope/scorecard", "", nil); st != 404 {
		t.Errorf("unknown service: %d", st)
	}
}

func TestDeployGateAndExceptions(t *testing.T) {
	p, _ := newScoredPortal(t)
	below, above := demoSides(t, p.db)
	var d scorecard.Decision
	if st := p.send("GET", "/api/v1/gates/deploy?service="+below+"&environment=production", "", &d); st != 200 {
		t.Fatalf("gate: %d", st)
	}
	if d.Allowed || len(d.Failing) == 0 || d.Failing[0].Message == "" || d.Threshold != 70 || float64(d.Score) >= d.Threshold {
		t.Fatalf("below: %+v", d)
	}
	p.send("GET", "/api/v1/gates/deploy?service="+above+"&environment=production", "", &d)
	if !d.Allowed {
		t.Fatalf("above: %+v", d)
	}
	var e struct {
		Error api.Error `json:"error"`
	}
	if st := p.send("GET", "/api/v1/gates/deploy", "", &e); st != 400 || len(e.Error.Fields) != 2 {
		t.Fatalf("no parameters: %d %+v", st, e)
	}
	if st := p.send("GET", "/api/v1/gates/deploy?service=nope&environment=production", "", nil); st != 404 {
		t.Fatalf("unknown service: %d", st)
	}

	if st := p.send("POST", "/api/v1/gates/exceptions", `{"service":"`+below+`","environment":"production","reason":"",`+
		`"expires_at":"2000-01-01T00:00:00Z"}`, &e); st != 400 || len(e.Error.Fields) != 2 {
		t.Fatalf("bad exception: %d %+v", st, e)
	}
	var ex scorecard.Exception
	until := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	if st := p.send("POST", "/api/v1/gates/exceptions", `{"service":"`+below+`","environment":"production",`+
		`"reason":"INC-7 hotfix","expires_at":"`+until+`"}`, &ex); st != 201 || !ex.Active || ex.CreatedBy != "admin" {
		t.Fatalf("grant: %d %+v", st, ex)
	}
	p.send("GET", "/api/v1/gates/deploy?service="+below+"&environment=production", "", &d)
	if !d.Allowed || d.Exception == nil || d.Exception.ID != ex.ID || len(d.Failing) == 0 {
		t.Fatalf("with the exception: %+v", d)
	}
	var exs api.Items[scorecard.Exception]
	if p.send("GET", "/api/v1/gates/exceptions?service="+below, "", &exs); len(exs.Items) != 1 {
		t.Fatalf("exceptions: %+v", exs)
	}
	if st := p.send("DELETE", "/api/v1/gates/exceptions/"+ex.ID, "", &ex); st != 200 || ex.Active {
		t.Fatalf("revoke: %d %+v", st, ex)
	}
	if st := p.send("DELETE", "/api/v1/gates/exceptions/gex_none", "", nil); st != 404 {
		t.Fatalf("revoke unknown: %d", st)
	}
	p.send("GET", "/api/v1/gates/deploy?service="+below+"&environment=production", "", &d)
	if d.Allowed {
		t.Fatalf("after the revocation: %+v", d)
	}
}

func TestTryRule(t *testing.T) {
	p, _ := newScoredPortal(t)
	var out api.RuleTestResult
	st := p.send("POST", "/api/v1/scorecards/rules:test", `{"service":"api-gateway","rule":{"name":"runbook",`+
		`"expression":"service.links.exists(l, l.title == \"Runbook\")","message":"\"no runbook\""}}`, &out)
	if st != 200 || out.Result.Status != catalog.RulePassed || out.Document.Name != "api-gateway" ||
		len(out.Platform.Regions["production"]) == 0 {
		t.Fatalf("try: %d %+v", st, out.Result)
	}
	var e struct {
		Error api.Error `json:"error"`
	}
	st = p.send("POST", "/api/v1/scorecards/rules:test", `{"service":"api-gateway","rule":{"name":"typo",`+
		`"expression":"service.linkz.size() > 0"}}`, &e)
	if st != 400 || len(e.Error.Fields) != 1 || e.Error.Fields[0].Field != "rule.expression" ||
		!strings.Contains(e.Error.Fields[0].Problem, `rule "typo": line 1, column 8: undefined field 'linkz'`) {
		t.Fatalf("a rule that does not compile: %d %+v", st, e)
	}
	st = p.send("POST", "/api/v1/scorecards/rules:test", `{"service":"nope","rule":{"expression":"size(service.name)"}}`, &e)
	if st != 400 || len(e.Error.Fields) != 2 || !strings.Contains(e.Error.Fields[1].Problem, "returns int, not bool") {
		t.Fatalf("unknown service and not a boolean: %d %+v", st, e)
	}
}

// admissionReview is what a kube-apiserver posts for a Deployment.
func admissionReview(op, service string, oldReplicas, replicas int32, oldImage, image string) string {
	dep := func(r int32, img string) string {
		return fmt.Sprintf(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"%[1]s","namespace":"prod",`+
			`"labels":{"app.kubernetes.io/name":"%[1]s"}},"spec":{"replicas":%[2]d,"selector":{"matchLabels":{"app":"%[1]s"}},`+
			`"template":{"metadata":{"labels":{"app":"%[1]s"}},"spec":{"containers":[{"name":"app","image":"%[3]s"}]}}}}`,
			service, r, img)
	}
	old := "null"
	if op == "UPDATE" {
		old = dep(oldReplicas, oldImage)
	}
	return fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1",`+
		`"kind":{"group":"apps","version":"v1","kind":"Deployment"},"resource":{"group":"apps","version":"v1",`+
		`"resource":"deployments"},"namespace":"prod","operation":"%s","userInfo":{"username":"ci"},`+
		`"object":%s,"oldObject":%s}}`, op, dep(replicas, image), old)
}

func TestAdmissionWebhook(t *testing.T) {
	p, _ := newScoredPortal(t)
	below, above := demoSides(t, p.db)
	review := func(cluster, body string) *struct {
		UID      string   `json:"uid"`
		Allowed  bool     `json:"allowed"`
		Warnings []string `json:"warnings"`
		Status   *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"status"`
	} {
		t.Helper()
		var out struct {
			Response *struct {
				UID      string   `json:"uid"`
				Allowed  bool     `json:"allowed"`
				Warnings []string `json:"warnings"`
				Status   *struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"status"`
			} `json:"response"`
		}
		if st := p.send("POST", "/api/v1/admission/deployments/"+cluster, body, &out); st != 200 || out.Response == nil {
			t.Fatalf("review: %d", st)
		}
		if out.Response.UID != "u-1" {
			t.Fatalf("uid %q", out.Response.UID)
		}
		return out.Response
	}
	r := review("prod-eu", admissionReview("CREATE", below, 0, 2, "", "img:1"))
	if r.Allowed || r.Status == nil || r.Status.Code != 403 ||
		!strings.Contains(r.Status.Message, "service "+below+" may not be deployed to production") ||
		!strings.Contains(r.Status.Message, "failing rules:") {
		t.Fatalf("below, create: %+v", r)
	}
	if r := review("prod-eu", admissionReview("UPDATE", below, 2, 2, "img:1", "img:2")); r.Allowed {
		t.Fatalf("below, new image: %+v", r)
	}
	if r := review("prod-eu", admissionReview("UPDATE", below, 2, 6, "img:1", "img:1")); !r.Allowed {
		t.Fatalf("below, scaled: %+v", r)
	}
	if r := review("prod-eu", admissionReview("CREATE", above, 0, 2, "", "img:1")); !r.Allowed || len(r.Warnings) != 0 {
		t.Fatalf("above: %+v", r)
	}
	if r := review("dev-9", admissionReview("CREATE", below, 0, 2, "", "img:1")); !r.Allowed ||
		!strings.Contains(strings.Join(r.Warnings, " "), `cluster "dev-9" is not in the portal's cluster registry`) {
		t.Fatalf("unregistered cluster: %+v", r)
	}
	if r := review("prod-eu", admissionReview("CREATE", "not-in-catalog", 0, 2, "", "img:1")); !r.Allowed {
		t.Fatalf("unknown service: %+v", r)
	}
	if st := p.send("POST", "/api/v1/admission/deployments/prod-eu", `{"kind":"AdmissionReview"}`, nil); st != 400 {
		t.Fatalf("no request: %d", st)
	}
}

// BenchmarkGateDeploy measures GET /api/v1/gates/deploy through the portal's real handler over HTTP on loopback
// (authentication, policy, the store, JSON), reporting p50 and p99 latency.
func BenchmarkGateDeploy(b *testing.B) {
	p, _ := newScoredPortal(b)
	ctx := context.Background()
	cards, _ := p.db.StoredScorecards(ctx, nil)
	var names []string
	for n := range cards {
		names = append(names, n)
	}
	slices.Sort(names)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	var lat []time.Duration
	b.ResetTimer()
	i := 0
	for b.Loop() {
		req, _ := http.NewRequest("GET", p.url+"/api/v1/gates/deploy?service="+names[i%len(names)]+"&environment=production", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		start := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(start))
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		i++
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	_ = json.Marshal
}

package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/gitops"
	"github.com/sphera/atrium/internal/actions/golden"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/scaffold"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
	"github.com/sphera/atrium/internal/store/storetest"
)

// TestTemplatesOverHTTP: the listing with parameter schemas, and the dry run's field-level problems — including the
// name taken in the catalog or on GitHub (asked of the GitHub fake with go-github) and an unknown team.
func TestTemplatesOverHTTP(t *testing.T) {
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
	gh := githubtest.New(t)
	gh.AddOrg("sphera")
	gh.AddRepo("sphera", githubtest.Repo{Name: "ledger-v2", Files: map[string]string{"README.md": "x\n"}})
	client, err := gitops.NewClient(gh.URL, gh.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	target := scaffold.Target{GitHub: scaffold.GitHubTarget{Org: "sphera"}, Infra: scaffold.InfraTarget{Repo: "sphera/infra"},
		Environments: []scaffold.Environment{{Name: "dev", Regions: []string{"eu-west-1"},
			Clusters: []scaffold.Cluster{{Name: "dev-1", Region: "eu-west-1"}}}}, Registry: "registry.example.com/sphera"}
	_ = target.Check() // for its defaults; its problems are reported where the configuration is loaded
	secret, _, err := auth.Tokens{DB: db.SQL()}.Create(ctx, auth.Token{Name: "dana", Subject: "dana",
		Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&api.Portal{DB: db, Golden: &golden.Requests{Registry: scaffold.NewRegistry(scaffold.Builtin()),
		Target: target, Checker: golden.CatalogChecker{Catalog: db, GitHub: client}}}).Handler())
	t.Cleanup(srv.Close)
	p := &portal{t: t, url: srv.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}

	var list api.TemplateList
	if st, _ := p.do("GET", "/api/v1/templates", secret, "", nil, &list); st != 200 {
		t.Fatalf("list: %d", st)
	}
	langs := map[string]bool{}
	for _, tm := range list.Templates {
		langs[tm.Language] = !tm.Broken
		if props, _ := tm.Parameters["properties"].(map[string]any); props["name"] == nil || props["team"] == nil {
			t.Errorf("%s: parameter schema %v", tm.Name, tm.Parameters)
		}
	}
	if !langs["Go"] || !langs["TypeScript"] {
		t.Errorf("languages: %v", langs)
	}
	var one scaffold.Summary
	if st, _ := p.do("GET", "/api/v1/templates/go-http-service", secret, "", nil, &one); st != 200 || one.Name != "go-http-service" {
		t.Errorf("get: %d %+v", st, one)
	}
	var e errBody
	if st, _ := p.do("GET", "/api/v1/templates/cobol-service", secret, "", nil, &e); st != 404 {
		t.Errorf("unknown template: %d", st)
	}

	validate := func(params string) api.TemplateValidation {
		t.Helper()
		var v api.TemplateValidation
		if st, _ := p.do("POST", "/api/v1/templates/go-http-service/validate", secret, `{"parameters":`+params+`}`, nil, &v); st != 200 {
			t.Fatalf("validate %s: %d", params, st)
		}
		return v
	}
	problems := func(v api.TemplateValidation) string {
		var s []string
		for _, f := range v.Problems {
			s = append(s, f.Field+": "+f.Problem)
		}
		return strings.Join(s, "\n")
	}
	if v := validate(`{"name":"orders","team":"payments"}`); !v.Valid || v.Parameters["name"] != "orders" || len(v.Problems) != 0 {
		t.Errorf("good parameters: %+v", v)
	}
	for _, c := range []struct{ params, want string }{
		{`{"name":"payments-api","team":"payments"}`, "/name: the catalog already has a service named payments-api"},
		{`{"name":"ledger-v2","team":"payments"}`, "/name: the repository sphera/ledger-v2 already exists on GitHub"},
		{`{"name":"orders","team":"nobody"}`, "/team: "},
		{`{"name":"Orders!","team":"payments"}`, "/name: "},
		{`{"name":"orders","team":"payments","colour":"blue"}`, "/colour: unknown parameter"},
	} {
		v := validate(c.params)
		if v.Valid || !strings.Contains(problems(v), c.want) || v.Parameters != nil {
			t.Errorf("%s: valid=%v\n%s\nwant %q", c.params, v.Valid, problems(v), c.want)
		}
	}

	var plan scaffold.Plan
	if st, _ := p.do("POST", "/api/v1/templates/go-http-service/plan", secret,
		`{"parameters":{"name":"orders","team":"payments","description":"Takes orders."}}`, nil, &plan); st != 200 {
		t.Fatalf("plan: %d", st)
	}
	have := map[string]bool{}
	for _, f := range plan.Files {
		have[f.Path] = f.Content != ""
	}
	if !have["Dockerfile"] || !have[".github/workflows/ci.yml"] || !have["atrium.yaml"] || !have["main.go"] ||
		len(plan.InfraPullRequest.Files) == 0 || len(plan.Deploy) != 1 || plan.Deploy[0].Cluster != "dev-1" ||
		plan.CatalogEntry.Name != "orders" || len(plan.Steps) != 7 || plan.Digest == "" {
		t.Errorf("plan: files %v, %+v", have, plan)
	}
	if st, _ := p.do("POST", "/api/v1/templates/go-http-service/plan", secret, `{"parameters":{"team":"payments"}}`, nil, &e); st != 400 ||
		!strings.Contains(e.fields(), "/name") {
		t.Errorf("plan without a name: %d %+v", st, e)
	}
	if gh.Counts().Writes[githubtest.KindCreateRepo] != 0 {
		t.Error("a dry run wrote to GitHub")
	}

	// A portal without a golden path says so.
	bare := httptest.NewServer((&api.Portal{DB: db}).Handler())
	t.Cleanup(bare.Close)
	q := &portal{t: t, url: bare.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}
	if st, _ := q.do("GET", "/api/v1/templates", secret, "", nil, &e); st != 404 || e.Error.Code != "not_configured" {
		t.Errorf("no golden path: %d %+v", st, e)
	}
}

// TestActionPlanOverHTTP: the plan stored with a service_create request is served at /actions/{id}/plan, as the
// dry run showed it (same digest as the action's params), to whoever may read the action — an approver reviews
// what they approve; an action of another kind has none.
func TestActionPlanOverHTTP(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	if _, err := demo.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	target := scaffold.Target{GitHub: scaffold.GitHubTarget{Org: "sphera"}, Infra: scaffold.InfraTarget{Repo: "sphera/infra"},
		Environments: []scaffold.Environment{{Name: "dev", Regions: []string{"eu-west-1"},
			Clusters: []scaffold.Cluster{{Name: "dev-1", Region: "eu-west-1"}}}}, Registry: "registry.example.com/sphera"}
	if ps := target.Check(); len(ps) > 0 { // Check also fills in the defaults
		t.Fatal(ps)
	}
	owners := []string{auth.RoleTeamOwner}
	cfg := actions.Config{Environments: map[string]actions.Environment{
		"dev":     {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryPreview, Approvers: &owners},
		"staging": {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryPreview}}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	req := &golden.Requests{Registry: scaffold.NewRegistry(scaffold.Builtin()), Target: target, Checker: golden.CatalogChecker{Catalog: db}}
	svc := actions.NewService(db.SQL(), cfg, db)
	svc.Preparers = map[actions.Kind]actions.Preparer{actions.KindServiceCreate: req}
	tok := map[string]string{}
	for name, grants := range map[string][]auth.Grant{
		"dana": {{Role: auth.RoleDeveloper, Team: "payments"}},
		"olga": {{Role: auth.RoleTeamOwner, Team: "payments"}},
	} {
		secret, _, err := auth.Tokens{DB: db.SQL()}.Create(ctx, auth.Token{Name: name, Subject: name, Grants: grants}, "")
		if err != nil {
			t.Fatal(err)
		}
		tok[name] = secret
	}
	srv := httptest.NewServer((&api.Portal{DB: db, Actions: svc, Golden: req}).Handler())
	t.Cleanup(srv.Close)
	p := &portal{t: t, url: srv.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}

	params := `{"name":"orders","team":"payments","description":"Takes orders."}`
	var dry scaffold.Plan
	if st, _ := p.do("POST", "/api/v1/templates/go-http-service/plan", tok["dana"], `{"parameters":`+params+`}`, nil, &dry); st != 200 {
		t.Fatalf("dry run: %d", st)
	}
	var a api.ActionView
	if st, _ := p.do("POST", "/api/v1/actions", tok["dana"], `{"kind":"service_create","environment":"dev",
		"params":{"template":"go-http-service","parameters":`+params+`}}`, map[string]string{"Idempotency-Key": "k1"}, &a); st != 201 ||
		a.State != actions.StatePendingApproval {
		t.Fatalf("request: %d %+v", st, a)
	}
	var stored scaffold.Plan
	if st, _ := p.do("GET", "/api/v1/actions/"+a.ID+"/plan", tok["olga"], "", nil, &stored); st != 200 {
		t.Fatalf("the approver reads the plan: %d", st)
	}
	var digest string
	if err := json.Unmarshal(a.Params, &struct {
		PlanDigest *string `json:"plan_digest"`
	}{&digest}); err != nil {
		t.Fatal(err)
	}
	files := func(pl scaffold.Plan) []string {
		var out []string
		for _, f := range pl.Files {
			out = append(out, f.Path)
		}
		return out
	}
	if stored.Digest != dry.Digest || stored.Digest != digest || stored.Service != "orders" ||
		!slices.Equal(files(stored), files(dry)) || len(stored.InfraPullRequest.Files) == 0 || len(stored.Steps) != len(dry.Steps) {
		t.Errorf("stored plan %s (files %v), dry run %s (files %v), action's digest %s", stored.Digest, files(stored), dry.Digest, files(dry), digest)
	}

	var q api.ActionView
	if st, _ := p.do("POST", "/api/v1/actions", tok["dana"], `{"kind":"sqs_queue","service":"payments-api",
		"environment":"staging","region":"eu-west-1","params":{"name":"orders-events"}}`, map[string]string{"Idempotency-Key": "k2"}, &q); st != 201 {
		t.Fatalf("queue request: %d", st)
	}
	var e errBody
	if st, _ := p.do("GET", "/api/v1/actions/"+q.ID+"/plan", tok["dana"], "", nil, &e); st != 404 || e.Error.Code != "no_plan" {
		t.Errorf("plan of a queue request: %d %+v", st, e)
	}
	if st, _ := p.do("GET", "/api/v1/actions/act_nosuch/plan", tok["dana"], "", nil, &e); st != 404 || e.Error.Code != "not_found" {
		t.Errorf("plan of no action: %d %+v", st, e)
	}
}

package scaffold_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/scaffold"
)

// validParams are parameters each template accepts; the same service in every template so their plans compare.
var validParams = map[string]map[string]any{
	"go-http-service": {"name": "orders-api", "team": "payments", "description": "Takes orders and tracks them to delivery.",
		"environments": []any{"dev", "staging"}, "regions": []any{"eu-west-1", "us-east-1"},
		"sqs_queue": true, "secret_names": []any{"stripe-key", "db-password"}},
	"node-service": {"name": "orders-web-bff", "team": "growth", "node_version": "24"},
	"go-service": {"name": "orders-worker", "team": "payments", "description": "Works through orders.",
		"enable_metrics": true},
}

func TestPlanOfEachTemplateIsCompleteAndDeterministic(t *testing.T) {
	r := registry(t)
	for _, name := range []string{"go-http-service", "node-service", "go-service"} {
		t.Run(name, func(t *testing.T) {
			tmpl := get(t, r, name)
			p, ps := tmpl.Plan(context.Background(), validParams[name], target(), newWorld())
			if p == nil {
				t.Fatalf("problems: %v", ps)
			}
			files := byPath(p.Files)
			var workflow bool
			for path := range files {
				workflow = workflow || strings.HasPrefix(path, ".github/workflows/")
			}
			if _, ok := files["Dockerfile"]; !ok || !workflow {
				t.Errorf("no Dockerfile or CI workflow in %v", keys(files))
			}
			descriptor := "atrium.yaml"
			if tmpl.Format == scaffold.FormatBackstage {
				descriptor = "catalog-info.yaml"
			}
			// The catalog reads the new repository's descriptor back as this service, owned by its team.
			svcs := catalog.ParseRepository(catalog.RepoSnapshot{Name: p.Service,
				Files: map[string][]byte{descriptor: []byte(files[descriptor])}}, "test")
			if len(svcs) != 1 || svcs[0].Name != p.Service || svcs[0].Owner != p.CatalogEntry.Owner || len(svcs[0].Findings) != 0 {
				t.Errorf("descriptor reads back as %+v", svcs)
			}
			// Backstage's source-template annotation carries no version.
			if !strings.HasPrefix(p.CatalogEntry.Template, svcs[0].Template) {
				t.Errorf("descriptor's template %q, catalog entry's %q", svcs[0].Template, p.CatalogEntry.Template)
			}
			if !strings.Contains(files[".github/CODEOWNERS"], "@sphera/"+p.CatalogEntry.Owner) {
				t.Errorf("CODEOWNERS: %q", files[".github/CODEOWNERS"])
			}
			e := p.CatalogEntry
			if e.Lifecycle != "experimental" || e.Template != tmpl.Ref() || e.Repository.URL != "https://github.com/sphera/"+p.Service ||
				e.Language != tmpl.Language {
				t.Errorf("catalog entry: %+v", e)
			}

			var ids []string
			for _, s := range p.Steps {
				ids = append(ids, s.ID)
				if s.Title == "" || s.Description == "" {
					t.Errorf("step %s is not described", s.ID)
				}
			}
			want := []string{"create_repository", "push_initial_commit", "protect_branch", "register_catalog",
				"open_infra_pull_request", "deploy_dev", "wait_dev_available"}
			if !slices.Equal(ids, want) {
				t.Errorf("steps %v, want %v", ids, want)
			}
			if pr := p.Repository.Protection; pr == nil || !slices.Contains(pr.RequiredChecks, "security/scan") || pr.RequiredReviews < 1 {
				t.Errorf("protection: %+v", p.Repository.Protection)
			}
			if len(p.Deploy) != 1 || p.Deploy[0].Cluster != "dev-eu-1" ||
				p.Deploy[0].URL != fmt.Sprintf("http://%s.%s.svc.cluster.local:8080", p.Service, e.Owner) {
				t.Errorf("deploy: %+v", p.Deploy)
			}

			// Same input, same bytes: render again from a fresh registry, parameters given in another form.
			again, ps := get(t, registry(t), name).Plan(context.Background(), roundTrip(t, validParams[name]), target(), newWorld())
			if again == nil {
				t.Fatal(ps)
			}
			if a, b := planJSON(t, p), planJSON(t, again); string(a) != string(b) {
				t.Errorf("two renderings differ")
			}
			golden(t, name+".plan.json", planJSON(t, p))
		})
	}
}

func roundTrip(t *testing.T, v map[string]any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestGoHTTPServicePlan(t *testing.T) {
	p, ps := get(t, registry(t), "go-http-service").Plan(context.Background(), validParams["go-http-service"], target(), newWorld())
	if p == nil {
		t.Fatal(ps)
	}
	files := byPath(p.Files)
	if got := files["go.mod"]; got != "module github.com/sphera/orders-api\n\ngo 1.25\n" {
		t.Errorf("go.mod: %q", got)
	}
	if !strings.Contains(files[".github/workflows/ci.yml"], "IMAGE: registry.sphera.internal/services/orders-api") ||
		!strings.Contains(files[".github/workflows/ci.yml"], "${{ github.sha }}") {
		t.Errorf("CI workflow:\n%s", files[".github/workflows/ci.yml"])
	}
	if p.Parameters["go_version"] != "1.25" {
		t.Errorf("default not applied: %v", p.Parameters)
	}

	// Infrastructure: dev and staging in the chosen regions they have (dev has no us-east-1).
	pr := p.InfraPullRequest
	var dirs []string
	for _, f := range pr.Files {
		if strings.HasSuffix(f.Path, "/iam.tf") {
			dirs = append(dirs, strings.TrimSuffix(f.Path, "/iam.tf"))
		}
	}
	want := []string{"envs/dev/eu-west-1/orders-api", "envs/staging/eu-west-1/orders-api", "envs/staging/us-east-1/orders-api"}
	if !slices.Equal(dirs, want) {
		t.Errorf("directories %v, want %v", dirs, want)
	}
	infra := byPath(pr.Files)
	for _, f := range []string{"sqs.tf", "secrets.tf", "kubernetes/deployment.yaml", "kubernetes/service.yaml", "kubernetes/serviceaccount.yaml"} {
		if _, ok := infra["envs/staging/us-east-1/orders-api/"+f]; !ok {
			t.Errorf("no %s in staging/us-east-1", f)
		}
	}
	if _, ok := infra["envs/staging/eu-west-1/orders-api/kubernetes/hpa.yaml"]; !ok {
		t.Error("staging has no autoscaler")
	}
	if _, ok := infra["envs/dev/eu-west-1/orders-api/kubernetes/hpa.yaml"]; ok {
		t.Error("dev has an autoscaler")
	}
	if pr.Repository != "sphera/infrastructure" || pr.Base != "main" || pr.Branch != "atrium/new-service-orders-api" ||
		!strings.Contains(pr.Body, "| staging | us-east-1 |") || !strings.Contains(pr.Title, "orders-api") {
		t.Errorf("pull request: %+v", pr)
	}
	for path, content := range infra {
		if strings.Contains(content, "db-password") && strings.Contains(content, "secret_string") {
			t.Errorf("%s holds a secret value", path)
		}
	}
}

func TestInvalidParametersAreAllReportedAtOnce(t *testing.T) {
	tmpl := get(t, registry(t), "go-http-service")
	tests := []struct {
		name   string
		params map[string]any
		want   map[string]string // pointer → part of the problem
	}{
		{"everything wrong", map[string]any{
			"name": "Orders--API", "team": "", "environments": []any{"dev", "qa"}, "regions": []any{},
			"sqs_queue": "yes", "secret_names": []any{"DB password"}, "colour": "blue", "go_version": "1.9",
			"description": "two\nlines",
		}, map[string]string{
			"/name":           "lowercase letter",
			"/team":           "required",
			"/environments/1": "qa",
			"/regions":        "",
			"/sqs_queue":      "boolean",
			"/secret_names/0": "lowercase letters",
			"/colour":         "unknown parameter",
			"/go_version":     "1.25",
			"/description":    "one line",
		}},
		{"missing required", map[string]any{}, map[string]string{"/name": "required", "/team": "required"}},
		{"name rules", map[string]any{"name": "ab", "team": "payments"}, map[string]string{"/name": "3 to 40"}},
		{"name too long", map[string]any{"name": strings.Repeat("a", 41), "team": "payments"}, map[string]string{"/name": "3 to 40"}},
		{"name ends with a dash", map[string]any{"name": "orders-", "team": "payments"}, map[string]string{"/name": "end with a letter or digit"}},
		{"name starts with a digit", map[string]any{"name": "9orders", "team": "payments"}, map[string]string{"/name": "start with a lowercase letter"}},
		{"environment without a chosen region", map[string]any{"name": "orders", "team": "payments",
			"environments": []any{"dev", "production"}, "regions": []any{"eu-west-1"}}, nil},
		{"no dev", map[string]any{"name": "orders", "team": "payments", "environments": []any{"staging"},
			"regions": []any{"eu-west-1"}}, map[string]string{"/environments": "must include dev"}},
		{"no dev cluster in the regions", map[string]any{"name": "orders", "team": "payments",
			"environments": []any{"dev", "staging"}, "regions": []any{"us-east-1"}},
			map[string]string{"/environments/0": "none of the chosen regions", "/regions": "cluster of dev to run hello-world"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := tmpl.Validate(context.Background(), tc.params, target(), nil)
			if tc.want == nil {
				if ps.HasErrors() {
					t.Errorf("unexpected problems: %v", ps)
				}
				return
			}
			for ptr, sub := range tc.want {
				if !has(ps, ptr, sub) {
					t.Errorf("no problem at %s mentioning %q in:\n%s", ptr, sub, strings.ReplaceAll(ps.Error(), "; ", "\n"))
				}
			}
			for _, p := range ps {
				if _, expected := tc.want[p.Path]; !expected {
					t.Errorf("unexpected problem %s", p)
				}
			}
			plan, pps := tmpl.Plan(context.Background(), tc.params, target(), nil)
			if plan != nil || len(pps) != len(ps) {
				t.Errorf("Plan: plan %v, problems %v", plan != nil, pps)
			}
		})
	}
}

func TestCheckerQuestions(t *testing.T) {
	tmpl := get(t, registry(t), "node-service")
	tests := []struct {
		name   string
		params map[string]any
		fail   error
		want   map[string]string
	}{
		{"name taken in the catalog and on GitHub", map[string]any{"name": "payments-api", "team": "payments"}, nil,
			map[string]string{"/name": "catalog already has"}},
		{"name taken on GitHub only", map[string]any{"name": "orphan-repo", "team": "payments"}, nil,
			map[string]string{"/name": "sphera/orphan-repo already exists on GitHub"}},
		{"unknown team", map[string]any{"name": "fresh-service", "team": "nobody"}, nil,
			map[string]string{"/team": "no team named nobody"}},
		{"lookups fail", map[string]any{"name": "fresh-service", "team": "payments"}, errors.New("GitHub is down"),
			map[string]string{"/name": "could not check", "/team": "GitHub is down"}},
		{"all free", map[string]any{"name": "fresh-service", "team": "payments"}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			w.fail = tc.fail
			_, ps := tmpl.Validate(context.Background(), tc.params, target(), w)
			for ptr, sub := range tc.want {
				if !has(ps, ptr, sub) {
					t.Errorf("no problem at %s mentioning %q in %v", ptr, sub, ps)
				}
			}
			if tc.want == nil && len(ps) != 0 {
				t.Errorf("problems: %v", ps)
			}
		})
	}

	// A name that breaks the rules is not looked up; a bad team neither.
	w := newWorld()
	_, ps := tmpl.Validate(context.Background(), map[string]any{"name": "Bad Name", "team": "Bad Team"}, target(), w)
	if len(w.asked) != 0 || !has(ps, "/name", "lowercase") || !has(ps, "/team", "lowercase") {
		t.Errorf("asked %v; problems %v", w.asked, ps)
	}
}

func TestTargetProblemsAreConfigProblems(t *testing.T) {
	tg := target()
	tg.GitHub.Org, tg.Infra.Repo, tg.Registry = "", "infra", ""
	tg.Environments[0].Clusters[0].Region = "mars-1"
	_, ps := get(t, registry(t), "go-http-service").Validate(context.Background(), validParams["go-http-service"], tg, nil)
	for _, path := range []string{"github.org", "infra.repo", "registry", "environments[0].clusters[0].region"} {
		if !has(ps, path, "") {
			t.Errorf("no problem at %s: %v", path, ps)
		}
	}
	for _, p := range ps {
		if p.Source != "config" {
			t.Errorf("%s is not a config problem", p)
		}
	}
}

func TestParseParamsFromTheCommandLine(t *testing.T) {
	tmpl := get(t, registry(t), "go-http-service")
	got, ps := tmpl.ParseParams(map[string]string{"name": "orders", "team": "payments", "sqs_queue": "true",
		"environments": "dev, staging", "secret_names": "", "colour": "blue"}, target())
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	want := map[string]any{"name": "orders", "team": "payments", "sqs_queue": true,
		"environments": []any{"dev", "staging"}, "secret_names": []any{}, "colour": "blue"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, ps := tmpl.ParseParams(map[string]string{"sqs_queue": "maybe"}, target()); !has(ps, "/sqs_queue", "not a boolean") {
		t.Errorf("problems: %v", ps)
	}
	_, vps := tmpl.Validate(context.Background(), got, target(), nil)
	if !has(vps, "/colour", "unknown parameter") || len(vps) != 1 {
		t.Errorf("validate: %v", vps)
	}
}

func TestPlanWithoutProtectionOrWithCancelledContext(t *testing.T) {
	tmpl := get(t, registry(t), "go-http-service")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if p, ps := tmpl.Plan(ctx, validParams["go-http-service"], target(), nil); p != nil || !has(ps, "", "canceled") {
		t.Errorf("plan %v, problems %v", p != nil, ps)
	}
}

// The portal plans for several users at once from one registry: plans of one template in parallel are the same.
func TestConcurrentPlansOfOneTemplate(t *testing.T) {
	tmpl := get(t, registry(t), "go-service")
	want, ps := tmpl.Plan(context.Background(), validParams["go-service"], target(), newWorld())
	if want == nil {
		t.Fatal(ps)
	}
	digests := make(chan string, 8)
	for range 8 {
		go func() {
			p, _ := tmpl.Plan(context.Background(), validParams["go-service"], target(), newWorld())
			if p == nil {
				digests <- ""
				return
			}
			digests <- p.Digest
		}()
	}
	for range 8 {
		if d := <-digests; d != want.Digest {
			t.Errorf("digest %q, want %q", d, want.Digest)
		}
	}
}

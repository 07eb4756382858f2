package cmd

import (
	"encoding/json"
	"path"
	"regexp"
	"strings"
	"testing"
)

// TestGoldenPathContract is issue #10's contract of the command line, in local mode: the templates, the dry run as
// JSON, and a run through the real pipeline whose service is then in the catalog, marked with the run.
func TestGoldenPathContract(t *testing.T) {
	dir := t.TempDir()

	t.Run("templates --json lists Go and TypeScript templates", func(t *testing.T) {
		r := atriumRun(t, "templates", "--json", "--data", dir)
		var ts []struct {
			Name, Title, Language string
			Parameters            map[string]any
		}
		if err := json.Unmarshal([]byte(r.out), &ts); r.code != 0 || r.stderr != "" || err != nil {
			t.Fatalf("%+v %v", r, err)
		}
		langs := map[string]int{}
		for _, tm := range ts {
			if tm.Name == "" || tm.Title == "" || tm.Parameters == nil {
				t.Errorf("template %+v", tm)
			}
			langs[tm.Language]++
		}
		if langs["Go"] < 1 || langs["TypeScript"] < 1 {
			t.Errorf("languages %v", langs)
		}
		human := atriumRun(t, "templates", "--data", dir)
		if human.code != 0 || !strings.Contains(human.out, "go-http-service") || !strings.Contains(human.out, "TypeScript") {
			t.Errorf("%+v", human)
		}
	})

	t.Run("create service --dry-run --json prints the plan", func(t *testing.T) {
		for _, c := range []struct{ template, code string }{{"go-http-service", "main.go"}, {"node-service", "src/"}} {
			r := atriumRun(t, "create", "service", "--template", c.template, "--name", "plan-only", "--team", "payments",
				"--dry-run", "--json", "--data", dir)
			var p struct {
				Files            []struct{ Path, Content string }
				InfraPullRequest struct {
					Repository string
					Files      []struct{ Path, Content string }
				} `json:"infra_pull_request"`
				Deploy []struct {
					Cluster string
					Files   []struct{ Path, Content string }
				}
				Steps []struct{ ID string }
			}
			if err := json.Unmarshal([]byte(r.out), &p); r.code != 0 || err != nil {
				t.Fatalf("%s: %+v %v", c.template, r, err)
			}
			has := func(match func(string) bool) bool {
				for _, f := range p.Files {
					if match(f.Path) && f.Content != "" {
						return true
					}
				}
				return false
			}
			if !has(func(s string) bool { return s == "Dockerfile" }) ||
				!has(func(s string) bool { m, _ := path.Match(".github/workflows/*", s); return m }) ||
				!has(func(s string) bool { return s == "atrium.yaml" || s == "catalog-info.yaml" }) ||
				!has(func(s string) bool { return strings.HasPrefix(s, c.code) }) {
				t.Errorf("%s: files of the plan lack a Dockerfile, a workflow, a descriptor or code", c.template)
			}
			if p.InfraPullRequest.Repository != "sphera/infra" || len(p.InfraPullRequest.Files) == 0 || len(p.Deploy) == 0 ||
				!strings.Contains(p.Deploy[0].Files[2].Content, "kind: Deployment") || len(p.Steps) != 7 {
				t.Errorf("%s: infra pull request %+v, deploy %+v, steps %v", c.template, p.InfraPullRequest, p.Deploy, p.Steps)
			}
		}
		if r := atriumRun(t, "services", "--q", "plan-only", "--json", "--data", dir); strings.Contains(r.out, `"plan-only"`) {
			t.Error("a dry run registered the service")
		}
		human := atriumRun(t, "create", "service", "--template", "go-http-service", "--name", "plan-only", "--team", "payments",
			"--dry-run", "--data", dir)
		if human.code != 0 || !strings.Contains(human.out, "workflows/") || !strings.Contains(human.out, "1. Create the repository sphera/plan-only") ||
			!strings.Contains(human.out, "nothing was created") {
			t.Errorf("human dry run: %+v", human)
		}
	})

	t.Run("create service runs the pipeline and the service is in the catalog", func(t *testing.T) {
		r := atriumRun(t, "create", "service", "--template", "go-http-service", "--name", "orders-cli", "--team", "payments",
			"--param", "description=Takes orders", "--param", "sqs_queue=true", "--data", dir)
		if r.code != 0 {
			t.Fatalf("%+v", r)
		}
		id := regexp.MustCompile(`act_[0-9a-f]+`).FindString(r.out)
		if id == "" || !strings.Contains(r.out, "4/7 succeeded Register orders-cli in the catalog") ||
			!strings.Contains(r.out, "1/7 skipped   Create the repository sphera/orders-cli: a team portal would have created") {
			t.Fatalf("output:\n%s", r.out)
		}
		list := atriumRun(t, "services", "--q", "orders-cli", "--json", "--data", dir)
		if list.code != 0 || !strings.Contains(list.out, `"name": "orders-cli"`) {
			t.Fatalf("services: %+v", list)
		}
		svc := atriumRun(t, "service", "orders-cli", "--json", "--data", dir)
		var s struct {
			Owner, Description, Template, Source string
			CreatedByAction                      string `json:"created_by_action"`
			Run                                  struct {
				ID, State string
				Steps     []struct{ ID, State string }
			} `json:"created_by_run"`
		}
		if err := json.Unmarshal([]byte(svc.out), &s); svc.code != 0 || err != nil {
			t.Fatalf("%+v %v", svc, err)
		}
		if s.CreatedByAction != id || s.Template != "go-http-service@v1" || s.Owner != "payments" ||
			s.Description != "Takes orders" || s.Source != "template:go-http-service" {
			t.Errorf("service: %+v (action %s)", s, id)
		}
		if s.Run.ID != id || s.Run.State != "succeeded" || len(s.Run.Steps) != 7 || s.Run.Steps[3].ID != "register_catalog" ||
			s.Run.Steps[3].State != "succeeded" {
			t.Errorf("atrium service --json does not show the run's result: %+v", s.Run)
		}
		// The run's result, step by step, through the same API.
		a := apiGet(t, dir, "/api/v1/actions/"+id).(map[string]any)
		steps, _ := a["steps"].([]any)
		if a["state"] != "succeeded" || len(steps) != 7 || steps[3].(map[string]any)["state"] != "succeeded" {
			t.Errorf("action: %v", a)
		}
	})

	t.Run("bad input is refused at its field and creates nothing", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"--name", "payments-api", "--team", "payments"}, 1, "/params/parameters/name: the catalog already has a service named payments-api"},
			{[]string{"--name", "fresh-one", "--team", "payments", "--param", "colour=blue"}, 1, "/params/parameters/colour: unknown parameter"},
			{[]string{"--name", "fresh-one", "--team", "payments", "--param", "sqs_queue=maybe"}, 2, `--param sqs_queue: "maybe" is not true or false`},
			{[]string{"--name", "Fresh One", "--team", "payments"}, 1, "/params/parameters/name"},
			{[]string{"--name", "fresh-one"}, 2, `required flag(s) "team" not set`},
		} {
			args := append([]string{"create", "service", "--template", "go-http-service", "--data", dir}, c.args...)
			r := atriumRun(t, args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.want) {
				t.Errorf("%v: %+v, want %d and %q", c.args, r, c.code, c.want)
			}
		}
		r := atriumRun(t, "create", "service", "--template", "cobol-service", "--name", "x-y", "--team", "payments", "--data", dir)
		if r.code != 1 || !strings.Contains(r.stderr, `no template "cobol-service"; the templates are: go-http-service, node-service`) {
			t.Errorf("unknown template: %+v", r)
		}
		if r := atriumRun(t, "services", "--q", "fresh-one", "--json", "--data", dir); strings.Contains(r.out, `"fresh-one"`) {
			t.Error("a refused request registered the service")
		}
	})
}

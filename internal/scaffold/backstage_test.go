package scaffold_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/sphera/atrium/internal/scaffold"
)

func backstageFS(t *testing.T, edit func(def string) string, files map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	root := "testdata/backstage/go-service"
	def, err := os.ReadFile(root + "/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fsys["go-service/template.yaml"] = &fstest.MapFile{Data: []byte(edit(string(def)))}
	for _, f := range []string{"catalog-info.yaml.njk", "go.mod.njk", "main.go.njk", "Dockerfile.njk", "README.md.njk",
		".github/CODEOWNERS.njk", ".github/workflows/build.yml", "docs/${{ values.component_id }}.md.njk"} {
		b, err := os.ReadFile(root + "/skeleton/" + f)
		if err != nil {
			t.Fatal(err)
		}
		fsys["go-service/skeleton/"+f] = &fstest.MapFile{Data: b}
	}
	for k, v := range files {
		fsys["go-service/skeleton/"+k] = &fstest.MapFile{Data: []byte(v)}
	}
	return fsys
}

func TestBackstageTemplateMapsOntoTheGoldenPath(t *testing.T) {
	tmpl := get(t, registry(t), "go-service")
	schema := tmpl.Schema(target())
	props := schema["properties"].(map[string]any)
	// component_id (EntityNamePicker) is the name, owner (OwnerPicker) the team; repoUrl is not asked.
	for _, gone := range []string{"component_id", "owner", "repoUrl"} {
		if _, ok := props[gone]; ok {
			t.Errorf("%s is in the form", gone)
		}
	}
	if props["name"].(map[string]any)["title"] != "Name" || props["team"].(map[string]any)["x-atrium-page"] != "Provide some simple information" {
		t.Errorf("Backstage titles and pages are kept: %v %v", props["name"], props["team"])
	}
	if props["enable_metrics"].(map[string]any)["ui:help"] != "Adds a /metrics endpoint." {
		t.Errorf("ui hints are kept: %v", props["enable_metrics"])
	}
	order := schema["ui:order"].([]string)
	if strings.Join(order, ",") != "name,team,description,environments,regions,enable_metrics" {
		t.Errorf("order %v", order)
	}

	p, ps := tmpl.Plan(context.Background(), map[string]any{"name": "orders-worker", "team": "payments"}, target(), nil)
	if p == nil {
		t.Fatal(ps)
	}
	files := byPath(p.Files)
	if _, ok := files["main.go.njk"]; ok {
		t.Error("templateFileExtension is not stripped")
	}
	if strings.Contains(files["main.go"], "/metrics") {
		t.Error("{% if values.enable_metrics %} rendered its body for false")
	}
	if !strings.Contains(files[".github/workflows/build.yml"], "${{ github.sha }}") {
		t.Error("copyWithoutTemplating was templated")
	}
	if !strings.Contains(files["README.md"], "image: {{ .Values.image }} and ${{ not.a.variable }}") ||
		!strings.Contains(files["README.md"], "A Go service.") || !strings.Contains(files["README.md"], "Owned by PAYMENTS.") {
		t.Errorf("README:\n%s", files["README.md"])
	}
	if files["docs/orders-worker.md"] != "# Orders-worker internals\n" {
		t.Errorf("templated file name: %v", keys(files))
	}
	if strings.Contains(files["catalog-info.yaml"], "description") {
		t.Errorf("{%%- if values.description %%} kept an empty description:\n%s", files["catalog-info.yaml"])
	}
	if p.Repository.Description != "This is orders-worker" || p.Repository.Visibility != "internal" ||
		!p.Repository.Protection.RequireCodeOwnerReviews || p.Template.Version != "3" {
		t.Errorf("publish:github: %+v %+v", p.Repository, p.Template)
	}
}

func TestUnsupportedBackstageFeaturesAreNamedProblems(t *testing.T) {
	replace := func(from, to string) func(string) string {
		return func(def string) string {
			if !strings.Contains(def, from) {
				t.Fatalf("fixture has no %q", from)
			}
			return strings.Replace(def, from, to, 1)
		}
	}
	same := func(def string) string { return def }
	tests := []struct {
		name  string
		edit  func(string) string
		files map[string]string
		want  string
	}{
		{"conditional step", replace("    - id: publish\n", "    - id: publish\n      if: ${{ parameters.publish }}\n"),
			nil, "step publish: if: conditional steps are not supported"},
		{"repeated step", replace("    - id: register\n", "    - id: register\n      each: ${{ parameters.things }}\n"),
			nil, "step register: each: repeated steps are not supported"},
		{"other action", replace("  steps:\n", "  steps:\n    - id: log\n      action: debug:log\n      input: {message: hi}\n"),
			nil, `step log: action "debug:log" is not supported`},
		{"fetch:plain", replace("action: fetch:template", "action: fetch:plain"), nil, `step fetch-base: action "fetch:plain" is not supported`},
		{"templated url", replace("url: ./skeleton", "url: ${{ parameters.skeleton }}"), nil,
			"step fetch-base: input url must be a plain string: templating it is not supported"},
		{"remote url", replace("url: ./skeleton", "url: https://github.com/acme/skeletons/tree/main/go"), nil,
			"remote URLs are not supported"},
		{"unknown input", replace("defaultBranch: main", "defaultBranch: main\n        gitCommitMessage: init"), nil,
			"step publish: input gitCommitMessage of publish:github is not supported"},
		{"repoUrl not a picker", replace("repoUrl: ${{ parameters.repoUrl }}", "repoUrl: github.com?owner=x&repo=y"), nil,
			"step publish: repoUrl must be ${{ parameters.X }}"},
		{"dependencies in a page", replace("    - title: Choose a location\n", "    - title: Choose a location\n      dependencies: {repoUrl: [owner]}\n"),
			nil, "spec.parameters[1]: dependencies is not supported"},
		{"custom filter", same, map[string]string{"NOTES.md.njk": "line one\n${{ values.component_id | shout }}\n"},
			`template: skeleton/NOTES.md.njk:2: filter "shout" is not supported`},
		{"for loop", same, map[string]string{"LIST.md.njk": "a\nb\n{% for x in values.things %}${{ x }}{% endfor %}\n"},
			"template: skeleton/LIST.md.njk:3: {% for %} is not supported"},
		{"parameters in a skeleton", same, map[string]string{"P.md.njk": "${{ parameters.owner }}\n"},
			"parameters is not available here (skeleton files see values"},
		{"no publish", replace("action: publish:github", "action: publish:gitlab"), nil, "exactly one publish:github step, not 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scaffold.NewRegistry(scaffold.Source{Name: "repo", FS: backstageFS(t, tc.edit, tc.files)})
			list := r.List(target())
			if len(list) != 1 || !list[0].Broken {
				t.Fatalf("not broken: %+v", list)
			}
			if !strings.Contains(list[0].Problems.Error(), tc.want) {
				t.Errorf("problems\n%s\ndo not say %q", strings.ReplaceAll(list[0].Problems.Error(), "; ", "\n"), tc.want)
			}
		})
	}

	// An unknown field extension is no reason to refuse a template: the form shows a plain input.
	r := scaffold.NewRegistry(scaffold.Source{Name: "repo", FS: backstageFS(t,
		replace("          type: boolean\n", "          type: boolean\n          ui:field: FancyToggle\n"), nil)})
	if s := r.List(target())[0]; s.Broken || !strings.Contains(s.Problems.Error(), "FancyToggle") {
		t.Errorf("%+v", s)
	}
}

func TestNunjucksSubset(t *testing.T) {
	tests := []struct{ src, want string }{
		{"${{ values.name }}", "orders"},
		{"${{values.name|upper}}", "ORDERS"},
		{"${{ values['name'] | capitalize }}", "Orders"},
		{"${{ values.list | join(', ') }}", "a, b"},
		{"${{ values.list | dump }}", `["a","b"]`},
		{"${{ values.empty | default('none') }}", "none"},
		{`${{ values.name | replace("o", "0") }}`, "0rders"},
		{"${{ values.repo | parseRepoUrl | pick('repo') }}", "orders"},
		{"${{ values.repo | projectSlug }}", "sphera/orders"},
		{"{% if values.flag %}yes{% else %}no{% endif %}", "yes"},
		{"{% if not values.flag %}yes{% elif values.name == 'orders' %}named{% endif %}", "named"},
		{"{% if values.name != \"orders\" %}x{% else %}y{% endif %}", "y"},
		{"a\n  {%- if values.flag %}\n  b\n  {%- endif %}\nc", "a\n  b\nc"},
		{"{# a note #}kept", "kept"},
		{"{{ literal }} and {% raw %}${{ values.name }}{% endraw %}", "{{ literal }} and ${{ values.name }}"},
	}
	for _, tc := range tests {
		got, err := scaffold.RenderNunjucks("test.txt", tc.src, map[string]any{"values": map[string]any{
			"name": "orders", "list": []any{"a", "b"}, "empty": "", "flag": true,
			"repo": "github.com?owner=sphera&repo=orders"}})
		if err != nil {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%q renders %q, want %q", tc.src, got, tc.want)
		}
	}
	// Line numbers are those of the original file, even after multi-line tags.
	_, err := scaffold.RenderNunjucks("f.txt", "${{\n values.name\n}}\n{# two\nlines #}\n${{ values.nope }}\n", map[string]any{"values": map[string]any{"name": "x"}})
	if err == nil || !strings.Contains(err.Error(), "template: f.txt:6:") {
		t.Errorf("error %v does not name line 6", err)
	}
}

package scaffold_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/scaffold"
)

const minimalTemplate = `apiVersion: atrium.sphera.io/v1
kind: Template
name: tiny
version: v2
title: Tiny
language: Go
parameters:
  properties:
    greeting: {type: string, default: hello}
golden_path:
  dockerfile: Dockerfile
  ci_workflow: .github/workflows/ci.yml
`

// tiny is a template of Atrium's format whose files are given; the golden-path files are added unless replaced.
func tiny(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{
		"tiny/template.yaml":                                   {Data: []byte(minimalTemplate)},
		"tiny/skeleton/Dockerfile":                             {Data: []byte("FROM scratch\n")},
		"tiny/skeleton/.github/workflows/ci.yml":               {Data: []byte("name: ci\n")},
		"tiny/skeleton/.github/CODEOWNERS":                     {Data: []byte("* {{.atrium.codeowners}}\n")},
		"tiny/skeleton/atrium.yaml":                            {Data: []byte("name: {{.name}}\nowner: {{.team}}\ntemplate: {{.atrium.template}}\n")},
		"tiny/skeleton/cmd/{{.name}}/main.go.tmpl":             {Data: []byte("package main // {{.greeting}} from {{.name}}\n")},
		"tiny/skeleton/{{if eq .greeting \"hi\"}}hi.md{{end}}": {Data: []byte("queue\n")},
	}
	for k, v := range files {
		if v == "" {
			delete(fsys, "tiny/"+k)
			continue
		}
		fsys["tiny/"+k] = &fstest.MapFile{Data: []byte(v)}
	}
	return fsys
}

func loadTiny(t *testing.T, files map[string]string) (*scaffold.Template, []scaffold.Summary) {
	t.Helper()
	r := scaffold.NewRegistry(scaffold.Source{Name: "repo", Version: "c0ffee", FS: tiny(files)})
	list := r.List(target())
	tmpl, _ := r.Get("tiny")
	return tmpl, list
}

func TestAtriumFormatRendersPathsAndSkipsEmptyOnes(t *testing.T) {
	tmpl, list := loadTiny(t, nil)
	if tmpl == nil {
		t.Fatalf("broken: %v", list[0].Problems)
	}
	p, ps := tmpl.Plan(context.Background(), map[string]any{"name": "orders", "team": "payments"}, target(), nil)
	if p == nil {
		t.Fatal(ps)
	}
	files := byPath(p.Files)
	if files["cmd/orders/main.go"] != "package main // hello from orders\n" {
		t.Errorf("files: %v", keys(files))
	}
	if _, ok := files["hi.md"]; ok {
		t.Error("a file whose name renders empty was kept")
	}
	if p.CatalogEntry.Template != "tiny@v2" || p.Template.Source != "repo" {
		t.Errorf("template %+v, entry %s", p.Template, p.CatalogEntry.Template)
	}
}

func TestSkeletonErrorsNameTheFileAndLine(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"does not parse", map[string]string{"skeleton/main.go.tmpl": "package main\n\n// {{.name}\n"},
			"template: skeleton/main.go.tmpl:3: bad character"},
		{"unknown function", map[string]string{"skeleton/README.md": "# x\n\n{{ env \"HOME\" }}\n"},
			`template: skeleton/README.md:3: function "env" not defined`},
		{"misspelt parameter", map[string]string{"skeleton/README.md": "# {{.name}}\n{{.nmae}}\n"},
			`template: skeleton/README.md:2:2: executing "skeleton/README.md" at <.nmae>: map has no entry for key "nmae"`},
		{"path does not parse", map[string]string{"skeleton/{{.name/x.txt": "x"},
			"skeleton/{{.name/x.txt (file name)"},
		{"path leaves the repository", map[string]string{"skeleton/{{.greeting}}/x.txt": "x",
			"template.yaml": strings.Replace(minimalTemplate, "default: hello", "default: ..", 1)},
			"cannot be a file of a repository"},
		{"no Dockerfile", map[string]string{"skeleton/Dockerfile": ""}, "renders no Dockerfile (Dockerfile)"},
		{"descriptor names another service", map[string]string{"skeleton/atrium.yaml": "name: other\nowner: {{.team}}\n"},
			"must describe one service named"},
		{"standard parameter redeclared", map[string]string{"template.yaml": strings.Replace(minimalTemplate,
			"greeting:", "name: {type: string}\n    greeting:", 1)}, `"name" is a standard parameter`},
		{"keyword outside the subset", map[string]string{"template.yaml": strings.Replace(minimalTemplate,
			"{type: string, default: hello}", "{type: string, default: hello, oneOf: [{const: a}]}", 1)}, `keyword "oneOf"`},
		{"object parameter", map[string]string{"template.yaml": strings.Replace(minimalTemplate,
			"{type: string, default: hello}", "{type: object}", 1)}, "type must be string, boolean, integer, number or array"},
		{"unknown field", map[string]string{"template.yaml": minimalTemplate + "colour: blue\n"}, "field colour not found"},
		{"unknown fields, in the author's words, on one line", map[string]string{"template.yaml": minimalTemplate + "colour: blue\nsize: 3\n"},
			"template.yaml: line 13: field colour not found; line 14: field size not found"},
		{"not UTF-8", map[string]string{"skeleton/logo.png": "\x89PNG\xff\xfe"}, "not UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, list := loadTiny(t, tc.files)
			if tmpl != nil {
				t.Fatalf("loaded; want a broken template saying %q", tc.want)
			}
			if len(list) != 1 || !list[0].Broken || list[0].Name != "tiny" {
				t.Fatalf("listing: %+v", list)
			}
			if !strings.Contains(list[0].Problems.Error(), tc.want) {
				t.Errorf("problems %q do not say %q", list[0].Problems.Error(), tc.want)
			}
		})
	}
}

func TestRenderErrorAtPlanTimeNamesTheFileAndLine(t *testing.T) {
	// Renders with the sample parameters when loading; fails for a user who asks for an SQS queue.
	tmpl, list := loadTiny(t, map[string]string{
		"template.yaml":     minimalTemplate + "  resources: [sqs_queue]\n",
		"skeleton/QUEUE.md": "# Queue\n\n{{ if .sqs_queue }}{{ index .secret_names 0 }}{{ end }}\n",
	})
	if tmpl != nil {
		t.Fatalf("a skeleton that fails with the sample parameters loaded: %v", list)
	}
	tmpl, list = loadTiny(t, map[string]string{
		"template.yaml":     minimalTemplate + "  resources: [sqs_queue]\n",
		"skeleton/QUEUE.md": "# Queue\n\n{{ if .sqs_queue }}{{ if eq .name \"orders\" }}{{ .nmae }}{{ end }}{{ end }}\n",
	})
	if tmpl == nil {
		t.Fatal(list[0].Problems)
	}
	p, ps := tmpl.Plan(context.Background(), map[string]any{"name": "orders", "team": "payments", "sqs_queue": true}, target(), nil)
	if p != nil || len(ps) != 1 || !strings.HasPrefix(ps[0].Summary, "template: skeleton/QUEUE.md:3:") ||
		ps[0].Source != "template" || ps[0].Severity != problem.Error {
		t.Errorf("plan %v, problems %#v", p != nil, ps)
	}
}

func TestRegistryKeepsBrokenTemplatesApartAndLetsLaterSourcesReplace(t *testing.T) {
	broken := fstest.MapFS{
		"good/template.yaml":            {Data: []byte(strings.Replace(minimalTemplate, "name: tiny", "name: good", 1))},
		"bad/template.yaml":             {Data: []byte("apiVersion: v9\nkind: Template\n")},
		"worse/template.yaml":           {Data: []byte(":\n  - [")},
		"go-http-service/template.yaml": {Data: []byte(strings.Replace(minimalTemplate, "name: tiny", "name: go-http-service", 1))},
		".hidden/template.yaml":         {Data: []byte("not even yaml: [")},
	}
	for _, dir := range []string{"good", "go-http-service"} {
		for k, v := range tiny(nil) {
			if strings.HasPrefix(k, "tiny/skeleton/") {
				broken[dir+strings.TrimPrefix(k, "tiny")] = v
			}
		}
	}
	r := scaffold.NewRegistry(scaffold.Builtin(), scaffold.Source{Name: "repo", FS: broken})
	got := map[string]scaffold.Summary{}
	for _, s := range r.List(target()) {
		got[s.Name] = s
	}
	if _, ok := got["hidden"]; ok || len(got) != 5 {
		t.Errorf("listed %v", got)
	}
	for _, name := range []string{"bad", "worse"} {
		if !got[name].Broken || len(got[name].Problems) == 0 || got[name].Parameters != nil {
			t.Errorf("%s: %+v", name, got[name])
		}
		if _, err := r.Get(name); !errors.Is(err, scaffold.ErrBroken) || !strings.Contains(err.Error(), "template.yaml") {
			t.Errorf("Get(%s): %v", name, err)
		}
	}
	if got["good"].Broken || got["node-service"].Broken {
		t.Errorf("a broken template broke another: %+v", got)
	}
	if s := got["go-http-service"]; s.Source != "repo" || !strings.Contains(s.Problems.Error(), "replaces the template go-http-service of builtin") {
		t.Errorf("replacement: %+v", s)
	}

	// Reloading the source without the replacement brings the built-in back.
	delete(broken, "go-http-service/template.yaml")
	r.Load(scaffold.Source{Name: "repo", FS: broken})
	if tmpl, err := r.Get("go-http-service"); err != nil || tmpl.Source != "builtin" {
		t.Errorf("after reload: %v %v", tmpl, err)
	}
}

// TestSourceProblemsOfAFetch: problems a sync found while fetching a templates repository are the template's. A
// template with an error among them is broken with those problems only (even when its directory did not reach
// the file system); warnings are added to what loading finds; Load says what it loaded, by directory.
func TestSourceProblemsOfAFetch(t *testing.T) {
	fsys := tiny(nil)
	for k, v := range tiny(nil) {
		fsys["other/"+strings.TrimPrefix(k, "tiny/")] = v
	}
	fsys["other/template.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(minimalTemplate, "name: tiny", "name: other", 1))}
	skipped := problem.Problem{Severity: problem.Error, Source: "github", Summary: "skeleton/link: a symbolic link"}
	note := problem.Problem{Severity: problem.Warning, Source: "github", Summary: "something to know"}
	r := scaffold.NewRegistry()
	loaded := r.Load(scaffold.Source{Name: "repo", Version: "c0ffee", FS: fsys, Problems: map[string]problem.Problems{
		"other": {skipped}, "tiny": {note}, "huge": {{Severity: problem.Error, Source: "github", Summary: "too large"}},
	}})
	var got []string
	for _, l := range loaded {
		got = append(got, fmt.Sprintf("%s@%s broken=%v %s", l.Name, l.Dir, l.Broken(), l.Problems.Error()))
	}
	want := []string{
		"huge@huge broken=true too large",
		"other@other broken=true skeleton/link: a symbolic link",
		"tiny@tiny broken=false something to know",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("loaded:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := r.Get("other"); !errors.Is(err, scaffold.ErrBroken) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Get(other): %v", err)
	}
	if _, err := r.Get("huge"); !errors.Is(err, scaffold.ErrBroken) {
		t.Errorf("Get(huge): %v", err)
	}
	if tmpl, err := r.Get("tiny"); err != nil || tmpl.Version != "v2" {
		t.Errorf("Get(tiny): %v %v", tmpl, err)
	}
}

package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/cli"
	"github.com/sphera/atrium/backend/server"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

// TestTemplatesCommandShowsWhereEachTemplateCameFrom: `atrium templates` against a team portal that syncs a
// templates repository (on the GitHub fake) says where each template was read — builtin, or owner/name@commit:path
// — and lists a template that does not load as broken with its problem; --json carries source, source_version
// and path.
func TestTemplatesCommandShowsWhereEachTemplateCameFrom(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg("sphera")
	files := map[string]string{"README.md": "# Golden templates\n"}
	builtin := "../../internal/scaffold/builtin/go-http-service"
	err := fs.WalkDir(os.DirFS(builtin), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(os.DirFS(builtin), p)
		if err != nil {
			return err
		}
		c := string(b)
		if p == "template.yaml" {
			c = strings.Replace(strings.Replace(c, "name: go-http-service", "name: go-worker", 1), "version: v1\n", "", 1)
		}
		files[path.Join("platform/templates/go-worker", p)] = c
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	files["platform/templates/half-done/template.yaml"] = "apiVersion: atrium.sphera.io/v1\nkind: Template\nlanguage: Go\ncolour: blue\n"
	gh.AddRepo("sphera", githubtest.Repo{Name: "golden-templates", Files: files})
	head := gh.Head("sphera", "golden-templates")

	for _, k := range []string{"ATRIUM_GITHUB_ORGS", "ATRIUM_GITHUB_API_URL", "ATRIUM_GITHUB_WEBHOOK_SECRET",
		"ATRIUM_OIDC_ISSUER", "ATRIUM_OIDC_AUDIENCE", "ATRIUM_GITHUB_SYNC_INTERVAL"} {
		t.Setenv(k, "")
	}
	t.Setenv("ATRIUM_GITHUB_TOKEN", gh.Token)
	cfgFile := filepath.Join(t.TempDir(), "atrium.yaml")
	if err := os.WriteFile(cfgFile, fmt.Appendf(nil, `
github: {api_url: %[1]s, sync_interval: 1h}
actions:
  github: {api_url: %[1]s}
  environments:
    dev: {regions: [eu-west-1], delivery: preview}
golden_path:
  github: {org: sphera}
  infra: {repo: sphera/infra}
  registry: registry.example.com/sphera
  environments: [{name: dev, regions: [eu-west-1], clusters: [{name: dev-1, region: eu-west-1}]}]
  templates: [{repo: sphera/golden-templates, path: platform/templates}]
`, gh.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	const admin = "atr_cli_templates_admin_0123456789"
	t.Setenv("ATRIUM_ADMIN_TOKEN", admin)
	c := server.Config{DataDir: t.TempDir(), Demo: "off", ConfigFile: cfgFile, Log: cli.NewLogger(io.Discard, true)}
	if err := c.FromEnv(); err != nil {
		t.Fatal(err)
	}
	s, err := server.Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	src := s.GitHub.Templates()[0]
	deadline := time.After(30 * time.Second)
	for {
		synced := src.Synced()
		if st := src.Status(); st.State != sources.StateIdle && st.State != sources.StateSyncing {
			break
		}
		select {
		case <-synced:
		case <-deadline:
			t.Fatalf("the first sync: %+v", src.Status())
		}
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
	dir := t.TempDir()

	r := atriumRun(t, "templates", "--portal", srv.URL, "--token", admin, "--data", dir)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("%+v", r)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.out), "\n") {
		rows[strings.Fields(line)[0]] = line
	}
	for name, want := range map[string]string{
		"TEMPLATE":        `^TEMPLATE\s+LANGUAGE\s+VERSION\s+SOURCE\s+PARAMETERS\s+DESCRIPTION$`,
		"go-http-service": `^go-http-service\s+Go\s+v1\s+builtin\s+name,team,`,
		"node-service":    `^node-service\s+TypeScript\s+v1\s+builtin\s+`,
		"go-worker": `^go-worker\s+Go\s+` + head[:7] + `\s+sphera/golden-templates@` + head[:7] +
			`:platform/templates/go-worker\s+name,team,.*go_version\s+Go HTTP service$`,
		"half-done": `^half-done\s+-\s+` + head[:7] + `\s+sphera/golden-templates@` + head[:7] +
			`:platform/templates/half-done\s+-\s+BROKEN: template.yaml: line 4: field colour not found$`,
	} {
		if !regexp.MustCompile(want).MatchString(rows[name]) {
			t.Errorf("%s: %q, want %s\n%s", name, rows[name], want, r.out)
		}
	}
	if len(rows) != 5 {
		t.Errorf("rows: %s", r.out)
	}

	r = atriumRun(t, "templates", "--json", "--portal", srv.URL, "--token", admin, "--data", dir)
	var ts []struct {
		Name, Source, Path, Version string
		SourceVersion               string `json:"source_version"`
		Broken                      bool
	}
	if err := json.Unmarshal([]byte(r.out), &ts); r.code != 0 || err != nil {
		t.Fatalf("%+v %v", r, err)
	}
	got := map[string]string{}
	for _, tm := range ts {
		got[tm.Name] = fmt.Sprintf("%s %s %s %s %v", tm.Source, tm.SourceVersion, tm.Path, tm.Version, tm.Broken)
	}
	want := map[string]string{
		"go-http-service": "builtin  go-http-service v1 false",
		"node-service":    "builtin  node-service v1 false",
		"go-worker":       "github:sphera/golden-templates " + head + " platform/templates/go-worker " + head + " false",
		"half-done":       "github:sphera/golden-templates " + head + " platform/templates/half-done " + head + " true",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("--json:\n got %v\nwant %v", got, want)
	}
}

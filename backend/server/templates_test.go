package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/scaffold"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

// repoFiles reads the files under root into slash paths below prefix, each passed through edit.
func repoFiles(t *testing.T, root, prefix string, edit func(p, content string) string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(os.DirFS(root), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(os.DirFS(root), p)
		if err != nil {
			return err
		}
		out[path.Join(prefix, p)] = edit(p, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// goldenTemplates is a templates repository's tree under templates/: an Atrium template (the built-in Go one,
// renamed, without a version of its own), a Backstage one, the built-in TypeScript template in the platform team's
// edition (it replaces the built-in one), and a template whose skeleton calls a function that does not exist.
func goldenTemplates(t *testing.T, title string) map[string]string {
	files := repoFiles(t, "../../internal/scaffold/builtin/go-http-service", "templates/go-worker", func(p, c string) string {
		if p == "template.yaml" {
			c = strings.Replace(c, "name: go-http-service", "name: go-worker", 1)
			c = strings.Replace(c, "version: v1\n", "", 1)
			c = strings.Replace(c, "title: Go HTTP service", "title: "+title, 1)
		}
		return c
	})
	add := func(m map[string]string) {
		for k, v := range m {
			files[k] = v
		}
	}
	add(repoFiles(t, "../../internal/scaffold/testdata/backstage/go-service", "templates/go-service", func(p, c string) string {
		if p == "template.yaml" {
			c = strings.Replace(c, "    atrium.sphera.io/version: \"3\"\n", "", 1)
		}
		return c
	}))
	add(repoFiles(t, "../../internal/scaffold/builtin/node-service", "templates/node-service", func(p, c string) string {
		if p == "template.yaml" {
			c = strings.Replace(c, "version: v1\n", "", 1)
			c = strings.Replace(c, "title: TypeScript (Node.js) HTTP service", "title: TypeScript service, platform edition", 1)
		}
		return c
	}))
	add(repoFiles(t, "../../internal/scaffold/builtin/go-http-service", "templates/broken-worker", func(p, c string) string {
		if p == "template.yaml" {
			c = strings.Replace(c, "name: go-http-service", "name: broken-worker", 1)
		}
		return c
	}))
	files["templates/broken-worker/skeleton/HOME.md"] = "# {{.name}}\n\nHome: {{ env \"HOME\" }}\n"
	files["README.md"] = "# Golden templates\n"
	return files
}

// waitSynced waits on the templates source's completion signal until its status satisfies cond.
func waitSynced(t *testing.T, src *github.TemplateSource, cond func(sources.Status) bool) sources.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		synced := src.Synced()
		if st := src.Status(); cond(st) {
			return st
		}
		select {
		case <-synced:
		case <-ctx.Done():
			t.Fatalf("templates source: %+v", src.Status())
		}
	}
}

// waitFor waits for ch to be closed, failing the test after 30 s rather than hanging.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("waited 30 s for %s", what)
	}
}

const templatesAdmin = "atr_templates_admin_token_0123456789"

func finished(st sources.Status) bool {
	return st.State != sources.StateIdle && st.State != sources.StateSyncing
}

// templatesPortal is a portal whose golden path syncs sphera/golden-templates at main, path templates, from the
// GitHub fake gh, with the webhook secret "hook"; the team payments exists. It returns the portal, its URL and the
// templates source after its first sync.
func templatesPortal(t *testing.T, gh *githubtest.Server) (*Server, string, *github.TemplateSource) {
	t.Helper()
	for _, k := range []string{"ATRIUM_GITHUB_ORGS", "ATRIUM_GITHUB_API_URL", "ATRIUM_GITHUB_WEBHOOK_SECRET", "ATRIUM_OIDC_ISSUER",
		"ATRIUM_OIDC_AUDIENCE", "ATRIUM_GITHUB_SYNC_INTERVAL"} {
		t.Setenv(k, "")
	}
	t.Setenv("ATRIUM_GITHUB_TOKEN", gh.Token)
	c := Config{Demo: "off", ConfigFile: writeConfig(t, fmt.Sprintf(`
github:
  api_url: %[1]s
  webhook_secret: hook
  sync_interval: 1h
actions:
  github: {api_url: %[1]s}
  environments:
    dev: {regions: [eu-west-1], delivery: preview, approvers: []}
golden_path:
  github: {org: sphera}
  infra: {repo: sphera/infra}
  registry: registry.example.com/sphera
  environments: [{name: dev, regions: [eu-west-1], clusters: [{name: dev-1, region: eu-west-1}]}]
  templates:
    - {repo: sphera/golden-templates, ref: main, path: templates}
`, gh.URL))}
	if err := c.FromEnv(); err != nil {
		t.Fatal(err)
	}
	s, base := testPortal(t, templatesAdmin, c.File)
	if _, err := s.DB.PutTeams(context.Background(), []catalog.Team{{Name: "payments"}}); err != nil {
		t.Fatal(err)
	}
	if s.GitHub == nil || len(s.GitHub.Templates()) != 1 || len(s.GitHub.Collectors()) != 0 {
		t.Fatalf("hub: %+v", s.GitHub)
	}
	src := s.GitHub.Templates()[0]
	waitSynced(t, src, finished)
	return s, base, src
}

// apiCaller sends requests to the portal at base as its admin, checked against openapi.yaml; a body is JSON.
func apiCaller(t *testing.T, base string) func(method, p, body string, out any) (int, []byte) {
	hc := &http.Client{Transport: apitest.Transport(t, nil)}
	return func(method, p, body string, out any) (int, []byte) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, base+p, rd)
		req.Header.Set("Authorization", "Bearer "+templatesAdmin)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if out != nil && resp.StatusCode < 300 {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, p, err, b)
			}
		}
		return resp.StatusCode, b
	}
}

// listTemplates is GET /api/v1/templates by name.
func listTemplates(t *testing.T, call func(method, p, body string, out any) (int, []byte)) map[string]scaffold.Summary {
	t.Helper()
	var list api.TemplateList
	if st, b := call("GET", "/api/v1/templates", "", &list); st != http.StatusOK {
		t.Fatalf("list: %d %s", st, b)
	}
	out := map[string]scaffold.Summary{}
	for _, s := range list.Templates {
		out[s.Name] = s
	}
	return out
}

// push delivers org/name's push event to the portal's webhook and waits until the sync it started has ended.
func push(t *testing.T, s *Server, base string, gh *githubtest.Server, src *github.TemplateSource, want string) {
	t.Helper()
	synced := src.Synced()
	resp, err := githubtest.Deliver(base+"/api/v1/webhooks/github", "hook", "push", gh.PushPayload("sphera", "golden-templates"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(b), want) {
		t.Fatalf("push: %d %s, want %q", resp.StatusCode, b, want)
	}
	s.GitHub.Wait()
	waitFor(t, synced, "the sync the push started")
}

// TestTemplatesRepositoryThroughThePortal: a portal configured with a templates repository (its configuration
// file, `atrium serve`'s checks) syncs it at start. GET /api/v1/templates lists its templates beside the built-in
// ones, each saying where it was read (source, commit, path); the repository's node-service replaces the built-in
// one and says so; a template whose skeleton does not render is listed broken with the file and line, and cannot
// be planned. POST /api/v1/templates/{name}/plan plans from a repository's template and names where it was read;
// the sources API shows the repository as a source of kind templates with the broken template as an item error. A
// push delivered to the portal's webhook serves the changed templates once the sync it started has ended; a push
// that moves the templates away fails the sync, which keeps the last good set and says so; "Sync now" reads it
// again. Every exchange is checked against openapi.yaml.
func TestTemplatesRepositoryThroughThePortal(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg("sphera")
	gh.AddRepo("sphera", githubtest.Repo{Name: "golden-templates", Files: goldenTemplates(t, "Go worker")})
	gh.AddRepo("sphera", githubtest.Repo{Name: "infra", Files: map[string]string{"README.md": "x\n"}})
	s, base, src := templatesPortal(t, gh)
	if st := src.Status(); st.State != sources.StatePartial || !strings.Contains(st.Message, "4 templates at ") ||
		!strings.Contains(st.Message, "1 broken") {
		t.Fatalf("the sync at start: %+v", st)
	}
	call := apiCaller(t, base)

	head := gh.Head("sphera", "golden-templates")
	got := listTemplates(t, call)
	if len(got) != 5 {
		t.Errorf("templates: %v", got)
	}
	for name, dir := range map[string]string{"go-worker": "templates/go-worker", "go-service": "templates/go-service",
		"node-service": "templates/node-service"} {
		if s := got[name]; s.Broken || s.Source != "github:sphera/golden-templates" || s.SourceVersion != head ||
			s.Version != head || s.Path != dir || s.Parameters == nil {
			t.Errorf("%s: %+v", name, s)
		}
	}
	if s := got["go-http-service"]; s.Source != scaffold.BuiltinSource || s.SourceVersion != "" || s.Path != "go-http-service" ||
		s.Version != "v1" || s.Broken {
		t.Errorf("the built-in template beside them: %+v", s)
	}
	if s := got["node-service"]; s.Title != "TypeScript service, platform edition" ||
		!strings.Contains(s.Problems.Error(), "replaces the template node-service of builtin") {
		t.Errorf("the repository's node-service: %+v", s)
	}
	broken := got["broken-worker"]
	if !broken.Broken || broken.Parameters != nil || broken.Path != "templates/broken-worker" || broken.SourceVersion != head ||
		!strings.Contains(broken.Problems.Error(), `template: skeleton/HOME.md:3: function "env" not defined`) {
		t.Errorf("the broken template: %+v", broken)
	}

	var plan scaffold.Plan
	params := `{"parameters": {"name": "orders-ledger", "team": "payments"}}`
	if st, b := call("POST", "/api/v1/templates/go-worker/plan", params, &plan); st != http.StatusOK ||
		plan.Template != (scaffold.TemplateRef{Name: "go-worker", Version: head, Source: "github:sphera/golden-templates",
			SourceVersion: head, Path: "templates/go-worker", Format: scaffold.FormatAtrium}) ||
		plan.CatalogEntry.Template != "go-worker@"+head || len(plan.Files) == 0 {
		t.Errorf("plan: %d %+v %s", st, plan.Template, b)
	}
	if st, _ := call("POST", "/api/v1/templates/go-service/plan", params, &plan); st != http.StatusOK || plan.Template.Format != scaffold.FormatBackstage {
		t.Errorf("plan from the Backstage template: %d %+v", st, plan.Template)
	}
	if st, b := call("POST", "/api/v1/templates/broken-worker/plan", params, nil); st < 400 || st >= 500 ||
		!strings.Contains(string(b), `function \"env\" not defined`) {
		t.Errorf("plan from the broken template: %d %s", st, b)
	}

	var srcs struct {
		Items []sources.Status `json:"items"`
	}
	if st, _ := call("GET", "/api/v1/sources", "", &srcs); st != http.StatusOK || len(srcs.Items) != 1 {
		t.Fatalf("sources: %d %+v", st, srcs)
	}
	if st := srcs.Items[0]; st.Name != "github:sphera/golden-templates" || st.Kind != "templates" || st.State != sources.StatePartial ||
		!st.Syncable || !strings.Contains(st.Message, "4 templates at "+head[:7]) || st.Errors != 1 {
		t.Errorf("the templates source: %+v", st)
	}
	named := "/api/v1/sources/" + url.PathEscape(src.Name())
	var d sources.Detail
	if st, _ := call("GET", named, "", &d); st != http.StatusOK || d.Items != 4 || d.Kind != "templates" ||
		len(d.ItemErrors) != 1 || d.ItemErrors[0].Item != "templates/broken-worker" ||
		!strings.Contains(d.ItemErrors[0].Error, `function "env" not defined`) {
		t.Errorf("detail: %d %+v", st, d)
	}

	// A push to the templates' ref, delivered to the portal's webhook: the changed template is served once the sync
	// the delivery started has ended.
	gh.Push("sphera", "golden-templates", goldenTemplates(t, "Go worker, second edition"))
	push(t, s, base, gh, src, "refreshing the templates of sphera/golden-templates")
	second := gh.Head("sphera", "golden-templates")
	if s := listTemplates(t, call)["go-worker"]; s.Title != "Go worker, second edition" || s.Version != second || s.SourceVersion != second {
		t.Errorf("after the push: %+v", s)
	}

	// A push that moves the templates away: the sync fails, the last good set is kept and the source says so.
	moved := map[string]string{}
	for p, c := range goldenTemplates(t, "Go worker, moved") {
		moved[strings.Replace(p, "templates/", "golden/", 1)] = c
	}
	gh.Push("sphera", "golden-templates", moved)
	push(t, s, base, gh, src, "refreshing the templates of sphera/golden-templates")
	kept := listTemplates(t, call)
	if s := kept["go-worker"]; s.Title != "Go worker, second edition" || s.SourceVersion != second || len(kept) != 5 {
		t.Errorf("after a failed sync: %+v", kept)
	}
	call("GET", "/api/v1/sources", "", &srcs)
	if st := srcs.Items[0]; st.State != sources.StateError ||
		!strings.Contains(st.Message, "sphera/golden-templates has no directory templates/ at "+gh.Head("sphera", "golden-templates")[:7]) ||
		!strings.Contains(st.Message, "check golden_path.templates' path") ||
		!strings.Contains(st.Message, "the 4 templates read at "+second[:7]) || !strings.Contains(st.Message, "are kept") {
		t.Errorf("the failed sync: %+v", st)
	}

	// Put back and synced on request ("Sync now"); a second request when nothing moved costs one conditional
	// request, answered 304.
	gh.Push("sphera", "golden-templates", goldenTemplates(t, "Go worker, third edition"))
	synced := src.Synced()
	if st, b := call("POST", named+"/sync", "", nil); st != http.StatusAccepted {
		t.Errorf("sync now: %d %s", st, b)
	}
	waitFor(t, synced, "sync now")
	third := gh.Head("sphera", "golden-templates")
	if s := listTemplates(t, call)["go-worker"]; s.Title != "Go worker, third edition" || s.SourceVersion != third {
		t.Errorf("after sync now: %+v", s)
	}
	gh.ResetCounts()
	synced = src.Synced()
	if st, b := call("POST", named+"/sync", "", nil); st != http.StatusAccepted {
		t.Errorf("sync now: %d %s", st, b)
	}
	waitFor(t, synced, "sync now")
	if cnt := gh.Counts(); cnt.Requests != 1 || cnt.NotModified[githubtest.KindCommit] != 1 {
		t.Errorf("sync now with nothing new: %+v", cnt)
	}
}

// TestLocalModeOffersTheBuiltInTemplatesOnly: local mode has no templates repository and no GitHub: the golden
// path's templates are the built-in ones, and no source of kind templates is listed.
func TestLocalModeOffersTheBuiltInTemplatesOnly(t *testing.T) {
	ctx := context.Background()
	s, err := OpenLocal(ctx, filepath.Join(t.TempDir(), "portal.db"), slog.New(slog.NewTextHandler(io.Discard, nil)),
		LocalOptions{NoWorker: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	if s.GitHub != nil {
		t.Errorf("local mode reads GitHub: %+v", s.GitHub)
	}
	me := auth.Principal{Subject: "me", Grants: []auth.Grant{{Role: auth.RoleAdmin}}, Via: "local"}
	get := func(p string, out any) {
		t.Helper()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, p, nil)
		s.Handler().ServeHTTP(rec, req.WithContext(auth.WithPrincipal(req.Context(), me)))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", p, rec.Code, rec.Body)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatal(err)
		}
	}
	var list api.TemplateList
	get("/api/v1/templates", &list)
	var names []string
	for _, tm := range list.Templates {
		names = append(names, tm.Name)
		if tm.Source != scaffold.BuiltinSource || tm.Broken {
			t.Errorf("%s: source %s, broken %v", tm.Name, tm.Source, tm.Broken)
		}
	}
	if strings.Join(names, ",") != "go-http-service,node-service" {
		t.Errorf("local mode's templates: %v", names)
	}
	var srcs struct {
		Items []sources.Status `json:"items"`
	}
	get("/api/v1/sources", &srcs)
	for _, st := range srcs.Items {
		if st.Kind == github.TemplatesKind {
			t.Errorf("a templates source in local mode: %+v", st)
		}
	}
}

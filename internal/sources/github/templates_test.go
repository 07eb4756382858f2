package github_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sphera/atrium/internal/scaffold"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

const (
	tmplOrg  = "sphera"
	tmplRepo = "golden-templates"
)

// dirFiles reads the files under root into slash paths below prefix, each passed through edit.
func dirFiles(t testing.TB, root, prefix string, edit func(p, content string) string) map[string]string {
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
		c := string(b)
		if edit != nil {
			c = edit(p, c)
		}
		out[path.Join(prefix, p)] = c
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// goWorker is the built-in Go template as a templates repository holds it: renamed, and without a version of its
// own, so that it has the commit's.
func goWorker(t *testing.T, prefix string) map[string]string {
	return dirFiles(t, "../../scaffold/builtin/go-http-service", prefix, func(p, c string) string {
		if p == "template.yaml" {
			c = strings.Replace(c, "name: go-http-service", "name: go-worker", 1)
			c = strings.Replace(c, "version: v1\n", "", 1)
			c = strings.Replace(c, "title: Go HTTP service", "title: Go worker", 1)
		}
		return c
	})
}

// backstageService is a Backstage software template as teams bring it, without Atrium's version annotation.
func backstageService(t *testing.T, prefix string) map[string]string {
	return dirFiles(t, "../../scaffold/testdata/backstage/go-service", prefix, func(p, c string) string {
		if p == "template.yaml" {
			c = strings.Replace(c, "    atrium.sphera.io/version: \"3\"\n", "", 1)
		}
		return c
	})
}

// templatesRepo is the platform team's repository: an Atrium template and a Backstage one under templates/, and
// files the sync has no reason to read (outside the path, beside the templates, in a hidden directory).
func templatesRepo(t *testing.T) map[string]string {
	files := map[string]string{
		"README.md":                              "# Golden templates\n",
		"docs/guide.md":                          "How to write a template.\n",
		"templates/README.md":                    "One directory per template.\n",
		"templates/.drafts/wip/template.yaml":    "not a template yet: [",
		"templates/.drafts/wip/skeleton/x.tmpl":  "{{ .nothing }}",
		"templates/go-worker/docs/decisions.md":  "Why the worker looks like this.\n",
		"templates/go-worker/skeleton/NOTES.txt": "Notes for {{.name}}.\n",
	}
	for k, v := range goWorker(t, "templates/go-worker") {
		files[k] = v
	}
	for k, v := range backstageService(t, "templates/go-service") {
		files[k] = v
	}
	return files
}

type tmplEnv struct {
	*env
	reg  *scaffold.Registry
	src  *github.TemplateSource
	down *atomic.Bool // GitHub unreachable
}

// newTemplatesEnv is a hub with no organisation and one templates repository, sphera/golden-templates at main,
// path templates, loading into a registry of the built-in templates.
func newTemplatesEnv(t *testing.T, gh *githubtest.Server, repo github.TemplateRepo, lim github.TemplateLimits) *tmplEnv {
	t.Helper()
	down := &atomic.Bool{}
	e := newEnv(t, gh, func(c *github.Config) {
		c.Orgs = nil
		c.Base = roundTripper(func(r *http.Request) (*http.Response, error) {
			if down.Load() {
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
			}
			return http.DefaultTransport.RoundTrip(r)
		})
	})
	reg := scaffold.NewRegistry(scaffold.Builtin())
	src, err := e.hub.AddTemplates(repo, reg, lim)
	if err != nil {
		t.Fatal(err)
	}
	return &tmplEnv{env: e, reg: reg, src: src, down: down}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func defaultRepo() github.TemplateRepo {
	return github.TemplateRepo{Owner: tmplOrg, Name: tmplRepo, Ref: "main", Path: "templates"}
}

func (e *tmplEnv) syncOK() githubtest.Counts {
	e.t.Helper()
	e.gh.ResetCounts()
	if err := e.src.Sync(context.Background()); err != nil {
		e.t.Fatalf("templates sync: %v", err)
	}
	return e.gh.Counts()
}

func (e *tmplEnv) listed() map[string]scaffold.Summary {
	out := map[string]scaffold.Summary{}
	for _, s := range e.reg.List(tmplTarget()) {
		out[s.Name] = s
	}
	return out
}

func tmplTarget() scaffold.Target {
	t := scaffold.Target{GitHub: scaffold.GitHubTarget{Org: "sphera"}, Infra: scaffold.InfraTarget{Repo: "sphera/infra"},
		Environments: []scaffold.Environment{{Name: "dev", Regions: []string{"eu-west-1"},
			Clusters: []scaffold.Cluster{{Name: "dev-1", Region: "eu-west-1"}}}}, Registry: "registry.example.com/sphera"}
	_ = t.Check() // for its defaults
	return t
}

// checker knows the team payments and nothing else.
type checker struct{}

func (checker) ServiceExists(context.Context, string) (bool, error)      { return false, nil }
func (checker) RepoExists(context.Context, string, string) (bool, error) { return false, nil }
func (checker) TeamExists(_ context.Context, team string) (bool, error) {
	return team == "payments", nil
}

func plan(t *testing.T, reg *scaffold.Registry, name string) *scaffold.Plan {
	t.Helper()
	tmpl, err := reg.Get(name)
	if err != nil {
		t.Fatalf("template %s: %v", name, err)
	}
	p, ps := tmpl.Plan(context.Background(), map[string]any{"name": "orders", "team": "payments"}, tmplTarget(), checker{})
	if ps.HasErrors() {
		t.Fatalf("plan from %s: %v", name, ps)
	}
	return p
}

// TestTemplatesSyncedFromARepository: an Atrium template and a Backstage one in a templates repository are both
// listed with the repository as their source and its commit as their version, beside the built-in ones, and plan.
// Only the templates' files are fetched; a sync when nothing moved costs one conditional request, free.
func TestTemplatesSyncedFromARepository(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg(tmplOrg)
	files := templatesRepo(t)
	gh.AddRepo(tmplOrg, githubtest.Repo{Name: tmplRepo, Files: files})
	e := newTemplatesEnv(t, gh, defaultRepo(), github.TemplateLimits{})
	if st := e.src.Status(); st.Kind != github.TemplatesKind || st.State != sources.StateIdle || st.Name != "github:sphera/golden-templates" {
		t.Errorf("before the first sync: %+v", st)
	}

	c := e.syncOK()
	head := gh.Head(tmplOrg, tmplRepo)
	got := e.listed()
	for _, name := range []string{"go-worker", "go-service"} {
		s := got[name]
		if s.Broken || s.Source != "github:sphera/golden-templates" || s.Version != head {
			t.Errorf("%s: broken=%v source=%q version=%q (head %s) problems=%v", name, s.Broken, s.Source, s.Version, head, s.Problems)
		}
	}
	if got["go-worker"].Format != scaffold.FormatAtrium || got["go-service"].Format != scaffold.FormatBackstage ||
		got["go-worker"].Title != "Go worker" {
		t.Errorf("formats: %+v / %+v", got["go-worker"], got["go-service"])
	}
	if s := got["go-http-service"]; s.Source != scaffold.BuiltinSource || s.Broken || len(got) != 4 {
		t.Errorf("the built-in templates beside them: %v", got)
	}
	for _, name := range []string{"go-worker", "go-service"} {
		p := plan(t, e.reg, name)
		if p.Template.Source != "github:sphera/golden-templates" || p.Template.Version != head ||
			p.CatalogEntry.Template != name+"@"+head {
			t.Errorf("plan from %s: template %+v, catalog entry's template %q", name, p.Template, p.CatalogEntry.Template)
		}
	}

	// Exactly the templates' files were fetched: not the README beside them, the docs outside the path, nor the
	// hidden drafts.
	want := map[string]bool{}
	for p, content := range files {
		if strings.HasPrefix(p, "templates/go-worker/") || strings.HasPrefix(p, "templates/go-service/") {
			want[githubtest.BlobSHA([]byte(content))] = true
		}
	}
	if n := c.ByKind[githubtest.KindBlob]; n != len(want) {
		t.Errorf("%d blob requests, want %d (one per distinct file of the two templates)", n, len(want))
	}
	if n := c.ByKind[githubtest.KindTree]; n != 2 {
		t.Errorf("%d tree requests, want 2 (the root, to find templates/, and templates/ recursively)", n)
	}
	st := e.src.Status()
	if st.State != sources.StateOK || !strings.Contains(st.Message, "2 templates at "+head[:7]) || st.Errors != 0 ||
		st.Requests == nil || st.Requests.Total != c.Requests || st.RateLimit == nil {
		t.Errorf("status: %+v (requests %+v)", st, st.Requests)
	}
	if d, err := e.src.Detail(context.Background()); err != nil || d.Items != 2 || len(d.ItemErrors) != 0 {
		t.Errorf("detail: %+v %v", d, err)
	}

	// Nothing moved: one conditional request, answered 304, nothing read or loaded again.
	c = e.syncOK()
	if c.Requests != 1 || c.NotModified[githubtest.KindCommit] != 1 || c.Points != 0 {
		t.Errorf("a sync with nothing new: %+v", c)
	}

	// A commit that leaves the templates alone: the templates' directory is the same tree, so nothing is fetched;
	// the templates are loaded again at the new commit.
	files["README.md"] = "# Golden templates\n\nNow with a table of contents.\n"
	gh.Push(tmplOrg, tmplRepo, files)
	c = e.syncOK()
	if c.ByKind[githubtest.KindBlob] != 0 || c.ByKind[githubtest.KindTree] != 1 {
		t.Errorf("a commit outside the templates: %d blobs, %d trees fetched", c.ByKind[githubtest.KindBlob], c.ByKind[githubtest.KindTree])
	}
	if s := e.listed()["go-worker"]; s.Version != gh.Head(tmplOrg, tmplRepo) {
		t.Errorf("version after a commit outside the templates: %q", s.Version)
	}
}

// TestTemplatesBrokenOneListedOthersUsable: a template that does not load, or that the sync could not read whole,
// is listed broken with its problems; the others stay usable. Templates are code the platform team owns, rendered
// with a restricted function set: a template that would read the environment or a file is broken when it loads.
func TestTemplatesBrokenOneListedOthersUsable(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg(tmplOrg)
	files := templatesRepo(t)
	variant := func(dir string, edit func(files map[string]string)) {
		fs := goWorker(t, "templates/"+dir)
		fs["templates/"+dir+"/template.yaml"] = strings.Replace(fs["templates/"+dir+"/template.yaml"], "name: go-worker", "name: "+dir, 1)
		edit(fs)
		for k, v := range fs {
			files[k] = v
		}
	}
	variant("reads-env", func(fs map[string]string) {
		fs["templates/reads-env/skeleton/home.txt.tmpl"] = `home is {{ env "HOME" }}` + "\n"
	})
	variant("reads-file", func(fs map[string]string) {
		fs["templates/reads-file/skeleton/passwd.tmpl"] = `{{ readFile "/etc/passwd" }}` + "\n"
	})
	variant("reads-file-by-name", func(fs map[string]string) {
		fs["templates/reads-file-by-name/skeleton/{{ readFile \"/etc/hostname\" }}.txt"] = "x\n"
	})
	variant("misspelt", func(fs map[string]string) {
		fs["templates/misspelt/skeleton/README.md.tmpl"] = "# {{ .nmae }}\n"
	})
	backstage := backstageService(t, "templates/backstage-env")
	for k, v := range backstage {
		if strings.HasSuffix(k, "template.yaml") {
			v = strings.Replace(v, "name: go-service", "name: backstage-env", 1)
		}
		if strings.HasSuffix(k, "README.md.njk") {
			v += "${{ env('HOME') }}\n"
		}
		files[k] = v
	}
	gh.AddRepo(tmplOrg, githubtest.Repo{Name: tmplRepo})
	linked := goWorker(t, "templates/linked")
	linked["templates/linked/template.yaml"] = strings.Replace(linked["templates/linked/template.yaml"], "name: go-worker", "name: linked", 1)
	for k, v := range linked {
		files[k] = v
	}
	gh.PushSpecial(tmplOrg, tmplRepo, files, githubtest.Special{
		Symlinks:   map[string]string{"templates/linked/skeleton/secrets.txt": "/etc/shadow", "templates/shared": "../docs"},
		Submodules: map[string]string{"templates/vendored/skeleton/lib": strings.Repeat("ab", 20)},
	})
	// vendored is a template with a submodule in its skeleton.
	e := newTemplatesEnv(t, gh, defaultRepo(), github.TemplateLimits{})
	e.syncOK()

	got := e.listed()
	for name, want := range map[string]string{
		"reads-env":          `function "env" not defined`,
		"reads-file":         `function "readFile" not defined`,
		"reads-file-by-name": `function "readFile" not defined`,
		"misspelt":           `map has no entry for key "nmae"`,
		"backstage-env":      `skeleton/README.md.njk:8: unexpected "('HOME') "`,
		"linked":             "skeleton/secrets.txt: a symbolic link",
	} {
		s := got[name]
		if !s.Broken || !strings.Contains(s.Problems.Error(), want) || s.Source != "github:sphera/golden-templates" {
			t.Errorf("%s: broken=%v source=%q problems %v, want %q", name, s.Broken, s.Source, s.Problems, want)
		}
		if _, err := e.reg.Get(name); !errors.Is(err, scaffold.ErrBroken) {
			t.Errorf("Get(%s): %v", name, err)
		}
	}
	// The good ones stay usable.
	for _, name := range []string{"go-worker", "go-service", "go-http-service", "node-service"} {
		if got[name].Broken {
			t.Errorf("%s broken by another: %v", name, got[name].Problems)
		}
		plan(t, e.reg, name)
	}
	st := e.src.Status()
	if st.State != sources.StatePartial || !strings.Contains(st.Message, "6 broken") {
		t.Errorf("status: %+v", st)
	}
	d, err := e.src.Detail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	items := map[string]string{}
	for _, ie := range d.ItemErrors {
		items[ie.Item] = ie.Error
	}
	if !strings.Contains(items["templates/reads-env"], `function "env" not defined`) ||
		!strings.Contains(items["templates/shared"], "symbolic link: not followed") || len(items) != 8 || st.Errors != 8 {
		t.Errorf("item errors (%d, errors %d): %v", len(items), st.Errors, items)
	}
	// The skeleton's submodule is no template of its own: vendored has no template.yaml, so it is not listed; a
	// submodule inside a template breaks it.
	if _, ok := got["vendored"]; ok {
		t.Errorf("a directory without template.yaml listed: %+v", got["vendored"])
	}
}

// TestTemplatesSubmoduleInATemplate: a template holding a submodule is broken and none of its files is fetched.
func TestTemplatesSubmoduleInATemplate(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg(tmplOrg)
	gh.AddRepo(tmplOrg, githubtest.Repo{Name: tmplRepo})
	gh.PushSpecial(tmplOrg, tmplRepo, goWorker(t, "templates/go-worker"), githubtest.Special{
		Submodules: map[string]string{"templates/go-worker/skeleton/third_party": strings.Repeat("cd", 20)}})
	e := newTemplatesEnv(t, gh, defaultRepo(), github.TemplateLimits{})
	c := e.syncOK()
	s := e.listed()["go-worker"]
	if !s.Broken || !strings.Contains(s.Problems.Error(), "skeleton/third_party: a submodule (commit cdcdcdc)") {
		t.Errorf("go-worker: %+v", s)
	}
	if c.ByKind[githubtest.KindBlob] != 0 {
		t.Errorf("%d blobs fetched of a template that cannot be used", c.ByKind[githubtest.KindBlob])
	}
}

// TestTemplatesPushRefreshesWithinTheDelivery: a push to the templates repository's ref syncs it in the
// background of the webhook; once that work is done (Hub.Wait, the completion signal), the changed template is
// served. A push to another branch or another repository changes nothing.
func TestTemplatesPushRefreshesWithinTheDelivery(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg(tmplOrg)
	files := templatesRepo(t)
	gh.AddRepo(tmplOrg, githubtest.Repo{Name: tmplRepo, Files: files})
	gh.AddRepo(tmplOrg, githubtest.Repo{Name: "elsewhere", Files: map[string]string{"README.md": "x\n"}})
	e := newTemplatesEnv(t, gh, defaultRepo(), github.TemplateLimits{})
	e.syncOK()
	target := webhookServer(t, e.hub)

	files["templates/go-worker/template.yaml"] = strings.Replace(files["templates/go-worker/template.yaml"],
		"title: Go worker", "title: Go worker, second edition", 1)
	gh.Push(tmplOrg, tmplRepo, files)
	synced := e.src.Synced()
	resp, err := githubtest.Deliver(target, "s3cret", "push", gh.PushPayload(tmplOrg, tmplRepo))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("push: %d", resp.StatusCode)
	}
	e.hub.Wait()
	<-synced // closed by the sync the push started (Wait has returned: it has ended)
	s := e.listed()["go-worker"]
	if s.Title != "Go worker, second edition" || s.Version != gh.Head(tmplOrg, tmplRepo) {
		t.Errorf("after the push: title %q, version %q (head %s)", s.Title, s.Version, gh.Head(tmplOrg, tmplRepo))
	}

	// Another repository, and another branch of this one: not the templates' ref.
	gh.Push(tmplOrg, "elsewhere", map[string]string{"README.md": "y\n"})
	other := gh.PushPayload(tmplOrg, "elsewhere")
	branch := []byte(strings.Replace(string(gh.PushPayload(tmplOrg, tmplRepo)), `"ref":"refs/heads/main"`, `"ref":"refs/heads/draft"`, 1))
	for name, payload := range map[string][]byte{"another repository": other, "another branch": branch} {
		gh.ResetCounts()
		resp, err := githubtest.Deliver(target, "s3cret", "push", payload)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		e.hub.Wait()
		if resp.StatusCode != http.StatusOK || gh.Counts().Requests != 0 {
			t.Errorf("%s: %d, %d requests to GitHub", name, resp.StatusCode, gh.Counts().Requests)
		}
	}
}

// TestTemplatesSyncFailureKeepsTheLastGoodSet: GitHub unreachable, the credentials refused, the ref or the path
// gone, a tree too large to list: the sync fails, the source says why, and the templates of the last good sync
// stay listed and usable. The next good sync loads the new ones.
func TestTemplatesSyncFailureKeepsTheLastGoodSet(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(e *tmplEnv)
		mend func(e *tmplEnv)
		want string
	}{
		{"GitHub unreachable", func(e *tmplEnv) { e.down.Store(true) }, func(e *tmplEnv) { e.down.Store(false) },
			"cannot reach GitHub at http://127.0.0.1"},
		{"a server error", func(e *tmplEnv) { e.gh.Break(tmplOrg, tmplRepo, http.StatusBadGateway) },
			func(e *tmplEnv) { e.gh.Break(tmplOrg, tmplRepo, 0) }, "GitHub answered 502"},
		{"the path gone", func(e *tmplEnv) {
			e.gh.Push(tmplOrg, tmplRepo, map[string]string{"README.md": "moved\n"})
		}, nil, "has no directory templates/"},
		{"a tree GitHub truncates", func(e *tmplEnv) { e.gh.SetTreeLimit(10) }, func(e *tmplEnv) { e.gh.SetTreeLimit(0) },
			"GitHub truncated the listing of sphera/golden-templates:templates/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gh := githubtest.New(t)
			gh.AddOrg(tmplOrg)
			files := templatesRepo(t)
			gh.AddRepo(tmplOrg, githubtest.Repo{Name: tmplRepo, Files: files})
			e := newTemplatesEnv(t, gh, defaultRepo(), github.TemplateLimits{})
			e.syncOK()
			good := gh.Head(tmplOrg, tmplRepo)

			// A new commit, which the failing sync does not get to load.
			files["templates/go-worker/template.yaml"] = strings.Replace(files["templates/go-worker/template.yaml"],
				"title: Go worker", "title: Go worker, second edition", 1)
			gh.Push(tmplOrg, tmplRepo, files)
			tc.fail(e)
			err := e.src.Sync(context.Background())
			if err == nil {
				t.Fatal("the sync succeeded")
			}
			st := e.src.Status()
			if st.State != sources.StateError || !strings.Contains(st.Message, tc.want) ||
				!strings.Contains(st.Message, "the 2 templates read at "+good[:7]) {
				t.Errorf("status: %+v, want %q", st, tc.want)
			}
			s := e.listed()["go-worker"]
			if s.Broken || s.Version != good || s.Title != "Go worker" {
				t.Errorf("the last good set: %+v", s)
			}
			plan(t, e.reg, "go-worker")
			plan(t, e.reg, "go-service")

			if tc.mend == nil {
				return
			}
			tc.mend(e)
			e.syncOK()
			if s := e.listed()["go-worker"]; s.Title != "Go worker, second edition" || s.Version != gh.Head(tmplOrg, tmplRepo) {
				t.Errorf("after GitHub came back: %+v", s)
			}
			if st := e.src.Status(); st.State != sources.StateOK {
				t.Errorf("status after GitHub came back: %+v", st)
			}
		})
	}
}

// TestTemplatesFirstSyncFails: a templates repository never read offers nothing but the built-in templates, and
// says why.
func TestTemplatesFirstSyncFails(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg(tmplOrg)
	e := newTemplatesEnv(t, gh, defaultRepo(), github.TemplateLimits{})
	if err := e.src.Sync(context.Background()); err == nil {
		t.Fatal("a repository that does not exist synced")
	}
	st := e.src.Status()
	if st.State != sources.StateError || !strings.Contains(st.Message, "repository sphera/golden-templates not found") ||
		!strings.Contains(st.Message, "none of its templates is offered") {
		t.Errorf("status: %+v", st)
	}
	for name, s := range e.listed() {
		if s.Source != scaffold.BuiltinSource {
			t.Errorf("%s listed from %s", name, s.Source)
		}
	}

	// A ref the repository does not have: GitHub's 422, in words that name the configuration to fix.
	gh.AddRepo(tmplOrg, githubtest.Repo{Name: tmplRepo, Files: templatesRepo(t)})
	e = newTemplatesEnv(t, gh, github.TemplateRepo{Owner: tmplOrg, Name: tmplRepo, Ref: "v9", Path: "templates"}, github.TemplateLimits{})
	if err := e.src.Sync(context.Background()); err == nil {
		t.Fatal("a ref that does not exist synced")
	}
	if st := e.src.Status(); st.State != sources.StateError ||
		!strings.Contains(st.Message, `sphera/golden-templates has no branch, tag or commit "v9" (422 No commit found for SHA: v9): check golden_path.templates' ref`) {
		t.Errorf("unknown ref: %+v", st)
	}
}

// TestTemplatesRepositoryIsBounded: a huge or deeply nested templates repository costs a bounded sync. A template
// with more files or bytes than a template may hold, a file larger than a skeleton file may be, or files nested
// too deep, is broken without any of its files being fetched; once the repository's total is reached, the
// templates after are not read either. The rest load.
func TestTemplatesRepositoryIsBounded(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg(tmplOrg)
	files := map[string]string{}
	add := func(dir string, extra map[string]string) {
		for k, v := range goWorker(t, "templates/"+dir) {
			if strings.HasSuffix(k, "/template.yaml") {
				v = strings.Replace(v, "name: go-worker", "name: "+dir, 1)
			}
			files[k] = v
		}
		for k, v := range extra {
			files["templates/"+dir+"/"+k] = v
		}
	}
	add("a-good", nil)
	many := map[string]string{}
	for i := range 60 {
		many[fmt.Sprintf("skeleton/gen/file-%03d.txt", i)] = fmt.Sprintf("file %d\n", i)
	}
	add("b-many-files", many)
	add("c-large-file", map[string]string{"skeleton/blob.bin": strings.Repeat("x", scaffold.MaxFileSize+1)})
	add("d-deep", map[string]string{strings.Repeat("d/", 40) + "leaf.txt": "deep\n"})
	add("e-good", nil)
	add("f-over-total", nil)
	add("g-over-total", nil)
	gh.AddRepo(tmplOrg, githubtest.Repo{Name: tmplRepo, Files: files})
	perTemplate := len(goWorker(t, ""))
	lim := github.TemplateLimits{TemplateFiles: perTemplate + 20, Depth: 24, Files: 2*perTemplate + 5}
	e := newTemplatesEnv(t, gh, defaultRepo(), lim)
	c := e.syncOK()

	got := e.listed()
	for name, want := range map[string]string{
		"b-many-files": fmt.Sprintf("%d files; a template holds at most %d", perTemplate+60, perTemplate+20),
		"c-large-file": fmt.Sprintf("skeleton/blob.bin: %d bytes; a template's files are at most %d bytes", scaffold.MaxFileSize+1, scaffold.MaxFileSize),
		"d-deep":       "nested 41 directories deep; a templates repository nests files at most 24 deep",
		"f-over-total": "not read: the templates of this repository hold more than",
		"g-over-total": "not read: the templates of this repository hold more than",
	} {
		if s := got[name]; !s.Broken || !strings.Contains(s.Problems.Error(), want) {
			t.Errorf("%s: broken=%v %v, want %q", name, s.Broken, s.Problems, want)
		}
	}
	for _, name := range []string{"a-good", "e-good"} {
		if got[name].Broken {
			t.Errorf("%s: %v", name, got[name].Problems)
		}
	}
	// Only the two good templates' files were fetched: they differ in their template.yaml only, and a blob is
	// fetched once per distinct content.
	if n := c.ByKind[githubtest.KindBlob]; n != perTemplate+1 {
		t.Errorf("%d blob requests; the good templates hold %d distinct files", n, perTemplate+1)
	}
}

// TestTemplatesRepoChecked: a templates repository's configuration is checked before anything is read.
func TestTemplatesRepoChecked(t *testing.T) {
	for _, tc := range []struct {
		repo github.TemplateRepo
		want string
	}{
		{github.TemplateRepo{Owner: "sphera", Name: "bad name"}, `repo "sphera/bad name" is not owner/name`},
		{github.TemplateRepo{Owner: "-x", Name: "t"}, "is not owner/name"},
		{github.TemplateRepo{Owner: "sphera", Name: "t", Ref: "main..x"}, `ref "main..x" is not a branch`},
		{github.TemplateRepo{Owner: "sphera", Name: "t", Ref: "-rf"}, `ref "-rf"`},
		{github.TemplateRepo{Owner: "sphera", Name: "t", Path: "../etc"}, `path "../etc" is not a directory`},
		{github.TemplateRepo{Owner: "sphera", Name: "t", Path: "a/./b"}, "is not a directory"},
		{github.TemplateRepo{Owner: "sphera", Name: "t", Path: "/templates/", Ref: "release/2024"}, ""},
	} {
		err := tc.repo.Check()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.repo, err, tc.want)
		}
	}
	r := github.TemplateRepo{Owner: "sphera", Name: "t", Path: "/templates/"}
	if err := r.Check(); err != nil || r.Path != "templates" {
		t.Errorf("cleaned path: %q %v", r.Path, err)
	}
}

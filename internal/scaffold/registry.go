package scaffold

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/sphera/atrium/internal/problem"
)

// Source is one tree of templates: the built-in ones, or a template repository the portal syncs. Every directory
// holding a template.yaml is a template (the root too, for a repository of one template); hidden directories are
// skipped.
type Source struct {
	// Name identifies the source in listings ("builtin", "github:sphera/templates").
	Name string
	// Version of the tree, e.g. its commit; a template without a version of its own has this one.
	Version string
	FS      fs.FS
	// Root is the directory of FS in the source (a templates repository's path to its templates): a template's
	// Path is its directory below Root.
	Root string
	// Problems were found while the tree was fetched (a sync of a templates repository), by the directory of the
	// template they concern ("." for the root). A template with an error among them is broken, and listed with
	// those problems only: its files were not fetched, so what loading them would say is not worth showing. A
	// directory here that holds no template.yaml in FS is listed as a broken template named after the directory.
	Problems map[string]problem.Problems
}

//go:embed all:builtin
var builtinFS embed.FS

// BuiltinSource is the name of the built-in templates' source.
const BuiltinSource = "builtin"

// Builtin is the source of the templates shipped with Atrium, for local mode and as defaults.
func Builtin() Source {
	sub, err := fs.Sub(builtinFS, "builtin")
	if err != nil {
		panic(err) // the embedded tree always has the directory
	}
	return Source{Name: BuiltinSource, FS: sub}
}

// Registry holds the templates of its sources. A template that does not load is listed as broken with its
// problems; it never keeps the others from loading. When two sources hold a template of the same name, the later
// source's wins (a templates repository may replace a built-in template). A Registry is safe for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	sources []string            // names, in order of precedence (later wins)
	loaded  map[string][]*entry // by source name
	byName  map[string]*entry   // effective template per name
}

type entry struct {
	t        *Template
	problems problem.Problems
}

// NewRegistry loads the sources, in order.
func NewRegistry(sources ...Source) *Registry {
	r := &Registry{loaded: map[string][]*entry{}, byName: map[string]*entry{}}
	for _, s := range sources {
		r.Load(s)
	}
	return r
}

// Loaded is one template a Load found in its source: its name, its directory in the source, and its problems (a
// template with errors among them is broken).
type Loaded struct {
	Name     string
	Dir      string
	Problems problem.Problems
}

// Broken reports whether the template cannot be used.
func (l Loaded) Broken() bool { return l.Problems.HasErrors() }

// Load (re)loads the templates of src, replacing what the registry held of a source of the same name, and says
// what it found, sorted by directory. A sync of the templates repository calls it with the new tree; a source
// that added a template keeps its place in the order of precedence.
func (r *Registry) Load(src Source) []Loaded {
	entries := loadSource(src)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.loaded[src.Name]; !ok {
		r.sources = append(r.sources, src.Name)
	}
	r.loaded[src.Name] = entries
	r.byName = map[string]*entry{}
	for _, name := range r.sources {
		for _, e := range r.loaded[name] {
			if prev, ok := r.byName[e.t.Name]; ok && prev.t.Source != e.t.Source {
				e.problems = append(withoutReplaces(e.problems), problem.Problem{Severity: problem.Info, Source: "template",
					Summary: fmt.Sprintf("replaces the template %s of %s", e.t.Name, prev.t.Source)})
			}
			r.byName[e.t.Name] = e
		}
	}
	out := make([]Loaded, 0, len(entries))
	for _, e := range entries {
		out = append(out, Loaded{Name: e.t.Name, Dir: e.t.dir, Problems: append(problem.Problems{}, e.problems...)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return out
}

func withoutReplaces(ps problem.Problems) problem.Problems {
	var out problem.Problems
	for _, p := range ps {
		if !strings.HasPrefix(p.Summary, "replaces the template ") {
			out = append(out, p)
		}
	}
	return out
}

// loadSource finds and loads every template of src.
func loadSource(src Source) []*entry {
	var dirs []string
	err := fs.WalkDir(src.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != "." && strings.HasPrefix(path.Base(p), ".") {
			return fs.SkipDir
		}
		if _, err := fs.Stat(src.FS, path.Join(p, DefinitionFile)); err == nil {
			dirs = append(dirs, p)
			return fs.SkipDir // a skeleton may hold anything, template.yaml files included
		}
		return nil
	})
	var out []*entry
	if err != nil {
		t := templateIn(src, ".")
		out = append(out, &entry{t: t, problems: problem.Problems{loadProblem("", "read source %s: %v", src.Name, err)}})
	}
	found := map[string]bool{}
	for _, d := range dirs {
		found[d] = true
	}
	for d := range src.Problems {
		if !found[d] {
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	seen := map[string]string{}
	for _, d := range dirs {
		var t *Template
		var ps problem.Problems
		pre := src.Problems[d]
		switch {
		case !found[d]:
			t = templateIn(src, d)
			ps = pre
		case pre.HasErrors():
			t, _ = load(src.FS, d, src)
			ps = pre
		default:
			t, ps = load(src.FS, d, src)
			ps = append(append(problem.Problems{}, pre...), ps...)
		}
		if other, dup := seen[t.Name]; dup {
			ps = append(ps, loadProblem("", "%s and %s of %s both define the template %s", other, d, src.Name, t.Name))
		}
		seen[t.Name] = d
		out = append(out, &entry{t: t, problems: ps})
	}
	return out
}

// Summary describes a template in a listing.
type Summary struct {
	Name        string   `json:"name"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Language    string   `json:"language"`
	Tags        []string `json:"tags"`
	Owner       string   `json:"owner"`
	// Source, SourceVersion and Path say where the template was read: "builtin", or a templates repository
	// ("github:owner/name") at a commit, in a directory from the repository's root.
	Source        string `json:"source"`
	SourceVersion string `json:"source_version"`
	Path          string `json:"path"`
	Version       string `json:"version"`
	Format        string `json:"format"`
	// Parameters is the JSON Schema of the template's parameters for the listing's target (Template.Schema);
	// null for a broken template.
	Parameters map[string]any `json:"parameters"`
	// Broken: the template did not load and cannot be used; Problems say why.
	Broken   bool             `json:"broken"`
	Problems problem.Problems `json:"problems"`
}

// List describes every template, sorted by name, with its parameter schema for target.
func (r *Registry) List(target Target) []Summary {
	_ = target.Check() // for its defaults; its problems are reported where the configuration is loaded
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Summary, 0, len(r.byName))
	for _, e := range r.byName {
		t := e.t
		s := Summary{Name: t.Name, Title: t.Title, Description: t.Description, Language: t.Language,
			Tags: append([]string{}, t.Tags...), Owner: t.Owner, Source: t.Source, SourceVersion: t.SourceVersion, Path: t.Path, Version: t.Version, Format: t.Format,
			Broken: e.problems.HasErrors(), Problems: append(problem.Problems{}, e.problems...)}
		if !s.Broken {
			s.Parameters = t.schema(target)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns the template called name: ErrNotFound when there is none, ErrBroken (with its problems) when it did
// not load. A returned template is immutable and safe for concurrent use.
func (r *Registry) Get(name string) (*Template, error) {
	r.mu.RLock()
	e, ok := r.byName[name]
	r.mu.RUnlock()
	switch {
	case !ok:
		return nil, fmt.Errorf("template %q: %w", name, ErrNotFound)
	case e.problems.HasErrors():
		var errs problem.Problems
		for _, p := range e.problems {
			if p.Severity == problem.Error {
				errs = append(errs, p)
			}
		}
		return nil, fmt.Errorf("template %q: %w: %w", name, ErrBroken, errs) //nolint:errorlint // both are the contract: errors.Is(ErrBroken) and errors.As(problem.Problems)
	}
	return e.t, nil
}

// sampleTarget and sampleParams render every template once when it loads, so that a skeleton that does not
// render is reported as the template's problem, before anyone fills in a form.
func sampleTarget() Target {
	t := Target{
		GitHub: GitHubTarget{Org: "example-org"},
		Infra:  InfraTarget{Repo: "example-org/infrastructure"},
		Environments: []Environment{
			{Name: "dev", Regions: []string{"region-1"}, Clusters: []Cluster{{Name: "dev-1", Region: "region-1"}}},
			{Name: "staging", Regions: []string{"region-1"}, Clusters: []Cluster{{Name: "staging-1", Region: "region-1"}}},
		},
		Registry: "registry.example.com/example-org",
	}
	_ = t.Check() // for its defaults; its problems are reported where the configuration is loaded
	return t
}

func (t *Template) sampleParams(target Target) map[string]any {
	vals := map[string]any{
		ParamName: "example-service", ParamTeam: "example-team", ParamDescription: "An example service.",
		ParamEnvironments: []any{"dev", "staging"}, ParamRegions: []any{"region-1"},
	}
	if slices.Contains(t.GoldenPath.Resources, ResourceSQSQueue) {
		vals[ParamSQSQueue] = true
	}
	if slices.Contains(t.GoldenPath.Resources, ResourceSecrets) {
		vals[ParamSecretNames] = []any{"example-secret"}
	}
	for _, name := range t.paramOrder {
		if _, set := vals[name]; set {
			continue
		}
		p, _ := t.params[name].(map[string]any)
		switch {
		case p["default"] != nil:
			vals[name] = p["default"]
		case p["const"] != nil:
			vals[name] = p["const"]
		default:
			if enum, _ := p["enum"].([]any); len(enum) > 0 {
				vals[name] = enum[0]
			} else if p["type"] == "string" {
				vals[name] = "example"
			} else {
				vals[name] = zeroOf(p)
			}
		}
	}
	return vals
}

// trialRender renders the template with sample parameters.
func (t *Template) trialRender() problem.Problems {
	target := sampleTarget()
	_, ps := t.render(t.sampleParams(target), target)
	for i := range ps {
		if ps[i].Severity == problem.Error {
			ps[i].Detail = strings.TrimSpace(ps[i].Detail + " (rendering with sample parameters)")
		}
	}
	return ps
}

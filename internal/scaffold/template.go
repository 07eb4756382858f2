// Package scaffold is the golden path's domain: the templates a new service starts from, the parameters a user
// fills in, and the plan of everything creating the service does — every file of its repository, the pull request
// of its infrastructure (Terraform and Kubernetes manifests), the hello-world its dev clusters run first, its
// catalog entry, and the ordered steps of the run. It is pure: it calls no GitHub, no cluster and no store; what it
// needs to know of the outside world it asks a Checker the caller passes.
//
// A template is a directory with a template.yaml and a skeleton/ rendered with Go's text/template (Atrium's own
// format), or a Backstage scaffolder.backstage.io/v1beta3 Template whose common subset is translated to the same
// renderer. Registry holds the built-in templates and those loaded from template repositories. docs/templates.md
// describes the format.
//
// The name says what the package does — scaffold a service — rather than "templates", which would read as
// text/template's and say nothing of the plan.
package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"text/template"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/sphera/atrium/internal/problem"
)

// Formats of a template's definition.
const (
	FormatAtrium    = "atrium"
	FormatBackstage = "backstage"
)

// APIVersion of Atrium's template.yaml.
const APIVersion = "atrium.sphera.io/v1"

// DefinitionFile is the file that makes a directory a template.
const DefinitionFile = "template.yaml"

// Limits of a template's skeleton, so that a template repository cannot exhaust the portal.
const (
	MaxSkeletonFiles = 1000
	MaxFileSize      = 1 << 20  // of a skeleton file, and of a rendered one
	MaxSkeletonSize  = 16 << 20 // of a whole skeleton
)

// Errors of the registry.
var (
	ErrNotFound = errors.New("no such template")
	// ErrBroken: the template did not load; the error carries its problems.
	ErrBroken = errors.New("template is broken")
)

// Template is one loaded template. Its exported fields describe it; rendering happens in Plan.
type Template struct {
	Name        string   `json:"name"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Language    string   `json:"language"`
	Tags        []string `json:"tags"`
	// Owner is the team that maintains the template.
	Owner string `json:"owner"`
	// Source names where it was loaded from ("builtin", a template repository).
	Source string `json:"source"`
	// Version of the template: its template.yaml's version, else its source's.
	Version string `json:"version"`
	// SourceVersion is the version of the source it was read at: a templates repository's commit; "" for the
	// built-in templates.
	SourceVersion string `json:"source_version"`
	// Path is the template's directory in its source: from the root of a templates repository.
	Path string `json:"path"`
	// Format is atrium or backstage.
	Format     string     `json:"format"`
	GoldenPath GoldenPath `json:"golden_path"`

	dir        string // in its source's file system
	params     map[string]any
	paramOrder []string
	required   []string
	skeleton   []skeletonFile
	repo       repoSettings
	backstage  *backstageSpec
	compiled   sync.Map // schema JSON → *jsonschema.Schema
}

// Ref is "name@version", what a service created from the template records.
func (t *Template) Ref() string { return t.Name + "@" + t.Version }

// GoldenPath are a template's golden-path defaults: what the plan adds around the rendered repository.
type GoldenPath struct {
	// Port the service listens on, and HealthPath its readiness and liveness probes ask.
	Port       int    `json:"port" yaml:"port"`
	HealthPath string `json:"health_path" yaml:"health_path"`
	// HelloImage is the prebuilt image the service's Deployment runs until its CI has built the real one, with
	// HelloArgs (rendered like skeleton files). It must answer HealthPath on Port.
	HelloImage string   `json:"hello_image" yaml:"hello_image"`
	HelloArgs  []string `json:"hello_args,omitempty" yaml:"hello_args"`
	// Dockerfile, CIWorkflow and Descriptor are paths in the rendered repository; the plan checks they exist.
	Dockerfile string `json:"dockerfile" yaml:"dockerfile"`
	CIWorkflow string `json:"ci_workflow" yaml:"ci_workflow"`
	Descriptor string `json:"descriptor" yaml:"descriptor"`
	// Checks are the status checks the CI workflow reports, required on the default branch.
	Checks []string `json:"checks,omitempty" yaml:"checks"`
	// Resources are the optional resources the form offers: sqs_queue, secrets.
	Resources []string `json:"resources,omitempty" yaml:"resources"`
	Compute   Compute  `json:"compute" yaml:"compute"`
	// Replicas per environment; default 1 in the dev environment, 2 elsewhere.
	Replicas map[string]int `json:"replicas,omitempty" yaml:"replicas"`
	// Autoscaling adds a HorizontalPodAutoscaler outside the dev environment.
	Autoscaling *Autoscaling `json:"autoscaling,omitempty" yaml:"autoscaling"`
}

// Compute are a container's resource requests and limits, as Kubernetes quantities.
type Compute struct {
	CPURequest    string `json:"cpu_request" yaml:"cpu_request"`
	MemoryRequest string `json:"memory_request" yaml:"memory_request"`
	CPULimit      string `json:"cpu_limit" yaml:"cpu_limit"`
	MemoryLimit   string `json:"memory_limit" yaml:"memory_limit"`
}

// Autoscaling bounds a HorizontalPodAutoscaler on CPU.
type Autoscaling struct {
	Min        int `json:"min" yaml:"min"`
	Max        int `json:"max" yaml:"max"`
	CPUPercent int `json:"cpu_percent" yaml:"cpu_percent"`
}

// DefaultHelloImage answers every path with 200 on the port its arguments name; the hello-world of a template
// that names none (Backstage templates).
const DefaultHelloImage = "hashicorp/http-echo:1.0.0"

var defaultHelloArgs = []string{"-listen=:{{.atrium.port}}", "-text=hello from {{.name}}"}

func (g *GoldenPath) setDefaults() {
	if g.Port == 0 {
		g.Port = 8080
	}
	if g.HealthPath == "" {
		g.HealthPath = "/healthz"
	}
	if g.HelloImage == "" {
		g.HelloImage, g.HelloArgs = DefaultHelloImage, defaultHelloArgs
	}
	if g.Dockerfile == "" {
		g.Dockerfile = "Dockerfile"
	}
	for _, f := range []struct {
		v   *string
		def string
	}{{&g.Compute.CPURequest, "50m"},
		{&g.Compute.MemoryRequest, "64Mi"}, {&g.Compute.CPULimit, "500m"}, {&g.Compute.MemoryLimit, "256Mi"}} {
		if *f.v == "" {
			*f.v = f.def
		}
	}
}

func (g GoldenPath) check() problem.Problems {
	var ps problem.Problems
	if g.Port < 1 || g.Port > 65535 {
		ps.Add("golden_path.port", "%d is not a TCP port", g.Port)
	}
	if !strings.HasPrefix(g.HealthPath, "/") {
		ps.Add("golden_path.health_path", "%q must start with /", g.HealthPath)
	}
	if strings.ContainsAny(g.HelloImage, " \t\n") {
		ps.Add("golden_path.hello_image", "%q is not an image reference", g.HelloImage)
	}
	for _, r := range g.Resources {
		if r != ResourceSQSQueue && r != ResourceSecrets {
			ps.Add("golden_path.resources", "%q is not an optional resource (sqs_queue, secrets)", r)
		}
	}
	for _, q := range []struct{ at, v string }{{"cpu_request", g.Compute.CPURequest},
		{"memory_request", g.Compute.MemoryRequest}, {"cpu_limit", g.Compute.CPULimit}, {"memory_limit", g.Compute.MemoryLimit}} {
		if _, err := parseQuantity(q.v); err != nil {
			ps.Add("golden_path.compute."+q.at, "%q is not a Kubernetes quantity", q.v)
		}
	}
	if a := g.Autoscaling; a != nil && (a.Min < 1 || a.Max < a.Min || a.CPUPercent < 1 || a.CPUPercent > 100) {
		ps.Add("golden_path.autoscaling", "needs 1 <= min <= max and cpu_percent between 1 and 100")
	}
	for env, n := range g.Replicas {
		if n < 0 || n > 100 {
			ps.Add("golden_path.replicas."+env, "%d replicas is out of range", n)
		}
	}
	return ps
}

// repoSettings are a template's wishes for its new repository.
type repoSettings struct {
	defaultBranch           string
	visibility              string
	protect                 bool
	requireCodeOwnerReviews bool
	requiredReviews         int
	checks                  []string
	topics                  []string
	descriptor              string // catalog descriptor path
}

// atriumFile is the schema of an Atrium template.yaml.
type atriumFile struct {
	APIVersion  string     `yaml:"apiVersion"`
	Kind        string     `yaml:"kind"`
	Name        string     `yaml:"name"`
	Version     string     `yaml:"version"`
	Title       string     `yaml:"title"`
	Description string     `yaml:"description"`
	Language    string     `yaml:"language"`
	Tags        []string   `yaml:"tags"`
	Owner       string     `yaml:"owner"`
	Parameters  yaml.Node  `yaml:"parameters"`
	GoldenPath  GoldenPath `yaml:"golden_path"`
}

// templateIn is the template of src in dir before its definition is read: named after its directory (the
// source's name for its root), with the source's version.
func templateIn(src Source, dir string) *Template {
	t := &Template{Name: path.Base(dir), Source: src.Name, Version: src.Version, SourceVersion: src.Version,
		Path: path.Join(src.Root, dir), Tags: []string{}, dir: dir}
	if dir == "." {
		t.Name = src.Name
	}
	return t
}

// load reads the template in dir of fsys. It always returns a template (for the listing) and its problems; a
// template with error problems is broken.
func load(fsys fs.FS, dir string, src Source) (*Template, problem.Problems) {
	t := templateIn(src, dir)
	def, err := fs.ReadFile(fsys, path.Join(dir, DefinitionFile))
	if err != nil {
		return t, problem.Problems{loadProblem("", "read %s: %v", DefinitionFile, err)}
	}
	var head struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
	}
	if err := yaml.Unmarshal(def, &head); err != nil {
		return t, problem.Problems{loadProblem("", "%s: %s", DefinitionFile, yamlError(err))}
	}
	var ps problem.Problems
	switch {
	case head.APIVersion == APIVersion && head.Kind == "Template":
		t.Format = FormatAtrium
		ps = t.loadAtrium(fsys, def)
	case head.APIVersion == backstageAPIVersion && head.Kind == "Template":
		t.Format = FormatBackstage
		ps = t.loadBackstage(fsys, def)
	default:
		return t, problem.Problems{loadProblem("", "%s: apiVersion %q, kind %q: expected %s or %s, kind Template",
			DefinitionFile, head.APIVersion, head.Kind, APIVersion, backstageAPIVersion)}
	}
	if t.Version == "" {
		t.Version = "0"
	}
	if t.Tags == nil {
		t.Tags = []string{}
	}
	if !ps.HasErrors() {
		ps = append(ps, t.trialRender()...)
	}
	return t, ps
}

func loadProblem(at, format string, args ...any) problem.Problem {
	p := problem.Atf(at, format, args...)
	p.Source = "template"
	return p
}

// yamlError is a YAML decoding error in a template author's words: one line, without "yaml: " nor the Go types
// decoded into ("line 4: field colour not found", not "... in type scaffold.atriumFile").
func yamlError(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		msgs[i] = goTypeInYAMLError.ReplaceAllString(m, "")
	}
	return strings.Join(msgs, "; ")
}

// goTypeInYAMLError is how yaml.v3 names the Go type an unknown field was not found in.
var goTypeInYAMLError = regexp.MustCompile(` in type [\w.]+$`)

func (t *Template) loadAtrium(fsys fs.FS, def []byte) problem.Problems {
	var f atriumFile
	dec := yaml.NewDecoder(bytes.NewReader(def))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return problem.Problems{loadProblem("", "%s: %s", DefinitionFile, yamlError(err))}
	}
	var ps problem.Problems
	if f.Name != "" {
		t.Name = f.Name
	}
	if !nameMatch.MatchString(t.Name) {
		ps = append(ps, loadProblem("name", "%q is not a template name (lowercase letters, digits, single dashes)", t.Name))
	}
	if f.Version != "" {
		t.Version = f.Version
	}
	t.Title, t.Description, t.Language, t.Tags, t.Owner = f.Title, f.Description, f.Language, f.Tags, f.Owner
	if t.Title == "" {
		t.Title = t.Name
	}
	if t.Language == "" {
		ps = append(ps, loadProblem("language", "say which language the template's service is written in"))
	}
	ps = append(ps, t.loadParams(&f.Parameters)...)
	t.GoldenPath = f.GoldenPath
	t.GoldenPath.setDefaults()
	if t.GoldenPath.Descriptor == "" {
		t.GoldenPath.Descriptor = "atrium.yaml"
	}
	ps = append(ps, t.GoldenPath.check()...)
	t.repo = repoSettings{protect: true, requireCodeOwnerReviews: true, checks: t.GoldenPath.Checks,
		descriptor: t.GoldenPath.Descriptor}
	files, sps := readSkeleton(fsys, path.Join(t.dir, "skeleton"), "skeleton", skeletonOptions{stripSuffix: ".tmpl"})
	t.skeleton = files
	return append(ps, sps...)
}

// loadParams reads the parameters section of template.yaml: a JSON Schema object whose properties are the
// template's own parameters, in the order written.
func (t *Template) loadParams(node *yaml.Node) problem.Problems {
	t.params = map[string]any{}
	if node.Kind == 0 {
		return nil
	}
	var doc map[string]any
	if err := node.Decode(&doc); err != nil {
		return problem.Problems{loadProblem("parameters", "%v", err)}
	}
	var ps problem.Problems
	for _, k := range sortedKeys(doc) {
		switch k {
		case "type":
			if doc[k] != "object" {
				ps = append(ps, loadProblem("parameters/type", "must be object"))
			}
		case "properties", "required", "title", "description":
		default:
			ps = append(ps, loadProblem("parameters/"+k, "keyword %q is not supported at the top of the parameters (see docs/templates.md)", k))
		}
	}
	props, _ := doc["properties"].(map[string]any)
	for _, name := range orderedKeys(node, "properties") {
		at := "parameters/properties/" + escapePointer(name)
		if isStandard(name) {
			ps = append(ps, loadProblem(at, "%q is a standard parameter every template has; a template does not declare it", name))
			continue
		}
		if !paramName(name) || name == "atrium" {
			ps = append(ps, loadProblem(at, "%q is not a parameter name (letters, digits and underscores, starting with a letter; not atrium)", name))
			continue
		}
		for _, p := range checkProperty(at, props[name]) {
			p.Source = "template"
			ps = append(ps, p)
		}
		v, err := normalizeValue(props[name])
		if err != nil {
			ps = append(ps, loadProblem(at, "%v", err))
			continue
		}
		t.params[name] = fromJSONNumbers(v)
		t.paramOrder = append(t.paramOrder, name)
	}
	if req, ok := doc["required"].([]any); ok {
		for _, r := range req {
			s, _ := r.(string)
			if _, declared := t.params[s]; !declared && !isStandard(s) {
				ps = append(ps, loadProblem("parameters/required", "%v is not a declared parameter", r))
				continue
			}
			t.required = append(t.required, s)
		}
	}
	return ps
}

func isStandard(name string) bool {
	switch name {
	case ParamName, ParamTeam, ParamDescription, ParamEnvironments, ParamRegions, ParamSQSQueue, ParamSecretNames:
		return true
	}
	return false
}

// paramName: a parameter is used as {{.name}} in skeletons, so it is an identifier text/template can reach:
// letters, digits and underscores, starting with a letter.
func paramName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// orderedKeys are the keys of the mapping at key of node, in the order written.
func orderedKeys(node *yaml.Node, key string) []string {
	if node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
		node = node.Content[0]
	}
	if node.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key && node.Content[i+1].Kind == yaml.MappingNode {
			m := node.Content[i+1]
			out := make([]string, 0, len(m.Content)/2)
			for j := 0; j+1 < len(m.Content); j += 2 {
				out = append(out, m.Content[j].Value)
			}
			return out
		}
	}
	return nil
}

// skeletonFile is one parsed file of a skeleton.
type skeletonFile struct {
	src  string             // path in the template, for messages: "skeleton/main.go.tmpl"
	path *template.Template // renders the file's path in the new repository
	body *template.Template // renders its content; nil: copied verbatim
	raw  []byte
}

type skeletonOptions struct {
	stripSuffix string                                 // removed from file names (".tmpl", Backstage's templateFileExtension)
	onlySuffix  bool                                   // only files with stripSuffix are rendered; the rest are copied
	verbatim    func(rel string) bool                  // files copied without rendering
	translate   func(src, text string) (string, error) // turns a Backstage file into text/template
	prefix      string                                 // target directory in the new repository
}

// readSkeleton parses every file under root of fsys. Messages name files as label/REL.
func readSkeleton(fsys fs.FS, root, label string, o skeletonOptions) ([]skeletonFile, problem.Problems) {
	var files []skeletonFile
	var ps problem.Problems
	total := 0
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		src := path.Join(label, rel)
		switch {
		case d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0 || !d.Type().IsRegular():
			ps = append(ps, loadProblem("", "%s: only regular files are allowed in a skeleton (symbolic links are not followed)", src))
			return nil
		}
		if len(files) >= MaxSkeletonFiles {
			return fmt.Errorf("more than %d files", MaxSkeletonFiles)
		}
		content, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		total += len(content)
		if len(content) > MaxFileSize || total > MaxSkeletonSize {
			return fmt.Errorf("%s: files are limited to %d bytes, skeletons to %d", src, MaxFileSize, MaxSkeletonSize)
		}
		f, fps := parseSkeletonFile(src, rel, content, o)
		ps = append(ps, fps...)
		if len(fps) == 0 {
			files = append(files, f)
		}
		return nil
	})
	if err != nil {
		ps = append(ps, loadProblem(label, "%s: %v", label, err))
	}
	sort.Slice(files, func(i, j int) bool { return files[i].src < files[j].src })
	return files, ps
}

func parseSkeletonFile(src, rel string, content []byte, o skeletonOptions) (skeletonFile, problem.Problems) {
	f := skeletonFile{src: src}
	render := !o.onlySuffix || strings.HasSuffix(rel, o.stripSuffix)
	if o.verbatim != nil && o.verbatim(rel) {
		render = false
	}
	target := rel
	if o.stripSuffix != "" && render {
		target = strings.TrimSuffix(rel, o.stripSuffix)
	}
	if o.prefix != "" {
		target = path.Join(o.prefix, target)
	}
	pathText := target
	if o.translate != nil {
		var err error
		if pathText, err = o.translate(src+" (file name)", target); err != nil {
			return f, problem.Problems{loadProblem("", "%v", err)}
		}
	}
	var err error
	if f.path, err = newTemplate(src + " (file name)").Parse(pathText); err != nil {
		return f, problem.Problems{loadProblem("", "%v", err)}
	}
	if !render {
		f.raw = content
		return f, nil
	}
	if !utf8.Valid(content) {
		return f, problem.Problems{loadProblem("", "%s: not UTF-8 text: list binary files under copyWithoutTemplating (Backstage) or keep them out of the skeleton", src)}
	}
	text := string(content)
	if o.translate != nil {
		if text, err = o.translate(src, text); err != nil {
			return f, problem.Problems{loadProblem("", "%v", err)}
		}
	}
	if f.body, err = newTemplate(src).Parse(text); err != nil {
		return f, problem.Problems{loadProblem("", "%v", err)}
	}
	return f, nil
}

// newTemplate is a text/template with Funcs that fails on a missing key, so a misspelt parameter is an error
// naming the file and line rather than "<no value>" in a new repository.
func newTemplate(name string) *template.Template {
	return template.New(name).Option("missingkey=error").Funcs(Funcs())
}

// limitedBuffer refuses to grow past MaxFileSize.
type limitedBuffer struct{ bytes.Buffer }

var errTooLarge = fmt.Errorf("renders to more than %d bytes", MaxFileSize)

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > MaxFileSize {
		return 0, errTooLarge
	}
	return b.Buffer.Write(p)
}

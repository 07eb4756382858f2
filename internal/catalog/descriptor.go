package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sphera/atrium/internal/problem"
)

// Descriptor file names, in order of preference within one directory.
const (
	AtriumDescriptor    = "atrium.yaml"
	BackstageDescriptor = "catalog-info.yaml"
)

var descriptorNames = map[string]int{"atrium.yaml": 0, "atrium.yml": 1, "catalog-info.yaml": 2, "catalog-info.yml": 3}

var manifestNames = map[string]bool{"package.json": true, "package-lock.json": true, "go.mod": true}

// WantedFile reports whether the catalog reads the file at the slash-separated path p of a repository. Collectors
// list a repository's tree and fetch only these.
func WantedFile(p string) bool {
	base := path.Base(p)
	if strings.Contains(p, "node_modules/") || strings.HasPrefix(p, "vendor/") || strings.Contains(p, "/vendor/") ||
		strings.Contains(p, "testdata/") {
		return false
	}
	_, d := descriptorNames[base]
	return d || manifestNames[base]
}

// RepoSnapshot is what a collector saw of one repository at one commit: its metadata and the wanted files.
type RepoSnapshot struct {
	Name          string // repository name, the default service name
	URL           string
	Provider      string
	DefaultBranch string
	Head          string
	Description   string
	Language      string // the hosting provider's guess, used when manifests say nothing
	Topics        []string
	Files         map[string][]byte // slash path → content, only WantedFile paths
}

// ParseRepository turns a snapshot into the services it describes: one per descriptor directory (several in a
// monorepo), or one named after the repository when it has none. Problems become Findings on the service they
// concern; ParseRepository never fails.
func ParseRepository(snap RepoSnapshot, source string) []Service {
	dirs := descriptorDirs(snap.Files)
	var out []Service
	if len(dirs) == 0 {
		s := defaultService(snap, source, "")
		s.Findings = append(s.Findings, problem.Problem{
			Severity: problem.Warning,
			Summary:  "No service descriptor",
			Detail:   "Add an atrium.yaml (or Backstage catalog-info.yaml) at the repository root to set the owner, lifecycle and links.",
			Source:   "descriptor",
		})
		attachManifests(&s, snap, "")
		out = append(out, s)
	} else {
		for _, dir := range dirs {
			out = append(out, parseDir(snap, source, dir)...)
		}
	}
	seen := map[string]int{}
	for i := range out {
		if j, dup := seen[out[i].Name]; dup {
			out[i].Findings = append(out[i].Findings, problem.Problem{
				Severity: problem.Error,
				Summary:  fmt.Sprintf("Service name %q is used twice in this repository", out[i].Name),
				Detail:   fmt.Sprintf("Both %q and %q declare it; only one is kept.", descPath(out[j]), descPath(out[i])),
				Source:   "descriptor",
			})
		}
		seen[out[i].Name] = i
	}
	// Keep the last of duplicates, carrying the finding.
	uniq := out[:0]
	for i, s := range out {
		if seen[s.Name] == i {
			s.Normalize()
			uniq = append(uniq, s)
		}
	}
	sort.Slice(uniq, func(i, j int) bool { return uniq[i].Name < uniq[j].Name })
	return uniq
}

func descPath(s Service) string {
	if s.Repository.Path == "" {
		return "/"
	}
	return s.Repository.Path
}

// descriptorDirs lists the directories holding a descriptor, shallowest first.
func descriptorDirs(files map[string][]byte) []string {
	set := map[string]bool{}
	for p := range files {
		if _, ok := descriptorNames[path.Base(p)]; ok {
			set[dirOf(p)] = true
		}
	}
	dirs := make([]string, 0, len(set))
	for d := range set {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

func dirOf(p string) string {
	d := path.Dir(p)
	if d == "." || d == "/" {
		return ""
	}
	return d
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

var notName = regexp.MustCompile(`[^a-z0-9-]+`)

// SanitizeName turns an arbitrary repository or directory name into a valid service name.
func SanitizeName(s string) string {
	s = notName.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.Trim(s, "-")
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	if s == "" {
		s = "unnamed"
	}
	return s
}

func defaultService(snap RepoSnapshot, source, dir string) Service {
	name := snap.Name
	if dir != "" {
		name = path.Base(dir)
	}
	return Service{
		Name:        SanitizeName(name),
		Description: snap.Description,
		Owner:       "unowned",
		Lifecycle:   "unknown",
		Type:        "service",
		Tags:        append([]string(nil), snap.Topics...),
		Repository: Repository{
			URL: snap.URL, Provider: snap.Provider, DefaultBranch: snap.DefaultBranch, Path: dir, Head: snap.Head,
		},
		Source: source,
	}
}

// parseDir reads the preferred descriptor of dir. A Backstage file may hold several documents; each Component is a
// service.
func parseDir(snap RepoSnapshot, source, dir string) []Service {
	var file string
	best := 99
	for p := range snap.Files {
		if rank, ok := descriptorNames[path.Base(p)]; ok && dirOf(p) == dir && rank < best {
			file, best = p, rank
		}
	}
	var svcs []Service
	var problems problem.Problems
	if best <= descriptorNames["atrium.yml"] {
		s, fs := parseAtrium(snap, source, dir, file)
		svcs, problems = []Service{s}, fs
	} else {
		svcs, problems = parseBackstage(snap, source, dir, file)
	}
	for i := range svcs {
		svcs[i].Findings = append(svcs[i].Findings, problems...)
		attachManifests(&svcs[i], snap, dir)
	}
	return svcs
}

// atriumFile is the schema of atrium.yaml.
type atriumFile struct {
	APIVersion  string   `yaml:"apiVersion"`
	Name        string   `yaml:"name"`
	Title       string   `yaml:"title"`
	Description string   `yaml:"description"`
	Owner       string   `yaml:"owner"`
	Lifecycle   string   `yaml:"lifecycle"`
	Type        string   `yaml:"type"`
	Language    string   `yaml:"language"`
	System      string   `yaml:"system"`
	Template    string   `yaml:"template"` // the template it was created from, "go-http-service@v1"
	Tags        []string `yaml:"tags"`
	Links       []struct {
		Title string `yaml:"title"`
		URL   string `yaml:"url"`
		Icon  string `yaml:"icon"`
	} `yaml:"links"`
}

func parseAtrium(snap RepoSnapshot, source, dir, file string) (Service, problem.Problems) {
	s := defaultService(snap, source, dir)
	var f atriumFile
	dec := yaml.NewDecoder(bytes.NewReader(snap.Files[file]))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return s, problem.Problems{descriptorError(file, err)}
	}
	var problems problem.Problems
	if f.Name != "" {
		if ValidName(f.Name) {
			s.Name = f.Name
		} else {
			problems = append(problems, problem.Problem{Severity: problem.Error, Source: "descriptor",
				Summary: fmt.Sprintf("%s: name %q is not a valid service name", file, f.Name),
				Detail:  "Use lowercase letters, digits and dashes (at most 63 characters); the repository name is used meanwhile."})
		}
	}
	setIf(&s.Title, f.Title)
	setIf(&s.Description, f.Description)
	setIf(&s.Lifecycle, strings.ToLower(f.Lifecycle))
	setIf(&s.Type, f.Type)
	setIf(&s.Language, f.Language)
	setIf(&s.System, f.System)
	setIf(&s.Template, f.Template)
	s.Tags = append(s.Tags, f.Tags...)
	for _, l := range f.Links {
		if l.URL != "" {
			s.Links = append(s.Links, Link{Title: l.Title, URL: l.URL, Icon: l.Icon})
		}
	}
	if f.Owner == "" {
		problems = append(problems, problem.Problem{Severity: problem.Warning, Source: "descriptor",
			Summary: file + ": no owner", Detail: "Set owner to the team that runs this service."})
	} else {
		s.Owner = ownerRef(f.Owner)
	}
	return s, problems
}

// backstageEntity is the part of a Backstage catalog entity Atrium reads.
type backstageEntity struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name        string            `yaml:"name"`
		Title       string            `yaml:"title"`
		Description string            `yaml:"description"`
		Tags        []string          `yaml:"tags"`
		Annotations map[string]string `yaml:"annotations"`
		Links       []struct {
			Title string `yaml:"title"`
			URL   string `yaml:"url"`
			Icon  string `yaml:"icon"`
		} `yaml:"links"`
	} `yaml:"metadata"`
	Spec struct {
		Type      string `yaml:"type"`
		Lifecycle string `yaml:"lifecycle"`
		Owner     string `yaml:"owner"`
		System    string `yaml:"system"`
	} `yaml:"spec"`
}

func parseBackstage(snap RepoSnapshot, source, dir, file string) ([]Service, problem.Problems) {
	dec := yaml.NewDecoder(bytes.NewReader(snap.Files[file]))
	var svcs []Service
	var problems problem.Problems
	for doc := 1; ; doc++ {
		var e backstageEntity
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, descriptorError(file, err))
			break
		}
		if !strings.EqualFold(e.Kind, "Component") {
			continue
		}
		s := defaultService(snap, source, dir)
		if ValidName(e.Metadata.Name) {
			s.Name = e.Metadata.Name
		} else {
			problems = append(problems, problem.Problem{Severity: problem.Error, Source: "descriptor",
				Summary: fmt.Sprintf("%s (document %d): metadata.name %q is not a valid service name", file, doc, e.Metadata.Name),
				Detail:  "Use lowercase letters, digits and dashes (at most 63 characters)."})
		}
		setIf(&s.Title, e.Metadata.Title)
		setIf(&s.Description, e.Metadata.Description)
		setIf(&s.Lifecycle, strings.ToLower(e.Spec.Lifecycle))
		setIf(&s.Type, e.Spec.Type)
		setIf(&s.System, ownerRef(e.Spec.System))
		setIf(&s.Template, templateRef(e.Metadata.Annotations[BackstageTemplateAnnotation]))
		s.Tags = append(s.Tags, e.Metadata.Tags...)
		for _, l := range e.Metadata.Links {
			if l.URL != "" {
				s.Links = append(s.Links, Link{Title: l.Title, URL: l.URL, Icon: l.Icon})
			}
		}
		if e.Spec.Owner != "" {
			s.Owner = ownerRef(e.Spec.Owner)
		} else {
			problems = append(problems, problem.Problem{Severity: problem.Warning, Source: "descriptor",
				Summary: file + ": spec.owner is empty", Detail: "Set spec.owner to the team that runs this service."})
		}
		svcs = append(svcs, s)
	}
	if len(svcs) == 0 {
		s := defaultService(snap, source, dir)
		if len(problems) == 0 {
			problems = append(problems, problem.Problem{Severity: problem.Warning, Source: "descriptor",
				Summary: file + ": no Component entity", Detail: "Atrium reads entities of kind Component; none was found."})
		}
		svcs = append(svcs, s)
	}
	return svcs, problems
}

// BackstageTemplateAnnotation is where Backstage records the template an entity was created from
// ("template:default/go-service").
const BackstageTemplateAnnotation = "backstage.io/source-template"

// templateRef strips the entity-reference decoration of a template reference, keeping its case and version.
func templateRef(ref string) string {
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(strings.ToLower(ref), "template:") {
		ref = ref[len("template:"):]
	}
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		ref = ref[i+1:]
	}
	return ref
}

// ownerRef strips Backstage's entity-reference decoration: "group:default/payments" → "payments".
func ownerRef(ref string) string {
	ref = strings.TrimSpace(ref)
	if i := strings.Index(ref, ":"); i >= 0 {
		ref = ref[i+1:]
	}
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		ref = ref[i+1:]
	}
	return strings.ToLower(ref)
}

func descriptorError(file string, err error) problem.Problem {
	return problem.Problem{
		Severity: problem.Error,
		Summary:  file + " could not be read",
		Detail:   strings.TrimPrefix(err.Error(), "yaml: ") + ". Defaults are shown until it is fixed.",
		Source:   "descriptor",
	}
}

func setIf(dst *string, v string) {
	if v = strings.TrimSpace(v); v != "" {
		*dst = v
	}
}

package scaffold

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sphera/atrium/internal/problem"
)

const backstageAPIVersion = "scaffolder.backstage.io/v1beta3"

// Annotations a Backstage template may carry to set Atrium's golden-path defaults.
const (
	AnnotationPort       = "atrium.sphera.io/port"
	AnnotationHealthPath = "atrium.sphera.io/health-path"
	AnnotationHelloImage = "atrium.sphera.io/hello-image"
	AnnotationLanguage   = "atrium.sphera.io/language"
	AnnotationVersion    = "atrium.sphera.io/version"
	AnnotationDockerfile = "atrium.sphera.io/dockerfile"
	AnnotationChecks     = "atrium.sphera.io/checks"    // comma-separated
	AnnotationResources  = "atrium.sphera.io/resources" // comma-separated: sqs_queue, secrets
)

// backstageSpec is what Atrium keeps of a Backstage template's steps.
type backstageSpec struct {
	fetches []backstageFetch
	// description of the repository, with ${{ }} expressions over parameters.
	description string
	// aliases map a Backstage parameter onto the standard one it stands for (owner → team).
	aliases map[string]string
	// repoURLs are the RepoUrlPicker parameters: Atrium fills them with the repository it creates.
	repoURLs []string
}

type backstageFetch struct {
	id     string
	values map[string]any
	files  []skeletonFile
}

type backstageFile struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name        string            `yaml:"name"`
		Title       string            `yaml:"title"`
		Description string            `yaml:"description"`
		Tags        []string          `yaml:"tags"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Spec yaml.Node `yaml:"spec"`
}

type backstageStep struct {
	ID     string         `yaml:"id"`
	Name   string         `yaml:"name"`
	Action string         `yaml:"action"`
	Input  map[string]any `yaml:"input"`
	If     any            `yaml:"if"`
	Each   any            `yaml:"each"`
}

var specKeys = map[string]bool{"owner": true, "type": true, "parameters": true, "steps": true, "output": true,
	"lifecycle": true}

func (t *Template) loadBackstage(fsys fs.FS, def []byte) problem.Problems {
	var f backstageFile
	if err := yaml.Unmarshal(def, &f); err != nil {
		return problem.Problems{loadProblem("", "%s: %s", DefinitionFile, yamlError(err))}
	}
	var ps problem.Problems
	add := func(at, format string, args ...any) { ps = append(ps, loadProblem(at, format, args...)) }
	md := f.Metadata
	if md.Name != "" {
		t.Name = md.Name
	}
	if !nameMatch.MatchString(t.Name) {
		add("metadata.name", "%q is not a template name (lowercase letters, digits, single dashes)", t.Name)
	}
	t.Title, t.Description, t.Tags = md.Title, md.Description, md.Tags
	if t.Title == "" {
		t.Title = t.Name
	}
	ann := md.Annotations
	if v := ann[AnnotationVersion]; v != "" {
		t.Version = v
	}
	t.Language = ann[AnnotationLanguage]
	if t.Language == "" {
		t.Language = languageFromTags(md.Tags)
	}
	if t.Language == "" {
		ps = append(ps, problem.Problem{Severity: problem.Warning, Source: "template", Path: "metadata.annotations",
			Summary: "no language: tag the template (go, typescript, ...) or set " + AnnotationLanguage})
	}
	g := &t.GoldenPath
	if v := ann[AnnotationPort]; v != "" {
		if g.Port, _ = strconv.Atoi(v); g.Port == 0 {
			add("metadata.annotations."+AnnotationPort, "%q is not a port", v)
		}
	}
	g.HealthPath, g.HelloImage = ann[AnnotationHealthPath], ann[AnnotationHelloImage]
	g.Dockerfile = ann[AnnotationDockerfile]
	g.Checks, g.Resources = commaList(ann[AnnotationChecks]), commaList(ann[AnnotationResources])
	g.setDefaults()
	ps = append(ps, g.check()...)

	var spec struct {
		Owner      string          `yaml:"owner"`
		Type       string          `yaml:"type"`
		Parameters yaml.Node       `yaml:"parameters"`
		Steps      []backstageStep `yaml:"steps"`
	}
	if err := f.Spec.Decode(&spec); err != nil {
		add("spec", "spec: %s", yamlError(err))
		return ps
	}
	var keys map[string]any
	_ = f.Spec.Decode(&keys)
	for _, k := range sortedKeys(keys) {
		if !specKeys[k] {
			add("spec."+k, "spec.%s is not supported (Atrium reads owner, type, parameters and steps; output is ignored)", k)
		}
	}
	// An entity reference, "group:default/platform": the team is its last part.
	t.Owner = spec.Owner[strings.LastIndexAny(spec.Owner, ":/")+1:]
	bs := &backstageSpec{aliases: map[string]string{}}
	t.backstage = bs
	t.params = map[string]any{}
	ps = append(ps, t.loadBackstageParams(&spec.Parameters)...)
	ps = append(ps, t.loadBackstageSteps(fsys, spec.Steps)...)
	return ps
}

func commaList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func languageFromTags(tags []string) string {
	for _, tag := range tags {
		switch strings.ToLower(tag) {
		case "go", "golang":
			return "Go"
		case "typescript", "ts":
			return "TypeScript"
		case "javascript", "nodejs", "node":
			return "JavaScript"
		case "java":
			return "Java"
		case "kotlin":
			return "Kotlin"
		case "python":
			return "Python"
		case "rust":
			return "Rust"
		}
	}
	return ""
}

var pageKeys = map[string]bool{"title": true, "description": true, "required": true, "properties": true, "type": true}

// loadBackstageParams reads spec.parameters: one page or a list of pages, each a JSON Schema object. Properties
// that stand for a standard parameter (an OwnerPicker is the team, an EntityNamePicker the name) become it; a
// RepoUrlPicker is filled by Atrium, not asked.
func (t *Template) loadBackstageParams(node *yaml.Node) problem.Problems {
	var ps problem.Problems
	bs := t.backstage
	var pages []*yaml.Node
	switch node.Kind {
	case 0:
		return nil
	case yaml.MappingNode:
		pages = []*yaml.Node{node}
	case yaml.SequenceNode:
		pages = node.Content
	default:
		return problem.Problems{loadProblem("spec.parameters", "spec.parameters must be a page or a list of pages")}
	}
	for i, pn := range pages {
		at := fmt.Sprintf("spec.parameters[%d]", i)
		var page map[string]any
		if err := pn.Decode(&page); err != nil {
			ps = append(ps, loadProblem(at, "%s: %v", at, err))
			continue
		}
		title, _ := page["title"].(string)
		for _, k := range sortedKeys(page) {
			if !pageKeys[k] && !strings.HasPrefix(k, "ui:") {
				ps = append(ps, loadProblem(at+"."+k, "%s: %s is not supported (dependencies, oneOf, anyOf, allOf and if/then/else need a form Atrium does not render)", at, k))
			}
		}
		if typ, ok := page["type"]; ok && typ != "object" {
			ps = append(ps, loadProblem(at+".type", "%s: type must be object", at))
		}
		props, _ := page["properties"].(map[string]any)
		mapped := map[string]string{}
		for _, name := range orderedKeys(pn, "properties") {
			pat := at + ".properties." + name
			prop, ok := props[name].(map[string]any)
			if !ok {
				ps = append(ps, loadProblem(pat, "%s: a parameter's schema must be an object", pat))
				continue
			}
			if title != "" {
				prop["x-atrium-page"] = title
			}
			field, _ := prop["ui:field"].(string)
			std := ""
			switch {
			case field == "RepoUrlPicker":
				bs.repoURLs = append(bs.repoURLs, name)
				mapped[name] = ""
				continue
			case field == "OwnerPicker" || field == "MyGroupsPicker":
				std = ParamTeam
			case field == "EntityNamePicker" || name == ParamName:
				std = ParamName
			case isStandard(name):
				std = name
			case field != "":
				ps = append(ps, problem.Problem{Severity: problem.Warning, Source: "template", Path: pat,
					Summary: fmt.Sprintf("%s: ui:field %s is a Backstage field extension; Atrium's form shows a plain input", pat, field)})
				delete(prop, "ui:field")
			}
			if std != "" {
				if _, dup := t.params[std]; dup {
					ps = append(ps, loadProblem(pat, "%s: a second parameter standing for %s", pat, std))
					continue
				}
				if name != std {
					bs.aliases[name] = std
				}
				mapped[name] = std
				t.params[std] = prop
				t.paramOrder = append(t.paramOrder, std)
				continue
			}
			if !paramName(name) {
				ps = append(ps, loadProblem(pat, "%s: %q is not a parameter name Atrium can use (letters, digits, underscores)", pat, name))
				continue
			}
			if _, dup := t.params[name]; dup {
				ps = append(ps, loadProblem(pat, "%s: parameter %s is declared twice", pat, name))
				continue
			}
			for _, p := range checkProperty("/"+name, prop) {
				p.Source, p.Summary, p.Path = "template", pat+": "+p.Summary, pat
				ps = append(ps, p)
			}
			v, err := normalizeValue(prop)
			if err != nil {
				ps = append(ps, loadProblem(pat, "%s: %v", pat, err))
				continue
			}
			t.params[name] = fromJSONNumbers(v)
			t.paramOrder = append(t.paramOrder, name)
			mapped[name] = name
		}
		req, _ := page["required"].([]any)
		for _, r := range req {
			s, _ := r.(string)
			m, ok := mapped[s]
			switch {
			case !ok:
				ps = append(ps, loadProblem(at+".required", "%s.required: %v is not a property of the page", at, r))
			case m != "" && !slices.Contains(t.required, m):
				t.required = append(t.required, m)
			}
		}
	}
	return ps
}

var paramRef = regexp.MustCompile(`^\$\{\{\s*parameters\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$`)

// loadBackstageSteps reads the steps Atrium runs its own way: fetch:template renders a skeleton, publish:github
// sets the repository's description and protection, catalog:register says where the descriptor is.
func (t *Template) loadBackstageSteps(fsys fs.FS, steps []backstageStep) problem.Problems {
	var ps problem.Problems
	bs := t.backstage
	t.repo = repoSettings{descriptor: "catalog-info.yaml"}
	publishes := 0
	for i, st := range steps {
		at := fmt.Sprintf("spec.steps[%d]", i)
		name := st.ID
		if name == "" {
			name = at
		}
		stepProblem := func(format string, args ...any) {
			ps = append(ps, loadProblem(at, "step %s: %s", name, fmt.Sprintf(format, args...)))
		}
		if st.If != nil {
			stepProblem("if: conditional steps are not supported; every step of the golden path runs")
		}
		if st.Each != nil {
			stepProblem("each: repeated steps are not supported")
		}
		known := func(allowed ...string) {
			for _, k := range sortedKeys(st.Input) {
				if !slices.Contains(allowed, k) {
					stepProblem("input %s of %s is not supported (supported: %s)", k, st.Action, strings.Join(allowed, ", "))
				}
			}
		}
		literal := func(key string) (string, bool) {
			v, ok := st.Input[key]
			if !ok {
				return "", false
			}
			s, isStr := v.(string)
			if !isStr || strings.Contains(s, "${{") {
				stepProblem("input %s must be a plain string: templating it is not supported", key)
				return "", false
			}
			return s, true
		}
		boolean := func(key string, def bool) bool {
			v, ok := st.Input[key]
			if !ok {
				return def
			}
			b, isBool := v.(bool)
			if !isBool {
				stepProblem("input %s must be true or false", key)
			}
			return b
		}
		strs := func(key string) []string {
			v, ok := st.Input[key]
			if !ok {
				return nil
			}
			list, isList := v.([]any)
			var out []string
			for _, e := range list {
				s, isStr := e.(string)
				if !isStr || strings.Contains(s, "${{") {
					isList = false
					break
				}
				out = append(out, s)
			}
			if !isList {
				stepProblem("input %s must be a list of plain strings", key)
			}
			return out
		}
		switch st.Action {
		case "fetch:template":
			known("url", "values", "targetPath", "copyWithoutTemplating", "copyWithoutRender", "templateFileExtension")
			url, _ := literal("url")
			rel := path.Clean(url)
			if url == "" || path.IsAbs(rel) || strings.Contains(url, "://") || rel == ".." || strings.HasPrefix(rel, "../") {
				stepProblem("url must be a directory of the template, such as ./skeleton (remote URLs are not supported), not %q", url)
				continue
			}
			dir := path.Join(t.dir, rel)
			target, _ := literal("targetPath")
			target = path.Clean(strings.TrimPrefix(target, "./"))
			if target == "." {
				target = ""
			}
			if strings.HasPrefix(target, "..") || path.IsAbs(target) {
				stepProblem("targetPath %q leaves the repository", target)
				continue
			}
			values, _ := st.Input["values"].(map[string]any)
			if _, ok := st.Input["values"]; ok && values == nil {
				stepProblem("values must be a mapping")
			}
			globs := append(strs("copyWithoutTemplating"), strs("copyWithoutRender")...)
			o := skeletonOptions{prefix: target,
				translate: func(src, text string) (string, error) { return translateNunjucks(src, text, "values") },
				verbatim: func(rel string) bool {
					for _, g := range globs {
						if globMatch(strings.TrimPrefix(g, "./"), rel) {
							return true
						}
					}
					return false
				}}
			switch ext := st.Input["templateFileExtension"].(type) {
			case nil:
			case bool:
				if ext {
					o.stripSuffix, o.onlySuffix = ".njk", true
				}
			case string:
				o.stripSuffix, o.onlySuffix = ext, true
			default:
				stepProblem("templateFileExtension must be true or an extension such as .njk")
			}
			files, fps := readSkeleton(fsys, dir, rel, o)
			ps = append(ps, fps...)
			bs.fetches = append(bs.fetches, backstageFetch{id: name, values: values, files: files})
		case "publish:github":
			publishes++
			known("repoUrl", "description", "defaultBranch", "protectDefaultBranch", "requireCodeOwnerReviews",
				"repoVisibility", "requiredStatusCheckContexts", "requiredApprovingReviewCount", "topics", "allowedHosts")
			repoURL, _ := st.Input["repoUrl"].(string)
			if m := paramRef.FindStringSubmatch(strings.TrimSpace(repoURL)); len(m) < 2 || !slices.Contains(bs.repoURLs, m[1]) {
				stepProblem("repoUrl must be ${{ parameters.X }} where X is a RepoUrlPicker parameter: Atrium creates the repository in the portal's organisation, named after the service")
			}
			if d, ok := st.Input["description"].(string); ok {
				bs.description = d
			}
			t.repo.defaultBranch, _ = literal("defaultBranch")
			t.repo.protect = boolean("protectDefaultBranch", true)
			t.repo.requireCodeOwnerReviews = boolean("requireCodeOwnerReviews", false)
			if v, ok := literal("repoVisibility"); ok {
				if v != "private" && v != "internal" && v != "public" {
					stepProblem("repoVisibility must be private, internal or public, not %q", v)
				}
				t.repo.visibility = v
			}
			t.repo.checks = append(strs("requiredStatusCheckContexts"), t.GoldenPath.Checks...)
			t.repo.topics = strs("topics")
			if v, ok := st.Input["requiredApprovingReviewCount"]; ok {
				n, isInt := v.(int)
				if !isInt || n < 0 || n > 6 {
					stepProblem("requiredApprovingReviewCount must be a number from 0 to 6")
				}
				t.repo.requiredReviews = n
			}
		case "catalog:register":
			known("repoContentsUrl", "catalogInfoPath", "optional")
			if p, ok := literal("catalogInfoPath"); ok {
				p = path.Clean(strings.TrimPrefix(p, "/"))
				if strings.HasPrefix(p, "..") {
					stepProblem("catalogInfoPath %q leaves the repository", p)
				}
				t.repo.descriptor = p
			}
		default:
			stepProblem("action %q is not supported (Atrium runs fetch:template, publish:github and catalog:register)", st.Action)
		}
	}
	if len(bs.fetches) == 0 {
		ps = append(ps, loadProblem("spec.steps", "no fetch:template step: the template renders no repository"))
	}
	if publishes != 1 {
		ps = append(ps, loadProblem("spec.steps", "exactly one publish:github step, not %d", publishes))
	}
	t.GoldenPath.Descriptor = t.repo.descriptor
	return ps
}

// globMatch matches Backstage's copyWithoutTemplating globs: path.Match, with a trailing /** for a directory.
func globMatch(glob, p string) bool {
	if dir, ok := strings.CutSuffix(glob, "/**"); ok {
		return p == dir || strings.HasPrefix(p, dir+"/")
	}
	ok, _ := path.Match(glob, p)
	return ok
}

// backstageParams are the parameters as Backstage expressions see them: Atrium's, plus each alias under its
// Backstage name and each RepoUrlPicker as "HOST?owner=ORG&repo=NAME".
func (t *Template) backstageParams(vals map[string]any, target Target, s service) map[string]any {
	p := make(map[string]any, len(vals))
	for k, v := range vals {
		p[k] = v
	}
	for bsName, std := range t.backstage.aliases {
		p[bsName] = vals[std]
	}
	for _, r := range t.backstage.repoURLs {
		p[r] = target.GitHub.Host + "?owner=" + target.GitHub.Org + "&repo=" + s.name
	}
	return p
}

// renderBackstage renders every fetch:template step with its values, and the repository's description.
func (t *Template) renderBackstage(vals map[string]any, target Target, s service) ([]File, string, problem.Problems) {
	ctx := map[string]any{"parameters": t.backstageParams(vals, target, s)}
	var files []File
	var ps problem.Problems
	for _, f := range t.backstage.fetches {
		values, err := evalInput(f.values, ctx)
		if err != nil {
			ps = append(ps, loadProblem("", "step %s: values: %v", f.id, err))
			continue
		}
		if values == nil {
			values = map[string]any{}
		}
		got, rps := renderSkeleton(f.files, map[string]any{"values": definedValues(values)})
		files = append(files, got...)
		ps = append(ps, rps...)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.Path] {
			ps = append(ps, loadProblem("", "two fetch:template steps render %s", f.Path))
		}
		seen[f.Path] = true
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	desc := s.description
	if t.backstage.description != "" {
		d, err := evalString(t.backstage.description, ctx)
		if err != nil {
			ps = append(ps, loadProblem("", "publish:github description: %v", err))
		}
		desc = display(d)
	}
	return files, desc, ps
}

// definedValues replaces undefined (nil) values by "", which Nunjucks prints for them.
func definedValues(v any) any {
	switch v := v.(type) {
	case nil:
		return ""
	case map[string]any:
		for k, e := range v {
			v[k] = definedValues(e)
		}
	case []any:
		for i, e := range v {
			v[i] = definedValues(e)
		}
	}
	return v
}

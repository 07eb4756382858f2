package scaffold

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/sphera/atrium/internal/problem"
)

// The standard parameters: every template has them, because the golden path needs them.
const (
	ParamName         = "name"         // the service's name: also its repository, image and Kubernetes names
	ParamTeam         = "team"         // the owner team
	ParamDescription  = "description"  // one sentence
	ParamEnvironments = "environments" // where the infrastructure pull request sets it up
	ParamRegions      = "regions"      // in which regions of those environments
	ParamSQSQueue     = "sqs_queue"    // an SQS queue of its own (templates offering resource sqs_queue)
	ParamSecretNames  = "secret_names" // names of its secrets (templates offering resource secrets)
)

// Optional resources a template may offer (golden_path.resources).
const (
	ResourceSQSQueue = "sqs_queue"
	ResourceSecrets  = "secrets"
)

// UI hints: the value of x-atrium-field on a property tells the form which picker to use.
const (
	FieldServiceName  = "service-name" // checked as the user types (name rules, taken in the catalog or on GitHub)
	FieldTeam         = "team"         // a team of the catalog
	FieldEnvironments = "environments" // the portal's environments
	FieldRegions      = "regions"      // the portal's regions
)

// nameRE is the rule of a service name as a pattern the form can check too: a DNS-1123 label that starts with a
// letter and has no "--" (Go's regexp has no look-ahead, so the rule is written as words joined by single dashes).
const nameRE = `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`

var nameMatch = regexp.MustCompile(nameRE)

const secretRE = `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`

// teamRE is a team's name as the catalog keeps it (lowercase, as GitHub team slugs): it goes into CODEOWNERS and
// descriptors unquoted.
const teamRE = `^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`

// Checker answers the questions about the outside world that validating a new service needs. The caller (the
// portal) implements it over the catalog store and GitHub; methods may be called concurrently. An error means the
// question could not be answered; it is reported as a problem, so nothing is created on a guess.
type Checker interface {
	// ServiceExists reports whether the catalog has a service of that name.
	ServiceExists(ctx context.Context, name string) (bool, error)
	// RepoExists reports whether owner/name exists on GitHub.
	RepoExists(ctx context.Context, owner, name string) (bool, error)
	// TeamExists reports whether the team is known to the portal.
	TeamExists(ctx context.Context, team string) (bool, error)
}

// standardProperties are the schemas of the standard parameters for target, and their order in the form.
func standardProperties(t Target, resources []string) (map[string]any, []string) {
	props := map[string]any{
		ParamName: map[string]any{
			"type": "string", "title": "Service name",
			"description": "Lowercase letters, digits and single dashes, 3 to 40 characters, starting with a letter. " +
				"It names the repository, the image and the Kubernetes objects.",
			"minLength": 3, "maxLength": 40, "pattern": nameRE, "x-atrium-field": FieldServiceName,
		},
		ParamTeam: map[string]any{
			"type": "string", "title": "Owner team", "minLength": 1, "maxLength": 63, "pattern": teamRE,
			"x-atrium-pattern-message": "a team's name is lowercase letters, digits, dots, dashes and underscores",
			"x-atrium-field":           FieldTeam,
			"description":              "The team that runs the service: it owns the repository (CODEOWNERS) and the catalog entry.",
		},
		ParamDescription: map[string]any{
			"type": "string", "title": "Description", "maxLength": 300, "default": "",
			"description": "One sentence: what the service does.",
		},
		ParamEnvironments: map[string]any{
			"type": "array", "title": "Environments", "uniqueItems": true, "minItems": 1,
			"items":          map[string]any{"type": "string", "enum": t.environmentNames()},
			"default":        t.DefaultEnvironments,
			"description":    "Where the infrastructure pull request sets the service up. Hello-world runs in " + t.DevEnvironment + " first.",
			"x-atrium-field": FieldEnvironments,
		},
		ParamRegions: map[string]any{
			"type": "array", "title": "Regions", "uniqueItems": true, "minItems": 1,
			"items":          map[string]any{"type": "string", "enum": t.regions()},
			"default":        t.devRegions(),
			"description":    "The regions of those environments the service runs in.",
			"x-atrium-field": FieldRegions,
		},
	}
	order := []string{ParamName, ParamTeam, ParamDescription, ParamEnvironments, ParamRegions}
	if slices.Contains(resources, ResourceSQSQueue) {
		props[ParamSQSQueue] = map[string]any{"type": "boolean", "title": "SQS queue", "default": false,
			"description": "An SQS queue of the service's own in each environment and region, which only it may use."}
		order = append(order, ParamSQSQueue)
	}
	if slices.Contains(resources, ResourceSecrets) {
		props[ParamSecretNames] = map[string]any{"type": "array", "title": "Secrets", "uniqueItems": true,
			"maxItems": 20, "default": []any{},
			"items": map[string]any{"type": "string", "pattern": secretRE, "maxLength": 63,
				"x-atrium-pattern-message": "use lowercase letters, digits and single dashes, starting with a letter"},
			"description": "Names of the secrets the service reads (a placeholder each, in Secrets Manager; " +
				"values are set there, never in a repository)."}
		order = append(order, ParamSecretNames)
	}
	return props, order
}

// schemaKeywords are the JSON Schema keywords a template's parameter may use: what the form can render.
var schemaKeywords = map[string]bool{
	"type": true, "title": true, "description": true, "default": true, "enum": true, "const": true,
	"examples": true, "minLength": true, "maxLength": true, "pattern": true, "format": true, "minimum": true,
	"maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true, "multipleOf": true, "items": true,
	"x-atrium-pattern-message": true,
	"minItems":                 true, "maxItems": true, "uniqueItems": true, "readOnly": true, "enumNames": true,
}

// checkProperty reports the keywords of a parameter's schema outside the subset Atrium renders as a form.
func checkProperty(at string, prop any) problem.Problems {
	var ps problem.Problems
	m, ok := prop.(map[string]any)
	if !ok {
		return problem.Problems{problem.At(at, "a parameter's schema must be an object")}
	}
	keys := sortedKeys(m)
	for _, k := range keys {
		if !schemaKeywords[k] && !strings.HasPrefix(k, "ui:") && !strings.HasPrefix(k, "x-atrium-") {
			ps.Add(at+"/"+k, "keyword %q is not in the subset of JSON Schema Atrium supports (see docs/templates.md)", k)
		}
	}
	typ, _ := m["type"].(string)
	switch typ {
	case "string", "boolean", "integer", "number":
		if _, has := m["items"]; has {
			ps.Add(at+"/items", "items applies to arrays only")
		}
	case "array":
		items, ok := m["items"].(map[string]any)
		if !ok {
			ps.Add(at+"/items", "an array parameter needs items, the schema of its elements")
			break
		}
		if it, _ := items["type"].(string); it != "string" && it != "integer" && it != "number" {
			ps.Add(at+"/items/type", "array elements must be strings or numbers, not %v", items["type"])
		}
		for _, k := range sortedKeys(items) {
			if !schemaKeywords[k] || k == "items" {
				ps.Add(at+"/items/"+k, "keyword %q is not in the supported subset for array elements", k)
			}
		}
	default:
		ps.Add(at+"/type", "type must be string, boolean, integer, number or array, not %v", m["type"])
	}
	return ps
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Schema is the JSON Schema (draft 2020-12) of the template's parameters for target: the standard parameters
// with the target's environments and regions as choices, then the template's own, in the order of "ui:order".
// Unknown parameters are refused (additionalProperties: false). The form renders it; Validate checks against it.
func (t *Template) Schema(target Target) map[string]any {
	_ = target.Check() // for its defaults; its problems are reported where the configuration is loaded
	return t.schema(target)
}

func (t *Template) schema(target Target) map[string]any {
	props, order := standardProperties(target, t.GoldenPath.Resources)
	for _, name := range t.paramOrder {
		p := deepCopy(t.params[name]).(map[string]any)
		if std, ok := props[name].(map[string]any); ok {
			// A Backstage field mapped onto a standard one keeps its title and help; the rules stay Atrium's.
			for _, k := range []string{"title", "description", "ui:help", "ui:autofocus", "x-atrium-page"} {
				if v, ok := p[k]; ok {
					std[k] = v
				}
			}
			continue
		}
		props[name] = p
		order = append(order, name)
	}
	required := []string{ParamName, ParamTeam}
	for _, r := range t.required {
		if !slices.Contains(required, r) {
			required = append(required, r)
		}
	}
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"type":                 "object",
		"title":                t.Title,
		"description":          t.Description,
		"properties":           props,
		"required":             required,
		"additionalProperties": false,
		"ui:order":             order,
	}
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

// compiledSchema compiles the schema for target once per distinct schema.
func (t *Template) compiledSchema(target Target) (*jsonschema.Schema, map[string]any, error) {
	doc := t.schema(target)
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, err
	}
	key := string(b)
	if s, ok := t.compiled.Load(key); ok {
		return s.(*jsonschema.Schema), doc, nil
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	const url = "atrium:template/parameters.json"
	if err := c.AddResource(url, inst); err != nil {
		return nil, nil, err
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, nil, err
	}
	t.compiled.Store(key, s)
	return s, doc, nil
}

// noLoader refuses to load anything: a parameter schema is self-contained, and compiling one reads no file and
// no URL.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("parameter schemas may not refer to %s", url)
}

var printer = message.NewPrinter(language.English)

// Validate checks params against the template's schema for target and the golden path's rules, and asks chk
// (which may be nil: then only what needs no outside knowledge is checked) whether the name is taken in the
// catalog or on GitHub and whether the team exists. It returns the parameters with defaults applied, and every
// problem at once, each at the JSON Pointer of its parameter ("/name", "/environments/1"). Problems of the target
// (the portal's configuration) have Source "config".
func (t *Template) Validate(ctx context.Context, params map[string]any, target Target, chk Checker) (map[string]any, problem.Problems) {
	if ps := target.Check(); ps.HasErrors() {
		for i := range ps {
			ps[i].Source = "config"
			ps[i].Summary = "golden path configuration: " + ps[i].Summary
		}
		return nil, ps
	}
	return t.validate(ctx, params, target, chk)
}

func (t *Template) validate(ctx context.Context, params map[string]any, target Target, chk Checker) (map[string]any, problem.Problems) {
	var ps problem.Problems
	sch, doc, err := t.compiledSchema(target)
	if err != nil {
		return nil, problem.Problems{{Severity: problem.Error, Source: "template",
			Summary: fmt.Sprintf("template %s: its parameter schema does not compile: %v", t.Name, err)}}
	}
	vals, err := normalize(params)
	if err != nil {
		return nil, problem.Problems{problem.At("", "parameters must be JSON values: "+err.Error())}
	}
	props := doc["properties"].(map[string]any)
	for _, name := range sortedKeys(props) {
		if _, set := vals[name]; !set {
			if d, ok := props[name].(map[string]any)["default"]; ok {
				vals[name], _ = normalizeValue(d)
			}
		}
	}

	reported := map[string]bool{}
	if name, ok := vals[ParamName].(string); ok {
		for _, msg := range nameProblems(name) {
			ps.Add("/"+ParamName, "%s", msg)
			reported["/"+ParamName] = true
		}
	}
	if d, ok := vals[ParamDescription].(string); ok && strings.ContainsAny(d, "\r\n\u2028\u2029") {
		ps.Add("/"+ParamDescription, "must be one line")
		reported["/"+ParamDescription] = true
	}
	if err := sch.Validate(vals); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			ps.Add("", "%v", err)
		}
		// One problem per parameter, the most telling first: a form shows it under the field.
		best := map[string]rankedProblem{}
		var order []string
		for _, p := range schemaProblems(ve, doc) {
			if reported[p.Path] {
				continue
			}
			if b, ok := best[p.Path]; !ok || p.rank < b.rank || p.rank == b.rank && p.Summary < b.Summary {
				if !ok {
					order = append(order, p.Path)
				}
				best[p.Path] = p
			}
		}
		for _, path := range order {
			ps.Append(best[path].Problem)
		}
	}
	if len(ps) == 0 {
		ps.Append(placementProblems(vals, target)...)
	}
	if chk != nil {
		ps.Append(t.askChecker(ctx, vals, target, chk, ps)...)
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Path < ps[j].Path })
	return fromJSONNumbers(vals).(map[string]any), ps
}

// nameProblems says, in words, why name is not a service name.
func nameProblems(name string) []string {
	var out []string
	if len(name) < 3 || len(name) > 40 {
		out = append(out, fmt.Sprintf("must be 3 to 40 characters long, not %d", len(name)))
	}
	if name != "" && !(name[0] >= 'a' && name[0] <= 'z') {
		out = append(out, "must start with a lowercase letter")
	}
	if strings.HasSuffix(name, "-") {
		out = append(out, "must end with a letter or digit")
	}
	if strings.Contains(name, "--") {
		out = append(out, `must not contain "--"`)
	}
	if strings.IndexFunc(name, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') }) >= 0 {
		out = append(out, "may hold only lowercase letters, digits and dashes")
	}
	if len(out) == 0 && !nameMatch.MatchString(name) {
		out = append(out, "is not a valid service name")
	}
	return out
}

type rankedProblem struct {
	problem.Problem
	rank int // lower tells more
}

// schemaProblems turns a validation error into one problem per failed leaf, at the JSON Pointer of the value, in
// words a form can show.
func schemaProblems(ve *jsonschema.ValidationError, doc map[string]any) []rankedProblem {
	if ve == nil {
		return nil
	}
	if len(ve.Causes) > 0 {
		var ps []rankedProblem
		for _, c := range ve.Causes {
			ps = append(ps, schemaProblems(c, doc)...)
		}
		return ps
	}
	at := pointer(ve.InstanceLocation)
	one := func(rank int, format string, args ...any) []rankedProblem {
		return []rankedProblem{{problem.Atf(at, format, args...), rank}}
	}
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		var ps []rankedProblem
		for _, m := range k.Missing {
			ps = append(ps, rankedProblem{problem.At(at+"/"+escapePointer(m), "required"), 0})
		}
		return ps
	case *kind.AdditionalProperties:
		var ps []rankedProblem
		for _, p := range k.Properties {
			ps = append(ps, rankedProblem{problem.Atf(at+"/"+escapePointer(p), "unknown parameter: this template has no parameter %q", p), 0})
		}
		return ps
	case *kind.Type:
		return one(1, "must be %s, not %s", strings.Join(k.Want, " or "), k.Got)
	case *kind.MinLength:
		if k.Got == 0 {
			return one(2, "required")
		}
		return one(2, "must be at least %d characters", k.Want)
	case *kind.MaxLength:
		return one(2, "must be at most %d characters", k.Want)
	case *kind.MinItems:
		return one(2, "choose at least %d", k.Want)
	case *kind.MaxItems:
		return one(2, "choose at most %d", k.Want)
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		return one(3, "%v is not one of %s", k.Got, strings.Join(want, ", "))
	case *kind.Pattern:
		_, frag, _ := strings.Cut(ve.SchemaURL, "#")
		if msg, ok := schemaAt(doc, frag)["x-atrium-pattern-message"].(string); ok {
			return one(5, "%q: %s", k.Got, msg)
		}
		return one(5, "%q does not match %s", k.Got, k.Want)
	}
	return one(4, "%s", ve.ErrorKind.LocalizedString(printer))
}

// schemaAt is the object at the JSON Pointer ptr of doc, nil when there is none.
func schemaAt(doc map[string]any, ptr string) map[string]any {
	cur := doc
	for _, seg := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		if seg == "" {
			continue
		}
		next, ok := cur[strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)].(map[string]any)
		if !ok {
			return nil
		}
		cur = next
	}
	return cur
}

func pointer(loc []string) string {
	var b strings.Builder
	for _, s := range loc {
		b.WriteString("/" + escapePointer(s))
	}
	return b.String()
}

func escapePointer(s string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(s) }

// placementProblems checks that every chosen environment has a chosen region, and that the hello-world has a dev
// cluster to run in.
func placementProblems(vals map[string]any, target Target) problem.Problems {
	var ps problem.Problems
	envs, regions := stringList(vals[ParamEnvironments]), stringList(vals[ParamRegions])
	for i, name := range envs {
		e, _ := target.environment(name)
		if !slices.ContainsFunc(e.Regions, func(r string) bool { return slices.Contains(regions, r) }) {
			ps.Add(fmt.Sprintf("/%s/%d", ParamEnvironments, i), "%s is in none of the chosen regions (it is in %s)",
				name, strings.Join(e.Regions, ", "))
		}
	}
	if !slices.Contains(envs, target.DevEnvironment) {
		ps.Add("/"+ParamEnvironments, "must include %s: the golden path runs hello-world there first", target.DevEnvironment)
	} else if len(devClusters(target, regions)) == 0 {
		ps.Add("/"+ParamRegions, "none of the chosen regions has a cluster of %s to run hello-world in (they are in %s)",
			target.DevEnvironment, strings.Join(target.devRegions(), ", "))
	}
	return ps
}

// devClusters are the dev clusters in regions, sorted by name.
func devClusters(target Target, regions []string) []Cluster {
	dev, _ := target.environment(target.DevEnvironment)
	var out []Cluster
	for _, c := range dev.Clusters {
		if slices.Contains(target.DevClusters, c.Name) && slices.Contains(regions, c.Region) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// askChecker asks chk, concurrently, what only the outside world knows; a name or team that already has a
// problem is not asked about.
func (t *Template) askChecker(ctx context.Context, vals map[string]any, target Target, chk Checker, have problem.Problems) problem.Problems {
	bad := map[string]bool{}
	for _, p := range have {
		bad[p.Path] = true
	}
	name, _ := vals[ParamName].(string)
	team, _ := vals[ParamTeam].(string)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
		ps problem.Problems
	)
	ask := func(at, what string, f func() (bool, error), bad func(bool) string) {
		wg.Go(func() {
			found, err := f()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				ps.Add(at, "could not check %s: %v", what, err)
			case bad(found) != "":
				ps.Add(at, "%s", bad(found))
			}
		})
	}
	if name != "" && !bad["/"+ParamName] {
		ask("/"+ParamName, "whether the catalog has a service "+name, func() (bool, error) { return chk.ServiceExists(ctx, name) },
			func(found bool) string {
				if found {
					return fmt.Sprintf("the catalog already has a service named %s", name)
				}
				return ""
			})
		ask("/"+ParamName, "whether GitHub has a repository "+target.GitHub.Org+"/"+name,
			func() (bool, error) { return chk.RepoExists(ctx, target.GitHub.Org, name) },
			func(found bool) string {
				if found {
					return fmt.Sprintf("the repository %s/%s already exists on GitHub", target.GitHub.Org, name)
				}
				return ""
			})
	}
	if team != "" && !bad["/"+ParamTeam] {
		ask("/"+ParamTeam, "whether team "+team+" exists", func() (bool, error) { return chk.TeamExists(ctx, team) },
			func(found bool) string {
				if !found {
					return fmt.Sprintf("no team named %s", team)
				}
				return ""
			})
	}
	wg.Wait()
	sort.Slice(ps, func(i, j int) bool { return ps[i].String() < ps[j].String() })
	return ps
}

// normalize turns params into plain JSON values (numbers as json.Number), as the schema validator expects.
func normalize(params map[string]any) (map[string]any, error) {
	if params == nil {
		return map[string]any{}, nil
	}
	v, err := normalizeValue(params)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func normalizeValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// fromJSONNumbers replaces json.Number by int64 when integral, else float64, so templates compare and print
// numbers naturally.
func fromJSONNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = fromJSONNumbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = fromJSONNumbers(e)
		}
	}
	return v
}

func stringList(v any) []string {
	var out []string
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = append(out, v...)
	}
	return out
}

// ParseParams turns the command line's --param k=v strings into parameter values of the types the template's
// schema declares: booleans (true/false), integers, numbers, and lists (comma-separated). A value that does not
// parse is a problem at its pointer; a key the template does not know is kept as a string for Validate to refuse.
func (t *Template) ParseParams(kv map[string]string, target Target) (map[string]any, problem.Problems) {
	_ = target.Check() // for its defaults; its problems are reported where the configuration is loaded
	props := t.schema(target)["properties"].(map[string]any)
	out := map[string]any{}
	var ps problem.Problems
	for _, k := range sortedKeys(kv) {
		v := kv[k]
		p, _ := props[k].(map[string]any)
		typ, _ := p["type"].(string)
		var err error
		switch typ {
		case "boolean":
			out[k], err = strconv.ParseBool(v)
		case "integer":
			out[k], err = strconv.ParseInt(v, 10, 64)
		case "number":
			out[k], err = strconv.ParseFloat(v, 64)
		case "array":
			items := []any{}
			it, _ := p["items"].(map[string]any)
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s == "" {
					continue
				}
				var e any = s
				switch it["type"] {
				case "integer":
					e, err = strconv.ParseInt(s, 10, 64)
				case "number":
					e, err = strconv.ParseFloat(s, 64)
				}
				if err != nil {
					break
				}
				items = append(items, e)
			}
			out[k] = items
		default:
			out[k] = v
		}
		if err != nil {
			ps.Add("/"+escapePointer(k), "%q is not a %s", v, typ)
			delete(out, k)
		}
	}
	return out, ps
}

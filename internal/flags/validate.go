package flags

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sphera/atrium/internal/problem"
)

// keyPattern is what flag keys and evaluator names may look like: they appear in URLs and in code.
var keyPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)

// ValidKey reports whether key may name a flag.
func ValidKey(key string) bool { return keyPattern.MatchString(key) }

// ValidateJSON parses and validates a flag file, returning every problem found (nil when it is valid).
func ValidateJSON(data []byte) (*File, problem.Problems) {
	f, err := ParseFile(data)
	var ps problem.Problems
	if err != nil {
		var pe problem.Problems
		if errors.As(err, &pe) {
			ps = append(ps, pe...)
		} else {
			return nil, problem.Problems{problem.At("", err.Error())}
		}
	}
	if f == nil {
		return nil, ps
	}
	ps = append(ps, Validate(f)...)
	if len(ps) == 0 {
		return f, nil
	}
	return f, dedupe(ps)
}

// Validate checks a flag set the way the portal must before storing it: every flag well formed, variants of one
// type, the default variant defined, targeting that compiles, names only defined variants, uses integer
// non-negative weights and $refs that resolve, and the set within MaxRefDepth and MaxNodes. Problems carry JSON
// Pointers into the file.
func Validate(f *File) problem.Problems {
	var ps problem.Problems
	if f.Flags == nil {
		ps = append(ps, problem.At("/flags", "a flag set needs a \"flags\" object (it may be empty)"))
	}
	c, eps := validateEvaluators(f.Evaluators)
	ps = append(ps, eps...)
	ps = append(ps, validateMetadata(f.Metadata, "/metadata")...)
	for _, key := range sortedKeys(f.Flags) {
		ps = append(ps, validateFlag(key, f.Flags[key], c, Pointer("flags", key))...)
	}
	return dedupe(ps)
}

// ValidateFlag checks one flag against a set's $evaluators, with paths relative to the flag ("/variants/on").
func ValidateFlag(key string, fl *Flag, evaluators map[string]json.RawMessage) problem.Problems {
	c, _ := validateEvaluators(evaluators)
	return dedupe(validateFlag(key, fl, c, ""))
}

// ValidateFlagIn checks one flag as ValidateFlag does, against the set it is to join (replacing the set's flag
// of that key): also that the set stays within MaxNodes with it. Paths are relative to the flag.
func ValidateFlagIn(key string, fl *Flag, set *File) problem.Problems {
	var evaluators map[string]json.RawMessage
	if set != nil {
		evaluators = set.Evaluators
	}
	c, _ := validateEvaluators(evaluators)
	// The other flags count towards the limit; their own problems are not this change's.
	c.strict = false
	if set != nil {
		for _, k := range sortedKeys(set.Flags) {
			if other := set.Flags[k]; k != key && other != nil && len(other.Targeting) > 0 {
				if t, err := decodeNumbers(other.Targeting); err == nil && !isEmptyRule(t) {
					c.rule(t, Pointer("flags", k, "targeting"))
				}
			}
		}
	}
	c.strict = true
	full := c.full
	ps := validateFlag(key, fl, c, "")
	if full && fl != nil && len(fl.Targeting) > 0 {
		ps = append(ps, problem.Atf("/targeting", "the environment's flags already compile to more than "+
			"%d JsonLogic nodes; no targeting can be added until the set is made smaller", MaxNodes))
	}
	return dedupe(ps)
}

// validateEvaluators compiles every evaluator once, in strict mode; the compiler it returns holds them for the
// flags' targeting to share.
func validateEvaluators(raw map[string]json.RawMessage) (*compiler, problem.Problems) {
	var ps problem.Problems
	ev := map[string]any{}
	for _, name := range sortedKeys(raw) {
		v, err := decodeNumbers(raw[name])
		if err != nil {
			ps = append(ps, problem.At(Pointer("$evaluators", name), "not valid JSON"))
			continue
		}
		ev[name] = v
	}
	for _, name := range sortedKeys(ev) {
		path := Pointer("$evaluators", name)
		if !keyPattern.MatchString(name) {
			ps = append(ps, problem.At(path, "evaluator names use letters, digits, and _ . : - (at most 128)"))
		}
		if _, ok := ev[name].(map[string]any); !ok {
			ps = append(ps, problem.At(path, "an evaluator must be a JsonLogic rule (an object)"))
		}
	}
	c := newCompiler(ev, true)
	c.compileAll()
	ps = append(ps, c.problems...)
	c.problems = nil
	return c, ps
}

func validateMetadata(m map[string]any, path string) problem.Problems {
	var ps problem.Problems
	for _, k := range sortedKeys(m) {
		switch m[k].(type) {
		case bool, string, float64:
		default:
			ps = append(ps, problem.Atf(child(path, k),
				"metadata values must be booleans, strings or numbers, not %s", jsonKind(m[k])))
		}
	}
	return ps
}

func validateFlag(key string, fl *Flag, c *compiler, path string) problem.Problems {
	var ps problem.Problems
	add := func(p, format string, args ...any) {
		ps = append(ps, problem.Atf(p, format, args...))
	}
	if !keyPattern.MatchString(key) {
		add(path, "flag keys use letters, digits, and _ . : - (at most 128 characters), starting with a letter or digit")
	}
	if fl == nil {
		add(path, "a flag must be an object with state, variants and defaultVariant")
		return ps
	}
	switch fl.State {
	case StateEnabled, StateDisabled:
	case "":
		add(child(path, "state"), "missing: state must be \"ENABLED\" or \"DISABLED\"")
	default:
		add(child(path, "state"), "%q is not a state; use \"ENABLED\" or \"DISABLED\"", fl.State)
	}
	if len(fl.Variants) == 0 {
		add(child(path, "variants"), "a flag needs at least one variant")
	}
	var firstType, firstName string
	for _, name := range sortedKeys(fl.Variants) {
		vp := path + Pointer("variants", name)
		if name == "" {
			add(vp, "variant names must not be empty")
		}
		v, err := decodeValue(fl.Variants[name])
		if err != nil {
			add(vp, "not valid JSON")
			continue
		}
		t := jsonKind(v)
		switch t {
		case "boolean", "string", "number", "object":
		default:
			add(vp, "a variant's value must be a boolean, string, number or object, not %s", t)
			continue
		}
		if firstType == "" {
			firstType, firstName = t, name
		} else if t != firstType {
			add(vp, "is %s %s but variant %q is %s %s: all variants of a flag must have one type",
				articleFor(t), t, firstName, articleFor(firstType), firstType)
		}
	}
	if fl.DefaultVariant != nil {
		if _, ok := fl.Variants[*fl.DefaultVariant]; !ok {
			add(child(path, "defaultVariant"), "%q is not one of the flag's variants (%s); use one of them, or null "+
				"for the caller's code default", *fl.DefaultVariant, strings.Join(sortedKeys(fl.Variants), ", "))
		}
	}
	ps = append(ps, validateMetadata(fl.Metadata, child(path, "metadata"))...)
	if len(fl.Targeting) == 0 {
		return ps
	}
	tp := child(path, "targeting")
	t, err := decodeNumbers(fl.Targeting)
	if err != nil {
		add(tp, "not valid JSON")
		return ps
	}
	if isEmptyRule(t) {
		return ps
	}
	if _, ok := t.(map[string]any); !ok {
		add(tp, "targeting must be a JsonLogic rule (an object), not %s", jsonKind(t))
		return ps
	}
	c.problems = nil
	c.rule(t, tp)
	ps = append(ps, c.problems...)
	c.problems = nil
	r := &resultChecker{variants: fl.Variants, evaluators: c.evaluators, seen: map[string]bool{}}
	r.check(t, tp)
	ps = append(ps, r.problems...)
	return ps
}

func articleFor(t string) string {
	if t == "object" {
		return "an"
	}
	return "a"
}

// resultChecker walks the places a targeting rule's result comes from and checks that each can name a variant.
// Each evaluator is checked once per flag, at the first $ref to it: a rule that refers to one evaluator many
// times (or through a chain of them) costs its size, not the size of its expansion.
type resultChecker struct {
	variants   map[string]json.RawMessage
	evaluators map[string]any
	seen       map[string]bool
	depth      int // $refs being followed; the compiler reports chains deeper than MaxRefDepth
	problems   problem.Problems
}

func (r *resultChecker) add(path, format string, args ...any) {
	r.problems = append(r.problems, problem.Atf(path, format, args...))
}

func (r *resultChecker) known() string { return strings.Join(sortedKeys(r.variants), ", ") }

func (r *resultChecker) check(x any, path string) {
	switch v := x.(type) {
	case nil:
		return // null falls back to the default variant
	case string:
		if _, ok := r.variants[v]; !ok {
			r.add(path, "%q is not a variant of this flag (variants: %s)", v, r.known())
		}
	case bool:
		name := fmt.Sprint(v)
		if _, ok := r.variants[name]; !ok {
			r.add(path, "the rule can return %s, which selects a variant named %q; this flag has none (variants: %s)",
				name, name, r.known())
		}
	case json.Number:
		if _, ok := r.variants[v.String()]; !ok {
			r.add(path, "%s is not a variant of this flag (variants: %s)", v, r.known())
		}
	case []any:
		r.add(path, "an array cannot name a variant")
	case map[string]any:
		if len(v) != 1 {
			return
		}
		for op, arg := range v {
			r.operation(op, arg, child(path, op))
		}
	}
}

func (r *resultChecker) needBooleans(path, op string) {
	var missing []string
	for _, name := range []string{"true", "false"} {
		if _, ok := r.variants[name]; !ok {
			missing = append(missing, fmt.Sprintf("%q", name))
		}
	}
	if len(missing) > 0 {
		r.add(path, "%s returns true or false, which select the variants named \"true\" and \"false\"; this flag "+
			"lacks %s (wrap the condition in {\"if\": [condition, \"variant\", \"other-variant\"]})", op,
			strings.Join(missing, " and "))
	}
}

func (r *resultChecker) operation(op string, arg any, path string) {
	_, isArray := arg.([]any)
	args := argList(arg)
	at := func(i int) string {
		if !isArray {
			return path
		}
		return childIndex(path, i)
	}
	switch op {
	case "if", "?:":
		i := 0
		for ; i+1 < len(args); i += 2 {
			r.check(args[i+1], at(i+1))
		}
		if i < len(args) {
			r.check(args[i], at(i))
		}
	case "or", "and":
		for i, a := range args {
			r.check(a, at(i))
		}
	case "$ref":
		name, _ := arg.(string)
		body, ok := r.evaluators[name]
		if !ok || r.seen[name] || r.depth >= MaxRefDepth {
			return
		}
		r.seen[name] = true
		before := len(r.problems)
		r.depth++
		r.check(body, Pointer("$evaluators", name))
		r.depth--
		// Report problems found inside a shared evaluator at the $ref that uses it.
		for i := before; i < len(r.problems); i++ {
			r.problems[i].Summary = fmt.Sprintf("%s (through $ref %q at %s)", r.problems[i].Summary, name, path)
		}
	case "fractional":
		start := 0
		if len(args) > 0 {
			if _, isBucket := args[0].([]any); !isBucket {
				start = 1
			}
		}
		for i := start; i < len(args); i++ {
			b, ok := args[i].([]any)
			if !ok || len(b) == 0 {
				continue
			}
			if w, ok := b[len(b)-1].(json.Number); ok && len(b) == 2 {
				if f, err := w.Float64(); err == nil && f <= 0 {
					continue // a bucket that gets no traffic cannot select anything
				}
			}
			r.check(b[0], childIndex(at(i), 0))
		}
	case "==", "===", "!=", "!==", "<", "<=", ">", ">=", "!", "!!", "in", "starts_with", "ends_with",
		"sem_ver", "all", "some", "none":
		r.needBooleans(path, op)
	case "merge", "map", "filter", "missing", "missing_some":
		r.add(path, "%s returns an array, which cannot name a variant", op)
	}
}

func dedupe(ps problem.Problems) problem.Problems {
	if len(ps) == 0 {
		return nil
	}
	seen := map[problem.Problem]bool{}
	out := ps[:0]
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

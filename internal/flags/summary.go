package flags

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Summary describes a flag for the portal's flag table.
type Summary struct {
	Type     string   `json:"type"`     // boolean, string, number, object (of the variants), or mixed
	Variants []string `json:"variants"` // names, sorted
	Default  *string  `json:"default"`  // default variant; nil: the caller's code default
	Rollout  string   `json:"rollout"`  // e.g. "fractional by accountId 20/80", "2 rules", "static: on"
	// Reachable lists the variants an evaluation can produce; Dynamic is true when the rule can produce
	// variant names not known in advance (read from the context).
	Reachable []string `json:"reachable"`
	Dynamic   bool     `json:"dynamic"`
}

// FullyRolledOut reports whether every evaluation of an enabled flag yields the same variant — the flag has done
// its job and is ready to be removed from code.
func (s Summary) FullyRolledOut() bool { return !s.Dynamic && len(s.Reachable) <= 1 }

// Summarize describes fl; evaluators are the set's $evaluators, for $ref.
func Summarize(fl *Flag, evaluators map[string]json.RawMessage) Summary {
	s := Summary{Variants: sortedKeys(fl.Variants), Default: fl.DefaultVariant, Type: variantType(fl)}
	if s.Variants == nil {
		s.Variants = []string{}
	}
	var rule any
	if len(fl.Targeting) > 0 {
		rule, _ = decodeNumbers(fl.Targeting)
	}
	if fl.State == StateDisabled {
		s.Rollout = "disabled"
		s.Reachable = []string{}
		return s
	}
	ev := &evaluatorSource{raw: evaluators}
	a := &analyzer{evaluators: ev, variants: fl.Variants, reach: map[string]bool{}, seen: map[string]bool{}}
	if isEmptyRule(rule) {
		if fl.DefaultVariant != nil {
			s.Rollout = "static: " + *fl.DefaultVariant
			a.reach[*fl.DefaultVariant] = true
		} else {
			s.Rollout = "static: code default"
		}
	} else {
		a.results(rule)
		if a.nullable && fl.DefaultVariant != nil {
			a.reach[*fl.DefaultVariant] = true
		}
		s.Rollout = describeRule(rule, ev)
	}
	s.Reachable = sortedKeys(a.reach)
	s.Dynamic = a.dynamic
	return s
}

func variantType(fl *Flag) string {
	t := ""
	for _, raw := range fl.Variants {
		v, err := decodeValue(raw)
		if err != nil {
			return "mixed"
		}
		k := jsonKind(v)
		if t != "" && k != t {
			return "mixed"
		}
		t = k
	}
	return t
}

// evaluatorSource decodes a set's evaluators when a rule first refers to them, once each.
type evaluatorSource struct {
	raw     map[string]json.RawMessage
	decoded map[string]any
}

func (e *evaluatorSource) get(name string) (any, bool) {
	if v, ok := e.decoded[name]; ok {
		return v, true
	}
	raw, ok := e.raw[name]
	if !ok {
		return nil, false
	}
	v, err := decodeNumbers(raw)
	if err != nil {
		return nil, false
	}
	if e.decoded == nil {
		e.decoded = map[string]any{}
	}
	e.decoded[name] = v
	return v, true
}

// analyzer collects the variants a rule can select. What an evaluator contributes does not depend on where it is
// referred to, so each is analysed once, however many $refs lead to it.
type analyzer struct {
	evaluators *evaluatorSource
	variants   map[string]json.RawMessage
	reach      map[string]bool
	seen       map[string]bool
	depth      int
	nullable   bool // the rule can return null (falling back to the default variant)
	dynamic    bool
}

func (a *analyzer) name(n string) {
	if _, ok := a.variants[n]; ok {
		a.reach[n] = true
	}
}

func (a *analyzer) results(x any) {
	switch v := x.(type) {
	case nil:
		a.nullable = true
	case string:
		a.name(v)
	case bool:
		a.name(strconv.FormatBool(v))
	case json.Number:
		a.name(v.String())
	case map[string]any:
		if len(v) != 1 {
			a.dynamic = true
			return
		}
		for op, arg := range v {
			a.operation(op, arg)
		}
	default:
		a.dynamic = true
	}
}

func (a *analyzer) operation(op string, arg any) {
	args := argList(arg)
	switch op {
	case "if", "?:":
		i := 0
		for ; i+1 < len(args); i += 2 {
			a.results(args[i+1])
		}
		if i < len(args) {
			a.results(args[i])
		} else {
			a.nullable = true
		}
	case "or", "and":
		for _, x := range args {
			a.results(x)
		}
	case "$ref":
		name, _ := arg.(string)
		if a.seen[name] {
			return // analysed already, or circular (which the validator rejects)
		}
		body, ok := a.evaluators.get(name)
		if !ok || a.depth >= MaxRefDepth {
			a.dynamic = true
			return
		}
		a.seen[name] = true
		a.depth++
		a.results(body)
		a.depth--
	case "fractional":
		a.nullable = true // no bucketing key → default
		start := 0
		if len(args) > 0 {
			if _, isBucket := args[0].([]any); !isBucket {
				start = 1
			}
		}
		for _, b := range args[start:] {
			arr, ok := b.([]any)
			if !ok || len(arr) == 0 {
				a.dynamic = true
				continue
			}
			if len(arr) == 2 {
				if w, ok := arr[1].(json.Number); ok {
					if f, err := w.Float64(); err == nil && f <= 0 {
						continue
					}
				}
			}
			a.results(arr[0])
		}
	case "==", "===", "!=", "!==", "<", "<=", ">", ">=", "!", "!!", "in", "all", "some", "none":
		a.name("true")
		a.name("false")
	case "starts_with", "ends_with", "sem_ver":
		a.name("true")
		a.name("false")
		a.nullable = true
	default:
		a.dynamic = true
	}
}

// describeRule summarises a rule for people: the percentage splits it contains and how many conditions. An
// evaluator is described once, at its first $ref, however many lead to it.
func describeRule(rule any, evaluators *evaluatorSource) string {
	var parts []string
	conditions := 0
	seen := map[string]bool{}
	var walk func(x any, depth int)
	walk = func(x any, depth int) {
		if depth > 32 {
			return
		}
		switch v := x.(type) {
		case []any:
			for _, e := range v {
				walk(e, depth+1)
			}
		case map[string]any:
			if len(v) != 1 {
				return
			}
			for op, arg := range v {
				switch op {
				case "fractional":
					parts = append(parts, describeFractional(argList(arg)))
					return
				case "if", "?:":
					args := argList(arg)
					conditions += len(args) / 2
				case "$ref":
					if name, ok := arg.(string); ok && !seen[name] {
						seen[name] = true
						if body, ok := evaluators.get(name); ok {
							walk(body, depth+1)
						}
					}
					return
				}
				walk(arg, depth+1)
			}
		}
	}
	walk(rule, 0)
	switch {
	case conditions == 0 && len(parts) == 0:
		parts = append(parts, "targeting rule")
	case conditions == 1:
		parts = append([]string{"1 rule"}, parts...)
	case conditions > 1:
		parts = append([]string{fmt.Sprintf("%d rules", conditions)}, parts...)
	}
	return strings.Join(parts, "; ")
}

// describeFractional renders e.g. "fractional by accountId 20/80" (percentages when the weights are not already
// percentages).
func describeFractional(args []any) string {
	by := "targetingKey"
	if len(args) > 0 {
		if _, isBucket := args[0].([]any); !isBucket {
			by = bucketingAttribute(args[0])
			args = args[1:]
		}
	}
	var weights []float64
	total := 0.0
	for _, b := range args {
		arr, ok := b.([]any)
		if !ok || len(arr) == 0 {
			continue
		}
		w := 1.0
		if len(arr) > 1 {
			if n, ok := arr[1].(json.Number); ok {
				w, _ = n.Float64()
			} else {
				w = math.NaN()
			}
		}
		if w < 0 {
			w = 0
		}
		weights = append(weights, w)
		total += w
	}
	parts := make([]string, len(weights))
	for i, w := range weights {
		switch {
		case math.IsNaN(w) || math.IsNaN(total):
			parts[i] = "?"
		case total == 0:
			parts[i] = "0"
		default:
			parts[i] = strconv.FormatFloat(math.Round(w/total*1000)/10, 'f', -1, 64)
		}
	}
	return "fractional by " + by + " " + strings.Join(parts, "/")
}

// bucketingAttribute names what a fractional buckets by: {"var": "x"} → x; cat of $flagd.flagKey and a var → the var.
func bucketingAttribute(x any) string {
	m, ok := x.(map[string]any)
	if !ok || len(m) != 1 {
		if s, ok := x.(string); ok {
			return fmt.Sprintf("%q", s)
		}
		return "expression"
	}
	for op, arg := range m {
		switch op {
		case "var":
			if p, ok := argList(arg)[0].(string); ok {
				return p
			}
		case "cat":
			var names []string
			for _, part := range argList(arg) {
				n := bucketingAttribute(part)
				if n != "$flagd.flagKey" {
					names = append(names, n)
				}
			}
			return strings.Join(names, "+")
		}
	}
	return "expression"
}

// DiffOp is one difference between two JSON documents.
type DiffOp struct {
	Path   string `json:"path"`
	Op     string `json:"op"` // add, remove, replace
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
}

// Diff lists the differences between two JSON documents (nil or empty = absent), as JSON Pointer paths in
// document order, keys sorted.
func Diff(before, after []byte) []DiffOp {
	var a, b any
	if len(before) > 0 {
		a, _ = decodeNumbers(before)
	}
	if len(after) > 0 {
		b, _ = decodeNumbers(after)
	}
	var out []DiffOp
	diffValue("", a, b, len(before) > 0, len(after) > 0, &out)
	if out == nil {
		out = []DiffOp{}
	}
	return out
}

func diffValue(path string, a, b any, hasA, hasB bool, out *[]DiffOp) {
	switch {
	case !hasA && !hasB:
		return
	case !hasA:
		*out = append(*out, DiffOp{Path: path, Op: "add", After: b})
		return
	case !hasB:
		*out = append(*out, DiffOp{Path: path, Op: "remove", Before: a})
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			av, ha := am[k]
			bv, hb := bm[k]
			diffValue(child(path, k), av, bv, ha, hb, out)
		}
		return
	}
	aa, aok := a.([]any)
	ba, bok := b.([]any)
	if aok && bok && len(aa) == len(ba) {
		for i := range aa {
			diffValue(childIndex(path, i), aa[i], ba[i], true, true, out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, DiffOp{Path: path, Op: "replace", Before: a, After: b})
	}
}

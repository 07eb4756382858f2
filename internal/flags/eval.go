package flags

import (
	"encoding/json"
	"fmt"
	"math"
	"sync"
)

// Detail is the outcome of evaluating one flag. Value is nil when the caller's own default applies (the flag is
// disabled, its defaultVariant is null, or the evaluation failed); then Variant is empty too.
//
// Value and Metadata are shared with the compiled set and must be treated as read-only.
type Detail struct {
	Key          string
	Value        any
	Variant      string
	Reason       Reason
	ErrorCode    ErrorCode
	ErrorMessage string
	Metadata     map[string]any
}

// Type is the type a caller expects a flag's value to have.
type Type uint8

// Value types.
const (
	TypeAny Type = iota
	TypeBoolean
	TypeString
	TypeInteger
	TypeFloat
	TypeObject
)

func (t Type) String() string {
	return [...]string{"any", "boolean", "string", "integer", "float", "object"}[t]
}

// Set is a compiled flag set, safe for concurrent use. Compile builds one; it never changes afterwards.
type Set struct {
	flags    map[string]*compiled
	keys     []string
	metadata map[string]any
	nodes    int // JsonLogic nodes compiled, at most MaxNodes
	refs     int // evaluators compiled, each once
}

type compiled struct {
	key       string
	disabled  bool
	values    map[string]any // variant name → value (JSON types: bool, float64, string, map[string]any)
	def       string
	hasDef    bool
	targeting node
	broken    string
	meta      map[string]any
	fixed     Detail // the answer when there is no targeting to run (static, disabled, broken)
	hasFixed  bool
}

var statePool = sync.Pool{New: func() any { return new(state) }}

// Compile turns a flag file into a Set. It is lenient the way flagd is: a flag whose targeting cannot compile
// (a $ref to a missing evaluator, an unknown operator) still loads and answers PARSE_ERROR when evaluated, and
// every other flag keeps working. Use Validate to reject such files before they are stored.
//
// Each evaluator is compiled once, when a flag first refers to it, and shared by every $ref to it; a $ref chain
// deeper than MaxRefDepth fails when evaluated, and once the set reaches MaxNodes the flags compiled after that
// (in key order) answer PARSE_ERROR. Validate rejects files that would reach either limit.
func Compile(f *File) *Set {
	s := &Set{flags: make(map[string]*compiled, len(f.Flags)), metadata: primitiveMap(f.Metadata)}
	c := newCompiler(decodeEvaluators(f.Evaluators), false)
	for _, key := range sortedKeys(f.Flags) {
		fl := f.Flags[key]
		if fl == nil {
			continue
		}
		s.flags[key] = compileFlag(key, fl, c, s.metadata)
		s.keys = append(s.keys, key)
	}
	s.nodes, s.refs = c.nodes, len(c.refs)
	return s
}

// Nodes is how many JsonLogic nodes the set compiled to (never more than MaxNodes): a measure of its memory.
func (s *Set) Nodes() int { return s.nodes }

// CompileJSON parses and compiles a flag file.
func CompileJSON(data []byte) (*Set, error) {
	f, err := ParseFile(data)
	if err != nil {
		return nil, err
	}
	return Compile(f), nil
}

func decodeEvaluators(raw map[string]json.RawMessage) map[string]any {
	out := make(map[string]any, len(raw))
	for name, r := range raw {
		v, err := decodeNumbers(r)
		if err != nil {
			continue
		}
		out[name] = v
	}
	return out
}

func compileFlag(key string, fl *Flag, comp *compiler, setMeta map[string]any) *compiled {
	c := &compiled{key: key, disabled: fl.State == StateDisabled, values: map[string]any{}}
	c.meta = mergeMeta(setMeta, primitiveMap(fl.Metadata))
	for name, raw := range fl.Variants {
		v, err := decodeValue(raw)
		if err != nil {
			c.broken = fmt.Sprintf("variant %q is not valid JSON", name)
			continue
		}
		c.values[name] = v
	}
	if fl.DefaultVariant != nil && *fl.DefaultVariant != "" {
		c.def, c.hasDef = *fl.DefaultVariant, true
		if _, ok := c.values[c.def]; !ok {
			c.broken = fmt.Sprintf("defaultVariant %q is not one of the flag's variants", c.def)
		}
	}
	if fl.State != StateEnabled && fl.State != StateDisabled && c.broken == "" {
		c.broken = fmt.Sprintf("state %q is neither ENABLED nor DISABLED", fl.State)
	}
	if len(fl.Targeting) > 0 {
		t, err := decodeNumbers(fl.Targeting)
		switch {
		case err != nil:
			c.broken = "targeting is not valid JSON"
		case isEmptyRule(t):
		default:
			var fits bool
			if c.targeting, fits = comp.rule(t, "/targeting"); !fits {
				c.broken = fmt.Sprintf("the flag set's rules compile to more than %d JsonLogic nodes", MaxNodes)
			}
		}
	}
	switch {
	case c.broken != "":
		c.fixed, c.hasFixed = Detail{Key: key, Reason: ReasonError, ErrorCode: ErrParse,
			ErrorMessage: fmt.Sprintf("flag %q cannot be evaluated: %s", key, c.broken), Metadata: c.meta}, true
	case c.disabled:
		c.fixed, c.hasFixed = Detail{Key: key, Reason: ReasonDisabled, Metadata: c.meta}, true
	case c.targeting == nil:
		c.fixed, c.hasFixed = c.defaultDetail(ReasonStatic), true
	}
	return c
}

func isEmptyRule(t any) bool {
	m, ok := t.(map[string]any)
	return t == nil || (ok && len(m) == 0)
}

// defaultDetail answers with the default variant, or with the caller's default when there is none.
func (c *compiled) defaultDetail(reason Reason) Detail {
	if !c.hasDef {
		return Detail{Key: c.key, Reason: ReasonDefault, Metadata: c.meta}
	}
	return Detail{Key: c.key, Value: c.values[c.def], Variant: c.def, Reason: reason, Metadata: c.meta}
}

// primitiveMap keeps the metadata entries OpenFeature can carry: booleans, strings and numbers.
func primitiveMap(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch v.(type) {
		case bool, string, float64:
			out[k] = v
		}
	}
	return out
}

func mergeMeta(set, flag map[string]any) map[string]any {
	if len(set) == 0 {
		return flag
	}
	if len(flag) == 0 {
		return set
	}
	out := make(map[string]any, len(set)+len(flag))
	for k, v := range set {
		out[k] = v
	}
	for k, v := range flag {
		out[k] = v
	}
	return out
}

// Keys lists the set's flag keys, sorted.
func (s *Set) Keys() []string { return s.keys }

// Has reports whether the set defines key.
func (s *Set) Has(key string) bool { _, ok := s.flags[key]; return ok }

// Metadata is the flag set's metadata (read-only).
func (s *Set) Metadata() map[string]any { return s.metadata }

// Evaluate resolves flag key for the evaluation context ctx (JSON-like values; Go numeric types count as numbers).
// It never panics and never returns an error: failures are Details with Reason ERROR and an error code.
func (s *Set) Evaluate(key string, ctx map[string]any) Detail {
	c, ok := s.flags[key]
	if !ok {
		return Detail{Key: key, Reason: ReasonError, ErrorCode: ErrFlagNotFound,
			ErrorMessage: "flag " + quote(key) + " was not found", Metadata: s.metadata}
	}
	if c.hasFixed {
		return c.fixed
	}
	return c.run(ctx, s.refs)
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func (c *compiled) run(ctx map[string]any, refs int) (d Detail) {
	st := statePool.Get().(*state)
	st.root, st.flagKey, st.now, st.err, st.data, st.scoped, st.bufBusy = ctx, c.key, 0, "", nil, false, false
	st.begin(refs)
	defer func() {
		if r := recover(); r != nil {
			d = Detail{Key: c.key, Reason: ReasonError, ErrorCode: ErrGeneral,
				ErrorMessage: fmt.Sprintf("internal error evaluating flag %q: %v", c.key, r), Metadata: c.meta}
		}
		st.end()
		statePool.Put(st)
	}()
	v := c.targeting.eval(st)
	if st.over {
		return Detail{Key: c.key, Reason: ReasonError, ErrorCode: ErrGeneral, Metadata: c.meta,
			ErrorMessage: fmt.Sprintf("targeting of flag %q was stopped: it needs more than %d evaluation steps "+
				"(array operations nested too deeply or over too much data)", c.key, MaxEvalSteps)}
	}
	if st.err != "" {
		return Detail{Key: c.key, Reason: ReasonError, ErrorCode: ErrParse,
			ErrorMessage: fmt.Sprintf("targeting of flag %q failed: %s", c.key, st.err), Metadata: c.meta}
	}
	if v.k == kNull {
		return c.defaultDetail(ReasonDefault)
	}
	name, ok := variantName(v)
	if ok {
		if value, found := c.values[name]; found {
			reason := ReasonTargetingMatch
			if v.split {
				reason = ReasonSplit
			}
			return Detail{Key: c.key, Value: value, Variant: name, Reason: reason, Metadata: c.meta}
		}
		return Detail{Key: c.key, Reason: ReasonError, ErrorCode: ErrGeneral,
			ErrorMessage: fmt.Sprintf("targeting of flag %q chose variant %s, which the flag does not define",
				c.key, quote(name)), Metadata: c.meta}
	}
	return Detail{Key: c.key, Reason: ReasonError, ErrorCode: ErrGeneral,
		ErrorMessage: fmt.Sprintf("targeting of flag %q returned %s, which cannot name a variant", c.key,
			jsonKind(v.toAny())), Metadata: c.meta}
}

// EvaluateAs is Evaluate for a caller that expects a value of type t; a value of another type answers
// TYPE_MISMATCH. Integers are numbers without a fraction; any number is a float.
func (s *Set) EvaluateAs(key string, t Type, ctx map[string]any) Detail {
	d := s.Evaluate(key, ctx)
	if d.ErrorCode != "" || d.Value == nil || t == TypeAny || t.accepts(d.Value) {
		return d
	}
	return Detail{Key: key, Reason: ReasonError, ErrorCode: ErrTypeMismatch, Metadata: d.Metadata,
		ErrorMessage: fmt.Sprintf("flag %q has a %s value, not %s", key, jsonKind(d.Value), article(t))}
}

func article(t Type) string {
	if t == TypeInteger || t == TypeObject {
		return "an " + t.String()
	}
	return "a " + t.String()
}

func (t Type) accepts(v any) bool {
	switch t {
	case TypeBoolean:
		_, ok := v.(bool)
		return ok
	case TypeString:
		_, ok := v.(string)
		return ok
	case TypeFloat:
		_, ok := v.(float64)
		return ok
	case TypeInteger:
		f, ok := v.(float64)
		return ok && f == math.Trunc(f) && math.Abs(f) <= 1<<63
	case TypeObject:
		_, ok := v.(map[string]any)
		return ok
	}
	return true
}

// EvaluateAll resolves every flag of the set for ctx, in key order.
func (s *Set) EvaluateAll(ctx map[string]any) []Detail {
	out := make([]Detail, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, s.Evaluate(k, ctx))
	}
	return out
}

package flags

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/problem"
)

// node is a compiled JsonLogic expression.
type node interface {
	eval(s *state) val
}

// state is one evaluation's scratch: the context, the flag's key, the first error, and a buffer for bucketing
// keys. States are pooled, so targeting evaluations do not allocate one each.
type state struct {
	root    map[string]any
	data    any // current element inside map/filter/reduce/all/some/none
	scoped  bool
	flagKey string
	now     int64
	err     string
	buf     [192]byte
	bufBusy bool
	vbuf    [2][64]byte // sem_ver's "v"-prefixed versions

	// memo keeps each evaluator's value for the scope it was computed in, so an evaluator that a rule refers to
	// many times runs once per scope. scope names the current one: a new stamp per evaluation and per element an
	// array operation visits; stamps only grow, so a pooled state never mistakes an old entry for a current one.
	memo    []memoSlot
	touched []int32 // memo slots written, cleared after the evaluation so the pool keeps no context data
	scope   uint64
	stamp   uint64
	first   uint64 // the evaluation's first stamp: older memo entries are another evaluation's
	// steps counts the work evaluations repeat (see MaxEvalSteps); over is set once it runs out.
	steps int
	over  bool
}

type memoSlot struct {
	scope uint64
	v     val
}

// begin readies a pooled state for one evaluation of a set with refs evaluators.
func (s *state) begin(refs int) {
	if cap(s.memo) < refs {
		s.memo = make([]memoSlot, refs)
	}
	s.memo = s.memo[:refs]
	s.stamp++
	s.first, s.scope, s.steps, s.over = s.stamp, s.stamp, 0, false
}

// end forgets the evaluation's values before the state goes back to the pool.
func (s *state) end() {
	for _, id := range s.touched {
		s.memo[id].v = val{}
	}
	s.touched = s.touched[:0]
	s.root, s.data = nil, nil
}

// enter starts a new scope (an element of an array operation) and returns the one to go back to.
func (s *state) enter() uint64 {
	prev := s.scope
	s.stamp++
	s.scope = s.stamp
	return prev
}

// charge spends n steps of the evaluation's budget; false (and over) when it is spent.
func (s *state) charge(n int) bool {
	if s.over {
		return false
	}
	s.steps += n
	if s.steps > MaxEvalSteps {
		s.over = true
		return false
	}
	return true
}

func (s *state) fail(format string, args ...any) {
	if s.err == "" {
		s.err = fmt.Sprintf(format, args...)
	}
}

func (s *state) timestamp() int64 {
	if s.now == 0 {
		s.now = time.Now().Unix()
	}
	return s.now
}

// operators are the JsonLogic operations flagd supports, plus its custom ones.
var operators = map[string]bool{
	"var": true, "missing": true, "missing_some": true, "if": true, "?:": true, "==": true, "===": true,
	"!=": true, "!==": true, "!": true, "!!": true, "or": true, "and": true, "<": true, "<=": true, ">": true,
	">=": true, "in": true, "cat": true, "substr": true, "merge": true, "+": true, "-": true, "*": true, "/": true,
	"%": true, "min": true, "max": true, "abs": true, "map": true, "filter": true, "reduce": true, "all": true,
	"none": true, "some": true, "fractional": true, "sem_ver": true, "starts_with": true, "ends_with": true,
}

// Operators lists the operators targeting rules may use, sorted.
func Operators() []string {
	out := sortedKeys(operators)
	return append(out, "$ref")
}

// Limits on what a flag set may cost. Each evaluator compiles once and every $ref to it shares the result, so a
// set compiles in time and memory linear in its size; these limits bound what even a large or hostile file costs.
const (
	// MaxRefDepth is how deeply $ref may nest: a chain of evaluators, each referring to the next, at most this long.
	MaxRefDepth = 32
	// MaxNodes is how many JsonLogic nodes (operations and the values in them) a flag set's targeting rules and
	// evaluators may compile to, all together — about ten megabytes of rules.
	MaxNodes = 1 << 20
	// MaxEvalSteps bounds the work of one evaluation beyond a single pass over its flag's targeting: every
	// evaluator it runs costs the operations in it, and every element an array operation (map, filter, all, some,
	// none, reduce) visits costs the operations of the logic run on it (literal values cost nothing). An
	// evaluator runs once per evaluation (once per element inside array operations), so a rule within MaxNodes
	// never needs more than this outside array operations; an evaluation that does — array operations nested in
	// each other, directly or through $ref, multiply — stops with an error instead of running for minutes.
	MaxEvalSteps = 2 * MaxNodes
)

// compiler turns decoded JsonLogic (numbers as json.Number) into nodes. In strict mode it also collects problems
// with their paths; otherwise mistakes compile into nodes that fail when reached, as flagd fails at evaluation.
//
// One compiler serves a whole flag set. A $ref does not compile its evaluator in place: it names an entry that is
// compiled once, later (drain), and shared by every $ref to it, so the compiled rules form a graph whose size is
// that of the file, however often evaluators refer to each other. drain then checks that graph for cycles and for
// chains deeper than MaxRefDepth.
type compiler struct {
	evaluators map[string]any
	strict     bool
	problems   problem.Problems
	nproblems  int // problems found, whether kept (strict) or not

	refs  map[string]*refEntry
	queue []*refEntry // entries referred to but not compiled yet
	cur   *refEntry   // the evaluator whose body is being compiled; nil while compiling a flag's targeting
	uses  []refUse    // the $refs of the targeting being compiled

	nodes int    // nodes compiled so far, at most MaxNodes
	ops   int    // the nodes among them that are operations, not literal values: what evaluations run
	full  bool   // MaxNodes was reached
	unit  string // path of the rule being compiled (an evaluator or a flag's targeting), for limit problems
}

func newCompiler(evaluators map[string]any, strict bool) *compiler {
	return &compiler{evaluators: evaluators, strict: strict, refs: map[string]*refEntry{}}
}

// refEntry is one evaluator of $evaluators, compiled once for all the $refs to it.
type refEntry struct {
	name   string
	id     int // index of its slot in an evaluation's memo
	path   string
	src    any
	body   node
	cost   int // operations of the body itself, not of the evaluators it refers to
	uses   []refUse
	height int    // evaluators on the longest $ref chain starting here, itself included
	bad    string // why a flag referring to it is invalid; "" when it is sound
	probs  int    // problems found in its body
	mark   uint8  // depth-first search: 0 unvisited, 1 on the path, 2 done
}

// refUse is one $ref: the entry it names, where it is written, and its node (cut when it closes a cycle).
type refUse struct {
	to   *refEntry
	path string
	node *refNode
}

func (c *compiler) problem(path, format string, args ...any) {
	c.nproblems++
	if c.cur != nil {
		c.cur.probs++
	}
	if c.strict {
		c.problems = append(c.problems, problem.Atf(path, format, args...))
	}
}

// rule compiles a flag's targeting at path together with the evaluators it refers to. It reports whether the
// rule fits within MaxNodes, and in strict mode adds a problem for each $ref to an evaluator that is unusable.
func (c *compiler) rule(x any, path string) (node, bool) {
	wasFull := c.full
	c.unit, c.uses = path, nil
	n := c.compile(x, path)
	c.drain()
	for _, u := range c.uses {
		if u.to.bad != "" {
			c.problem(u.path, "$ref %q cannot be used: %s", u.to.name, u.to.bad)
		}
	}
	return n, wasFull || !c.full
}

// compileAll compiles every evaluator that is a JsonLogic rule, in name order: validation checks them all, used or
// not.
func (c *compiler) compileAll() {
	for _, name := range sortedKeys(c.evaluators) {
		if _, ok := c.evaluators[name].(map[string]any); ok {
			c.entry(name)
		}
	}
	c.drain()
}

func (c *compiler) entry(name string) *refEntry {
	e := c.refs[name]
	if e == nil {
		e = &refEntry{name: name, id: len(c.refs), path: Pointer("$evaluators", name), src: c.evaluators[name]}
		c.refs[name] = e
		c.queue = append(c.queue, e)
	}
	return e
}

// drain compiles the evaluators referred to and not compiled yet, each once, then checks the $ref graph they
// add for cycles and depth. Compiling an evaluator only queues the ones it refers to, so nothing recurses from
// one evaluator into the next.
func (c *compiler) drain() {
	var fresh []*refEntry
	for len(c.queue) > 0 {
		e := c.queue[0]
		c.queue = c.queue[1:]
		fresh = append(fresh, e)
		c.cur, c.unit = e, e.path
		before := c.ops
		e.body = c.compile(e.src, e.path)
		e.cost = max(c.ops-before, 1)
		c.cur = nil
	}
	c.link(fresh)
}

// link walks the $ref graph from the fresh entries depth first, without recursion: a $ref back to an entry on
// the current path closes a cycle and is cut; each entry's height is one more than its tallest target's, and an
// entry taller than MaxRefDepth compiles to an error, reported once where the chain first gets too long.
func (c *compiler) link(fresh []*refEntry) {
	type frame struct {
		e *refEntry
		i int
	}
	var stack []frame
	for _, root := range fresh {
		if root.mark != 0 {
			continue
		}
		root.mark = 1
		stack = append(stack[:0], frame{e: root})
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.i < len(f.e.uses) {
				u := f.e.uses[f.i]
				f.i++
				switch u.to.mark {
				case 0:
					u.to.mark = 1
					stack = append(stack, frame{e: u.to})
				case 1:
					u.node.cycle = true
					var names []string
					for j := len(stack) - 1; j >= 0; j-- {
						names = append(names, stack[j].e.name)
						if stack[j].e == u.to {
							break
						}
					}
					slices.Reverse(names)
					c.cur = f.e
					c.problem(u.path, "$ref %q refers to itself (through %s)", u.to.name,
						strings.Join(append(names, u.to.name), " → "))
					c.cur = nil
				}
				continue
			}
			c.finish(f.e)
			f.e.mark = 2
			stack = stack[:len(stack)-1]
		}
	}
}

// finish sets an entry's height and soundness once every entry it refers to is finished.
func (c *compiler) finish(e *refEntry) {
	var tallest *refEntry
	for _, u := range e.uses {
		if u.node.cycle {
			continue
		}
		if tallest == nil || u.to.height > tallest.height {
			tallest = u.to
		}
		if e.bad == "" && u.to.bad != "" {
			e.bad = fmt.Sprintf("it refers to %q, which cannot be used: %s", u.to.name, u.to.bad)
		}
	}
	e.height = 1
	if tallest != nil {
		e.height = tallest.height + 1
	}
	if e.height > MaxRefDepth {
		if tallest.height <= MaxRefDepth { // the first entry on its chains that is too deep: say so here
			chain := []string{e.name}
			for t := tallest; t != nil && len(chain) < 4; t = t.tallest() {
				chain = append(chain, t.name)
			}
			if e.height > len(chain) {
				chain = append(chain, "…")
			}
			c.cur = e
			c.problem(e.path, "$ref chains from here are %d evaluators long (%s); at most %d may be nested",
				e.height, strings.Join(chain, " → "), MaxRefDepth)
			c.cur = nil
		}
		e.body = errNode{fmt.Sprintf("$ref %q nests more than %d levels of $ref", e.name, MaxRefDepth)}
		e.bad = fmt.Sprintf("it nests $ref %d levels deep; at most %d are allowed", e.height, MaxRefDepth)
		return
	}
	if e.probs > 0 && e.bad == "" {
		e.bad = fmt.Sprintf("evaluator %q is invalid (see %s)", e.name, e.path)
	}
}

// tallest is the entry on e's longest chain after e; nil at its end.
func (e *refEntry) tallest() *refEntry {
	var t *refEntry
	for _, u := range e.uses {
		if !u.node.cycle && (t == nil || u.to.height > t.height) {
			t = u.to
		}
	}
	return t
}

// argList normalises an operator's argument: JsonLogic allows a single argument without the array.
func argList(x any) []any {
	if a, ok := x.([]any); ok {
		return a
	}
	return []any{x}
}

func (c *compiler) compile(x any, path string) node {
	if c.nodes >= MaxNodes {
		if !c.full {
			c.full = true
			c.problem(c.unit, "the flag set's targeting rules and evaluators compile to more than %d JsonLogic "+
				"nodes; this rule passes the limit (split the flag set, or use shorter lists)", MaxNodes)
		}
		return errNode{fmt.Sprintf("the flag set is larger than %d JsonLogic nodes", MaxNodes)}
	}
	c.nodes++
	n := c.compileNode(x, path)
	if _, ok := n.(lit); !ok {
		c.ops++
	}
	return n
}

func (c *compiler) compileNode(x any, path string) node {
	switch v := x.(type) {
	case map[string]any:
		if len(v) != 1 {
			if len(v) > 1 {
				c.problem(path, "a JsonLogic operation must have exactly one key, found %d (%s)", len(v),
					strings.Join(sortedKeys(v), ", "))
			}
			return lit{vObj(plainMap(v))}
		}
		for op, arg := range v {
			return c.operation(op, arg, child(path, op))
		}
	case []any:
		elems := make([]node, len(v))
		allLit := true
		for i, e := range v {
			elems[i] = c.compile(e, childIndex(path, i))
			if _, ok := elems[i].(lit); !ok {
				allLit = false
			}
		}
		if allLit {
			// Built from the elements' values, not from v again: nested literal arrays cost their size, not
			// their size times their depth.
			out := make([]any, len(elems))
			for i, e := range elems {
				out[i] = e.(lit).v.toAny()
			}
			return lit{vArr(out)}
		}
		return arrNode{elems}
	}
	return lit{literal(x)}
}

// literal converts a decoded scalar.
func literal(x any) val {
	switch v := x.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil && !isRangeErr(err) {
			return vStr(string(v))
		}
		return vNum(f)
	case map[string]any:
		return vObj(plainMap(v))
	case []any:
		return vArr(plainSlice(v))
	}
	return fromAny(x)
}

// plainMap and plainSlice replace json.Number with float64 in literal data.
func plainMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = plain(v)
	}
	return out
}

func plainSlice(a []any) []any {
	out := make([]any, len(a))
	for i, v := range a {
		out[i] = plain(v)
	}
	return out
}

func plain(x any) any {
	switch v := x.(type) {
	case json.Number:
		f, _ := v.Float64()
		return f
	case map[string]any:
		return plainMap(v)
	case []any:
		return plainSlice(v)
	}
	return x
}

func (c *compiler) compileArgs(args []any, path string, single bool) []node {
	out := make([]node, len(args))
	for i, a := range args {
		p := path
		if !single {
			p = childIndex(path, i)
		}
		out[i] = c.compile(a, p)
	}
	return out
}

func (c *compiler) operation(op string, arg any, path string) node {
	_, isArray := arg.([]any)
	args := argList(arg)
	nodes := func() []node { return c.compileArgs(args, path, !isArray) }
	switch op {
	case "$ref":
		return c.ref(arg, path)
	case "var":
		return c.variable(args, path, !isArray)
	case "missing":
		return missingNode{args: nodes()}
	case "missing_some":
		if len(args) != 2 {
			c.problem(path, "missing_some takes [minimum, [keys...]]")
		}
		return missingSomeNode{args: nodes()}
	case "if", "?:":
		if len(args) == 0 {
			c.problem(path, "if needs at least a condition and a result")
		}
		return ifNode{args: nodes()}
	case "==", "!=", "===", "!==":
		n := nodes()
		if len(n) < 2 {
			c.problem(path, "%s compares two values", op)
		}
		return eqNode{op: op, args: n}
	case "<", "<=", ">", ">=":
		n := nodes()
		if len(n) < 2 || len(n) > 3 {
			c.problem(path, "%s takes two values (or three, for between)", op)
		}
		return relNode{op: op, args: n}
	case "!":
		return notNode{args: nodes(), not: true}
	case "!!":
		return notNode{args: nodes()}
	case "or":
		return logicNode{args: nodes(), or: true}
	case "and":
		return logicNode{args: nodes()}
	case "in":
		n := nodes()
		if len(n) != 2 {
			c.problem(path, "in takes [value, list or string]")
			return errNode{"in takes [value, list or string]"}
		}
		return newInNode(n[0], n[1])
	case "cat":
		return catNode{args: nodes()}
	case "substr":
		n := nodes()
		if len(n) < 2 || len(n) > 3 {
			c.problem(path, "substr takes [string, start] or [string, start, length]")
			return errNode{"substr takes [string, start] or [string, start, length]"}
		}
		return substrNode{args: n}
	case "merge":
		return mergeNode{args: nodes()}
	case "+", "-", "*", "/", "%", "min", "max", "abs":
		n := nodes()
		if (op == "%" || op == "/") && len(n) < 2 {
			c.problem(path, "%s takes two numbers", op)
		}
		return arithNode{op: op, args: n}
	case "map", "filter", "all", "none", "some", "reduce":
		// The logic runs once per element: its size is what each element costs an evaluation.
		n := make([]node, len(args))
		cost := 1
		for i, a := range args {
			p := path
			if isArray {
				p = childIndex(path, i)
			}
			before := c.ops
			n[i] = c.compile(a, p)
			if i == 1 {
				cost = max(c.ops-before, 1)
			}
		}
		if len(n) < 2 || (op == "reduce" && len(n) != 3) {
			c.problem(path, "%s takes [array, logic%s]", op, map[bool]string{true: ", initial"}[op == "reduce"])
		}
		return arrayOpNode{op: op, args: n, cost: cost}
	case "starts_with", "ends_with":
		n := nodes()
		if len(n) != 2 {
			c.problem(path, "%s takes exactly two arguments: [value, %s]", op,
				map[bool]string{true: "prefix", false: "suffix"}[op == "starts_with"])
		}
		return affixNode{args: n, prefix: op == "starts_with"}
	case "sem_ver":
		return c.semver(args, path, !isArray)
	case "fractional":
		return c.fractional(args, path, !isArray)
	}
	c.problem(path, "unknown operator %q (supported: %s)", op, strings.Join(Operators(), ", "))
	return errNode{fmt.Sprintf("unknown operator %q", op)}
}

func (c *compiler) ref(arg any, path string) node {
	name, ok := arg.(string)
	if !ok {
		c.problem(path, "$ref must name an entry of $evaluators")
		return errNode{"$ref must be a string"}
	}
	if _, ok := c.evaluators[name]; !ok {
		c.problem(path, "$ref %q names no entry of $evaluators", name)
		return errNode{fmt.Sprintf("$ref %q names no evaluator", name)}
	}
	n := &refNode{e: c.entry(name)}
	u := refUse{to: n.e, path: path, node: n}
	if c.cur != nil {
		c.cur.uses = append(c.cur.uses, u)
	} else {
		c.uses = append(c.uses, u)
	}
	return n
}

// refNode is a $ref: it runs the shared evaluator, once per scope of an evaluation.
type refNode struct {
	e     *refEntry
	cycle bool // the $ref closes a cycle and fails when reached
}

func (n *refNode) eval(s *state) val {
	if n.cycle {
		s.fail("$ref %q is circular", n.e.name)
		return null
	}
	slot := &s.memo[n.e.id]
	if slot.scope == s.scope {
		return slot.v
	}
	if !s.charge(n.e.cost) {
		s.fail("evaluation needs more than %d steps", MaxEvalSteps)
		return null
	}
	v := n.e.body.eval(s)
	slot = &s.memo[n.e.id]
	if slot.scope < s.first {
		s.touched = append(s.touched, int32(n.e.id))
	}
	slot.scope, slot.v = s.scope, v
	return v
}

// ---- evaluation nodes ----

type lit struct{ v val }

func (n lit) eval(*state) val { return n.v }

type errNode struct{ msg string }

func (n errNode) eval(s *state) val { s.fail("%s", n.msg); return null }

type arrNode struct{ elems []node }

func (n arrNode) eval(s *state) val {
	out := make([]any, len(n.elems))
	for i, e := range n.elems {
		out[i] = e.eval(s).toAny()
	}
	return vArr(out)
}

// varNode reads the context. A literal path is split once at compile time.
type varNode struct {
	parts   []string // nil: whole data
	dynamic node     // non-nil: the path is computed
	def     node
}

func (c *compiler) variable(args []any, path string, single bool) node {
	n := varNode{}
	if len(args) > 1 {
		p := childIndex(path, 1)
		if single {
			p = path
		}
		n.def = c.compile(args[1], p)
	}
	if len(args) == 0 {
		return n
	}
	switch p := args[0].(type) {
	case string:
		if p != "" {
			n.parts = strings.Split(p, ".")
		}
	case json.Number:
		n.parts = strings.Split(p.String(), ".")
	case nil:
	default:
		n.dynamic = c.compile(p, path)
	}
	return n
}

func (n varNode) eval(s *state) val {
	parts := n.parts
	if n.dynamic != nil {
		p := n.dynamic.eval(s)
		switch p.k {
		case kStr:
			if p.s != "" {
				parts = strings.Split(p.s, ".")
			}
		case kNum:
			parts = []string{formatNum(p.n)}
		case kNull:
		default:
			return n.fallback(s)
		}
	}
	var cur any
	if s.scoped {
		cur = s.data
	} else {
		if len(parts) > 0 && parts[0] == "$flagd" {
			return n.flagd(s, parts[1:])
		}
		cur = s.root
		if len(parts) == 0 {
			if s.root == nil {
				return vObj(map[string]any{})
			}
			return vObj(s.root)
		}
	}
	for _, p := range parts {
		if p == "" {
			continue
		}
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return n.fallback(s)
			}
			cur = c[i]
		default:
			return n.fallback(s)
		}
		if cur == nil {
			return n.fallback(s)
		}
	}
	return fromAny(cur)
}

func (n varNode) fallback(s *state) val {
	if n.def == nil {
		return null
	}
	return n.def.eval(s)
}

// flagd resolves $flagd.flagKey and $flagd.timestamp, which flagd adds to every targeting context.
func (n varNode) flagd(s *state, rest []string) val {
	switch {
	case len(rest) == 0:
		return vObj(map[string]any{"flagKey": s.flagKey, "timestamp": float64(s.timestamp())})
	case len(rest) == 1 && rest[0] == "flagKey":
		return vStr(s.flagKey)
	case len(rest) == 1 && rest[0] == "timestamp":
		return vNum(float64(s.timestamp()))
	}
	return n.fallback(s)
}

type missingNode struct{ args []node }

func (n missingNode) eval(s *state) val {
	var keys []val
	for _, a := range n.args {
		v := a.eval(s)
		if v.k == kArr {
			for _, e := range v.r.([]any) {
				keys = append(keys, fromAny(e))
			}
		} else {
			keys = append(keys, v)
		}
	}
	out := []any{}
	for _, k := range keys {
		if lookupKey(s, k).k == kNull {
			out = append(out, k.toAny())
		}
	}
	return vArr(out)
}

func lookupKey(s *state, k val) val {
	vn := varNode{}
	switch k.k {
	case kStr:
		if k.s != "" {
			vn.parts = strings.Split(k.s, ".")
		}
	case kNum:
		vn.parts = []string{formatNum(k.n)}
	default:
		return null
	}
	return vn.eval(s)
}

type missingSomeNode struct{ args []node }

func (n missingSomeNode) eval(s *state) val {
	if len(n.args) != 2 {
		s.fail("missing_some takes [minimum, [keys...]]")
		return null
	}
	need := int(n.args[0].eval(s).num())
	keys := n.args[1].eval(s)
	if keys.k != kArr {
		s.fail("missing_some takes a list of keys")
		return null
	}
	missing := []any{}
	found := 0
	for _, e := range keys.r.([]any) {
		if lookupKey(s, fromAny(e)).k == kNull {
			missing = append(missing, e)
		} else {
			found++
		}
	}
	if need > found {
		return vArr(missing)
	}
	return vArr([]any{})
}

type ifNode struct{ args []node }

func (n ifNode) eval(s *state) val {
	i := 0
	for ; i+1 < len(n.args); i += 2 {
		if n.args[i].eval(s).truthy() {
			return n.args[i+1].eval(s)
		}
	}
	if i < len(n.args) {
		return n.args[i].eval(s)
	}
	return null
}

type eqNode struct {
	op   string
	args []node
}

func (n eqNode) eval(s *state) val {
	if len(n.args) < 2 {
		return vBool(n.op == "!=" || n.op == "!==")
	}
	a, b := n.args[0].eval(s), n.args[1].eval(s)
	switch n.op {
	case "==":
		return vBool(looseEquals(a, b))
	case "!=":
		return vBool(!looseEquals(a, b))
	case "===":
		return vBool(strictEquals(a, b))
	}
	return vBool(!strictEquals(a, b))
}

type relNode struct {
	op   string
	args []node
}

func (n relNode) eval(s *state) val {
	if len(n.args) < 2 {
		return vBool(false)
	}
	a, b := n.args[0].eval(s), n.args[1].eval(s)
	cmp := less
	if n.op == "<=" || n.op == ">=" {
		cmp = lessEq
	}
	if n.op == ">" || n.op == ">=" {
		a, b = b, a
	}
	if len(n.args) == 3 {
		c := n.args[2].eval(s)
		if n.op == ">" || n.op == ">=" {
			// a > b > c reads as c < b < a
			return vBool(cmp(c, a) && cmp(a, b))
		}
		return vBool(cmp(a, b) && cmp(b, c))
	}
	return vBool(cmp(a, b))
}

type notNode struct {
	args []node
	not  bool
}

func (n notNode) eval(s *state) val {
	var t bool
	if len(n.args) > 0 {
		t = n.args[0].eval(s).truthy()
	}
	return vBool(t != n.not)
}

type logicNode struct {
	args []node
	or   bool
}

func (n logicNode) eval(s *state) val {
	last := null
	for _, a := range n.args {
		last = a.eval(s)
		if last.truthy() == n.or {
			return last
		}
	}
	return last
}

// inNode is "in": substring of a string, or member of a list. A literal list is converted once.
type inNode struct {
	a, b node
	list []val // non-nil when b is a literal array
}

func newInNode(a, b node) node {
	n := inNode{a: a, b: b}
	if l, ok := b.(lit); ok && l.v.k == kArr {
		elems := l.v.r.([]any)
		n.list = make([]val, len(elems))
		for i, e := range elems {
			n.list[i] = fromAny(e)
		}
	}
	return n
}

func (n inNode) eval(s *state) val {
	a := n.a.eval(s)
	if n.list != nil {
		return vBool(inList(a, n.list, nil))
	}
	b := n.b.eval(s)
	switch b.k {
	case kStr:
		if a.k != kStr {
			return vBool(false)
		}
		return vBool(strings.Contains(b.s, a.s))
	case kArr:
		return vBool(inList(a, nil, b.r.([]any)))
	}
	return vBool(false)
}

func inList(a val, vals []val, anys []any) bool {
	n := len(vals)
	if vals == nil {
		n = len(anys)
	}
	for i := 0; i < n; i++ {
		var e val
		if vals != nil {
			e = vals[i]
		} else {
			e = fromAny(anys[i])
		}
		if a.k == kNum {
			if e.num() == a.n {
				return true
			}
			continue
		}
		if e.k == a.k && strictEquals(e, a) {
			return true
		}
	}
	return false
}

// catNode joins strings; like flagd it trims surrounding space when joining several parts.
type catNode struct{ args []node }

func (n catNode) eval(s *state) val {
	switch len(n.args) {
	case 0:
		return vStr("")
	case 1:
		return vStr(n.args[0].eval(s).str())
	}
	var b strings.Builder
	for _, a := range n.args {
		b.WriteString(a.eval(s).str())
	}
	return vStr(strings.TrimSpace(b.String()))
}

// appendTo writes the joined string into buf without building it, for bucketing keys.
func (n catNode) appendTo(s *state, buf []byte) []byte {
	start := len(buf)
	for _, a := range n.args {
		v := a.eval(s)
		switch v.k {
		case kStr:
			buf = append(buf, v.s...)
		case kNum:
			buf = strconv.AppendFloat(buf, v.n, 'f', -1, 64)
		default:
			buf = append(buf, v.str()...)
		}
	}
	if len(n.args) > 1 {
		out := trimSpace(buf[start:])
		return append(buf[:start], out...)
	}
	return buf
}

func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

type substrNode struct{ args []node }

func (n substrNode) eval(s *state) val {
	str := n.args[0].eval(s).str()
	runes := []rune(str)
	length := len(runes)
	from := int(n.args[1].eval(s).num())
	if from < 0 {
		from += length
	}
	if from < 0 || from > length {
		return vStr(str)
	}
	if len(n.args) == 3 {
		length = int(n.args[2].eval(s).num())
	}
	var to int
	if length < 0 {
		to = len(runes) + length
	} else {
		to = from + length
	}
	if to > len(runes) {
		to = len(runes)
	}
	if to < from {
		return vStr("")
	}
	return vStr(string(runes[from:to]))
}

type mergeNode struct{ args []node }

func (n mergeNode) eval(s *state) val {
	out := []any{}
	for _, a := range n.args {
		v := a.eval(s)
		if v.k == kArr {
			out = append(out, v.r.([]any)...)
		} else {
			out = append(out, v.toAny())
		}
	}
	return vArr(out)
}

type arithNode struct {
	op   string
	args []node
}

func (n arithNode) eval(s *state) val {
	switch n.op {
	case "+":
		sum := 0.0
		for _, a := range n.args {
			sum += a.eval(s).num()
		}
		return vNum(sum)
	case "*":
		p := 1.0
		for _, a := range n.args {
			p *= a.eval(s).num()
		}
		return vNum(p)
	case "-":
		if len(n.args) == 0 {
			return vNum(0)
		}
		r := n.args[0].eval(s).num()
		if len(n.args) == 1 {
			return vNum(-r)
		}
		for _, a := range n.args[1:] {
			r -= a.eval(s).num()
		}
		return vNum(r)
	case "/":
		if len(n.args) < 2 {
			s.fail("/ takes two numbers")
			return null
		}
		return vNum(n.args[0].eval(s).num() / n.args[1].eval(s).num())
	case "%":
		if len(n.args) < 2 {
			s.fail("%% takes two numbers")
			return null
		}
		return vNum(math.Mod(n.args[0].eval(s).num(), n.args[1].eval(s).num()))
	case "abs":
		if len(n.args) == 0 {
			return vNum(0)
		}
		return vNum(math.Abs(n.args[0].eval(s).num()))
	}
	if len(n.args) == 0 {
		return null
	}
	r := n.args[0].eval(s).num()
	for _, a := range n.args[1:] {
		x := a.eval(s).num()
		if (n.op == "max" && x > r) || (n.op == "min" && x < r) {
			r = x
		}
	}
	return vNum(r)
}

// arrayOpNode runs logic over each element of an array, with the element as the data var reads.
type arrayOpNode struct {
	op   string
	args []node
	cost int // operations of the logic: what each element costs
}

func (n arrayOpNode) eval(s *state) val {
	if len(n.args) < 2 {
		if n.op == "none" {
			return vBool(true)
		}
		if n.op == "all" || n.op == "some" {
			return vBool(false)
		}
		return vArr([]any{})
	}
	subject := n.args[0].eval(s)
	var elems []any
	if subject.k == kArr {
		elems = subject.r.([]any)
	}
	var acc val
	if n.op == "reduce" && len(n.args) > 2 {
		acc = n.args[2].eval(s)
	}
	saveData, saveScoped, saveScope := s.data, s.scoped, s.scope
	defer func() { s.data, s.scoped, s.scope = saveData, saveScoped, saveScope }()
	// visit makes e the data of a new scope and pays for running the logic on it; false when the budget is spent.
	visit := func(e any) bool {
		if !s.charge(n.cost) {
			s.fail("evaluation needs more than %d steps (array operations nested too deeply or over too much data)",
				MaxEvalSteps)
			return false
		}
		s.data, s.scoped = e, true
		s.enter()
		return true
	}
	logic := n.args[1]
	switch n.op {
	case "map":
		out := make([]any, 0, len(elems))
		for _, e := range elems {
			if !visit(e) {
				return null
			}
			out = append(out, logic.eval(s).toAny())
		}
		return vArr(out)
	case "filter":
		out := []any{}
		for _, e := range elems {
			if !visit(e) {
				return null
			}
			if logic.eval(s).truthy() {
				out = append(out, e)
			}
		}
		return vArr(out)
	case "all":
		if len(elems) == 0 {
			return vBool(false)
		}
		for _, e := range elems {
			if !visit(e) {
				return null
			}
			if !logic.eval(s).truthy() {
				return vBool(false)
			}
		}
		return vBool(true)
	case "some", "none":
		for _, e := range elems {
			if !visit(e) {
				return null
			}
			if logic.eval(s).truthy() {
				return vBool(n.op == "some")
			}
		}
		return vBool(n.op == "none")
	}
	// reduce
	for _, e := range elems {
		if !visit(map[string]any{"current": e, "accumulator": acc.toAny()}) {
			return null
		}
		acc = logic.eval(s)
	}
	return acc
}

// affixNode is starts_with / ends_with: null unless given exactly two strings, so a bad input falls back to the
// default variant instead of selecting a "false" variant.
type affixNode struct {
	args   []node
	prefix bool
}

func (n affixNode) eval(s *state) val {
	if len(n.args) != 2 {
		return null
	}
	a, b := n.args[0].eval(s), n.args[1].eval(s)
	if a.k != kStr || b.k != kStr {
		return null
	}
	if n.prefix {
		return vBool(strings.HasPrefix(a.s, b.s))
	}
	return vBool(strings.HasSuffix(a.s, b.s))
}

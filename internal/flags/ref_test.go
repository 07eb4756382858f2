package flags_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/flags"
)

// refChain builds a flag set whose evaluators form a chain of depth levels, each referring to the one below it
// twice: expanded as a tree it has 2^depth leaves. "chained" uses the chain as a condition, "direct" as its
// result, and "scoped" inside an array operation, once per element of the context's "people".
func refChain(depth int) string {
	var ev []string
	ev = append(ev, `"e0": {"in": [{"var": "email"}, ["ops@sphera.io"]]}`)
	for i := 1; i < depth; i++ {
		ev = append(ev, fmt.Sprintf(`"e%d": {"or": [{"$ref": "e%d"}, {"$ref": "e%d"}]}`, i, i-1, i-1))
	}
	top := fmt.Sprintf("e%d", depth-1)
	return fmt.Sprintf(`{"$evaluators": {%s}, "flags": {
		"chained": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
			"targeting": {"if": [{"$ref": %q}, "on", "off"]}},
		"direct": {"state": "ENABLED", "variants": {"true": true, "false": false}, "defaultVariant": "false",
			"targeting": {"$ref": %[2]q}},
		"scoped": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
			"targeting": {"if": [{"some": [{"var": "people"}, {"$ref": %[2]q}]}, "on", "off"]}}}}`,
		strings.Join(ev, ", "), top)
}

// A chain of evaluators that refer to each other compiles, validates, summarises and evaluates in work linear in
// its length: each evaluator is compiled once and shared (3 nodes per level here), and evaluated once per scope.
// Before, the 20-level chain took seconds and the 30-level one hours (each level doubled the work).
func TestRefChainIsLinear(t *testing.T) {
	nodes := map[int]int{}
	for _, depth := range []int{10, 20, 30} {
		t.Run(fmt.Sprint(depth), func(t *testing.T) {
			data := []byte(refChain(depth))
			if _, ps := flags.ValidateJSON(data); len(ps) != 0 {
				t.Fatalf("problems: %v", ps)
			}
			set, err := flags.CompileJSON(data)
			if err != nil {
				t.Fatal(err)
			}
			nodes[depth] = set.Nodes()
			if set.Nodes() > 4*depth+10 {
				t.Errorf("%d levels compile to %d nodes; sharing evaluators keeps that linear", depth, set.Nodes())
			}
			for _, tc := range []struct {
				flag, want string
				ctx        map[string]any
			}{
				{"chained", "off", map[string]any{"email": "ana@sphera.io"}},
				{"chained", "on", map[string]any{"email": "ops@sphera.io"}},
				{"direct", "false", map[string]any{"email": "ana@sphera.io"}},
				{"direct", "true", map[string]any{"email": "ops@sphera.io"}},
				// Inside an array operation the chain is evaluated once per element, within the step budget
				// (expanded, 2^30 evaluations would exhaust it and answer an error).
				{"scoped", "off", map[string]any{"people": []any{map[string]any{"email": "a@x"}, map[string]any{"email": "b@x"}}}},
				{"scoped", "on", map[string]any{"people": []any{map[string]any{"email": "a@x"}, map[string]any{"email": "ops@sphera.io"}}}},
			} {
				if d := set.Evaluate(tc.flag, tc.ctx); d.Variant != tc.want || d.ErrorCode != "" {
					t.Errorf("%s %v: %+v, want variant %s", tc.flag, tc.ctx, d, tc.want)
				}
			}
			f, _ := flags.ParseFile(data)
			if s := flags.Summarize(f.Flags["direct"], f.Evaluators); strings.Join(s.Reachable, ",") != "false,true" {
				t.Errorf("summary %+v", s)
			}
		})
	}
	if nodes[30]-nodes[20] != nodes[20]-nodes[10] {
		t.Errorf("nodes per 10 levels grow: %v", nodes)
	}
}

// $ref may nest MaxRefDepth levels; a deeper chain is refused where it first gets too deep, and a flag that
// refers to it is refused at its $ref. Compiled leniently (a stored set), such a flag answers an error.
func TestRefDepthLimit(t *testing.T) {
	if _, ps := flags.ValidateJSON([]byte(refChain(flags.MaxRefDepth))); len(ps) != 0 {
		t.Fatalf("a chain of %d is allowed: %v", flags.MaxRefDepth, ps)
	}
	data := []byte(refChain(flags.MaxRefDepth + 8))
	_, ps := flags.ValidateJSON(data)
	want := map[string]string{
		fmt.Sprintf("/$evaluators/e%d", flags.MaxRefDepth): fmt.Sprintf("at most %d may be nested", flags.MaxRefDepth),
		"/flags/chained/targeting/if/0/$ref":               fmt.Sprintf("$ref \"e%d\" cannot be used", flags.MaxRefDepth+7),
		"/flags/direct/targeting/$ref":                     "nests $ref",
	}
	for _, p := range ps {
		if strings.Contains(p.Summary, want[p.Path]) {
			delete(want, p.Path)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing problems %v; got %v", want, ps)
	}
	for _, p := range ps {
		if strings.HasPrefix(p.Path, "/$evaluators/") && p.Path != fmt.Sprintf("/$evaluators/e%d", flags.MaxRefDepth) {
			t.Errorf("the depth is reported once, where it is first exceeded; also %v", p)
		}
	}
	set, err := flags.CompileJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	d := set.Evaluate("chained", map[string]any{"email": "ops@sphera.io"})
	if d.ErrorCode != flags.ErrParse || !strings.Contains(d.ErrorMessage, "nests more than") {
		t.Errorf("too deep a chain, evaluated: %+v", d)
	}
}

func TestRefCycles(t *testing.T) {
	const ok = `"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"`
	data := []byte(`{"$evaluators": {"a": {"or": [{"var": "x"}, {"$ref": "b"}]}, "b": {"and": [{"$ref": "c"}, true]},
		"c": {"$ref": "a"}, "d": {"var": "y"}},
		"flags": {"f": {` + ok + `, "targeting": {"if": [{"$ref": "a"}, "on", "off"]}},
		"g": {` + ok + `, "targeting": {"if": [{"$ref": "d"}, "on", "off"]}}}}`)
	_, ps := flags.ValidateJSON(data)
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	for _, want := range []string{
		`/$evaluators/c/$ref: $ref "a" refers to itself (through a → b → c → a)`,
		`/flags/f/targeting/if/0/$ref: $ref "a" cannot be used`,
	} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("want %s; got\n%s", want, strings.Join(got, "\n"))
		}
	}
	if strings.Contains(strings.Join(got, "\n"), "/flags/g") {
		t.Errorf("a flag using a sound evaluator is fine: %v", got)
	}
	set, _ := flags.CompileJSON(data)
	if d := set.Evaluate("f", map[string]any{"x": true}); d.Variant != "on" {
		t.Errorf("a cycle is cut only where it closes, and fails only when reached: %+v", d)
	}
	if d := set.Evaluate("f", map[string]any{}); d.ErrorCode != flags.ErrParse || !strings.Contains(d.ErrorMessage, "circular") {
		t.Errorf("reaching the cycle: %+v", d)
	}
	if d := set.Evaluate("g", map[string]any{"y": 1}); d.Variant != "on" {
		t.Errorf("g: %+v", d)
	}
}

// bigFlag is a flag whose targeting compiles to about n nodes: a list of n numbers.
func bigFlag(n int) string {
	return `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
		"targeting": {"if": [{"in": [{"var": "n"}, [` + strings.TrimSuffix(strings.Repeat("7,", n), ",") + `]]}, "on", "off"]}}`
}

// A flag set may compile to at most MaxNodes nodes, counted over all its flags: validation names the rule that
// passes the limit; a set compiled anyway never holds more.
func TestNodeLimit(t *testing.T) {
	half := flags.MaxNodes/2 + 10
	data := []byte(`{"flags": {"a": ` + bigFlag(half) + `, "b": ` + bigFlag(half) + `, "c": ` + bigFlag(10) + `}}`)
	_, ps := flags.ValidateJSON(data)
	if len(ps) != 1 || ps[0].Path != "/flags/b/targeting" || !strings.Contains(ps[0].Summary, "more than 1048576 JsonLogic nodes") {
		t.Errorf("problems %v", ps)
	}
	set, err := flags.CompileJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	if set.Nodes() > flags.MaxNodes {
		t.Errorf("compiled %d nodes", set.Nodes())
	}
	if d := set.Evaluate("a", map[string]any{"n": 7}); d.Variant != "on" {
		t.Errorf("the flag within the limit: %+v", d)
	}
	for _, k := range []string{"b", "c"} {
		if d := set.Evaluate(k, map[string]any{"n": 7}); d.ErrorCode != flags.ErrParse {
			t.Errorf("flag %s past the limit: %+v", k, d)
		}
	}
	// One flag of a set: the rest of the set counts.
	f, _ := flags.ParseFile([]byte(`{"flags": {"a": ` + bigFlag(half) + `}}`))
	b, _ := flags.ParseFlag([]byte(bigFlag(half)))
	if ps := flags.ValidateFlagIn("b", b, f); len(ps) != 1 || ps[0].Path != "/targeting" {
		t.Errorf("flag joining a large set: %v", ps)
	}
	if ps := flags.ValidateFlagIn("a", b, f); len(ps) != 0 {
		t.Errorf("flag replacing the large one: %v", ps)
	}
}

// Array operations nested in each other (here through evaluators, each mapping over two elements) would run
// 2^depth times; the evaluation stops at MaxEvalSteps with an error instead.
func TestEvaluationStepBudget(t *testing.T) {
	var ev []string
	ev = append(ev, `"m0": {"==": [{"var": ""}, 3]}`)
	for i := 1; i < 30; i++ {
		ev = append(ev, fmt.Sprintf(`"m%d": {"some": [[1, 2], {"$ref": "m%d"}]}`, i, i-1))
	}
	nested := `{"==": [{"var": ""}, 3]}`
	for i := 0; i < 30; i++ {
		nested = `{"some": [[1, 2], ` + nested + `]}`
	}
	// Literal values cost nothing: a long allow-list checked for each of many groups is well within the budget.
	var names, groups []string
	for i := 0; i < 5000; i++ {
		names = append(names, fmt.Sprintf(`"group-%d"`, i))
	}
	for i := 0; i < 2000; i++ {
		groups = append(groups, fmt.Sprintf("team-%d", i))
	}
	allow := "[" + strings.Join(names, ",") + "]"
	groupList := make([]any, len(groups))
	for i, g := range groups {
		groupList[i] = g
	}
	data := []byte(`{"$evaluators": {` + strings.Join(ev, ", ") + `}, "flags": {
		"through-refs": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
			"targeting": {"if": [{"$ref": "m29"}, "on", "off"]}},
		"nested": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
			"targeting": {"if": [` + nested + `, "on", "off"]}},
		"small": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
			"targeting": {"if": [{"$ref": "m3"}, "on", "off"]}},
		"allowlist": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
			"targeting": {"if": [{"some": [{"var": "groups"}, {"in": [{"var": ""}, ` + allow + `]}]}, "on", "off"]}}}}`)
	if _, ps := flags.ValidateJSON(data); len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	set, err := flags.CompileJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"through-refs", "nested"} {
		d := set.Evaluate(k, nil)
		if d.ErrorCode != flags.ErrGeneral || !strings.Contains(d.ErrorMessage, "evaluation steps") {
			t.Errorf("%s: %+v", k, d)
		}
	}
	if d := set.Evaluate("small", nil); d.Variant != "off" || d.ErrorCode != "" {
		t.Errorf("a few nested array operations: %+v", d)
	}
	if d := set.Evaluate("allowlist", map[string]any{"groups": append(groupList, "group-4999")}); d.Variant != "on" {
		t.Errorf("an allow-list over many groups: %+v", d)
	}
}

// FuzzCompile feeds arbitrary flag sets (seeds in testdata/fuzz/FuzzCompile: $ref chains, cycles, nested array
// operations) through validation, compilation, summaries and evaluation. Nothing may panic, and the compiled size
// stays within MaxNodes and within the size of the input: every node is a distinct JSON value of the file, so no
// arrangement of $refs can make compilation (or its time) grow faster than the file.
func FuzzCompile(f *testing.F) {
	for _, depth := range []int{1, 3, 20} {
		f.Add([]byte(refChain(depth)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, _ := flags.ValidateJSON(data)
		set, err := flags.CompileJSON(data)
		if err != nil {
			return
		}
		if set.Nodes() > flags.MaxNodes || set.Nodes() > len(data) {
			t.Fatalf("%d bytes compiled to %d nodes (limit %d)", len(data), set.Nodes(), flags.MaxNodes)
		}
		ctx := map[string]any{"targetingKey": "t", "email": "ops@sphera.io", "people": []any{map[string]any{"email": "x"}, 2}}
		for _, d := range set.EvaluateAll(ctx) {
			if strings.HasPrefix(d.ErrorMessage, "internal error") {
				t.Fatalf("evaluation panicked: %s\n%s", d.ErrorMessage, data)
			}
		}
		if file != nil {
			for _, fl := range file.Flags {
				if fl != nil {
					flags.Summarize(fl, file.Evaluators)
					_ = flags.ValidateFlagIn("k", fl, file) // fuzzed flags are often invalid: the point is not to panic
				}
			}
		}
	})
}

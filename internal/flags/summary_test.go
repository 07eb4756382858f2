package flags_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/flags"
)

func TestSummarize(t *testing.T) {
	evaluators := map[string]json.RawMessage{"internal": json.RawMessage(`{"ends_with": [{"var": "email"}, "@x.io"]}`)}
	for _, tc := range []struct {
		name, flag string
		rollout    string
		reachable  []string
		rolledOut  bool
	}{
		{"static", `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"}`,
			"static: on", []string{"on"}, true},
		{"code default", `{"state": "ENABLED", "variants": {"on": true}, "defaultVariant": null}`,
			"static: code default", []string{}, true},
		{"disabled", `{"state": "DISABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"}`,
			"disabled", []string{}, true},
		{"percentage by account", `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
			"targeting": {"fractional": [{"var": "accountId"}, ["on", 20], ["off", 80]]}}`,
			"fractional by accountId 20/80", []string{"off", "on"}, false},
		{"percentage by cat", `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
			"targeting": {"fractional": [{"cat": [{"var": "$flagd.flagKey"}, {"var": "userId"}]}, ["on", 1], ["off", 3]]}}`,
			"fractional by userId 25/75", []string{"off", "on"}, false},
		{"fully rolled out split", `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on",
			"targeting": {"fractional": [["on", 100], ["off", 0]]}}`,
			"fractional by targetingKey 100/0", []string{"on"}, true},
		{"rules and split", `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
			"targeting": {"if": [{"$ref": "internal"}, "on", {"fractional": [["on", 10], ["off", 90]]}]}}`,
			"1 rule; fractional by targetingKey 10/90", []string{"off", "on"}, false},
		{"rule always on", `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on",
			"targeting": {"if": [{"==": [{"var": "x"}, 1]}, "on", null]}}`,
			"1 rule", []string{"on"}, true},
		{"dynamic", `{"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
			"targeting": {"var": "pick"}}`, "targeting rule", []string{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := flags.ParseFlag([]byte(tc.flag))
			if err != nil {
				t.Fatal(err)
			}
			s := flags.Summarize(f, evaluators)
			if s.Rollout != tc.rollout || !reflect.DeepEqual(s.Reachable, tc.reachable) || s.FullyRolledOut() != tc.rolledOut {
				t.Errorf("got rollout %q reachable %v rolled out %v; want %q %v %v", s.Rollout, s.Reachable,
					s.FullyRolledOut(), tc.rollout, tc.reachable, tc.rolledOut)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	before := `{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":{"fractional":[["on",10],["off",90]]}}`
	after := `{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"on","targeting":{"fractional":[["on",50],["off",50]]},"metadata":{"jira":"X-1"}}`
	got := flags.Diff([]byte(before), []byte(after))
	var paths []string
	for _, c := range got {
		paths = append(paths, c.Op+" "+c.Path)
	}
	want := []string{"replace /defaultVariant", "add /metadata", "replace /targeting/fractional/0/1",
		"replace /targeting/fractional/1/1"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("diff %v, want %v", paths, want)
	}
	if c := flags.Diff(nil, []byte(after)); len(c) != 1 || c[0].Op != "add" || c[0].Path != "" {
		t.Errorf("creation diff %+v", c)
	}
	if c := flags.Diff([]byte(before), nil); len(c) != 1 || c[0].Op != "remove" {
		t.Errorf("deletion diff %+v", c)
	}
	if c := flags.Diff([]byte(before), []byte(before)); len(c) != 0 {
		t.Errorf("no-change diff %+v", c)
	}
}

// FuzzTargeting feeds arbitrary targeting rules and contexts through validation, compilation and evaluation:
// none may panic, and evaluation must answer with a well-formed detail.
func FuzzTargeting(f *testing.F) {
	seeds := []string{
		`{"if": [{"==": [{"var": "email"}, "a@b.c"]}, "on", "off"]}`,
		`{"fractional": [{"var": "id"}, ["on", 50], ["off", 50]]}`,
		`{"fractional": [["on"], ["off", 1]]}`,
		`{"fractional": [{"cat": [{"var": "$flagd.flagKey"}, {"var": "u"}]}, [{"var": "v"}, {"if": [true, 5, 0]}], ["off", 1]]}`,
		`{"sem_ver": [{"var": "v"}, "^", "1"]}`,
		`{"starts_with": [{"var": "s"}, "a"]}`,
		`{"in": [{"var": "c"}, ["CA", "DE"]]}`,
		`{"substr": [{"var": "s"}, -2, 5]}`,
		`{"map": [{"var": "xs"}, {"+": [{"var": ""}, 1]}]}`,
		`{"reduce": [{"var": "xs"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]}`,
		`{"missing_some": [1, ["a", "b"]]}`,
		`{"$ref": "x"}`,
		`{"var": ["a.b.0", "on"]}`,
		`{"<": [1, {"var": "n"}, 3]}`,
		`{"merge": [[1], 2, {"var": "xs"}]}`,
	}
	ctxs := []string{`{}`, `{"email": "a@b.c", "id": "u-1", "targetingKey": "k", "v": "1.2.3", "s": "abc", "c": "CA",
		"xs": [1, 2, 3], "n": 2, "u": 7, "a": {"b": [true]}}`, `{"v": 1.5, "s": 3, "xs": "no", "id": null, "targetingKey": 4}`}
	for _, s := range seeds {
		for _, c := range ctxs {
			f.Add(s, c)
		}
	}
	f.Fuzz(func(t *testing.T, rule, ctxJSON string) {
		file := `{"$evaluators": {"x": {"var": "email"}}, "flags": {"f": {"state": "ENABLED", "variants": {"on": true, "off": false, "true": true, "false": false}, "defaultVariant": "off", "targeting": ` + rule + `}}}`
		_, _ = flags.ValidateJSON([]byte(file))
		set, err := flags.CompileJSON([]byte(file))
		if err != nil {
			return
		}
		var ctx map[string]any
		if json.Unmarshal([]byte(ctxJSON), &ctx) != nil {
			ctx = nil
		}
		for _, typ := range []flags.Type{flags.TypeAny, flags.TypeBoolean, flags.TypeInteger} {
			d := set.EvaluateAs("f", typ, ctx)
			if strings.HasPrefix(d.ErrorMessage, "internal error") {
				t.Fatalf("evaluation panicked: %s\nrule %s\nctx %s", d.ErrorMessage, rule, ctxJSON)
			}
			if (d.Reason == flags.ReasonError) != (d.ErrorCode != "") {
				t.Fatalf("reason %s with error code %q", d.Reason, d.ErrorCode)
			}
			if d.Value != nil && d.Variant == "" {
				t.Fatalf("value %v without a variant", d.Value)
			}
		}
		_ = flags.Summarize(&flags.Flag{State: "ENABLED", Targeting: json.RawMessage(rule)}, nil)
	})
}

// FuzzParseFile feeds arbitrary documents to the file parser, validator and compiler.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte(evalFile))
	f.Add([]byte(`{"flags": {"a": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "x"}}}`))
	f.Add([]byte(`{"flags": {"a": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "y", "targeting": {"if": [1]}}}}`))
	f.Add([]byte(`{"flags": {"a": null}, "$evaluators": {"e": 1}, "metadata": []}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = flags.ValidateJSON(data)
		set, err := flags.CompileJSON(data)
		if err != nil {
			return
		}
		for _, d := range set.EvaluateAll(map[string]any{"targetingKey": "t"}) {
			if strings.HasPrefix(d.ErrorMessage, "internal error") {
				t.Fatalf("evaluation panicked: %s\n%s", d.ErrorMessage, data)
			}
		}
	})
}

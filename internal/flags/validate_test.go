package flags_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/flags"
)

func TestValidateRejects(t *testing.T) {
	const ok = `"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"`
	for _, tc := range []struct {
		name, file string
		path, msg  string // one expected problem: exact path, message substring
	}{
		{"invalid JSON", `{"flags": {"a": {` + ok + `,}}}`, "", "invalid JSON at line 1"},
		{"not an object", `[1, 2]`, "", "must be a JSON object"},
		{"missing flags", `{"metadata": {}}`, "", "missing \"flags\""},
		{"unknown top-level property", `{"flags": {}, "flag": {}}`, "/flag", "unknown property"},
		{"bad state", `{"flags": {"a": {"state": "ON", "variants": {"on": true}, "defaultVariant": "on"}}}`,
			"/flags/a/state", `"ON" is not a state`},
		{"no variants", `{"flags": {"a": {"state": "ENABLED", "variants": {}, "defaultVariant": null}}}`,
			"/flags/a/variants", "at least one variant"},
		{"type-inconsistent variants", `{"flags": {"a": {"state": "ENABLED", "variants": {"on": true, "off": "false"}, "defaultVariant": "on"}}}`,
			"/flags/a/variants/on", "all variants of a flag must have one type"},
		{"null variant", `{"flags": {"a": {"state": "ENABLED", "variants": {"on": null}, "defaultVariant": null}}}`,
			"/flags/a/variants/on", "not null"},
		{"default not a variant", `{"flags": {"a": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "purple"}}}`,
			"/flags/a/defaultVariant", `"purple" is not one of the flag's variants`},
		{"unknown property in a flag", `{"flags": {"a": {` + ok + `, "targetting": {}}}}`,
			"/flags/a/targetting", "unknown property"},
		{"bad flag key", `{"flags": {"a b": {` + ok + `}}}`, "/flags/a b", "flag keys use"},
		{"unknown variant in targeting", `{"flags": {"a": {` + ok + `, "targeting": {"if": [{"var": "x"}, "onn", "off"]}}}}`,
			"/flags/a/targeting/if/1", `"onn" is not a variant`},
		{"unknown variant in a fractional bucket", `{"flags": {"a": {` + ok + `, "targeting": {"fractional": [["on", 50], ["of", 50]]}}}}`,
			"/flags/a/targeting/fractional/1/0", `"of" is not a variant`},
		{"non-integer weight", `{"flags": {"a": {` + ok + `, "targeting": {"fractional": [{"var": "id"}, ["on", 20.5], ["off", 79.5]]}}}}`,
			"/flags/a/targeting/fractional/1/1", "weight 20.5 is not an integer"},
		{"negative weight", `{"flags": {"a": {` + ok + `, "targeting": {"fractional": [["on", -5], ["off", 100]]}}}}`,
			"/flags/a/targeting/fractional/0/1", "negative"},
		{"string weight", `{"flags": {"a": {` + ok + `, "targeting": {"fractional": [["on", "50"], ["off", 50]]}}}}`,
			"/flags/a/targeting/fractional/0/1", "must be an integer"},
		{"all-zero weights", `{"flags": {"a": {` + ok + `, "targeting": {"fractional": [["on", 0], ["off", 0]]}}}}`,
			"/flags/a/targeting/fractional", "add up to 0"},
		{"broken $ref", `{"flags": {"a": {` + ok + `, "targeting": {"if": [{"$ref": "beta"}, "on", "off"]}}}}`,
			"/flags/a/targeting/if/0/$ref", `$ref "beta" names no entry of $evaluators`},
		{"circular $ref", `{"$evaluators": {"x": {"or": [{"$ref": "y"}, false]}, "y": {"$ref": "x"}},
			"flags": {"a": {` + ok + `, "targeting": {"if": [{"$ref": "x"}, "on", "off"]}}}}`,
			"/$evaluators/y/$ref", "refers to itself"},
		{"unknown operator", `{"flags": {"a": {` + ok + `, "targeting": {"if": [{"contains": [{"var": "x"}, "y"]}, "on", "off"]}}}}`,
			"/flags/a/targeting/if/0/contains", `unknown operator "contains"`},
		{"two keys in one operation", `{"flags": {"a": {` + ok + `, "targeting": {"if": [{"==": [1, 1], "!=": [1, 2]}, "on", "off"]}}}}`,
			"/flags/a/targeting/if/0", "exactly one key"},
		{"boolean result without true/false variants", `{"flags": {"a": {` + ok + `, "targeting": {"starts_with": [{"var": "e"}, "x"]}}}}`,
			"/flags/a/targeting/starts_with", `lacks "true" and "false"`},
		{"starts_with arity", `{"flags": {"a": {` + ok + `, "targeting": {"if": [{"starts_with": ["abc"]}, "on", "off"]}}}}`,
			"/flags/a/targeting/if/0/starts_with", "exactly two arguments"},
		{"sem_ver operator", `{"flags": {"a": {` + ok + `, "targeting": {"if": [{"sem_ver": [{"var": "v"}, "=>", "1.0.0"]}, "on", "off"]}}}}`,
			"/flags/a/targeting/if/0/sem_ver/1", `unknown sem_ver operator "=>"`},
		{"sem_ver version", `{"flags": {"a": {` + ok + `, "targeting": {"if": [{"sem_ver": [{"var": "v"}, ">", "one"]}, "on", "off"]}}}}`,
			"/flags/a/targeting/if/0/sem_ver/2", `"one" is not a semantic version`},
		{"targeting not an object", `{"flags": {"a": {` + ok + `, "targeting": "on"}}}`, "/flags/a/targeting", "must be a JsonLogic rule"},
		{"metadata value", `{"flags": {"a": {` + ok + `, "metadata": {"owners": ["x"]}}}}`,
			"/flags/a/metadata/owners", "booleans, strings or numbers"},
		{"unknown variant through $ref", `{"$evaluators": {"pick": {"if": [{"var": "x"}, "maybe", null]}},
			"flags": {"a": {` + ok + `, "targeting": {"$ref": "pick"}}}}`,
			"/$evaluators/pick/if/1", `through $ref "pick"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := flags.ValidateJSON([]byte(tc.file))
			for _, p := range ps {
				if p.Path == tc.path && strings.Contains(p.Summary, tc.msg) {
					return
				}
			}
			t.Errorf("want a problem at %q containing %q; got %v", tc.path, tc.msg, ps)
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	evalHead, _, found := strings.Cut(evalFile, `"unknown-variant"`)
	if !found {
		t.Fatal(`evalFile no longer has the "unknown-variant" flag this test cuts it at`)
	}
	for _, file := range []string{
		`{"flags": {}}`,
		evalHead + `"x": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a"}}}`,
		`{"$schema": "https://flagd.dev/schema/v0/flags.json", "metadata": {"flagSetId": "web", "version": 3},
		  "$evaluators": {"internal": {"ends_with": [{"var": "email"}, "@sphera.io"]}},
		  "flags": {
		    "new-checkout": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
		      "targeting": {"if": [{"$ref": "internal"}, "on",
		        {"fractional": [{"cat": [{"var": "$flagd.flagKey"}, {"var": "accountId"}]}, ["on", 20], ["off", 80]]}]},
		      "metadata": {"owner": "checkout"}},
		    "banner": {"state": "DISABLED", "variants": {"a": {"title": "Hi"}, "b": {}}, "defaultVariant": null},
		    "shorthand": {"state": "ENABLED", "variants": {"true": true, "false": false}, "defaultVariant": "false",
		      "targeting": {"sem_ver": [{"var": "appVersion"}, "^", "2"]}},
		    "tiers": {"state": "ENABLED", "variants": {"1": 1, "2": 2}, "defaultVariant": "1",
		      "targeting": {"if": [{"in": [{"var": "plan"}, ["gold", "platinum"]]}, 2, null]}}
		  }}`,
	} {
		if _, ps := flags.ValidateJSON([]byte(file)); len(ps) != 0 {
			t.Errorf("valid file rejected: %v\n%s", ps, file)
		}
	}
}

// TestValidateTestkit checks the validator against the flagd-testbed's flag set, which contains deliberately
// broken flags (for evaluation-time error scenarios): exactly those are rejected.
func TestValidateTestkit(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testbedDir(t), "flags", "testkit-flags.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, ps := flags.ValidateJSON(data)
	got := map[string]bool{}
	for _, p := range ps {
		parts := strings.Split(p.Path, "/")
		if len(parts) > 2 && parts[1] == "flags" {
			got[parts[2]] = true
		} else {
			t.Errorf("problem outside a flag: %v", p)
		}
	}
	// Flags whose context is what is wrong (ends-with-non-string-flag, ...) are valid definitions.
	want := []string{
		"ends-with-wrong-args-flag", "fractional-negative-weight-flag", "fractional-zero-weights-flag", "ref-to-nonexistent-evaluator-flag",
		"semver-invalid-operator-flag", "semver-wrong-args-flag", "starts-with-wrong-args-flag",
	}
	var gotKeys []string
	for k := range got {
		gotKeys = append(gotKeys, k)
	}
	sort.Strings(gotKeys)
	if !reflect.DeepEqual(gotKeys, want) {
		t.Errorf("rejected flags %v\nwant %v\nproblems: %v", gotKeys, want, ps)
	}
}

func TestParseFlagRoundTrip(t *testing.T) {
	src := `{"state":"ENABLED","variants":{"b":2,"a":1},"defaultVariant":null,"targeting":{"if":[{"==":[{"var":"x"},1]},"a","b"]}}`
	f, err := flags.ParseFlag([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if f.DefaultVariant != nil {
		t.Errorf("null default parsed as %q", *f.DefaultVariant)
	}
	again, err := flags.ParseFlag(f.Canonical())
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Canonical()) != string(f.Canonical()) {
		t.Errorf("canonical form not stable:\n%s\n%s", f.Canonical(), again.Canonical())
	}
	var m map[string]any
	if err := json.Unmarshal(f.Canonical(), &m); err != nil || m["defaultVariant"] != nil {
		t.Errorf("canonical %s", f.Canonical())
	}
	if _, ok := m["defaultVariant"]; !ok {
		t.Errorf("canonical form drops the explicit null default: %s", f.Canonical())
	}
}

package flags_test

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/flags"
)

func TestMurmur3(t *testing.T) {
	// Published MurmurHash3 x86_32 vectors (seed 0).
	for _, tc := range []struct {
		in   string
		want uint32
	}{
		{"", 0},
		{"hello", 0x248bfa47},
		{"Hello, world!", 0xc0363e43},
		{"The quick brown fox jumps over the lazy dog", 0x2e4ff723},
		{"abc", 0xb3dd93fa},
		{"abcd", 0x43ed676a},
	} {
		if got := flags.Murmur3([]byte(tc.in)); got != tc.want {
			t.Errorf("Murmur3(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}

func TestBucket(t *testing.T) {
	for _, tc := range []struct {
		hash, total, want uint32
	}{
		{0, 100, 0},
		{math.MaxUint32, 100, 99},
		{1 << 31, 100, 50},
		{1 << 31, 2, 1},
		{(1 << 31) - 1, 2, 0},
		{math.MaxUint32, math.MaxInt32, math.MaxInt32 - 1},
	} {
		if got := flags.Bucket(tc.hash, tc.total); got != tc.want {
			t.Errorf("Bucket(%d, %d) = %d, want %d", tc.hash, tc.total, got, tc.want)
		}
	}
}

const evalFile = `{
  "metadata": {"team": "payments", "flagSetId": "demo"},
  "flags": {
    "static-bool": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
    "static-object": {"state": "ENABLED", "variants": {"a": {"x": 1}, "b": {}}, "defaultVariant": "a",
      "metadata": {"team": "growth"}},
    "disabled": {"state": "DISABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
    "code-default": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": null},
    "unknown-variant": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
      "targeting": {"if": [true, "zzz", "a"]}},
    "array-result": {"state": "ENABLED", "variants": {"a": "a"}, "defaultVariant": "a",
      "targeting": {"merge": [[1], [2]]}},
    "shorthand": {"state": "ENABLED", "variants": {"true": true, "false": false}, "defaultVariant": "false",
      "targeting": {"ends_with": [{"var": "email"}, "@example.com"]}},
    "broken-ref": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
      "targeting": {"if": [{"$ref": "nope"}, "b", "a"]}},
    "lazy-error": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
      "targeting": {"if": [{"==": [{"var": "x"}, 1]}, {"bogus": []}, "b"]}},
    "flag-key": {"state": "ENABLED", "variants": {"yes": "yes", "no": "no"}, "defaultVariant": "no",
      "targeting": {"if": [{"==": [{"var": "$flagd.flagKey"}, "flag-key"]}, "yes", "no"]}},
    "timestamp": {"state": "ENABLED", "variants": {"past": "past", "future": "future"}, "defaultVariant": "future",
      "targeting": {"if": [{">": [{"var": "$flagd.timestamp"}, 1700000000]}, "past", "future"]}},
    "rollout": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
      "targeting": {"fractional": [{"var": "accountId"}, ["on", 20], ["off", 80]]}},
    "rollout-tk": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
      "targeting": {"fractional": [["on", 50], ["off", 50]]}},
    "semver": {"state": "ENABLED", "variants": {"match": "match", "no-match": "no-match"}, "defaultVariant": "no-match",
      "targeting": {"if": [{"sem_ver": [{"var": "version"}, ">=", "1.2.0"]}, "match", "no-match"]}},
    "semver-major": {"state": "ENABLED", "variants": {"match": "match", "no-match": "no-match"},
      "defaultVariant": "no-match", "targeting": {"if": [{"sem_ver": [{"var": "version"}, "^", "1"]}, "match", "no-match"]}},
    "semver-bad-op": {"state": "ENABLED", "variants": {"true": "t", "false": "f", "fallback": "fb"},
      "defaultVariant": "fallback", "targeting": {"sem_ver": [{"var": "version"}, "===", "1.0.0"]}},
    "in-list": {"state": "ENABLED", "variants": {"beta": "beta", "ga": "ga"}, "defaultVariant": "ga",
      "targeting": {"if": [{"in": [{"var": "country"}, ["CA", "DE", "FR"]]}, "beta", "ga"]}},
    "in-string": {"state": "ENABLED", "variants": {"internal": "internal", "external": "external"},
      "defaultVariant": "external",
      "targeting": {"if": [{"in": ["@sphera.io", {"var": "email"}]}, "internal", "external"]}},
    "numbers": {"state": "ENABLED", "variants": {"big": 1000, "small": 1}, "defaultVariant": "small",
      "targeting": {"if": [{"and": [{">=": [{"+": [{"var": "a"}, {"var": "b"}]}, 10]},
        {"<": [1, {"var": "a"}, 100]}]}, "big", "small"]}},
    "loose-eq": {"state": "ENABLED", "variants": {"eq": "eq", "ne": "ne"}, "defaultVariant": "ne",
      "targeting": {"if": [{"==": [{"var": "n"}, "1"]}, "eq", "ne"]}},
    "strict-eq": {"state": "ENABLED", "variants": {"eq": "eq", "ne": "ne"}, "defaultVariant": "ne",
      "targeting": {"if": [{"===": [{"var": "n"}, "1"]}, "eq", "ne"]}},
    "nested-var": {"state": "ENABLED", "variants": {"gold": "gold", "basic": "basic"}, "defaultVariant": "basic",
      "targeting": {"if": [{"==": [{"var": "account.plan.tier"}, "gold"]}, "gold", null]}},
    "var-default": {"state": "ENABLED", "variants": {"x": "x", "y": "y"}, "defaultVariant": "y",
      "targeting": {"var": ["pick", "x"]}},
    "cat-substr": {"state": "ENABLED", "variants": {"ab": "ab", "none": "none"}, "defaultVariant": "none",
      "targeting": {"substr": [{"cat": ["a", "b", "cd"]}, 0, 2]}},
    "missing": {"state": "ENABLED", "variants": {"complete": "complete", "incomplete": "incomplete"},
      "defaultVariant": "complete",
      "targeting": {"if": [{"missing": ["a", "b"]}, "incomplete", "complete"]}},
    "some": {"state": "ENABLED", "variants": {"yes": "yes", "no": "no"}, "defaultVariant": "no",
      "targeting": {"if": [{"some": [{"var": "roles"}, {"==": [{"var": ""}, "admin"]}]}, "yes", "no"]}},
    "integers": {"state": "ENABLED", "variants": {"large": 2147483647, "huge": 9007199254740991, "half": 0.5},
      "defaultVariant": "large", "targeting": {"var": "which"}},
    "integral-float": {"state": "ENABLED", "variants": {"ten": 10.0, "tenth": 0.1}, "defaultVariant": "ten"}
  }
}`

func mustSet(t testing.TB, src string) *flags.Set {
	t.Helper()
	s, err := flags.CompileJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEvaluate(t *testing.T) {
	set := mustSet(t, evalFile)
	type ctx = map[string]any
	for _, tc := range []struct {
		name, key string
		ctx       ctx
		value     any
		variant   string
		reason    flags.Reason
		code      flags.ErrorCode
	}{
		{"static", "static-bool", nil, true, "on", flags.ReasonStatic, ""},
		{"static object", "static-object", nil, map[string]any{"x": 1.0}, "a", flags.ReasonStatic, ""},
		{"disabled uses the caller's default", "disabled", nil, nil, "", flags.ReasonDisabled, ""},
		{"null default uses the caller's default", "code-default", nil, nil, "", flags.ReasonDefault, ""},
		{"not found", "nope", nil, nil, "", flags.ReasonError, flags.ErrFlagNotFound},
		{"unknown variant is an error", "unknown-variant", nil, nil, "", flags.ReasonError, flags.ErrGeneral},
		{"array result is an error", "array-result", nil, nil, "", flags.ReasonError, flags.ErrGeneral},
		{"boolean shorthand true", "shorthand", ctx{"email": "a@example.com"}, true, "true", flags.ReasonTargetingMatch, ""},
		{"boolean shorthand false", "shorthand", ctx{"email": "a@other.com"}, false, "false", flags.ReasonTargetingMatch, ""},
		{"shorthand with non-string falls back", "shorthand", ctx{"email": 7}, false, "false", flags.ReasonDefault, ""},
		{"$ref to a missing evaluator", "broken-ref", nil, nil, "", flags.ReasonError, flags.ErrParse},
		{"unknown operator in an untaken branch", "lazy-error", ctx{"x": 2}, "b", "b", flags.ReasonTargetingMatch, ""},
		{"unknown operator when reached", "lazy-error", ctx{"x": 1}, nil, "", flags.ReasonError, flags.ErrParse},
		{"$flagd.flagKey", "flag-key", nil, "yes", "yes", flags.ReasonTargetingMatch, ""},
		{"$flagd.timestamp", "timestamp", nil, "past", "past", flags.ReasonTargetingMatch, ""},
		{"$flagd in the context is overridden", "flag-key", ctx{"$flagd": map[string]any{"flagKey": "x"}}, "yes", "yes",
			flags.ReasonTargetingMatch, ""},
		{"fractional without bucketing value", "rollout", ctx{"targetingKey": ""}, false, "off", flags.ReasonDefault, ""},
		{"fractional without targeting key", "rollout-tk", nil, false, "off", flags.ReasonDefault, ""},
		{"fractional with non-string targeting key", "rollout-tk", ctx{"targetingKey": 5}, false, "off",
			flags.ReasonDefault, ""},
		{"semver >=", "semver", ctx{"version": "1.10.0"}, "match", "match", flags.ReasonTargetingMatch, ""},
		{"semver < ", "semver", ctx{"version": "1.2.0-rc.1"}, "no-match", "no-match", flags.ReasonTargetingMatch, ""},
		{"semver v prefix", "semver", ctx{"version": "v1.2.0"}, "match", "match", flags.ReasonTargetingMatch, ""},
		{"semver build metadata ignored", "semver", ctx{"version": "1.2.0+abc"}, "match", "match",
			flags.ReasonTargetingMatch, ""},
		{"semver numeric context", "semver", ctx{"version": 1.3}, "match", "match", flags.ReasonTargetingMatch, ""},
		{"semver invalid version", "semver", ctx{"version": "not-a-version"}, "no-match", "no-match",
			flags.ReasonTargetingMatch, ""},
		{"semver partial ^", "semver-major", ctx{"version": "1.9.3"}, "match", "match", flags.ReasonTargetingMatch, ""},
		{"semver partial ^ other major", "semver-major", ctx{"version": "2.0.0"}, "no-match", "no-match",
			flags.ReasonTargetingMatch, ""},
		{"semver invalid operator is null", "semver-bad-op", ctx{"version": "1.0.0"}, "fb", "fallback",
			flags.ReasonDefault, ""},
		{"in list", "in-list", ctx{"country": "DE"}, "beta", "beta", flags.ReasonTargetingMatch, ""},
		{"not in list", "in-list", ctx{"country": "US"}, "ga", "ga", flags.ReasonTargetingMatch, ""},
		{"in string", "in-string", ctx{"email": "jo@sphera.io"}, "internal", "internal", flags.ReasonTargetingMatch, ""},
		{"arithmetic and between", "numbers", ctx{"a": 6, "b": int64(4)}, 1000.0, "big", flags.ReasonTargetingMatch, ""},
		{"arithmetic below", "numbers", ctx{"a": 6, "b": 3}, 1.0, "small", flags.ReasonTargetingMatch, ""},
		{"== coerces", "loose-eq", ctx{"n": 1}, "eq", "eq", flags.ReasonTargetingMatch, ""},
		{"=== does not", "strict-eq", ctx{"n": 1}, "ne", "ne", flags.ReasonTargetingMatch, ""},
		{"nested var", "nested-var", ctx{"account": map[string]any{"plan": map[string]any{"tier": "gold"}}}, "gold",
			"gold", flags.ReasonTargetingMatch, ""},
		{"nested var missing → default", "nested-var", ctx{"account": "x"}, "basic", "basic", flags.ReasonDefault, ""},
		{"var default", "var-default", nil, "x", "x", flags.ReasonTargetingMatch, ""},
		{"var value", "var-default", ctx{"pick": "y"}, "y", "y", flags.ReasonTargetingMatch, ""},
		{"cat and substr", "cat-substr", nil, "ab", "ab", flags.ReasonTargetingMatch, ""},
		{"missing", "missing", ctx{"a": 1}, "incomplete", "incomplete", flags.ReasonTargetingMatch, ""},
		{"none missing", "missing", ctx{"a": 1, "b": 2}, "complete", "complete", flags.ReasonTargetingMatch, ""},
		{"some", "some", ctx{"roles": []any{"dev", "admin"}}, "yes", "yes", flags.ReasonTargetingMatch, ""},
		{"some of none", "some", ctx{"roles": []any{"dev"}}, "no", "no", flags.ReasonTargetingMatch, ""},
		{"number variant name", "integers", ctx{"which": "huge"}, 9007199254740991.0, "huge", flags.ReasonTargetingMatch, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := set.Evaluate(tc.key, tc.ctx)
			if !reflect.DeepEqual(d.Value, tc.value) || d.Variant != tc.variant || d.Reason != tc.reason ||
				d.ErrorCode != tc.code {
				t.Errorf("got value=%#v variant=%q reason=%s code=%q (%s)\nwant value=%#v variant=%q reason=%s code=%q",
					d.Value, d.Variant, d.Reason, d.ErrorCode, d.ErrorMessage, tc.value, tc.variant, tc.reason, tc.code)
			}
			if tc.code != "" && d.ErrorMessage == "" {
				t.Errorf("error %s without a message", tc.code)
			}
			if d.Key != tc.key {
				t.Errorf("key %q", d.Key)
			}
		})
	}
}

func TestEvaluateAsTypes(t *testing.T) {
	set := mustSet(t, evalFile)
	for _, tc := range []struct {
		key   string
		typ   flags.Type
		ctx   map[string]any
		value any
		code  flags.ErrorCode
	}{
		{"static-bool", flags.TypeBoolean, nil, true, ""},
		{"static-bool", flags.TypeString, nil, nil, flags.ErrTypeMismatch},
		{"static-object", flags.TypeObject, nil, map[string]any{"x": 1.0}, ""},
		{"static-object", flags.TypeBoolean, nil, nil, flags.ErrTypeMismatch},
		{"integers", flags.TypeInteger, nil, 2147483647.0, ""},
		{"integers", flags.TypeInteger, map[string]any{"which": "huge"}, 9007199254740991.0, ""},
		{"integers", flags.TypeInteger, map[string]any{"which": "half"}, nil, flags.ErrTypeMismatch},
		{"integers", flags.TypeFloat, map[string]any{"which": "half"}, 0.5, ""},
		{"integral-float", flags.TypeFloat, nil, 10.0, ""},
		// No value to check: the caller's default applies, whatever its type.
		{"disabled", flags.TypeString, nil, nil, ""},
		{"code-default", flags.TypeObject, nil, nil, ""},
	} {
		d := set.EvaluateAs(tc.key, tc.typ, tc.ctx)
		if !reflect.DeepEqual(d.Value, tc.value) || d.ErrorCode != tc.code {
			t.Errorf("%s as %s: value=%#v code=%q (%s), want value=%#v code=%q", tc.key, tc.typ, d.Value, d.ErrorCode,
				d.ErrorMessage, tc.value, tc.code)
		}
	}
}

func TestMetadataMerged(t *testing.T) {
	set := mustSet(t, evalFile)
	d := set.Evaluate("static-object", nil)
	want := map[string]any{"team": "growth", "flagSetId": "demo"}
	if !reflect.DeepEqual(d.Metadata, want) {
		t.Errorf("metadata %v, want %v (flag metadata wins over the set's)", d.Metadata, want)
	}
	if d := set.Evaluate("missing-flag", nil); d.Metadata["flagSetId"] != "demo" {
		t.Errorf("not-found metadata %v, want the set's", d.Metadata)
	}
}

func TestFractionalSplit(t *testing.T) {
	set := mustSet(t, evalFile)
	counts := map[string]int{}
	const n = 20000
	for i := 0; i < n; i++ {
		ctx := map[string]any{"accountId": fmt.Sprintf("acct-%d", i)}
		d := set.Evaluate("rollout", ctx)
		if d.Reason != flags.ReasonSplit {
			t.Fatalf("reason %s, want SPLIT", d.Reason)
		}
		if again := set.Evaluate("rollout", ctx); again.Variant != d.Variant {
			t.Fatalf("not sticky: %s then %s", d.Variant, again.Variant)
		}
		counts[d.Variant]++
	}
	if share := float64(counts["on"]) / n; share < 0.19 || share > 0.21 {
		t.Errorf("on share %.3f, want about 0.20 (%v)", share, counts)
	}
	// The bucket is the documented function of the key: (murmur3(key) × 100) >> 32 < 20 → "on".
	for i := 0; i < 200; i++ {
		key := fmt.Sprintf("acct-%d", i)
		want := "off"
		if flags.Bucket(flags.Murmur3([]byte(key)), 100) < 20 {
			want = "on"
		}
		if got := set.Evaluate("rollout", map[string]any{"accountId": key}).Variant; got != want {
			t.Fatalf("%s → %s, want %s", key, got, want)
		}
	}
	// Without an explicit bucketing value: flag key + targeting key.
	for i := 0; i < 200; i++ {
		tk := fmt.Sprintf("user-%d", i)
		want := "off"
		if flags.Bucket(flags.Murmur3([]byte("rollout-tk"+tk)), 100) < 50 {
			want = "on"
		}
		if got := set.Evaluate("rollout-tk", map[string]any{"targetingKey": tk}).Variant; got != want {
			t.Fatalf("%s → %s, want %s", tk, got, want)
		}
	}
}

func TestPick(t *testing.T) {
	if got := flags.Pick([]byte("x"), []uint32{0, 0}); got != -1 {
		t.Errorf("all-zero weights picked %d", got)
	}
	if got := flags.Pick([]byte("x"), []uint32{0, 5, 0}); got != 1 {
		t.Errorf("single non-zero weight picked %d", got)
	}
}

func TestStaticFlagsDoNotAllocate(t *testing.T) {
	set := mustSet(t, evalFile)
	ctx := map[string]any{"targetingKey": "u1"}
	for _, key := range []string{"static-bool", "static-object", "disabled", "integral-float"} {
		if n := testing.AllocsPerRun(200, func() { set.EvaluateAs(key, flags.TypeAny, ctx) }); n != 0 {
			t.Errorf("%s: %v allocations per evaluation, want 0", key, n)
		}
	}
	for _, key := range []string{"rollout", "in-list", "semver"} {
		c := map[string]any{"accountId": "a-1", "country": "CA", "version": "1.4.0"}
		if n := testing.AllocsPerRun(200, func() { set.Evaluate(key, c) }); n != 0 {
			t.Errorf("%s: %v allocations per targeting evaluation, want 0", key, n)
		}
	}
}

func TestConcurrentEvaluation(t *testing.T) {
	set := mustSet(t, evalFile)
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func(g int) {
			defer func() { done <- true }()
			for i := 0; i < 2000; i++ {
				ctx := map[string]any{"accountId": fmt.Sprint(g, i), "version": "1.2.3", "roles": []any{"admin"}}
				for _, k := range set.Keys() {
					set.Evaluate(k, ctx)
				}
			}
		}(g)
	}
	timeout := time.After(30 * time.Second)
	for g := 0; g < 4; g++ {
		select {
		case <-done:
		case <-timeout:
			t.Fatal("timed out")
		}
	}
}

func TestEvaluateAll(t *testing.T) {
	set := mustSet(t, evalFile)
	all := set.EvaluateAll(nil)
	if len(all) != len(set.Keys()) {
		t.Fatalf("%d results for %d flags", len(all), len(set.Keys()))
	}
	for i, d := range all {
		if d.Key != set.Keys()[i] {
			t.Errorf("result %d is %q, want %q", i, d.Key, set.Keys()[i])
		}
		if strings.HasPrefix(d.ErrorMessage, "internal error") {
			t.Errorf("%s: %s", d.Key, d.ErrorMessage)
		}
	}
}

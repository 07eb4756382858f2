package flagdbench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sphera/atrium/internal/flags"
)

// TestAgreesWithFlagd evaluates every flag of the benchmark file and of the flagd-testbed's flag set with both
// evaluators over many generated contexts, and requires the same outcome: the same value and variant, and the
// same kind of answer (static, targeted, default, disabled, error).
func TestAgreesWithFlagd(t *testing.T) {
	files := []string{"testdata/flags.json",
		// The flagd-testbed's flag set, from the copy the evaluator's conformance test reads (with its license).
		filepath.Join("..", "..", "internal", "flags", "testdata", "flagd-testbed", "evaluator", "flags", "testkit-flags.json")}
	rng := rand.New(rand.NewSource(1))
	for _, path := range files {
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		set, fd := loadBoth(t, path)
		compared := 0
		for i := 0; i < 400; i++ {
			ctx := randomContext(rng)
			for _, key := range set.Keys() {
				got := set.Evaluate(key, ctx)
				res := fd.ResolveAsAnyValue(context.Background(), "", key, ctx)
				if !agree(got, res.Value, res.Variant, res.Reason, res.Error) {
					b, _ := json.Marshal(ctx)
					t.Errorf("%s %s %s:\n  atrium value=%#v variant=%q reason=%s code=%s (%s)\n  flagd  value=%#v variant=%q reason=%s err=%v",
						filepath.Base(path), key, b, got.Value, got.Variant, got.Reason, got.ErrorCode, got.ErrorMessage,
						res.Value, res.Variant, res.Reason, res.Error)
					if t.Failed() && compared > 50 {
						return
					}
				}
				compared++
			}
		}
		t.Logf("%s: %d evaluations agree", filepath.Base(path), compared)
	}
}

// agree compares outcomes. flagd reports a code default as FALLBACK with a zero value; Atrium as DEFAULT without
// a value. Atrium reports a fractional choice as SPLIT where flagd says TARGETING_MATCH. Errors must match by code.
func agree(d flags.Detail, value any, variant, reason string, err error) bool {
	if err != nil || d.ErrorCode != "" {
		return err != nil && string(d.ErrorCode) == err.Error()
	}
	switch reason {
	case "FALLBACK":
		return d.Value == nil && d.Reason == flags.ReasonDefault
	case "DISABLED":
		return d.Value == nil && d.Reason == flags.ReasonDisabled
	}
	r := string(d.Reason)
	if r == string(flags.ReasonSplit) {
		r = string(flags.ReasonTargetingMatch)
	}
	return r == reason && d.Variant == variant && reflect.DeepEqual(d.Value, value)
}

func randomContext(rng *rand.Rand) map[string]any {
	pick := func(xs ...any) any { return xs[rng.Intn(len(xs))] }
	ctx := map[string]any{}
	set := func(k string, vs ...any) {
		if rng.Intn(4) > 0 {
			ctx[k] = pick(vs...)
		}
	}
	set("targetingKey", fmt.Sprintf("user-%d", rng.Intn(10000)), "", "5c3d8535-f81a-4478-a6d3-afaa4d51199e")
	set("email", "ballmer@macrosoft.com", "jobs@orange.com", "ana@sphera.io", fmt.Sprintf("u%d@example.com", rng.Intn(100)))
	set("country", "DE", "US", "SE", "")
	set("appVersion", "2.0.0", "1.9.9", "2.3.1", "3.0.0-rc.1", "v2.1", "banana")
	set("version", "2.0.0", "2.1.0", "1.9.0", "2.0.0-alpha", "3.0.1", "3.1.0", "4.0.0", "1.0.0+build", "v1.0.0")
	set("accountId", fmt.Sprintf("acct-%d", rng.Intn(100000)), "")
	set("plan", "pro", "basic")
	set("id", "abcdef", "uvwxyz", "abcxyz", "lmnopq")
	set("tier", "premium", "basic")
	set("color", "red", "green", "yellow")
	set("user", map[string]any{"name": pick("jack", "queen", "ten", "nine", "seven", "two", "3")})
	return ctx
}

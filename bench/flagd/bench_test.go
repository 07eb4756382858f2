package flagdbench

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/open-feature/flagd/core/pkg/evaluator"
	"github.com/open-feature/flagd/core/pkg/logger"
	"github.com/open-feature/flagd/core/pkg/store"
	"github.com/open-feature/flagd/core/pkg/sync"

	"github.com/sphera/atrium/internal/flags"
)

// loadBoth loads one flag file into Atrium's evaluator and into flagd's (with its no-op logger, as flagd runs
// when logging is off).
func loadBoth(tb testing.TB, path string) (*flags.Set, *evaluator.JSON) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	set, err := flags.CompileJSON(data)
	if err != nil {
		tb.Fatal(err)
	}
	log := logger.NewLogger(nil, false)
	flagStore, err := store.NewStore(log, []string{}) // what the deprecated store.NewFlags did
	if err != nil {
		tb.Fatal(err)
	}
	fd := evaluator.NewJSON(log, flagStore)
	if err := fd.SetState(sync.DataSync{FlagData: string(data), Source: "bench"}); err != nil {
		tb.Fatal(err)
	}
	return set, fd
}

// benchContext is one user's evaluation context, the same map for both evaluators.
var benchContext = map[string]any{
	"targetingKey": "user-42",
	"email":        "ana@example.com",
	"country":      "US",
	"appVersion":   "2.3.1",
	"accountId":    "acct-1042",
	"plan":         "pro",
}

// BenchmarkEvaluate runs each kind of flag through both evaluators, side by side in one run.
func BenchmarkEvaluate(b *testing.B) {
	set, fd := loadBoth(b, "testdata/flags.json")
	ctx := context.Background()
	kinds := []struct {
		name, key string
		typ       flags.Type
		flagd     func() (any, error)
	}{
		{"static", "static", flags.TypeBoolean, func() (any, error) {
			v, _, _, _, err := fd.ResolveBooleanValue(ctx, "", "static", benchContext)
			return v, err
		}},
		{"targeting", "targeting", flags.TypeString, func() (any, error) {
			v, _, _, _, err := fd.ResolveStringValue(ctx, "", "targeting", benchContext)
			return v, err
		}},
		{"fractional", "fractional", flags.TypeBoolean, func() (any, error) {
			v, _, _, _, err := fd.ResolveBooleanValue(ctx, "", "fractional", benchContext)
			return v, err
		}},
		{"object", "object", flags.TypeObject, func() (any, error) {
			v, _, _, _, err := fd.ResolveObjectValue(ctx, "", "object", benchContext)
			return v, err
		}},
	}
	for _, k := range kinds {
		// Both must agree before their speed is compared.
		want, err := k.flagd()
		d := set.EvaluateAs(k.key, k.typ, benchContext)
		if err != nil || d.ErrorCode != "" || fmt.Sprint(want) != fmt.Sprint(d.Value) {
			b.Fatalf("%s: flagd %v (%v), atrium %v (%s)", k.name, want, err, d.Value, d.ErrorMessage)
		}
		b.Run(k.name+"/atrium", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				set.EvaluateAs(k.key, k.typ, benchContext)
			}
		})
		b.Run(k.name+"/flagd", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_, _ = k.flagd() // checked above to agree with Atrium's answer: the loop only times it
			}
		})
	}
}

package flags_test

import (
	"fmt"
	"testing"

	"github.com/sphera/atrium/internal/flags"
)

// BenchmarkCompileRefChain compiles, validates, summarises and evaluates refChain sets of growing depth, each
// level referring to the one below twice. The work grows linearly with the depth (nodes/op reports the compiled
// size); before evaluators were shared it doubled with every level.
func BenchmarkCompileRefChain(b *testing.B) {
	for _, depth := range []int{10, 20, 30} {
		f, err := flags.ParseFile([]byte(refChain(depth)))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("depth=%d/compile", depth), func(b *testing.B) {
			var set *flags.Set
			for b.Loop() {
				set = flags.Compile(f)
			}
			b.ReportMetric(float64(set.Nodes()), "nodes/op")
		})
		b.Run(fmt.Sprintf("depth=%d/validate", depth), func(b *testing.B) {
			for b.Loop() {
				if err := flags.Validate(f); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("depth=%d/summarize", depth), func(b *testing.B) {
			for b.Loop() {
				flags.Summarize(f.Flags["direct"], f.Evaluators)
			}
		})
		set := flags.Compile(f)
		ctx := map[string]any{"email": "ana@sphera.io"}
		b.Run(fmt.Sprintf("depth=%d/evaluate", depth), func(b *testing.B) {
			for b.Loop() {
				set.Evaluate("chained", ctx)
			}
		})
	}
}

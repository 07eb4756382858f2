package scaffold_test

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkPlan is the dry run's latency per template: validating the parameters (without the Checker's
// questions, which are the caller's round trips) and rendering the whole plan. Besides ns/op it reports the
// median and the 99th percentile of the iterations, the figure the golden path's target is set on (p99 < 200 ms).
func BenchmarkPlan(b *testing.B) {
	r := registry(b)
	for _, name := range []string{"go-http-service", "node-service", "go-service"} {
		b.Run(name, func(b *testing.B) {
			tmpl := get(b, r, name)
			ctx, tg := context.Background(), target()
			times := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				if p, ps := tmpl.Plan(ctx, validParams[name], tg, nil); p == nil {
					b.Fatal(ps)
				}
				times = append(times, time.Since(start))
			}
			slices.Sort(times)
			ms := func(q float64) float64 {
				return float64(times[int(q*float64(len(times)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(ms(0.5), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}

// BenchmarkLoadBuiltin is what starting a portal costs: parsing and trial-rendering the built-in templates.
func BenchmarkLoadBuiltin(b *testing.B) {
	for b.Loop() {
		registry(b)
	}
}

package scorecard_test

import (
	"context"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/scorecard"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/synthetic"
)

// benchRules are nine rules of the kind platform teams write, besides the six built-in ones: fifteen in all.
var benchRules = []scorecard.RuleConfig{
	{Name: "has-runbook", Level: "silver", Weight: 2,
		Expression: `service.links.exists(l, l.title.lowerAscii().contains("runbook"))`},
	{Name: "has-description", Level: "bronze", Weight: 1, Expression: `size(service.description) >= 20`},
	{Name: "owner-set", Level: "bronze", Weight: 1, Expression: `service.owner != ""`},
	{Name: "no-error-findings", Level: "silver", Weight: 2,
		Expression: `!service.findings.exists(f, f.severity == "error")`},
	{Name: "few-majors-behind", Level: "gold", Weight: 2,
		Expression: `service.dependencies.filter(d, d.behind == "major").size() <= 3`,
		Message:    `string(service.dependencies.filter(d, d.behind == "major").size()) + " packages a major version behind"`},
	{Name: "healthy-in-production", Level: "silver", Weight: 3,
		Expression: `service.deployments.all(d, d.environment != "production" || d.health == "healthy")`},
	{Name: "replicated", Level: "gold", Weight: 1,
		Expression: `service.deployments.all(d, d.environment != "production" || d.desired >= 2)`},
	{Name: "reviews-required", Level: "gold", Weight: 2,
		Expression: `service.repository.facts.branch_protection.required_reviews >= 1`},
	{Name: "lifecycle-known", Level: "bronze", Weight: 1,
		Expression: `service.lifecycle in ["production", "experimental", "deprecated"]`},
}

func benchEngine(b *testing.B) *scorecard.Engine {
	b.Helper()
	cfg := scorecard.Config{Rules: benchRules, CorePackages: []scorecard.CorePackage{
		{Name: "google.golang.org/grpc", AllowedLag: "minor"}, {Name: "react", AllowedLag: "major"},
		{Name: "go.opentelemetry.io/otel", AllowedLag: "patch"}, {Name: "express", AllowedLag: "minor"}}}
	e, err := scorecard.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if n := len(e.Rules()); n != 15 {
		b.Fatalf("%d rules, want 15", n)
	}
	return e
}

// BenchmarkScoreAll scores the synthetic catalog of 10,000 services (20 dependencies, two production deployments
// and repository facts each) with 15 rules, on all cores as the Scorer does: one op is the whole catalog.
func BenchmarkScoreAll(b *testing.B) {
	e := benchEngine(b)
	_, svcs, _ := synthetic.Catalog(10000, 20, 120, 1)
	regions := []string{"eu-west-1", "us-east-1"}
	synthetic.AddReadiness(svcs, regions, 1)
	p := &scorecard.Platform{Regions: map[string][]string{"production": regions}, CorePackages: e.CorePackages()}
	cards := make([]catalog.Scorecard, len(svcs))
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		pv := scorecard.PlatformValue(p)
		scorecard.ScoreEach(len(svcs), runtime.GOMAXPROCS(0), func(i int) { cards[i] = e.ScoreWith(&svcs[i], p, pv) })
	}
	b.StopTimer()
	// CPU time, summed over the cores, is what the machine's other load does not change: on an idle machine the
	// wall time is about this divided by GOMAXPROCS.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(len(svcs)*len(e.Rules())), "evaluations/op")
	below := 0
	for _, c := range cards {
		if c.Below {
			below++
		}
	}
	if below == 0 || below == len(cards) {
		b.Fatalf("%d of %d below the threshold: the synthetic catalog should have both", below, len(cards))
	}
}

// BenchmarkScorerFullPass is a full pass of the Scorer over the synthetic catalog in SQLite, as after a change of
// rules: read 10,000 services (AllServices), score them with 15 rules, and write the 10,000 cards that changed
// (with their history rows and feed entries). One op is the whole pass.
func BenchmarkScorerFullPass(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(b.TempDir(), "portal.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			b.Error(err)
		}
	}()
	_, svcs, _ := synthetic.Catalog(10000, 20, 120, 1)
	synthetic.AddReadiness(svcs, []string{"eu-west-1", "us-east-1"}, 1)
	for i := 0; i < len(svcs); i += 1000 {
		if _, err := db.PutServices(ctx, svcs[i:min(i+1000, len(svcs))]); err != nil {
			b.Fatal(err)
		}
	}
	e := benchEngine(b)
	alt, err := scorecard.New(scorecard.Config{Rules: benchRules, Threshold: ptr(75.0),
		CorePackages: []scorecard.CorePackage{{Name: "react", AllowedLag: "patch"}}})
	if err != nil {
		b.Fatal(err)
	}
	sc := &scorecard.Scorer{DB: db, Engine: e}
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// Alternate the rule set, so that every pass rescores and rewrites every card.
		if i%2 == 0 {
			sc.Engine = alt
		} else {
			sc.Engine = e
		}
		n, err := sc.Pass(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n != len(svcs) {
			b.Fatalf("wrote %d cards, want %d", n, len(svcs))
		}
	}
	b.StopTimer()
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

func ptr[T any](v T) *T { return &v }

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

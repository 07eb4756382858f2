package server

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/sphera/atrium/internal/demo"
)

// The local demo has scorecards on, with services on both sides of the threshold; the gate refuses those below in
// production, each naming at least one failing rule, and the trends have weeks of history.
func TestLocalDemoScorecardsAndGate(t *testing.T) {
	ctx := context.Background()
	s, err := OpenLocal(ctx, filepath.Join(t.TempDir(), "portal.db"), slog.New(slog.NewTextHandler(io.Discard, nil)),
		LocalOptions{NoWorker: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	_, svcs, err := demo.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gate := s.gates.Gate
	allowed, refused := 0, 0
	for _, svc := range svcs {
		d, err := gate.Decide(ctx, svc.Name, "production")
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			allowed++
			continue
		}
		refused++
		if len(d.Failing) == 0 {
			t.Errorf("%s refused without a failing rule: %+v", svc.Name, d)
		}
	}
	t.Logf("demo: %d allowed, %d refused of %d", allowed, refused, len(svcs))
	if allowed < 10 || refused < 5 {
		t.Errorf("demo: %d allowed, %d refused: want services on both sides of the threshold", allowed, refused)
	}
	tr, err := s.DB.ScoreTrend(ctx, "", "", s.DB.Now())
	if err != nil || len(tr.Points) != 12 {
		t.Errorf("demo trend: %+v %v", tr, err)
	}
}

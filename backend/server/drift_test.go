package server

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
)

// Local mode's demo shows every kind of drift on its data, through the real engine: a changed autoscaler and image
// (fields named), a workload and queues declared nowhere, workloads and a queue missing where their siblings are.
func TestLocalModeDemoDrift(t *testing.T) {
	ctx := context.Background()
	s, err := OpenLocal(ctx, filepath.Join(t.TempDir(), "portal.db"), nil, LocalOptions{NoWorker: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	items, err := s.DB.ListDrift(ctx, store.DriftQuery{}, s.DB.Now())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	var got []string
	for _, it := range items {
		kinds[it.Kind]++
		line := it.Kind + " " + it.ResourceType + " " + it.Environment + "/" + it.Region
		for _, f := range it.Fields {
			line += " " + f.Path + " " + f.Desired + " → " + f.Live
		}
		got = append(got, line)
		if it.Service == "" && it.Kind != catalog.DriftUnmanaged {
			t.Errorf("no service: %+v", it)
		}
		if it.Since.IsZero() || it.State != catalog.DriftOpen {
			t.Errorf("since, state: %+v", it)
		}
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"changed HorizontalPodAutoscaler production/eu-west-1 spec.maxReplicas 10 → 25",
		"changed sqs_queue production/eu-west-1 visibility_timeout_seconds 30 → 60",
		"missing Deployment production/eu-west-1",    // declared in the repository, not deployed
		"missing Deployment production/us-east-1",    // running in eu-west-1, not in us-east-1
		"missing sns_topic production/us-east-1",     // a topic of eu-west-1 only
		"unmanaged StatefulSet production/eu-west-1", // deployed by hand
		"unmanaged sqs_queue production/us-east-1",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the demo's drift lacks %q:\n%s", want, all)
		}
	}
	if kinds[catalog.DriftMissing] == 0 || kinds[catalog.DriftUnmanaged] == 0 || kinds[catalog.DriftChanged] == 0 {
		t.Fatalf("kinds: %v", kinds)
	}
	// Detecting again changes nothing: the same items, since when they were first seen.
	if _, err := s.Drift.Detect(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := s.DB.ListDrift(ctx, store.DriftQuery{}, s.DB.Now())
	if err != nil || len(again) != len(items) || !again[0].Since.Equal(items[0].Since) {
		t.Fatalf("again: %d items, %v", len(again), err)
	}
}

package store

import (
	"context"
	"testing"
	"time"
)

func TestRecordDeliveryOnceWithinRetention(t *testing.T) { eachEngine(t, testRecordDelivery) }

func testRecordDelivery(t *testing.T, e Engine) {
	db := openEngine(t, e)
	ctx := context.Background()
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	const keep = 7 * 24 * time.Hour
	record := func(id, digest string, at time.Time) bool {
		t.Helper()
		fresh, err := db.RecordDelivery(ctx, "github", id, digest, "push", at, keep)
		if err != nil {
			t.Fatal(err)
		}
		return fresh
	}
	if !record("d1", "aa", t0) {
		t.Error("first delivery not new")
	}
	if record("d1", "aa", t0.Add(time.Minute)) {
		t.Error("redelivery (same id, same body) is new")
	}
	if record("d2", "aa", t0.Add(time.Minute)) {
		t.Error("replayed body under a new id is new")
	}
	if record("d1", "bb", t0.Add(time.Minute)) {
		t.Error("same id with another body is new")
	}
	if !record("", "cc", t0) || record("", "cc", t0) || !record("", "dd", t0) {
		t.Error("deliveries without an id are told apart by their body")
	}
	// After the retention the records are pruned: the same delivery is new again.
	if !record("d9", "ee", t0.Add(keep+time.Hour)) || !record("d1", "aa", t0.Add(keep+time.Hour)) {
		t.Error("records older than the retention were not forgotten")
	}
	var n int
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM webhook_deliveries`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d records kept, want 2 (the two after the retention)", n)
	}
}

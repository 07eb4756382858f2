package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

func TestFleetConfigRidesTheFeed(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	sign := func(content string) func(int64) (catalog.FleetConfig, error) {
		return func(v int64) (catalog.FleetConfig, error) {
			return catalog.FleetConfig{Version: v, Content: []byte(content), Signature: []byte("sig"), KeyID: "k",
				CreatedBy: "admin"}, nil
		}
	}
	b, err := db.Changes(ctx, "", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A replica waiting on the feed is woken by a push.
	woken := make(chan Batch, 1)
	go func() {
		b2, err := db.Changes(ctx, b.Cursor, 100, time.Minute)
		if err != nil {
			t.Error(err)
		}
		woken <- b2
	}()
	c1, err := db.PushFleetConfig(ctx, 0, sign(`{"v":1}`))
	if err != nil || c1.Version != 1 {
		t.Fatalf("%+v %v", c1, err)
	}
	got := <-woken
	if len(got.Changes) != 1 || got.Changes[0].Kind != KindFleet || got.Changes[0].Fleet == nil ||
		string(got.Changes[0].Fleet.Content) != `{"v":1}` {
		t.Fatalf("woken with %+v", got.Changes)
	}
	// A push on a stale base is refused, and stores nothing.
	if _, err := db.PushFleetConfig(ctx, 0, sign(`{"v":2}`)); !errors.Is(err, ErrFleetConflict) {
		t.Fatalf("stale base: %v", err)
	}
	// A failing signer stores nothing either.
	if _, err := db.PushFleetConfig(ctx, -1, func(int64) (catalog.FleetConfig, error) {
		return catalog.FleetConfig{}, fmt.Errorf("no key")
	}); err == nil {
		t.Fatal("a failed signature was stored")
	}
	if _, err := db.PushFleetConfig(ctx, -1, sign(`{"v":2}`)); err != nil {
		t.Fatal(err)
	}
	// The feed carries the entity once, whole: the newest version.
	all, err := db.Changes(ctx, "", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range all.Changes {
		if c.Kind == KindFleet {
			n++
			if c.Fleet.Version != 2 {
				t.Errorf("feed carries version %d", c.Fleet.Version)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d fleet changes", n)
	}
	hist, err := db.FleetHistory(ctx, 0, 10)
	if err != nil || len(hist) != 2 || hist[0].Version != 2 || hist[1].CreatedBy != "admin" {
		t.Fatalf("history %+v %v", hist, err)
	}
	if _, err := db.FleetConfig(ctx, 7); !errors.Is(err, ErrNoFleetConfig) {
		t.Errorf("missing version: %v", err)
	}
	// A replica ignores the entity: the desktop checks and applies it, not the store.
	replica := openTemp(t)
	if err := replica.ApplyBatch(ctx, all); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := replica.LatestFleetConfig(ctx); ok || err != nil {
		t.Errorf("replica stored the configuration: %v %v", ok, err)
	}
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

func driftItem(kind, name, region string) catalog.DriftItem {
	return catalog.DriftItem{ID: catalog.DriftID(kind, catalog.DriftSQSQueue, "", name, "production", region, ""),
		Kind: kind, Service: "payments-api", Team: "payments", Resource: "sqs_queue " + name,
		ResourceType: catalog.DriftSQSQueue, Name: name, Environment: "production", Region: region,
		Summary: name + " drifted", Source: catalog.DriftFromSiblings}
}

// A detection opens new items, keeps those seen again (since and acknowledgement survive), resolves those gone from
// places it saw, keeps those in places it could not see, reopens a resolved one that comes back, and forgets
// resolved items after the retention; each opening and resolution is queued for the webhook once, in the same
// transaction.
func TestReplaceDrift(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	alert := func(ev DriftEvent) string { return ev.Kind + " " + ev.Item.Name }
	missing := driftItem(catalog.DriftMissing, "orders-events", "ap-south-1")
	changed := driftItem(catalog.DriftChanged, "ledger-inbox", "eu-west-1")
	changed.Fields = []catalog.DriftField{{Path: "VisibilityTimeout", Desired: "30", Live: "90"}}
	evs, err := db.ReplaceDrift(ctx, DriftReplace{Items: []catalog.DriftItem{missing, changed}, Alert: alert, Now: t0})
	if err != nil || len(evs) != 2 || evs[0].Kind != DriftOpened {
		t.Fatalf("first detection: %v %v", evs, err)
	}
	if _, err := db.UpdateDrift(ctx, changed.ID, t0, func(it *catalog.DriftItem) error {
		it.Acknowledgement = &catalog.DriftAck{By: "dana", At: t0, Reason: "load test until Friday", Until: t0.Add(48 * time.Hour)}
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	// Seen again an hour later with another field value: the same item, since and silence kept, no alert.
	changed.Fields = []catalog.DriftField{{Path: "VisibilityTimeout", Desired: "30", Live: "120"}}
	t1 := t0.Add(time.Hour)
	unknownRegion := func(it catalog.DriftItem) bool { return it.Region != "ap-south-1" }
	evs, err = db.ReplaceDrift(ctx, DriftReplace{Items: []catalog.DriftItem{changed}, Known: unknownRegion, Alert: alert, Now: t1})
	if err != nil || len(evs) != 0 {
		t.Fatalf("second detection (ap-south-1 unknown): %v %v", evs, err)
	}
	got, err := db.GetDrift(ctx, changed.ID, t1)
	if err != nil || !got.Since.Equal(t0) || got.State != catalog.DriftSilenced || got.Fields[0].Live != "120" {
		t.Fatalf("seen again: %+v %v", got, err)
	}
	if got, err := db.GetDrift(ctx, missing.ID, t1); err != nil || got.State != catalog.DriftOpen {
		t.Fatalf("an item in an unknown place is kept: %+v %v", got, err)
	}
	// The silence runs out: open again, still the same item.
	if got, _ := db.GetDrift(ctx, changed.ID, t0.Add(49*time.Hour)); got.State != catalog.DriftOpen {
		t.Fatalf("after the silence: %s", got.State)
	}
	// ap-south-1 seen and the queue there: resolved, once.
	t2 := t1.Add(time.Hour)
	evs, err = db.ReplaceDrift(ctx, DriftReplace{Items: []catalog.DriftItem{changed}, Alert: alert, Now: t2})
	if err != nil || len(evs) != 1 || evs[0].Kind != DriftClosed || evs[0].Item.ID != missing.ID {
		t.Fatalf("resolution: %v %v", evs, err)
	}
	open, err := db.ListDrift(ctx, DriftQuery{}, t2)
	if err != nil || len(open) != 1 || open[0].ID != changed.ID {
		t.Fatalf("open items: %+v %v", open, err)
	}
	all, err := db.ListDrift(ctx, DriftQuery{Resolved: true}, t2)
	if err != nil || len(all) != 2 || all[1].State != catalog.DriftResolved || !all[1].ResolvedAt.Equal(t2) {
		t.Fatalf("with resolved: %+v %v", all, err)
	}
	if byKind, _ := db.ListDrift(ctx, DriftQuery{Kind: catalog.DriftChanged, Service: "payments-api", Team: "payments"}, t2); len(byKind) != 1 {
		t.Fatalf("filters: %+v", byKind)
	}
	// It comes back: a new drift, since now, alerted again.
	t3 := t2.Add(time.Hour)
	evs, err = db.ReplaceDrift(ctx, DriftReplace{Items: []catalog.DriftItem{changed, missing}, Alert: alert, Now: t3})
	if err != nil || len(evs) != 1 || evs[0].Kind != DriftOpened {
		t.Fatalf("reopened: %v %v", evs, err)
	}
	if got, _ := db.GetDrift(ctx, missing.ID, t3); !got.Since.Equal(t3) || !got.ResolvedAt.IsZero() {
		t.Fatalf("reopened item: %+v", got)
	}
	// Resolved, then older than the retention: deleted.
	if _, err := db.ReplaceDrift(ctx, DriftReplace{Alert: alert, Now: t3.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReplaceDrift(ctx, DriftReplace{Now: t3.Add(DriftRetention + 2*time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetDrift(ctx, missing.ID, t3); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("after the retention: %v", err)
	}
	var payloads []string
	rows, err := db.SQL().QueryContext(ctx, `SELECT payload FROM drift_outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	want := "opened orders-events,opened ledger-inbox,resolved orders-events,opened orders-events,resolved ledger-inbox,resolved orders-events"
	if g := strings.Join(payloads, ","); !sameSet(g, want) {
		t.Fatalf("alerts:\n%s\nwant\n%s", g, want)
	}
}

func sameSet(a, b string) bool {
	x, y := strings.Split(a, ","), strings.Split(b, ",")
	if len(x) != len(y) {
		return false
	}
	m := map[string]int{}
	for _, s := range x {
		m[s]++
	}
	for _, s := range y {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// Items and the detection's status ride the change feed: a replica shows them, acknowledgement included, and a
// deleted item goes from the replica too.
func TestDriftRidesTheFeed(t *testing.T) {
	ctx := context.Background()
	portal, replica := openTemp(t), openTemp(t)
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	it := driftItem(catalog.DriftUnmanaged, "tmp-debug", "eu-west-1")
	if _, err := portal.ReplaceDrift(ctx, DriftReplace{Items: []catalog.DriftItem{it}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	st := catalog.DriftStatus{CheckedAt: t0, Places: []catalog.DriftPlace{{Environment: "production", Region: "ap-south-1",
		Kind: "aws", State: catalog.DriftPlaceUnknown, Reason: "unreachable"}}}
	if err := portal.PutDriftStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	audited := false
	if _, err := portal.UpdateDrift(ctx, it.ID, t0, func(d *catalog.DriftItem) error {
		d.Acknowledgement = &catalog.DriftAck{By: "pat", At: t0, Reason: "debug queue, deleted Monday"}
		return nil
	}, func(*sql.Tx, catalog.DriftItem) error { audited = true; return nil }); err != nil || !audited {
		t.Fatal(err, audited)
	}
	sync := func(cursor string) string {
		b, err := portal.Changes(ctx, cursor, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := replica.ApplyBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		return b.Cursor
	}
	cursor := sync("")
	got, err := replica.ListDrift(ctx, DriftQuery{}, t0)
	if err != nil || len(got) != 1 || got[0].State != catalog.DriftAcknowledged || got[0].Acknowledgement.Reason != "debug queue, deleted Monday" {
		t.Fatalf("replica: %+v %v", got, err)
	}
	rst, ok, err := replica.DriftStatus(ctx)
	if err != nil || !ok || len(rst.Places) != 1 || rst.Places[0].State != catalog.DriftPlaceUnknown {
		t.Fatalf("replica status: %+v %v %v", rst, ok, err)
	}
	// Resolved and past the retention on the portal: gone from the replica too.
	if _, err := portal.ReplaceDrift(ctx, DriftReplace{Now: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := portal.ReplaceDrift(ctx, DriftReplace{Now: t0.Add(DriftRetention + 2*time.Hour)}); err != nil {
		t.Fatal(err)
	}
	cursor = sync(cursor)
	if got, err := replica.ListDrift(ctx, DriftQuery{Resolved: true}, t0); err != nil || len(got) != 0 {
		t.Fatalf("replica after deletion: %+v %v", got, err)
	}
	// Drift switched off: everything goes, from the replica too.
	it2 := driftItem(catalog.DriftMissing, "q2", "us-east-1")
	if _, err := portal.ReplaceDrift(ctx, DriftReplace{Items: []catalog.DriftItem{it2}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	cursor = sync(cursor)
	if n, err := portal.ClearDrift(ctx); err != nil || n != 1 {
		t.Fatalf("clear: %d %v", n, err)
	}
	sync(cursor)
	if got, _ := replica.ListDrift(ctx, DriftQuery{Resolved: true}, t0); len(got) != 0 {
		t.Fatalf("replica after clear: %+v", got)
	}
	if _, ok, _ := replica.DriftStatus(ctx); ok {
		t.Fatal("replica keeps a status")
	}
	if err := portal.PutDriftStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	// A status that changed only its time does not advance the feed.
	before, _ := portal.Changes(ctx, "", 100, 0)
	st.CheckedAt = t0.Add(time.Minute)
	if err := portal.PutDriftStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	after, _ := portal.Changes(ctx, "", 100, 0)
	if before.Cursor != after.Cursor {
		t.Fatalf("the feed moved for a new check time: %s → %s", before.Cursor, after.Cursor)
	}
}

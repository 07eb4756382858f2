package fleet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/store"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func TestSigningKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", KeyFile)
	s, created, err := LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatal(created, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	again, created, err := LoadOrCreateKey(path)
	if err != nil || created || again.PublicKey() != s.PublicKey() {
		t.Fatalf("reload: created %v, same key %v, %v", created, again.PublicKey() == s.PublicKey(), err)
	}
	// A copy readable by others is tightened, not refused.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKey(path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode not tightened: %v", fi.Mode())
	}
	// A file that is no key is never replaced: every install pinned the key it held.
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKey(path); err == nil || !strings.Contains(err.Error(), "not a PEM private key") {
		t.Errorf("garbage key file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "not a key" {
		t.Error("the file was rewritten")
	}
}

func TestRegistryListsInstallsWithFilters(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	g := &Registry{DB: db.SQL(), Now: func() time.Time { return now }}
	g.Report(Report{ID: "ins_aaaaaaaaaaaa", User: "ana", Team: "payments", OS: "linux/amd64", AppVersion: "1.5.0", ConfigVersion: 2})
	g.Report(Report{ID: "ins_bbbbbbbbbbbb", User: "bo", Team: "growth", OS: "darwin/arm64", AppVersion: "1.3.0", ConfigVersion: 1,
		ConfigError: "version 2 refused (invalid): cannot apply\nversion 2", At: now.Add(-8 * 24 * time.Hour)})
	g.Report(Report{ID: "short", User: "mallory"})     // not an install id: ignored
	g.Report(Report{ID: "ins_cccccccccccc", User: ""}) // nobody: ignored
	doc := mustParse(t, `{"settings": {"min_app_version": "1.4.0"}, "teams": {"payments": {"min_app_version": "1.6.0"}}}`)
	list, err := g.List(ctx, InstallQuery{}, doc, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 || list.Counts["all"] != 2 || list.Counts[FilterStaleConfig] != 1 ||
		list.Counts[FilterBelowMinimum] != 2 || list.Counts[FilterUnseen] != 1 {
		t.Fatalf("list %+v", list)
	}
	ana, bo := list.Items[0], list.Items[1]
	if ana.ID != "ins_aaaaaaaaaaaa" || !ana.LatestConfig || ana.MinAppVersion != "1.6.0" || !ana.BelowMinimum || ana.Unseen {
		t.Errorf("ana %+v", ana)
	}
	if bo.LatestConfig || !bo.Unseen || bo.MinAppVersion != "1.4.0" || strings.Contains(bo.ConfigError, "\n") {
		t.Errorf("bo %+v", bo)
	}
	for filter, want := range map[string]string{FilterStaleConfig: "ins_bbbbbbbbbbbb", FilterUnseen: "ins_bbbbbbbbbbbb"} {
		l, err := g.List(ctx, InstallQuery{Filter: filter}, doc, 2)
		if err != nil || len(l.Items) != 1 || l.Items[0].ID != want {
			t.Errorf("%s: %+v %v", filter, l.Items, err)
		}
	}
	if l, _ := g.List(ctx, InstallQuery{Team: "growth"}, doc, 2); len(l.Items) != 1 || l.Items[0].User != "bo" {
		t.Errorf("team growth: %+v", l.Items)
	}
	// A later report updates the row; first_seen stays.
	now = now.Add(time.Minute)
	g.Report(Report{ID: "ins_bbbbbbbbbbbb", User: "bo", Team: "growth", AppVersion: "1.6.0", ConfigVersion: 2})
	l, _ := g.List(ctx, InstallQuery{Filter: FilterStaleConfig}, doc, 2)
	all, _ := g.List(ctx, InstallQuery{}, doc, 2)
	if len(l.Items) != 0 || all.Items[0].ID != "ins_bbbbbbbbbbbb" || all.Items[0].FirstSeen.Equal(all.Items[0].LastSeen) {
		t.Errorf("after the update: stale %+v, all %+v", l.Items, all.Items)
	}
}

func TestPreviewSaysWhoGetsWhat(t *testing.T) {
	cur := mustParse(t, `{"settings": {"banner": {"text": "old"}}}`)
	next := mustParse(t, `{"settings": {"banner": {"text": "old"}, "landing_page": "flags"},
		"teams": {"payments": {"banner": {"text": "payments"}}}}`)
	installs := []InstallRecord{{ID: "a", Team: "payments"}, {ID: "b", Team: "growth"}, {ID: "c"}}
	p := BuildPreview(next, cur, 4, installs)
	if p.Version != 5 || p.Installs != 3 || p.Changed != 3 || len(p.Groups) != 2 {
		t.Fatalf("preview %+v", p)
	}
	everyone, payments := p.Groups[0], p.Groups[1]
	if everyone.Team != "" || everyone.Installs != 2 || strings.Join(everyone.Changed, ",") != "landing_page" {
		t.Errorf("everyone %+v", everyone)
	}
	if payments.Installs != 1 || payments.InstallIDs[0] != "a" || payments.Settings.Banner.Text != "payments" ||
		strings.Join(payments.Changed, ",") != "banner,landing_page" {
		t.Errorf("payments %+v", payments)
	}
	if p := BuildPreview(cur, cur, 4, installs); p.Changed != 0 {
		t.Errorf("the same configuration changes %d installs", p.Changed)
	}
}

func TestUsageKeepsWhoWhenWhichPageForTheRetention(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	u := &Usage{DB: db.SQL(), Retention: 30, Now: func() time.Time { return now }}
	stored, dropped, err := u.Record(ctx, "Ana", []Event{
		{At: now.Add(-time.Hour), Kind: "page.view", Page: "service:payments-api", Client: "desktop", Count: 2},
		{At: now.Add(-time.Minute), Kind: "page.view", Page: "service:search-api", Client: "desktop", Count: 1},
		{At: now.AddDate(0, 0, -40), Kind: "page.view", Page: "flags", Client: "web", Count: 1}, // past the retention
		{At: now.Add(3 * time.Hour), Kind: "page.view", Page: "flags", Client: "web", Count: 1}, // a wrong clock
	})
	if err != nil || stored != 2 || dropped != 2 {
		t.Fatalf("stored %d dropped %d: %v", stored, dropped, err)
	}
	var user, page, feature string
	var count int
	if err := db.SQL().QueryRowContext(ctx, `SELECT user, page, feature, count FROM usage_events`).Scan(&user, &page,
		&feature, &count); err != nil {
		t.Fatal(err)
	}
	// Only the route: which service was looked at is not kept.
	if user != "ana" || page != "service" || feature != "catalog" || count != 3 {
		t.Errorf("stored %s %s %s %d", user, page, feature, count)
	}
	_, _, err = u.Record(ctx, "ana", []Event{{At: now, Kind: "Page View", Page: "x", Client: "phone", Count: 0}})
	if err == nil || !strings.Contains(err.Error(), "events/0/kind") || !strings.Contains(err.Error(), "events/0/client") ||
		!strings.Contains(err.Error(), "events/0/count") {
		t.Errorf("bad event: %v", err)
	}
	now = now.AddDate(0, 0, 31)
	if n, err := u.Prune(ctx); err != nil || n != 2 {
		t.Errorf("pruned %d: %v", n, err)
	}
}

func TestOutboxIsBoundedAndLosesNothingSentMeanwhile(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	day := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	o := &Outbox{DB: db.SQL(), Now: func() time.Time { return day }}
	for i := 0; i < 3; i++ {
		if err := o.Add(ctx, "page.view", "service:payments-api", "web", 1); err != nil {
			t.Fatal(err)
		}
	}
	p, err := o.Pending(ctx, 100)
	if err != nil || len(p.Events) != 1 || p.Events[0].Count != 3 || p.Events[0].Page != "service" {
		t.Fatalf("pending %+v %v", p.Events, err)
	}
	// Two more while the batch is on its way: they stay after it is sent.
	for i := 0; i < 2; i++ {
		if err := o.Add(ctx, "page.view", "service", "web", 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Sent(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p, _ := o.Pending(ctx, 100); len(p.Events) != 1 || p.Events[0].Count != 2 {
		t.Fatalf("after send %+v", p.Events)
	}
	// Months offline: one row per day and page; the oldest days go beyond the bound.
	for d := 0; d < OutboxLimit+10; d++ {
		day = day.AddDate(0, 0, 1)
		if err := o.Add(ctx, "page.view", "catalog", "desktop", 1); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := o.Len(ctx); n != OutboxLimit {
		t.Errorf("outbox holds %d rows", n)
	}
	if p, _ := o.Pending(ctx, 1); Day(p.Events[0].At) == "2025-03-01" {
		t.Error("the oldest day was kept over the newest")
	}
}

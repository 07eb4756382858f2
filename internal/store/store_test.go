package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/synthetic"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "atrium.db"))
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

func svc(name, owner, lang string) catalog.Service {
	return catalog.Service{Name: name, Description: "The " + name + " service", Owner: owner, Language: lang,
		Lifecycle: "production", Type: "service", Source: "test",
		Repository:   catalog.Repository{URL: "https://github.com/acme/" + name},
		Dependencies: []catalog.Dependency{{Ecosystem: "npm", Name: "react", Version: "17.0.2", Latest: "19.0.0"}},
		Findings:     problem.Problems{{Severity: problem.Warning, Summary: "x", Source: "t"}}}
}

func TestPutGetRoundTrip(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := openEngine(t, e)
		in := svc("payments-api", "payments", "Go")
		in.Tags = []string{"pci", "api"}
		in.Links = []catalog.Link{{Title: "Runbook", URL: "https://r"}}
		in.Deployments = []catalog.Deployment{{Cluster: "eu-1", Namespace: "pay", Kind: "Deployment", Name: "payments-api",
			Region: "eu-west-1", Environment: "production", Image: "r/p:1.2", Version: "1.2", Ready: 3, Desired: 3,
			UpdatedAt: time.UnixMilli(1700000000000).UTC(), RolloutAt: time.UnixMilli(1690000000000).UTC(),
			Autoscaler: &catalog.Autoscaler{Min: 2, Max: 6, Current: 3, Desired: 3}, Health: catalog.HealthHealthy},
			{Cluster: "eu-1", Namespace: "pay", Kind: "StatefulSet", Name: "payments-api", Region: "eu-west-1",
				Environment: "production", Image: "r/p@sha256:abc", Version: "sha256:abc", Health: catalog.HealthScaledToZero}}
		if n, err := db.PutServices(ctx, []catalog.Service{in}); err != nil || n != 1 {
			t.Fatalf("put: %d %v", n, err)
		}
		out, err := db.GetService(ctx, "payments-api")
		if err != nil {
			t.Fatal(err)
		}
		in.Normalize()
		in.SyncedAt = out.SyncedAt
		if docHash(in) != docHash(out) {
			t.Errorf("round trip differs:\n in %+v\nout %+v", in, out)
		}
		if out.SyncedAt.IsZero() {
			t.Error("synced_at not stamped")
		}
		if _, err := db.GetService(ctx, "nope"); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("missing service: %v", err)
		}
	})
}

func TestUnchangedWriteLeavesFeedQuiet(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := openEngine(t, e)
		svcs := []catalog.Service{svc("a", "t1", "Go"), svc("b", "t2", "Go")}
		if n, _ := db.ReplaceSource(ctx, "test", svcs); n != 2 {
			t.Fatalf("first write changed %d", n)
		}
		b1, _ := db.Changes(ctx, "", 100, 0)
		if n, _ := db.ReplaceSource(ctx, "test", []catalog.Service{svc("a", "t1", "Go"), svc("b", "t2", "Go")}); n != 0 {
			t.Fatalf("identical write changed %d", n)
		}
		b2, _ := db.Changes(ctx, b1.Cursor, 100, 0)
		if len(b2.Changes) != 0 {
			t.Fatalf("feed advanced without a change: %+v", b2.Changes)
		}
		// Drop b, change a: two entries, a tombstone for b.
		changed := svc("a", "t1", "Go")
		changed.Description = "new"
		if n, _ := db.ReplaceSource(ctx, "test", []catalog.Service{changed}); n != 2 {
			t.Fatalf("want 2 changes, got %d", n)
		}
		b3, _ := db.Changes(ctx, b1.Cursor, 100, 0)
		if len(b3.Changes) != 2 || b3.Changes[0].ID != "a" || b3.Changes[1].ID != "b" || !b3.Changes[1].Deleted {
			t.Fatalf("changes: %+v", b3.Changes)
		}
		if b3.Changes[0].Service.Description != "new" {
			t.Errorf("change carries the entity: %+v", b3.Changes[0].Service)
		}
	})
}

func TestFeedPagingAndReplicaApply(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		portal, replica := openEngine(t, e), openEngine(t, e)
		var svcs []catalog.Service
		for i := 0; i < 25; i++ {
			svcs = append(svcs, svc("svc-"+string(rune('a'+i)), "team", "Go"))
		}
		if _, err := portal.PutTeams(ctx, []catalog.Team{{Name: "team", DisplayName: "The Team"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := portal.ReplaceSource(ctx, "test", svcs); err != nil {
			t.Fatal(err)
		}
		if err := portal.PutSource(ctx, Source{Name: "test", SyncedAt: time.Now(), Status: "ok"}); err != nil {
			t.Fatal(err)
		}

		cursor, _ := replica.Meta(ctx, ReplicaCursorKey)
		applied := 0
		for i := 0; ; i++ {
			b, err := portal.Changes(ctx, cursor, 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 && !b.Reset {
				t.Error("first batch of a new replica must say reset")
			}
			if i == 0 && b.Remaining != 26-10 {
				t.Errorf("remaining after first batch = %d, want 16", b.Remaining)
			}
			if err := replica.ApplyBatch(ctx, b); err != nil {
				t.Fatal(err)
			}
			applied += len(b.Changes)
			cursor = b.Cursor
			if b.Remaining == 0 {
				break
			}
		}
		if applied != 26 {
			t.Errorf("applied %d, want 26", applied)
		}
		if got, _ := replica.Meta(ctx, ReplicaCursorKey); got != cursor {
			t.Errorf("cursor stored with the batch: %q vs %q", got, cursor)
		}
		page, _ := replica.ListServices(ctx, ServiceQuery{Q: "svc-c"})
		if page.Total != 1 || page.Items[0].Name != "svc-c" {
			t.Errorf("replica search: %+v", page)
		}
		rs, _ := replica.GetService(ctx, "svc-a")
		ps, _ := portal.GetService(ctx, "svc-a")
		if docHash(rs) != docHash(ps) || !rs.SyncedAt.Equal(ps.SyncedAt) {
			t.Errorf("replica copy differs from portal:\n%+v\n%+v", rs, ps)
		}
		// A second pull with nothing changed transfers no entities.
		b, _ := portal.Changes(ctx, cursor, 10, 0)
		if len(b.Changes) != 0 || b.Reset {
			t.Errorf("idle pull: %+v", b)
		}
		// A cursor from another portal means start over.
		b, _ = portal.Changes(ctx, "0000000000000000.5", 100, 0)
		if !b.Reset || len(b.Changes) != 26 {
			t.Errorf("foreign cursor: reset=%v n=%d", b.Reset, len(b.Changes))
		}
		if _, err := portal.Changes(ctx, "garbage", 10, 0); !errors.Is(err, ErrBadCursor) {
			t.Errorf("bad cursor: %v", err)
		}
	})
}

// waits is a DB.After that hands each wait to the test: the test so knows that a long poll found nothing and
// waits, and ends the wait when it chooses.
type waits chan chan time.Time

func (w waits) after(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	w <- c
	return c
}

func TestLongPollWakesOnChange(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := openEngine(t, e)
		w := make(waits)
		db.After = w.after
		type answer struct {
			b   Batch
			err error
		}
		poll := func(ctx context.Context, cursor string) <-chan answer {
			out := make(chan answer, 1)
			go func() {
				b, err := db.Changes(ctx, cursor, 10, 10*time.Second)
				out <- answer{b, err}
			}()
			return out
		}
		b, _ := db.Changes(ctx, "", 10, 0)

		// A change made while the poll waits wakes it.
		got := poll(ctx, b.Cursor)
		<-w
		if _, err := db.PutServices(ctx, []catalog.Service{svc("late", "t", "Go")}); err != nil {
			t.Fatal(err)
		}
		a := <-got
		if a.err != nil || len(a.b.Changes) != 1 || a.b.Changes[0].ID != "late" {
			t.Fatalf("long poll: %+v %v", a.b, a.err)
		}
		// The wait running out answers an empty batch, at the same cursor.
		got = poll(ctx, a.b.Cursor)
		(<-w) <- time.Now()
		if e := <-got; e.err != nil || len(e.b.Changes) != 0 || e.b.Cursor != a.b.Cursor {
			t.Fatalf("long poll that timed out: %+v %v", e.b, e.err)
		}
		// So does the caller giving up.
		cctx, cancel := context.WithCancel(ctx)
		got = poll(cctx, a.b.Cursor)
		<-w
		cancel()
		if e := <-got; e.err != nil || len(e.b.Changes) != 0 {
			t.Fatalf("cancelled long poll returns empty: %+v %v", e.b, e.err)
		}
	})
}

func TestSearchFilterSort(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := openEngine(t, e)
		a := svc("payments-api", "payments", "Go")
		a.Tags = []string{"pci"}
		b := svc("ledger", "payments", "Java")
		b.Description = "Double-entry bookkeeping for payments"
		c := svc("search-indexer", "search", "Go")
		c.Lifecycle = "experimental"
		if _, err := db.PutServices(ctx, []catalog.Service{a, b, c}); err != nil {
			t.Fatal(err)
		}

		names := func(q ServiceQuery) string {
			t.Helper()
			p, err := db.ListServices(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var n []string
			for _, r := range p.Items {
				n = append(n, r.Name)
			}
			return strings.Join(n, ",")
		}
		tests := []struct {
			q    ServiceQuery
			want string
		}{
			{ServiceQuery{}, "ledger,payments-api,search-indexer"},
			{ServiceQuery{Q: "pay"}, "payments-api,ledger"}, // name match ranks above description match
			{ServiceQuery{Q: "bookk"}, "ledger"},
			{ServiceQuery{Q: "pci"}, "payments-api"},
			{ServiceQuery{Q: "payments-api"}, "payments-api"},
			{ServiceQuery{Q: "index"}, "search-indexer"},
			{ServiceQuery{Q: `"); DROP TABLE services; --`}, ""},
			{ServiceQuery{Q: "*"}, ""},
			{ServiceQuery{Q: "s"}, "search-indexer,payments-api"}, // one letter: a prefix like any other ("The payments-api service")
			{ServiceQuery{Q: " L "}, "ledger"},                    // case and spaces ignored
			{ServiceQuery{Q: "p", Owners: []string{"search"}}, ""},
			{ServiceQuery{Owners: []string{"payments"}}, "ledger,payments-api"},
			{ServiceQuery{Languages: []string{"Go"}, Lifecycles: []string{"experimental"}}, "search-indexer"},
			{ServiceQuery{Sort: "language", Desc: true}, "ledger,search-indexer,payments-api"},
			{ServiceQuery{Limit: 1, Offset: 1}, "payments-api"},
		}
		for _, tt := range tests {
			if got := names(tt.q); got != tt.want {
				t.Errorf("%+v: got %q, want %q", tt.q, got, tt.want)
			}
		}
		p, _ := db.ListServices(ctx, ServiceQuery{Q: "payments"})
		if p.Items[0].Outdated != 1 || p.Items[0].Findings != 1 {
			t.Errorf("row counts: %+v", p.Items[0])
		}
		f, _ := db.Facets(ctx)
		if len(f.Owners) != 2 || f.Owners[0].Value != "payments" || f.Owners[0].Count != 2 {
			t.Errorf("facets: %+v", f)
		}
	})
}

func TestUpgradeFromSchemaV1(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		open := target(t, e)
		old, err := open(1)
		if err != nil {
			t.Fatal(err)
		}
		// Written as Atrium with schema 1 wrote it: plain rows, no search index, no feed.
		if _, err := old.SQL().ExecContext(ctx, `INSERT INTO teams(name, display_name) VALUES ('payments', 'Payments');
		INSERT INTO services(name, description, owner, lifecycle, type, language, tags, source, synced_at, doc_hash)
		VALUES ('legacy-billing', 'Invoices from the old world', 'payments', 'deprecated', 'service', 'Java',
		'["billing"]', 'demo', 1700000000000, 'x');`); err != nil {
			t.Fatal(err)
		}
		if err := old.Close(); err != nil {
			t.Fatal(err)
		}

		db, err := open(LatestVersion())
		if err != nil {
			t.Fatalf("upgrade: %v", err)
		}
		defer func() {
			if err := db.Close(); err != nil {
				t.Error(err)
			}
		}()
		if v, _ := db.SchemaVersion(ctx); v != LatestVersion() {
			t.Errorf("schema version %d, want %d", v, LatestVersion())
		}
		p, err := db.ListServices(ctx, ServiceQuery{Q: "invoic"})
		if err != nil || p.Total != 1 || p.Items[0].Name != "legacy-billing" {
			t.Errorf("old rows are searchable after upgrade: %+v %v", p, err)
		}
		b, _ := db.Changes(ctx, "", 100, 0)
		if len(b.Changes) != 2 {
			t.Errorf("old rows are in the feed after upgrade: %+v", b.Changes)
		}
		// A service written after the upgrade gets an id after the old one's (the identity / rowid carries on).
		if _, err := db.PutServices(ctx, []catalog.Service{svc("new-billing", "payments", "Go")}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUnusableFiles(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.db")
	if err := os.WriteFile(notDB, []byte("this is a shopping list, not a database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(notDB)
	if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), notDB) || !strings.Contains(err.Error(), "mv ") {
		t.Errorf("not-a-database error must name the file and the remedy: %v", err)
	}
	if b, _ := os.ReadFile(notDB); !strings.HasPrefix(string(b), "this is a shopping list") {
		t.Error("the file was modified")
	}

	// A real database with its pages overwritten.
	corrupt := filepath.Join(dir, "corrupt.db")
	db, err := Open(corrupt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutServices(context.Background(), []catalog.Service{svc("a", "t", "Go")}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(corrupt)
	for i := 100; i < len(b); i++ {
		b[i] = 0xA5
	}
	if err := os.WriteFile(corrupt, b, 0o600); err != nil {
		t.Fatal(err)
	}
	before := append([]byte(nil), b...)
	if _, err = Open(corrupt); !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), corrupt) {
		t.Errorf("corrupt database: %v", err)
	}
	if after, _ := os.ReadFile(corrupt); string(after) != string(before) {
		t.Error("corrupt file was rewritten")
	}

	if os.Geteuid() != 0 { // root reads anything
		locked := filepath.Join(dir, "locked.db")
		if err := os.WriteFile(locked, nil, 0o000); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(locked); !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), "permission") {
			t.Errorf("unreadable: %v", err)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		open := target(t, e)
		db, err := open(LatestVersion())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec(`INSERT INTO schema_migrations(version, name) VALUES (999, 'future')`); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := open(LatestVersion()); !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), "newer Atrium") {
			t.Errorf("newer schema: %v", err)
		}
	})
}

// TestReopenWithNumberingGap: migration numbers may have gaps while features land from separate branches; a
// database at the newest version must reopen, and each migration must have been applied exactly once.
func TestReopenWithNumberingGap(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		open := target(t, e)
		for i := 0; i < 2; i++ {
			db, err := open(LatestVersion())
			if err != nil {
				t.Fatalf("open %d: %v", i, err)
			}
			var n int
			if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(Migrations()) {
				t.Errorf("open %d: %d migrations recorded, want %d (%v)", i, n, len(Migrations()), err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestServiceNames(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := openEngine(t, e)
		if _, err := db.PutServices(ctx, []catalog.Service{svc("payments-api", "payments", "Go"), svc("payments-ledger", "payments", "Go"),
			svc("pay", "payments", "Go"), svc("search-indexer", "search", "Go")}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			prefix string
			limit  int
			want   string
		}{
			{"", 10, "pay,payments-api,payments-ledger,search-indexer"},
			{"pay", 10, "pay,payments-api,payments-ledger"},
			{"payments-", 10, "payments-api,payments-ledger"},
			{"payments-", 1, "payments-api"},
			{"ledger", 10, ""}, // a prefix of the name, not of a word in it
			{"%", 10, ""},
			{"PAY", 10, ""},
		} {
			t.Run(tc.prefix, func(t *testing.T) {
				got, err := db.ServiceNames(ctx, tc.prefix, tc.limit)
				if err != nil || strings.Join(got, ",") != tc.want {
					t.Errorf("ServiceNames(%q, %d) = %v, %v; want %s", tc.prefix, tc.limit, got, err, tc.want)
				}
			})
		}
	})
}

// TestProvenanceOutlivesCollectors: a service registered with the template and action that created it keeps both
// when a collector (which knows neither) rewrites it; an unchanged rewrite touches nothing.
func TestProvenanceOutlivesCollectors(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := openEngine(t, e)
		svc := catalog.Service{Name: "orders", Owner: "payments", Lifecycle: "experimental", Type: "service",
			Language: "Go", Source: "template:go-http-service", Template: "go-http-service@1", CreatedByAction: "act_1"}
		if _, err := db.PutServices(ctx, []catalog.Service{svc}); err != nil {
			t.Fatal(err)
		}
		collected := svc
		collected.Template, collected.CreatedByAction, collected.Source = "", "", "github:sphera"
		collected.Description = "from atrium.yaml"
		if n, err := db.ReplaceSource(ctx, "github:sphera", []catalog.Service{collected}); err != nil || n != 1 {
			t.Fatalf("rewrite: %d %v", n, err)
		}
		got, err := db.GetService(ctx, "orders")
		if err != nil || got.Template != "go-http-service@1" || got.CreatedByAction != "act_1" ||
			got.Description != "from atrium.yaml" || got.Source != "github:sphera" {
			t.Fatalf("%+v %v", got, err)
		}
		if n, err := db.ReplaceSource(ctx, "github:sphera", []catalog.Service{collected}); err != nil || n != 0 {
			t.Errorf("unchanged rewrite changed %d: %v", n, err)
		}
		// A descriptor that names its template (atrium.yaml template:) still knows nothing of the action.
		collected.Template = "go-http-service@2"
		if _, err := db.ReplaceSource(ctx, "github:sphera", []catalog.Service{collected}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.GetService(ctx, "orders"); got.Template != "go-http-service@2" || got.CreatedByAction != "act_1" {
			t.Errorf("after a descriptor with its template: %+v", got)
		}
	})
}

// TestLongPollCoalescesABurst: a long poll woken by a change lingers Coalesce before it reads, so that the changes
// of a burst go out in one answer — and so does every poll woken with it, from one read.
func TestLongPollCoalescesABurst(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := openEngine(t, e)
		w := make(waits)
		db.After = w.after
		db.Coalesce = time.Second // any: the test's clock decides when it ends
		b, _ := db.Changes(ctx, "", 10, 0)
		type answer struct {
			js  []byte
			err error
		}
		polls := make([]chan answer, 3)
		for i := range polls {
			polls[i] = make(chan answer, 1)
			go func() {
				js, err := db.ChangesJSON(ctx, b.Cursor, 10, time.Minute, "")
				polls[i] <- answer{js, err}
			}()
			<-w // this poll found nothing and waits
		}
		if _, err := db.PutServices(ctx, []catalog.Service{svc("first", "t", "Go")}); err != nil {
			t.Fatal(err)
		}
		lingering := make([]chan time.Time, len(polls))
		for i := range polls {
			lingering[i] = <-w // woken, each lingers
		}
		if _, err := db.PutServices(ctx, []catalog.Service{svc("second", "t", "Go")}); err != nil {
			t.Fatal(err)
		}
		for _, l := range lingering {
			l <- time.Now()
		}
		for i, p := range polls {
			a := <-p
			var got Batch
			if a.err != nil || json.Unmarshal(a.js, &got) != nil || len(got.Changes) != 2 ||
				got.Changes[0].ID != "first" || got.Changes[1].ID != "second" {
				t.Errorf("poll %d: %s %v", i, a.js, a.err)
			}
		}
	})
}

// TestRepeatedListEntriesKeepTheLast: a document listing a dependency or a workload twice is stored with the last
// entry of each, as it always was (the rows are written many per statement, and one statement writes a row once).
func TestRepeatedListEntriesKeepTheLast(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := openEngine(t, e)
		s := svc("twice", "t", "Go")
		s.Dependencies = []catalog.Dependency{{Ecosystem: "npm", Name: "react", Version: "17.0.0"},
			{Ecosystem: "go", Name: "x", Version: "1"}, {Ecosystem: "npm", Name: "react", Version: "18.2.0"}}
		s.Deployments = []catalog.Deployment{{Cluster: "c", Namespace: "n", Kind: "Deployment", Name: "twice", Image: "a"},
			{Cluster: "c", Namespace: "n", Kind: "Deployment", Name: "twice", Image: "b"}}
		many := make([]catalog.Dependency, 4000) // more than one statement's worth of values
		for i := range many {
			many[i] = catalog.Dependency{Ecosystem: "npm", Name: fmt.Sprintf("pkg-%04d", i), Version: "1.0.0"}
		}
		s.Dependencies = append(s.Dependencies, many...)
		if _, err := db.PutServices(ctx, []catalog.Service{s}); err != nil {
			t.Fatal(err)
		}
		got, err := db.GetService(ctx, "twice")
		if err != nil {
			t.Fatal(err)
		}
		react := ""
		for _, d := range got.Dependencies {
			if d.Name == "react" {
				react += d.Version + " "
			}
		}
		if len(got.Dependencies) != 4002 || react != "18.2.0 " || len(got.Deployments) != 1 || got.Deployments[0].Image != "b" {
			t.Errorf("%d dependencies (react %q), deployments %+v", len(got.Dependencies), react, got.Deployments)
		}
	})
}

// The words' inverted index and a scan of the rows (what searches do while the index is rebuilt after a change)
// find the same services.
func TestSearchPostingsAgreeWithScan(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	_, svcs, _ := synthetic.Catalog(1500, 2, 30, 3)
	extra := svc("payments-api", "payments", "Go")
	extra.Title = "Café payments-api v1.2"
	if _, err := db.PutServices(ctx, append(svcs, extra)); err != nil {
		t.Fatal(err)
	}
	first, err := db.search.current(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if first.post.Load() == nil {
		t.Fatal("a full load builds the words' index")
	}
	// Services changed in place: the words' index is patched, not rebuilt.
	extra.Title = "Crème brûlée payments-api v2"
	moved := svcs[7]
	moved.Description = "quince zebra payments-api"
	if _, err := db.PutServices(ctx, []catalog.Service{extra, moved}); err != nil {
		t.Fatal(err)
	}
	indexed, err := db.search.current(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if indexed == first || indexed.post.Load() == nil {
		t.Fatal("services changed in place: the words' index is patched")
	}
	scanned := &indexSnapshot{seq: indexed.seq, sources: indexed.sources, synced: indexed.synced, rows: indexed.rows}
	var queries []string
	for _, w := range []string{"payments api", "payments-api", "cafe pay", "creme brulee", "quince", "zebra", "v1.2", "v2",
		"ledger", "fraud sc", "team-1", "zzz", "stream"} {
		for i := 1; i <= len(w); i++ {
			queries = append(queries, w[:i])
		}
	}
	for _, q := range queries {
		for _, sq := range []ServiceQuery{{Q: q, Limit: 2000}, {Q: q, Sort: "owner", Desc: true, Limit: 2000}} {
			a, errA := indexed.query(sq)
			b, errB := scanned.query(sq)
			if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
				t.Errorf("%+v: postings %d %v, scan %d %v", sq, a.Total, errA, b.Total, errB)
			}
			if q == "cafe" && a.Total != 0 || q == "quince" && a.Total != 1 {
				t.Errorf("%q after the change: %d services", q, a.Total)
			}
		}
	}
}

package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/synthetic"
)

func openDB(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path)
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

func demoDB(t *testing.T) *store.DB {
	t.Helper()
	db := openDB(t, filepath.Join(t.TempDir(), "atrium.db"))
	if _, err := demo.Seed(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// matches is every service q finds, in order.
func matches(t *testing.T, list func(context.Context, store.ServiceQuery) (store.ServicePage, error), q store.ServiceQuery) []string {
	t.Helper()
	q.Limit = 1000
	p, err := list(context.Background(), q)
	if err != nil {
		t.Fatalf("%+v: %v", q, err)
	}
	if p.Total != len(p.Items) {
		t.Fatalf("%+v: total %d, %d items", q, p.Total, len(p.Items))
	}
	names := make([]string, len(p.Items))
	for i, r := range p.Items {
		names[i] = r.Name
	}
	return names
}

// Typing a longer query narrows the results, never the other way round: what "pa" finds, "p" found too. (Before,
// a one-letter query matched names only: "p" found 5 demo services and "pa" 18.)
func TestSearchNeverShrinksAsTheQueryGrows(t *testing.T) {
	db := demoDB(t)
	words := []string{"payments api", "search-indexer", "ledger", "team-payments", "go service", "fraud sc",
		"notification", "web", "identity", "k8s", "v1.2"}
	_, svcs, err := demo.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs {
		words = append(words, s.Name)
	}
	for name, list := range map[string]func(context.Context, store.ServiceQuery) (store.ServicePage, error){
		"index": db.ListServices, "fts": db.SearchFTS,
	} {
		for _, w := range words {
			prev := matches(t, list, store.ServiceQuery{Q: w[:1]})
			for i := 2; i <= len(w); i++ {
				got := matches(t, list, store.ServiceQuery{Q: w[:i]})
				for _, n := range got {
					if !slices.Contains(prev, n) {
						t.Errorf("%s: %q finds %s, which the shorter %q (%d results) did not", name, w[:i], n, w[:i-1], len(prev))
					}
				}
				prev = got
			}
		}
	}
	if p, pa := matches(t, db.ListServices, store.ServiceQuery{Q: "p"}), matches(t, db.ListServices, store.ServiceQuery{Q: "pa"}); len(p) < len(pa) {
		t.Errorf(`"p" finds %d services, "pa" %d`, len(p), len(pa))
	}
}

// agree checks that the index answers every query exactly as the FTS5 reference: the same rows, fields, order and
// total.
func agree(t *testing.T, db *store.DB, queries []store.ServiceQuery) {
	t.Helper()
	ctx := context.Background()
	for _, q := range queries {
		want, err := db.SearchFTS(ctx, q)
		if err != nil {
			t.Fatalf("fts %+v: %v", q, err)
		}
		got, err := db.ListServices(ctx, q)
		if err != nil {
			t.Fatalf("index %+v: %v", q, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%+v:\n index %d %v\n fts   %d %v", q, got.Total, names(got), want.Total, names(want))
		}
	}
}

func names(p store.ServicePage) []string {
	out := make([]string, len(p.Items))
	for i, r := range p.Items {
		out[i] = r.Name
	}
	return out
}

// keystrokes are the queries typing each of words makes.
func keystrokes(words ...string) []string {
	var out []string
	for _, w := range words {
		for i := 1; i <= len(w); i++ {
			out = append(out, w[:i])
		}
	}
	return out
}

func TestSearchIndexAgreesWithFTS(t *testing.T) {
	t.Run("demo", func(t *testing.T) {
		db := demoDB(t)
		var qs []store.ServiceQuery
		for _, text := range append(keystrokes("payments api", "search-indexer", "team-search", "go-service-kit", "k8s",
			"pci", "ledger"), "", "  ", "*", `"); DROP TABLE services; --`, "pay-", "-pay", "a.b", "payments  api") {
			qs = append(qs, store.ServiceQuery{Q: text})
		}
		for sort := range store.SortColumns {
			for _, desc := range []bool{false, true} {
				qs = append(qs, store.ServiceQuery{Sort: sort, Desc: desc}, store.ServiceQuery{Q: "pay", Sort: sort, Desc: desc},
					store.ServiceQuery{Sort: sort, Desc: desc, Limit: 7, Offset: 20})
			}
		}
		qs = append(qs,
			store.ServiceQuery{Owners: []string{"payments", "search"}},
			store.ServiceQuery{Systems: []string{"payments-platform"}, Q: "pay"},
			store.ServiceQuery{Q: "s", Languages: []string{"Go"}, Lifecycles: []string{"production"}},
			store.ServiceQuery{Signals: []string{"findings"}},
			store.ServiceQuery{Signals: []string{"outdated", "degraded"}, Sort: "signals", Desc: true},
			store.ServiceQuery{Signals: []string{"degraded"}},
			store.ServiceQuery{Q: "a", Limit: 5, Offset: 3},
			store.ServiceQuery{Q: "a", Offset: 1000},
		)
		agree(t, db, qs)
	})
	t.Run("synthetic 2,000", func(t *testing.T) {
		db := openDB(t, filepath.Join(t.TempDir(), "atrium.db"))
		_, svcs, _ := synthetic.Catalog(2000, 3, 40, 7)
		if _, err := db.PutServices(context.Background(), svcs); err != nil {
			t.Fatal(err)
		}
		var qs []store.ServiceQuery
		for _, text := range keystrokes("payments api", "ledger", "fraud sc", "team-17", "stream", "customer prof", "zzz", "invoice worker") {
			qs = append(qs, store.ServiceQuery{Q: text, Limit: 50}, store.ServiceQuery{Q: text, Sort: "synced_at", Desc: true, Limit: 50})
		}
		agree(t, db, qs)
	})
	t.Run("letters beyond ASCII", func(t *testing.T) {
		ctx := context.Background()
		db := openDB(t, filepath.Join(t.TempDir(), "atrium.db"))
		titles := []string{"Café Crème", "Łódź router", "Ærø ferry", "naïve Bayes", "Straße", "ﬁle server", "Ωmega",
			"Cafe\u0301 decomposed", "Øresund", "ĐÀO", "Ħamrun", "Ŧest", "smörgåsbord", "ÉCOLE", "İstanbul", "Ǆungla",
			"日本語 サービス", "emoji 🚀 launch", "x²", "tab\tseparated", "under_score", "dot.separated"}
		var svcs []catalog.Service
		for i, title := range titles {
			svcs = append(svcs, catalog.Service{Name: fmt.Sprintf("svc-%02d", i), Title: title, Owner: "t", Language: "Go",
				Lifecycle: "production", Type: "service", Source: "test"})
		}
		if _, err := db.PutServices(ctx, svcs); err != nil {
			t.Fatal(err)
		}
		var qs []store.ServiceQuery
		for _, text := range []string{"cafe", "café", "CAFÉ", "creme", "lodz", "łódź", "LODZ", "aero", "ærø", "ae", "naive",
			"naïve", "strasse", "straße", "stra", "file", "ﬁle", "fi", "ωmega", "Ω", "ω", "oresund", "øresund", "dao", "đào",
			"hamrun", "ħ", "test", "smorgasbord", "ecole", "école", "istanbul", "i̇stanbul", "ǆ", "dzungla", "日本", "日本語",
			"サービス", "🚀", "launch", "x2", "x²", "x", "tab", "separated", "under", "under_s", "dot.sep", "decomposed"} {
			qs = append(qs, store.ServiceQuery{Q: text})
		}
		agree(t, db, qs)
	})
}

// The index follows every write: of this handle, of another handle on the same file (another process), a replica
// starting over, a source's sync time.
func TestSearchIndexFollowsWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "atrium.db")
	db := openDB(t, path)
	other := openDB(t, path)
	svc := func(name, title string) catalog.Service {
		return catalog.Service{Name: name, Title: title, Owner: "t", Language: "Go", Lifecycle: "production",
			Type: "service", Source: "test"}
	}
	find := func(q string) string {
		t.Helper()
		return strings.Join(matches(t, db.ListServices, store.ServiceQuery{Q: q}), ",")
	}
	if _, err := db.PutServices(ctx, []catalog.Service{svc("alpha", "The first"), svc("beta", "The second")}); err != nil {
		t.Fatal(err)
	}
	if got := find("first"); got != "alpha" {
		t.Fatalf("first: %q", got)
	}
	if _, err := db.PutServices(ctx, []catalog.Service{svc("alpha", "Renamed")}); err != nil {
		t.Fatal(err)
	}
	if got := find("first") + "|" + find("renamed"); got != "|alpha" {
		t.Errorf("after a title change: %q", got)
	}
	withFinding := svc("beta", "The second")
	withFinding.Findings = problem.Problems{{Severity: problem.Warning, Summary: "x", Source: "t"}}
	withFinding.Deployments = []catalog.Deployment{{Cluster: "c", Namespace: "n", Kind: "Deployment", Name: "beta",
		Health: catalog.HealthDegraded}}
	if _, err := other.PutServices(ctx, []catalog.Service{withFinding, svc("gamma", "Third, from another process")}); err != nil {
		t.Fatal(err)
	}
	if got := find("third"); got != "gamma" {
		t.Errorf("a service another handle wrote: %q", got)
	}
	p, err := db.ListServices(ctx, store.ServiceQuery{Q: "beta"})
	if err != nil || len(p.Items) != 1 || p.Items[0].Findings != 1 || p.Items[0].Degraded != 1 {
		t.Errorf("beta's signals after another handle's write: %+v %v", p.Items, err)
	}
	if err := other.DeleteService(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	if got := find("renamed"); got != "" {
		t.Errorf("a deleted service is still found: %q", got)
	}
	// A source's sync time is the catalog's "last synced" once later than the service's own.
	later := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	if err := other.PutSource(ctx, store.Source{Name: "test", SyncedAt: later, Status: "ok"}); err != nil {
		t.Fatal(err)
	}
	if p, err := db.ListServices(ctx, store.ServiceQuery{Q: "gamma"}); err != nil || !p.Items[0].SyncedAt.Equal(later) {
		t.Errorf("synced_at after the source synced: %+v %v", p.Items, err)
	}
	// A replica starting over drops what the new batch does not hold, without feed entries for it.
	g := svc("gamma", "Third, from another process")
	if err := other.ApplyBatch(ctx, store.Batch{Reset: true, Cursor: "e.1", Changes: []store.Change{{Kind: store.KindService, ID: "gamma", Service: &g}}}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(matches(t, db.ListServices, store.ServiceQuery{}), ","); got != "gamma" {
		t.Errorf("after a replica's reset: %q", got)
	}
}

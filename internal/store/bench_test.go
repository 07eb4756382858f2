package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store/pgtest"
	"github.com/sphera/atrium/internal/synthetic"
)

// The desktop-replica benchmarks run on a synthetic catalog of 10,000 services and 200,000 dependency rows,
// written through the replica's own path (ApplyBatch of a change-feed batch). See bench/RESULTS.md.

const (
	benchServices = 10000
	benchDepsPer  = 20
)

var (
	benchOnce sync.Once
	benchDB   *DB
	benchDir  string
	benchErr  error
)

func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	if benchDB != nil {
		if err := errors.Join(benchDB.Close(), os.RemoveAll(benchDir)); err != nil {
			fmt.Fprintln(os.Stderr, "clean up the benchmark catalog:", err) // the tests' outcome stands
		}
	}
	closeKubeBench()
	os.Exit(code)
}

func replicaForBench(b *testing.B) *DB {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "atrium-bench-")
		if benchErr != nil {
			return
		}
		benchDB, benchErr = Open(filepath.Join(benchDir, "replica.db"))
		if benchErr != nil {
			return
		}
		_, svcs, _ := synthetic.Catalog(benchServices, benchDepsPer, 120, 1)
		ctx := context.Background()
		for i := 0; i < len(svcs) && benchErr == nil; i += 500 {
			batch := Batch{Reset: i == 0, Cursor: "synthetic." + string(rune('0'+i%10))}
			for j := i; j < min(i+500, len(svcs)); j++ {
				batch.Changes = append(batch.Changes, Change{Kind: KindService, ID: svcs[j].Name, Service: &svcs[j]})
			}
			benchErr = benchDB.ApplyBatch(ctx, batch)
		}
		if benchErr == nil {
			_, benchErr = benchDB.SQL().Exec(`PRAGMA optimize; ANALYZE`)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDB
}

// searchQueries is what a user types, keystroke by keystroke, plus whole-word searches.
var searchQueries = []string{"p", "pa", "pay", "paym", "payme", "payment", "payments", "payments api",
	"l", "le", "led", "ledger", "fraud sc", "team-17", "stream", "customer prof", "zzz", "invoice worker"}

// reportLatency runs fn over queries b.N times and reports p50/p99 in milliseconds.
func reportLatency(b *testing.B, queries []string, fn func(q string) error) {
	b.Helper()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := queries[i%len(queries)]
		t0 := time.Now()
		if err := fn(q); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

// BenchmarkSearch is the search box: the first page of 50 and the total count, from the in-memory index
// (ListServices), with its check that the database has not changed.
func BenchmarkSearch(b *testing.B) {
	db := replicaForBench(b)
	ctx := context.Background()
	warmIndex(b, db)
	reportLatency(b, searchQueries, func(q string) error {
		_, err := db.ListServices(ctx, ServiceQuery{Q: q, Limit: 50})
		return err
	})
}

// BenchmarkSearchFTSBaseline is the same search with SQL over the FTS5 table (searchFTS, what ListServices did
// before the index), one-letter queries included.
func BenchmarkSearchFTSBaseline(b *testing.B) {
	db := replicaForBench(b)
	ctx := context.Background()
	reportLatency(b, searchQueries, func(q string) error {
		_, err := db.searchFTS(ctx, ServiceQuery{Q: q, Limit: 50})
		return err
	})
}

// BenchmarkSearchAfterChange is a search right after one service changed: the index reads that service again.
func BenchmarkSearchAfterChange(b *testing.B) {
	db := replicaForBench(b)
	ctx := context.Background()
	warmIndex(b, db)
	_, svcs, _ := synthetic.Catalog(benchServices, benchDepsPer, 120, 1)
	i := 0
	reportLatency(b, searchQueries, func(q string) error {
		b.StopTimer()
		s := svcs[i%len(svcs)]
		s.Title = fmt.Sprintf("changed %d", i)
		i++
		if _, err := db.PutServices(ctx, []catalog.Service{s}); err != nil {
			return err
		}
		b.StartTimer()
		_, err := db.ListServices(ctx, ServiceQuery{Q: q, Limit: 50})
		return err
	})
}

// BenchmarkSearchIndexBuild reads the whole catalog into a new index: a process's first search.
func BenchmarkSearchIndexBuild(b *testing.B) {
	db := replicaForBench(b)
	ctx := context.Background()
	reportLatency(b, []string{""}, func(string) error {
		var ix searchIndex
		_, err := ix.current(ctx, db)
		return err
	})
}

// BenchmarkSearchLikeBaseline is the same search done the naive way (LIKE over the same columns), the baseline
// the FTS5 index is measured against.
func BenchmarkSearchLikeBaseline(b *testing.B) {
	db := replicaForBench(b)
	ctx := context.Background()
	reportLatency(b, searchQueries, func(q string) error {
		like := "%" + q + "%"
		var n int
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM services WHERE name LIKE ?1 OR title LIKE ?1
			OR description LIKE ?1 OR owner LIKE ?1 OR tags LIKE ?1`, like).Scan(&n); err != nil {
			return err
		}
		rows, err := db.SQL().QueryContext(ctx, `SELECT name, title, description, owner, language, lifecycle
			FROM services WHERE name LIKE ?1 OR title LIKE ?1 OR description LIKE ?1 OR owner LIKE ?1 OR tags LIKE ?1
			ORDER BY name LIMIT 50`, like)
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return rows.Close()
	})
}

// BenchmarkFirstPage is opening the catalog table: the first 50 rows in the default order, in the order of each
// sortable column, and filtered by a team.
func BenchmarkFirstPage(b *testing.B) {
	db := replicaForBench(b)
	warmIndex(b, db)
	benchFirstPage(b, db.ListServices)
}

// warmIndex builds the index (BenchmarkSearchIndexBuild measures that) and the sort orders before timing.
func warmIndex(b *testing.B, db *DB) {
	b.Helper()
	for col := range SortColumns {
		if _, err := db.ListServices(context.Background(), ServiceQuery{Sort: col, Limit: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFirstPageFTSBaseline is the same with SQL (searchFTS).
func BenchmarkFirstPageFTSBaseline(b *testing.B) {
	benchFirstPage(b, replicaForBench(b).searchFTS)
}

func benchFirstPage(b *testing.B, list func(context.Context, ServiceQuery) (ServicePage, error)) {
	ctx := context.Background()
	owners := []string{"payments-team-0"}
	queries := []ServiceQuery{
		{Limit: 50},
		{Limit: 50, Sort: "synced_at", Desc: true},
		{Limit: 50, Sort: "owner"},
		{Limit: 50, Sort: "language"},
		{Limit: 50, Owners: owners},
	}
	i := 0
	reportLatency(b, []string{""}, func(string) error {
		_, err := list(ctx, queries[i%len(queries)])
		i++
		return err
	})
}

// BenchmarkFullListBaseline reads the whole table at once — what a UI without paging would ask for.
func BenchmarkFullListBaseline(b *testing.B) {
	db := replicaForBench(b)
	ctx := context.Background()
	reportLatency(b, []string{""}, func(string) error {
		_, err := db.ListServices(ctx, ServiceQuery{Limit: benchServices})
		return err
	})
}

// BenchmarkOpenQuickCheck is the integrity check Open runs before serving, on the benchmark replica (10,000
// services, 200,000 dependency rows), with the file's size reported; and Open as a whole on the same file.
func BenchmarkOpenQuickCheck(b *testing.B) {
	db := replicaForBench(b)
	if _, err := db.SQL().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(db.Path())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("quick_check", func(b *testing.B) {
		for b.Loop() {
			if err := db.quickCheck(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
	})
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			d, err := Open(db.Path())
			if err != nil {
				b.Fatal(err)
			}
			if err := d.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
	})
}

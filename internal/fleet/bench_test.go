package fleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/store"
)

// The KPI over one year of usage by 5,000 developers (bench/RESULTS.md, issue 14). The data is generated once per
// schema version into a file under the temporary directory (about a minute) and reused by later runs.

const (
	benchDevelopers = 5000
	benchDays       = 365
)

var benchToday = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// kpiBenchDB opens the benchmark's database: 5,000 developers in 50 teams (plus 20 aliases), and for each day of a
// year the developers active that day (each developer has a propensity: a fifth never use Atrium, the others on 20
// to 90 days in 100) with two to five pages of usage each.
func kpiBenchDB(b *testing.B) *store.DB {
	b.Helper()
	benchOnce.Do(func() {
		benchPath = filepath.Join(os.TempDir(), fmt.Sprintf("atrium-kpi-bench-v%d-%d-%d.db", store.LatestVersion(),
			benchDevelopers, benchDays))
		if _, err := os.Stat(benchPath); err == nil {
			return
		}
		benchErr = generateKPIData(benchPath + ".tmp")
		if benchErr == nil {
			benchErr = os.Rename(benchPath+".tmp", benchPath)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	db, err := store.Open(benchPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := db.Close(); err != nil {
			b.Error(err)
		}
	})
	return db
}

func generateKPIData(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	db, err := store.Open(path)
	if err != nil {
		return err
	}
	ctx := context.Background()
	start := time.Now()
	today := Day(benchToday)
	stmts := []string{
		`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
		 INSERT INTO developers(source, login, added_at, removed_at) SELECT 'github:bench', printf('dev-%04d', i), 0, 0 FROM n`,
		`INSERT INTO developer_teams(source, login, team) SELECT source, login, printf('team-%02d', CAST(substr(login, 5) AS INTEGER) % 50)
		 FROM developers`,
		`INSERT INTO developer_aliases(source, login, alias) SELECT source, login, login || '@example.com' FROM developers
		 WHERE CAST(substr(login, 5) AS INTEGER) % 250 = 0`,
		// Who was active on which day: developer i on day d when a hash of (i, d) falls under i's propensity.
		`WITH RECURSIVE d(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM d WHERE k + 1 < ?2),
		      n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1),
		      p(i, prop) AS (SELECT i, CASE WHEN i % 5 = 0 THEN 0 ELSE 20 + (i * 37) % 71 END FROM n)
		 INSERT INTO usage_active(day, user) SELECT date(?3, '-' || d.k || ' days'), printf('dev-%04d', p.i) FROM d, p
		 WHERE (p.i * 7919 + d.k * 104729 + (p.i * d.k) % 977) % 100 < p.prop ORDER BY 1, 2`,
		// Two to five pages of each active day, counted.
		`WITH f(j, feature, kind, page) AS (VALUES (0, 'catalog', 'page.view', 'catalog'), (1, 'catalog', 'page.view', 'service'),
		      (2, 'flags', 'page.view', 'flags'), (3, 'self-service', 'page.view', 'requests'), (4, 'scorecards', 'page.view', 'scorecards'))
		 INSERT INTO usage_events(day, user, feature, kind, page, client, count, first_at, last_at)
		 SELECT a.day, a.user, f.feature, f.kind, f.page, 'desktop', 1 + (length(a.user) + f.j) % 7,
		        unixepoch(a.day) * 1000 + 32400000, unixepoch(a.day) * 1000 + 61200000
		 FROM usage_active a, f WHERE f.j < 2 OR (unicode(substr(a.user, -1)) + CAST(substr(a.day, 9) AS INTEGER) + f.j) % 3 = 0
		 ORDER BY 1, 2, 3, 4, 5`,
		`ANALYZE`,
	}
	for _, q := range stmts {
		if _, err := db.SQL().ExecContext(ctx, q, benchDevelopers, benchDays, today); err != nil {
			_ = db.Close()
			return fmt.Errorf("generate: %w", err)
		}
	}
	var active, events int
	if err := db.SQL().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM usage_active), (SELECT COUNT(*) FROM usage_events)`).Scan(&active, &events); err != nil {
		_ = db.Close()
		return err
	}
	fmt.Fprintf(os.Stderr, "generated %d developer-days and %d usage rows in %v\n", active, events, time.Since(start).Round(time.Second))
	return db.Close()
}

// BenchmarkAdoption is the whole KPI as GET /api/v1/kpi/adoption computes it: 26 weekly points, this week by team
// and by feature, and the people outside the directory.
func BenchmarkAdoption(b *testing.B) {
	db := kpiBenchDB(b)
	k := &KPI{DB: db.SQL(), Now: func() time.Time { return benchToday }}
	ctx := context.Background()
	a, err := k.Adoption(ctx, 26)
	if err != nil {
		b.Fatal(err)
	}
	last := a.Weeks[25]
	b.Logf("this week: %d of %d developers active (%.1f%%), %d teams, %d features", last.Active, last.Developers,
		last.Percent, len(a.Teams), len(a.Features))
	var rows, events int
	if err := db.SQL().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM usage_active), (SELECT COUNT(*) FROM usage_events)`).Scan(&rows, &events); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(events), "event-rows")
	b.ReportMetric(float64(rows), "active-rows")
	b.ResetTimer()
	for b.Loop() {
		if _, err := k.Adoption(ctx, 26); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAdoptionWeeksFromEvents is the baseline of the weekly series: the same query over the usage events
// themselves instead of the usage_active roll-up (one row per person and day) written with them.
func BenchmarkAdoptionWeeksFromEvents(b *testing.B) {
	benchWeeks(b, "usage_events")
}

// BenchmarkAdoptionWeeks is the weekly series alone, over usage_active.
func BenchmarkAdoptionWeeks(b *testing.B) {
	benchWeeks(b, "usage_active")
}

func benchWeeks(b *testing.B, table string) {
	db := kpiBenchDB(b)
	ctx := context.Background()
	endMS := `((unixepoch(w.e) + 86400) * 1000)`
	q := `WITH RECURSIVE w(i, s, e) AS (
			SELECT 0, date(?1, '-6 days'), ?1
			UNION ALL SELECT i + 1, date(s, '-7 days'), date(e, '-7 days') FROM w WHERE i + 1 < ?2),
		` + membersCTE + `
		SELECT w.i, COUNT(DISTINCT m.login) FROM w CROSS JOIN ` + table + ` u ON u.day BETWEEN w.s AND w.e
			CROSS JOIN m ON m.id = u.user AND ` + fmt.Sprintf(memberAt, endMS) + ` GROUP BY w.i`
	count := func() int {
		rows, err := db.SQL().QueryContext(ctx, q, Day(benchToday), 26)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		total := 0
		for rows.Next() {
			var i, n int
			if err := rows.Scan(&i, &n); err != nil {
				b.Fatal(err)
			}
			total += n
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		return total
	}
	want := count()
	b.ResetTimer()
	for b.Loop() {
		if got := count(); got != want {
			b.Fatalf("%d active developer-weeks, then %d", want, got)
		}
	}
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store/pgtest"
)

// TestEveryMigrationHasItsPostgresTwin: a migration added to migrations/ needs its twin in migrations/postgres/,
// with the same number and name (docs/architecture.md, "Two engines", says how to write it).
func TestEveryMigrationHasItsPostgresTwin(t *testing.T) {
	lite, pg := Migrations(), MigrationsOf(Postgres)
	names := func(ms []Migration) []string {
		var out []string
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%04d_%s.sql", m.Version, m.Name))
		}
		return out
	}
	if got, want := names(pg), names(lite); !slices.Equal(got, want) {
		t.Errorf("migrations/postgres/ holds %v\nmigrations/ holds          %v\nevery SQLite migration needs its "+
			"PostgreSQL twin of the same number and name, and no other", got, want)
	}
}

type column struct {
	name, typ string
	notNull   bool
}

// each runs q and calls scan for every row, failing t on any error.
func each(t *testing.T, db *sql.DB, q string, scan func(rows *sql.Rows) error, args ...any) {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// strs runs a query of one text column.
func strs(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	var out []string
	each(t, db, q, func(rows *sql.Rows) error {
		var s string
		err := rows.Scan(&s)
		out = append(out, s)
		return err
	}, args...)
	return out
}

// sqliteSchema lists the tables (without FTS5's), their columns and the named indexes of a SQLite database.
func sqliteSchema(t *testing.T, db *sql.DB) (map[string][]column, []string) {
	t.Helper()
	tables := map[string][]column{}
	for _, n := range strs(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
		AND name NOT LIKE 'services_fts%'`) {
		each(t, db, `SELECT name, type, "notnull" OR pk FROM pragma_table_info(?)`, func(rows *sql.Rows) error {
			var c column
			err := rows.Scan(&c.name, &c.typ, &c.notNull)
			tables[n] = append(tables[n], c)
			return err
		}, n)
	}
	return tables, strs(t, db, `SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`)
}

// postgresSchema is sqliteSchema for PostgreSQL, with each column's type as information_schema names it and its
// collation appended to text types ("text C").
func postgresSchema(t *testing.T, db *sql.DB) (map[string][]column, []string) {
	t.Helper()
	tables := map[string][]column{}
	each(t, db, `SELECT c.table_name, c.column_name, c.data_type || COALESCE(' ' || c.collation_name, ''),
		c.is_nullable = 'NO' FROM information_schema.columns c JOIN information_schema.tables tb
		ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND tb.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position`,
		func(rows *sql.Rows) error {
			var tbl string
			var c column
			err := rows.Scan(&tbl, &c.name, &c.typ, &c.notNull)
			tables[tbl] = append(tables[tbl], c)
			return err
		})
	// Indexes made by CREATE INDEX, not those backing a primary key or unique constraint.
	return tables, strs(t, db, `SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_namespace n ON n.oid = i.relnamespace
		WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
		ORDER BY i.relname`)
}

// TestSchemasOfBothEnginesMatch: the twins build the same schema — the same tables with the same columns in the
// same order, the same NOT NULLs, the same named indexes — with the types mapped as docs/architecture.md says:
// INTEGER → bigint, TEXT → text COLLATE "C" (so that text sorts and compares bytewise, as in SQLite), BLOB → bytea.
// PostgreSQL's search column and index stand for SQLite's FTS5 table.
func TestSchemasOfBothEnginesMatch(t *testing.T) {
	lite := openEngine(t, SQLite)
	pg := openEngine(t, Postgres)
	lt, li := sqliteSchema(t, lite.SQL())
	pt, pi := postgresSchema(t, pg.SQL())
	pt["services"] = slices.DeleteFunc(pt["services"], func(c column) bool { return c.name == "search" })
	pi = slices.DeleteFunc(pi, func(n string) bool { return n == "services_search" })
	typeMap := map[string]string{"INTEGER": "bigint", "TEXT": "text C", "BLOB": "bytea"}
	var tables []string
	for n := range lt {
		tables = append(tables, n)
	}
	for n := range pt {
		if _, ok := lt[n]; !ok {
			t.Errorf("table %s exists on PostgreSQL only", n)
		}
	}
	sort.Strings(tables)
	for _, n := range tables {
		lc, pc := lt[n], pt[n]
		if len(pc) == 0 {
			t.Errorf("table %s is missing on PostgreSQL", n)
			continue
		}
		for i := range max(len(lc), len(pc)) {
			var l, p column
			if i < len(lc) {
				l = lc[i]
				l.typ = typeMap[l.typ]
			}
			if i < len(pc) {
				p = pc[i]
			}
			if n == "schema_migrations" && l.name == "applied_at" {
				l.notNull = p.notNull // SQLite's INTEGER PRIMARY KEY makes the difference moot
			}
			if l != p {
				t.Errorf("%s column %d: SQLite %+v, PostgreSQL %+v", n, i+1, l, p)
			}
		}
	}
	if !slices.Equal(li, pi) {
		t.Errorf("named indexes differ:\nSQLite     %v\nPostgreSQL %v", li, pi)
	}
}

// TestSearchContractOnBothEngines: what a catalog search finds, and in which order, is the same on both engines
// — FTS5 on SQLite, tsvector on PostgreSQL: every typed term is a prefix of some word (letters and digits, any
// punctuation separating words), all terms are required, a term with punctuation inside is a phrase, case and
// diacritics do not matter, and services matching in their name or title come first.
func TestSearchContractOnBothEngines(t *testing.T) {
	catalogOf := func() []catalog.Service {
		zurich := svc("zurich-gateway", "payments", "Go")
		zurich.Title, zurich.Description = "Zürich Gateway", "Routes payments über the Alps"
		docs := svc("portal-docs", "platform", "TypeScript")
		docs.Description = "Docs served at atrium.io, built by docs_site"
		docs.Tags = []string{"documentation", "web-site"}
		api := svc("payments-api", "payments", "Go")
		api.Description = "Card payments; talks to the ledger"
		ledger := svc("ledger", "payments", "Java")
		ledger.Description = "Double-entry bookkeeping for payments-api and others"
		naive := svc("naive-ranker", "search", "Python")
		naive.Title, naive.Description = "Naïve Bayes ranker", "Ranks ÉCOLE results, ﬁne"
		return []catalog.Service{zurich, docs, api, ledger, naive}
	}
	cases := []struct{ q, want string }{
		{"zür", "zurich-gateway"},
		{"ZURICH", "zurich-gateway"},
		{"uber alps", "zurich-gateway"},
		{"über", "zurich-gateway"},
		{"atrium.io", "portal-docs"},
		{"io", "portal-docs"},
		{"docs_site", "portal-docs"},
		{"site", "portal-docs"},
		{"web-site", "portal-docs"},
		{"payments-api", "payments-api,ledger"},
		{"api-payments", ""},
		{"api payments", "payments-api,ledger"},
		{"payments-a", "payments-api,ledger"},
		{"pay", "payments-api,ledger,zurich-gateway"},
		{"payments ledger", "ledger,payments-api"},
		{"naive", "naive-ranker"},
		{"naïve bay", "naive-ranker"},
		{"ecole", "naive-ranker"},
		{"doc", "portal-docs"},
		{"double entry", "ledger"},
		{"gate way", ""},
		{"'; DROP TABLE services; --", ""},
		{`"pay"*`, "payments-api,ledger,zurich-gateway"},
		{"& | ! <-> :*", ""},
		{"z", "zurich-gateway"},
	}
	results := map[Engine][]string{}
	eachEngine(t, func(t *testing.T, e Engine) {
		db := openEngine(t, e)
		ctx := context.Background()
		if _, err := db.PutServices(ctx, catalogOf()); err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			p, err := db.ListServices(ctx, ServiceQuery{Q: c.q})
			if err != nil {
				t.Errorf("%q: %v", c.q, err)
				continue
			}
			var got []string
			for _, r := range p.Items {
				got = append(got, r.Name)
			}
			if g := strings.Join(got, ","); g != c.want || p.Total != len(got) {
				t.Errorf("search %q: got %q (total %d), want %q", c.q, g, p.Total, c.want)
			}
			results[e] = append(results[e], strings.Join(got, ","))
		}
	})
	if len(results) == 2 && !slices.Equal(results[SQLite], results[Postgres]) {
		t.Errorf("the engines answer differently:\nSQLite     %q\nPostgreSQL %q", results[SQLite], results[Postgres])
	}
}

// TestFeedMissesNothingUnderConcurrentWriters: two handles on one database (two portal replicas) write services
// side by side while a desktop follows the feed in small batches; when the writers are done and the desktop has
// caught up, its replica holds exactly the portal's catalog. A feed whose sequence numbers could become visible out
// of order (a later number committed while an earlier one is not yet) would let the desktop step over a change.
func TestFeedMissesNothingUnderConcurrentWriters(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		open := target(t, e)
		var writers []*DB
		for range 2 {
			db, err := open(LatestVersion())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			writers = append(writers, db)
		}
		replica := openTemp(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w, db := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 40 {
					s := svc(fmt.Sprintf("w%d-svc-%d", w, i%25), "team", "Go")
					s.Description = fmt.Sprintf("version %d", i)
					if _, err := db.PutServices(ctx, []catalog.Service{s}); err != nil {
						errs <- err
						return
					}
					if i%10 == 9 {
						if err := db.DeleteService(ctx, fmt.Sprintf("w%d-svc-%d", w, i%7)); err != nil {
							errs <- err
							return
						}
					}
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		cursor := ""
		follow := func() {
			for {
				b, err := writers[0].Changes(ctx, cursor, 3, 0)
				if err != nil {
					t.Fatal(err)
				}
				if err := replica.ApplyBatch(ctx, b); err != nil {
					t.Fatal(err)
				}
				cursor = b.Cursor
				if len(b.Changes) == 0 {
					return
				}
			}
		}
		for finished := false; !finished; {
			select {
			case <-done:
				finished = true
			default:
			}
			follow()
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		follow()
		want, err := writers[1].AllServices(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := replica.AllServices(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hashes := func(ss []catalog.Service) map[string]string {
			m := map[string]string{}
			for _, s := range ss {
				m[s.Name] = docHash(s)
			}
			return m
		}
		if g, w := hashes(got), hashes(want); len(w) == 0 || !mapsEqual(g, w) {
			t.Errorf("the desktop's replica differs from the portal after following the feed:\n got %v\nwant %v", g, w)
		}
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestPostgresFeedNumbersInCommitOrder pins why the feed cannot skip a change on PostgreSQL: a writer that has
// taken its sequence number holds the writers' lock until it commits, so a second replica's writer waits for it
// instead of committing a higher number first. A reader in between sees neither; afterwards both, in order.
func TestPostgresFeedNumbersInCommitOrder(t *testing.T) {
	ctx := context.Background()
	open := target(t, Postgres)
	a, err := open(LatestVersion())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close() //nolint:errcheck // test cleanup
	b, err := open(LatestVersion())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close() //nolint:errcheck // test cleanup
	start, _ := a.Changes(ctx, "", 10, 0)

	bumped, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := a.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
			n, err := putTeam(ctx, tx, catalog.Team{Name: "first"}, bump)
			close(bumped)
			<-release
			return boolInt(n), err
		})
		first <- err
	}()
	<-bumped
	second := make(chan error, 1)
	go func() {
		_, err := b.PutTeams(ctx, []catalog.Team{{Name: "second"}})
		second <- err
	}()
	// The second writer is waiting for the writers' lock (seen by the server; polled, it is another process).
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		if err := a.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second writer never waited for the first")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if mid, err := a.Changes(ctx, start.Cursor, 10, 0); err != nil || len(mid.Changes) != 0 {
		t.Fatalf("a reader sees a change before the first writer committed: %+v %v", mid.Changes, err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	after, err := a.Changes(ctx, start.Cursor, 10, 0)
	if err != nil || len(after.Changes) != 2 || after.Changes[0].ID != "first" || after.Changes[1].ID != "second" ||
		after.Changes[1].Seq != after.Changes[0].Seq+1 {
		t.Fatalf("feed after both commits: %+v %v", after.Changes, err)
	}
}

// TestPostgresLongPollWakesOnOtherReplicasCommits: a desktop long-polling one replica hears at once of a change
// written through another (LISTEN/NOTIFY), not when its wait runs out.
func TestPostgresLongPollWakesOnOtherReplicasCommits(t *testing.T) {
	ctx := context.Background()
	open := target(t, Postgres)
	writer, err := open(LatestVersion())
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close() //nolint:errcheck // test cleanup
	poller, err := open(LatestVersion())
	if err != nil {
		t.Fatal(err)
	}
	defer poller.Close() //nolint:errcheck // test cleanup
	w := make(waits)
	poller.After = w.after // the wait never runs out unless the test says so
	b, _ := poller.Changes(ctx, "", 10, 0)
	got := make(chan Batch, 1)
	go func() {
		nb, err := poller.Changes(ctx, b.Cursor, 10, time.Minute)
		if err != nil {
			t.Error(err)
		}
		got <- nb
	}()
	<-w // the poll found nothing and waits
	if _, err := writer.PutServices(ctx, []catalog.Service{svc("elsewhere", "t", "Go")}); err != nil {
		t.Fatal(err)
	}
	var nb Batch
	select {
	case nb = <-got:
	case <-time.After(time.Minute): // a guard against hanging, not a measure of speed
		t.Fatal("the long poll was not woken by the other replica's commit")
	}
	if len(nb.Changes) != 1 || nb.Changes[0].ID != "elsewhere" || nb.Changes[0].Service == nil {
		t.Fatalf("long poll on the other replica: %+v", nb)
	}
}

// TestPostgresReplicasStartTogether: replicas opening a new database at the same moment migrate it once, one
// after the other, and agree on the feed's epoch (so a desktop's cursor is valid on either).
func TestPostgresReplicasStartTogether(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	dbs := make([]*DB, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range dbs {
		wg.Add(1)
		go func() { defer wg.Done(); dbs[i], errs[i] = OpenPostgres(ctx, url) }()
	}
	wg.Wait()
	for _, db := range dbs {
		if db != nil {
			t.Cleanup(func() { _ = db.Close() })
		}
	}
	for i, db := range dbs {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		if db.Epoch() != dbs[0].Epoch() {
			t.Errorf("replica %d has epoch %s, replica 0 %s", i, db.Epoch(), dbs[0].Epoch())
		}
	}
	var n int
	if err := dbs[0].SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil ||
		n != len(Migrations()) {
		t.Errorf("%d migrations recorded, want %d: %v", n, len(Migrations()), err)
	}
}

// TestPostgresUnreachableAtOpen: a server that is not there is reported at once as unavailable, naming the server
// without the password; a database that does not exist as unusable, saying what to do.
func TestPostgresUnreachableAtOpen(t *testing.T) {
	srv := pgtest.Shared(t)
	ctx := context.Background()
	port := freeLoopbackPort(t)
	_, err := OpenPostgres(ctx, fmt.Sprintf("postgres://portal:s3cret-pw@127.0.0.1:%d/atrium", port))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "cannot be reached") ||
		!strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d", port)) || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("no server: %v", err)
	}
	_, err = OpenPostgres(ctx, srv.URL(pgtest.AppRole, "no_such_database"))
	if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("no database: %v", err)
	}
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// TestPostgresOutageFailsFastAndRecovers: with the server stopped, reads, writes and long polls fail at once with
// ErrUnavailable (the API's 503) instead of hanging; once it is back, the same handle serves again by itself —
// the first request after the restart included, on fresh connections.
func TestPostgresOutageFailsFastAndRecovers(t *testing.T) {
	pgtest.Shared(t) // skips without PostgreSQL
	srv, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close() //nolint:errcheck // test cleanup
	ctx := context.Background()
	url, err := srv.CreateDatabase(ctx, "outage")
	if err != nil {
		t.Fatal(err)
	}
	db, err := OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close() //nolint:errcheck // test cleanup
	if _, err := db.PutServices(ctx, []catalog.Service{svc("before", "t", "Go")}); err != nil {
		t.Fatal(err)
	}
	b, err := db.Changes(ctx, "", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	holdConns := func() error { // takes four pooled connections at once, and gives them back
		var txs []*sql.Tx
		defer func() {
			for _, tx := range txs {
				_ = tx.Rollback()
			}
		}()
		for range 4 {
			tx, err := db.SQL().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
			if err != nil {
				return err
			}
			txs = append(txs, tx)
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM services`).Scan(&n); err != nil {
				return err
			}
		}
		return nil
	}
	if err := holdConns(); err != nil { // the pool now keeps four idle connections to the server about to stop
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ListServices(ctx, ServiceQuery{}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("read while the server is down: %v", err)
	}
	if _, err := db.PutServices(ctx, []catalog.Service{svc("during", "t", "Go")}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("write while the server is down: %v", err)
	}
	if _, err := db.Changes(ctx, b.Cursor, 10, time.Hour); !errors.Is(err, ErrUnavailable) {
		t.Errorf("long poll while the server is down: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	// The connections idle since before the outage are not handed out dead.
	if err := holdConns(); err != nil {
		t.Errorf("connections after the restart: %v", err)
	}
	if p, err := db.ListServices(ctx, ServiceQuery{}); err != nil || p.Total != 1 {
		t.Errorf("first read after the restart: %+v %v", p, err)
	}
	if _, err := db.PutServices(ctx, []catalog.Service{svc("after", "t", "Go")}); err != nil {
		t.Errorf("write after the restart: %v", err)
	}
}

// TestPostgresPoolSizeFromTheURL: pool_max_conns in the URL sizes a replica's pool (and is not sent to the server,
// which would refuse an unknown parameter); a value that is no size is refused, naming it.
func TestPostgresPoolSizeFromTheURL(t *testing.T) {
	url := pgtest.NewDatabase(t)
	db, err := OpenPostgres(context.Background(), url+"&pool_max_conns=5")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close() //nolint:errcheck // test cleanup
	if n := db.SQL().Stats().MaxOpenConnections; n != 5 {
		t.Errorf("pool of %d connections, want 5", n)
	}
	if _, err := OpenPostgres(context.Background(), url+"&pool_max_conns=lots"); !errors.Is(err, ErrUnusable) ||
		!strings.Contains(err.Error(), "pool_max_conns") {
		t.Errorf("a pool size that is none: %v", err)
	}
}

// Package storetest opens store databases for the tests of packages that keep their tables in the store: a SQLite
// file by default, or — with ATRIUM_TEST_ENGINE=postgres — a database of its own on the test binary's PostgreSQL
// server (pgtest), so that a package's whole suite can run on either engine; and Each, for tests that run on both
// engines every time. A package using it calls pgtest.Main (or pgtest.Run) from its TestMain.
package storetest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/pgtest"
)

// EngineEnv selects the engine Open uses: "postgres", or SQLite when unset.
const EngineEnv = "ATRIUM_TEST_ENGINE"

// Engines are the engines Each runs on.
var Engines = []store.Engine{store.SQLite, store.Postgres}

// Each runs fn as one subtest per engine.
func Each(t *testing.T, fn func(t *testing.T, e store.Engine)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(string(e), func(t *testing.T) { fn(t, e) })
	}
}

// Default is the engine Open uses (EngineEnv).
func Default() store.Engine {
	if os.Getenv(EngineEnv) == string(store.Postgres) {
		return store.Postgres
	}
	return store.SQLite
}

// Open opens a new empty database of the default engine, closed when the test ends.
func Open(t testing.TB) *store.DB { t.Helper(); return OpenEngine(t, Default()) }

// OpenEngine opens a new empty database of engine e, closed when the test ends.
func OpenEngine(t testing.TB, e store.Engine) *store.DB {
	t.Helper()
	db, err := Target(t, e)()
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

// Target returns a function opening one new database of engine e, the same one at every call (a file in a
// temporary directory, or a database on the test server): for tests that open a database twice, as two portal
// replicas or a restarted portal would.
func Target(t testing.TB, e store.Engine) func() (*store.DB, error) {
	t.Helper()
	if e == store.Postgres {
		url := pgtest.NewDatabase(t)
		return func() (*store.DB, error) { return store.OpenPostgres(context.Background(), url) }
	}
	path := filepath.Join(t.TempDir(), "portal.db")
	return func() (*store.DB, error) { return store.Open(path) }
}

// URL returns the location of a new database of engine e as `atrium serve --database` takes it: a PostgreSQL URL,
// or "" for SQLite (the portal's file in its data directory).
func URL(t testing.TB, e store.Engine) string {
	t.Helper()
	if e == store.Postgres {
		return pgtest.NewDatabase(t)
	}
	return ""
}

// Dump is everything db holds, for tests that make sure a value never reaches the database: a SQLite file's bytes
// (with suffix "-wal": its write-ahead log's), or every row of every table of a PostgreSQL database as JSON (the
// same for any suffix).
func Dump(db *store.DB, suffix string) ([]byte, error) {
	if db.Engine() != store.Postgres {
		return os.ReadFile(db.Path() + suffix)
	}
	ctx := context.Background()
	rows, err := db.SQL().QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		return nil, err
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var all []byte
	for _, tbl := range tables {
		var rowsJSON sql.NullString
		if err := db.SQL().QueryRowContext(ctx, `SELECT string_agg(row_to_json(x)::text, ' ') FROM "`+tbl+`" x`).
			Scan(&rowsJSON); err != nil {
			return nil, err
		}
		all = append(all, rowsJSON.String...)
	}
	return all, nil
}

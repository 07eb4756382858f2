package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/store/pgtest"
)

// engines are what every store test runs on: a SQLite file, and a database of its own on a real PostgreSQL server
// (pgtest; skipped with a message where PostgreSQL is not installed, a failure in CI).
var engines = []Engine{SQLite, Postgres}

// eachEngine runs fn as one subtest per engine.
func eachEngine(t *testing.T, fn func(t *testing.T, e Engine)) {
	t.Helper()
	for _, e := range engines {
		t.Run(string(e), func(t *testing.T) { fn(t, e) })
	}
}

// target returns a function that opens one database of engine e (the same one each time) migrated up to upTo:
// a file in a temporary directory, or a new database on the test server.
func target(t *testing.T, e Engine) func(upTo int) (*DB, error) {
	t.Helper()
	if e == Postgres {
		url := pgtest.NewDatabase(t)
		return func(upTo int) (*DB, error) { return OpenPostgresAt(context.Background(), url, upTo) }
	}
	path := filepath.Join(t.TempDir(), "atrium.db")
	return func(upTo int) (*DB, error) { return OpenAt(path, upTo) }
}

// openEngine opens a new empty database of engine e, closed when the test ends.
func openEngine(t *testing.T, e Engine) *DB {
	t.Helper()
	db, err := target(t, e)(LatestVersion())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if db.listening != nil {
		// The listener's first LISTEN wakes every long poll once (for what was committed before it held): the
		// tests that count their polls' wakes start after it.
		select {
		case <-db.listening:
		case <-time.After(30 * time.Second):
			t.Fatal("PostgreSQL's LISTEN did not hold within 30 s")
		}
	}
	return db
}

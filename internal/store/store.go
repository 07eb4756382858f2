// Package store keeps the catalog in SQLite (modernc.org/sqlite, no cgo): the portal's database and each desktop's
// replica share this schema. It owns migrations, full-text search and the change feed.
package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one numbered schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the schema steps in order.
func Migrations() []Migration {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		panic(err) // embedded at build time
	}
	var ms []Migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic("migration file name must be NNNN_name.sql: " + e.Name())
		}
		b, _ := migrationFiles.ReadFile("migrations/" + e.Name())
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms
}

// ErrUnusable is wrapped by Open when the file exists but cannot be used as an Atrium database; the error text
// names the file and what to do. Open never deletes or rewrites such a file.
var ErrUnusable = errors.New("database unusable")

// DB is an open catalog database.
type DB struct {
	sql   *sql.DB
	path  string
	epoch string

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever the feed advances
}

// Open opens (creating if needed) the database at path, checks that it is an Atrium database, and migrates it to
// the current schema. A file that is not SQLite, is corrupt, is unreadable or was written by a newer Atrium is
// reported with ErrUnusable and left as it is.
func Open(path string) (*DB, error) {
	return OpenAt(path, latestVersion())
}

// latestVersion is the highest migration known. Numbers may have gaps (branches reserve theirs), so it is not the
// count of migrations.
func latestVersion() int {
	all := Migrations()
	return all[len(all)-1].Version
}

// OpenAt is Open migrating only up to schema version upTo; tests use it to write databases of older versions.
func OpenAt(path string, upTo int) (*DB, error) {
	if err := checkFile(path); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create directory for database %s: %w", path, err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	sdb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(8)
	d := &DB{sql: sdb, path: path, changed: make(chan struct{})}
	if err := d.migrate(context.Background(), upTo); err != nil {
		sdb.Close()
		return nil, err
	}
	if err := d.loadEpoch(context.Background()); err != nil {
		sdb.Close()
		return nil, err
	}
	return d, nil
}

// checkFile looks at an existing file before SQLite touches it, so that a wrong file is reported, not rewritten.
func checkFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: cannot read database %s: %v; check its permissions (Atrium needs read and write access)",
			ErrUnusable, path, err)
	}
	defer f.Close()
	hdr := make([]byte, 16)
	n, err := io.ReadFull(f, hdr)
	if n == 0 && (err == io.EOF || err == nil) {
		return nil // empty file: SQLite treats it as a new database
	}
	if !bytes.Equal(hdr[:n], []byte("SQLite format 3\x00")[:n]) || n < 16 {
		return unusable(path, "it is not a SQLite database")
	}
	return nil
}

func unusable(path, why string) error {
	return fmt.Errorf("%w: %s: %s. Atrium left it untouched. Move it aside to start with an empty database "+
		"(mv %q %q) or restore it from a backup",
		ErrUnusable, path, why, path, path+".broken")
}

// classify turns SQLite's corruption errors into ErrUnusable naming the file.
func (d *DB) classify(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return unusable(d.path, "it is not a SQLite database")
		case sqlite3.SQLITE_CORRUPT:
			return unusable(d.path, "it is corrupt ("+se.Error()+")")
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY:
			return fmt.Errorf("%w: cannot open database %s: %v; check the file's and its directory's permissions",
				ErrUnusable, d.path, se)
		}
	}
	return err
}

func (d *DB) migrate(ctx context.Context, upTo int) error {
	if _, err := d.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (datetime('now')))`); err != nil {
		return d.classify(fmt.Errorf("prepare database %s: %w", d.path, err))
	}
	var current int
	if err := d.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return d.classify(fmt.Errorf("read schema version of %s: %w", d.path, err))
	}
	all := Migrations()
	if latest := latestVersion(); current > latest {
		return fmt.Errorf("%w: %s has schema version %d but this Atrium knows only up to %d; run a newer Atrium "+
			"or point --data at another directory", ErrUnusable, d.path, current, latest)
	}
	for _, m := range all {
		if m.Version <= current || m.Version > upTo {
			continue
		}
		tx, err := d.sql.BeginTx(ctx, nil)
		if err != nil {
			return d.classify(err)
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback()
			return d.classify(fmt.Errorf("migrate %s to version %d (%s): %w", d.path, m.Version, m.Name, err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name) VALUES (?, ?)`, m.Version, m.Name); err != nil {
			tx.Rollback()
			return d.classify(err)
		}
		if err := tx.Commit(); err != nil {
			return d.classify(err)
		}
	}
	return nil
}

// SchemaVersion is the highest migration applied.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := d.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (d *DB) loadEpoch(ctx context.Context) error {
	e, err := d.Meta(ctx, "epoch")
	if err != nil {
		return d.classify(fmt.Errorf("read %s: %w", d.path, err))
	}
	if e == "" {
		b := make([]byte, 8)
		rand.Read(b)
		e = hex.EncodeToString(b)
		if err := d.SetMeta(ctx, "epoch", e); err != nil {
			return d.classify(err)
		}
	}
	d.epoch = e
	return nil
}

// Epoch identifies this database's change feed; a cursor from another epoch is meaningless here.
func (d *DB) Epoch() string { return d.epoch }

// Path is the database file.
func (d *DB) Path() string { return d.path }

// SQL exposes the handle for packages that keep their own tables in the same file.
func (d *DB) SQL() *sql.DB { return d.sql }

// Close closes the database.
func (d *DB) Close() error { return d.sql.Close() }

// Meta reads a key of the meta table; "" when absent.
func (d *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := d.sql.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta writes a key of the meta table.
func (d *DB) SetMeta(ctx context.Context, key, value string) error {
	_, err := d.sql.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// notify wakes everyone waiting for the feed to advance.
func (d *DB) notify() {
	d.mu.Lock()
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
}

func (d *DB) changedChan() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed
}

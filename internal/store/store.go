// Package store keeps the catalog in SQLite (modernc.org/sqlite, no cgo) or PostgreSQL (pgx): each desktop's
// replica, local mode and small portals use a SQLite file; portals with several replicas share one PostgreSQL
// database. Both engines have the same schema (migrations/ and its twin migrations/postgres/) and the same API.
// It owns migrations, full-text search and the change feed.
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
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"modernc.org/sqlite"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// Engine is a database engine the store runs on.
type Engine string

// The engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Migration is one numbered schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the schema steps of SQLite in order.
func Migrations() []Migration { return MigrationsOf(SQLite) }

// MigrationsOf lists the schema steps of engine e in order: SQLite's from migrations/, PostgreSQL's from their
// twins in migrations/postgres/ (same numbers and names; a test keeps them in step).
func MigrationsOf(e Engine) []Migration {
	dir := "migrations"
	if e == Postgres {
		dir = "migrations/postgres"
	}
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		panic(err) // embedded at build time
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic("migration file name must be NNNN_name.sql: " + e.Name())
		}
		b, _ := migrationFiles.ReadFile(dir + "/" + e.Name())
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
	// Now is the time the store stamps on what it writes (synced_at, deployment and claim times), and After waits
	// out a change-feed long poll. Open sets time.Now and time.After; tests replace them before using the DB.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// Coalesce is how long a long poll of the change feed woken by a change lingers before it reads, so that a
	// burst of changes goes out in one answer rather than one answer each (0: it reads at once). Portals set it.
	Coalesce time.Duration

	sql    *sql.DB
	path   string // the SQLite file, or the PostgreSQL URL without its password
	engine Engine
	epoch  string
	stop   func() // ends background work (PostgreSQL's listener); nil for SQLite
	// pgConfig is how to open connections of its own to PostgreSQL (the listener, leadership); nil for SQLite.
	pgConfig *pgx.ConnConfig

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced whenever the feed advances
	generation uint64        // how often changed was closed

	readsMu sync.Mutex
	reads   map[string]*feedRead // reads of the feed shared by the long polls asking the same (feed.go)

	search searchIndex // the catalog table in memory (ListServices, on SQLite)

	// listening is closed once PostgreSQL's LISTEN first holds (and its wake for what came before was sent); nil
	// on SQLite. Tests whose long polls count their wakes wait for it, so that this wake falls before them.
	listening chan struct{}
}

// Open opens (creating if needed) the database at path, checks that it is an Atrium database, and migrates it to
// the current schema. A file that is not SQLite, is corrupt, is unreadable or was written by a newer Atrium is
// reported with ErrUnusable and left as it is.
func Open(path string) (*DB, error) {
	return OpenAt(path, LatestVersion())
}

// LatestVersion is the highest schema version this build knows. Versions are numbered by file name and may have
// gaps while branches that each add a migration are merged in any order.
func LatestVersion() int {
	ms := Migrations()
	return ms[len(ms)-1].Version
}

// OpenAt is Open migrating only up to schema version upTo; tests use it to write databases of older versions.
func OpenAt(path string, upTo int) (*DB, error) {
	if err := checkFile(path); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create directory for database %s: %w", path, err)
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	tightenModes(path)
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	inner, err := sqlite.NewConnector(fileURI(path) + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	sdb := sql.OpenDB(&connector{inner: inner, path: path})
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(8)
	d := &DB{Now: time.Now, After: time.After, sql: sdb, path: path, engine: SQLite, changed: make(chan struct{}),
		reads: map[string]*feedRead{}}
	ctx := context.Background()
	if err := d.quickCheck(ctx); err != nil {
		_ = sdb.Close() // the error that stopped the open is the one to report
		return nil, err
	}
	tightenModes(path) // the first connection made the -wal and -shm files
	if err := d.migrate(ctx, upTo); err != nil {
		_ = sdb.Close() // the error that stopped the open is the one to report
		return nil, err
	}
	if err := d.loadEpoch(ctx); err != nil {
		_ = sdb.Close() // the error that stopped the open is the one to report
		return nil, err
	}
	return d, nil
}

// fileURI is path as a SQLite "file:" URI. SQLite ends a URI's path at '?' or '#' and decodes %HH in it (and the
// driver splits its parameters off at the first '?'), so a data directory named "a#b?c%d e" must be escaped to
// address the file of that name rather than "a" with parameters.
func fileURI(path string) string {
	var b strings.Builder
	b.WriteString("file:")
	for _, c := range []byte(filepath.Clean(path)) {
		if c == '%' || c == '?' || c == '#' || c <= ' ' || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// createPrivate creates a missing database file with mode 0600 before SQLite opens it: SQLite would create it
// 0644 (less the umask), and it gives the -wal and -shm files the database file's mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: cannot create database %s: %v; check its directory's permissions", ErrUnusable, path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%w: cannot create database %s: %v", ErrUnusable, path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil { // whatever the umask took away
		return fmt.Errorf("%w: cannot set the mode of database %s: %v", ErrUnusable, path, err)
	}
	return nil
}

// tightenModes takes group and other permissions off the database file and its -wal and -shm files, which an
// older Atrium (or a copy) may have left readable by others: they hold tokens' hashes, audit and the catalog.
func tightenModes(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		mode := fi.Mode().Perm() &^ 0o077
		if err := os.Chmod(p, mode); err != nil {
			slog.Warn("database file is readable by other users and its mode could not be tightened", "file", p,
				"mode", fi.Mode().Perm().String(), "err", err)
			continue
		}
		slog.Warn("database file was readable by other users; mode tightened", "file", p,
			"was", fi.Mode().Perm().String(), "now", mode.String())
	}
}

// quickCheckBudget bounds the integrity check at Open. quick_check reads every page, about 9 ms per MiB on the
// benchmark machine (BenchmarkOpenQuickCheck: 0.22 s for the 24 MiB replica of 10,000 services), so files up to
// about 200 MiB are checked whole; on a larger one the check stops here and Open goes on, said in the log.
var quickCheckBudget = 2 * time.Second

// quickCheck runs SQLite's quick_check before anything is written, so that a corrupt file is reported (with its
// path) at start rather than as failing requests later, and is left as it is. It reads every page but checks no
// index against its table; corruption it does not reach in quickCheckBudget still surfaces, classified, when a
// query touches it.
func (d *DB) quickCheck(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, quickCheckBudget)
	defer cancel()
	start := time.Now()
	var problems []string
	err := func() error {
		rows, err := d.sql.QueryContext(ctx, `PRAGMA quick_check(5)`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			if s != "ok" {
				problems = append(problems, s)
			}
		}
		return rows.Err()
	}()
	if err != nil && ctx.Err() != nil {
		slog.Warn("database integrity check stopped unfinished; the database is opened unchecked", "file", d.path,
			"after", time.Since(start).Round(time.Millisecond).String())
		return nil
	}
	if err != nil {
		return d.classify(fmt.Errorf("check database %s: %w", d.path, err))
	}
	if len(problems) > 0 {
		return unusable(d.path, "it is corrupt (quick_check: "+strings.Join(problems, "; ")+")")
	}
	return nil
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
	defer f.Close() //nolint:errcheck // read only: closing loses nothing
	hdr := make([]byte, 16)
	n, err := io.ReadFull(f, hdr)
	if n == 0 && (errors.Is(err, io.EOF) || err == nil) {
		return nil // empty file: SQLite treats it as a new database
	}
	if !bytes.Equal(hdr[:n], []byte("SQLite format 3\x00")[:n]) || n < 16 {
		return unusable(path, "it is not a SQLite database")
	}
	return nil
}

// unusable reports a file that is not a usable database; the message names it and says what to do.
func unusable(path, why string) error {
	return &StorageError{Path: path, Kind: ErrUnusable, Reason: why, Advice: brokenAdvice(path)}
}

// classify turns errors that need an operator into a *StorageError naming the file or server (the connectors do
// this for every statement; classify covers errors wrapped on the way).
func (d *DB) classify(err error) error {
	if d.engine == Postgres {
		return pgError(d.path, err)
	}
	return storageError(d.path, err)
}

// schemaMigrations creates the table recording applied migrations.
var schemaMigrations = map[Engine]string{
	SQLite: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (datetime('now')))`,
	Postgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT COLLATE "C" NOT NULL,
		applied_at TEXT COLLATE "C" NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))`,
}

// migrate applies the engine's migrations up to upTo. Each runs in a transaction of its own, which on PostgreSQL
// holds the writers' lock: replicas starting together apply each migration once, one after the other.
func (d *DB) migrate(ctx context.Context, upTo int) error {
	if err := d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, schemaMigrations[d.engine])
		return err
	}); err != nil {
		return d.classify(fmt.Errorf("prepare database %s: %w", d.path, err))
	}
	var current int
	if err := d.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return d.classify(fmt.Errorf("read schema version of %s: %w", d.path, err))
	}
	all := MigrationsOf(d.engine)
	if latest := LatestVersion(); current > latest {
		return fmt.Errorf("%w: %s has schema version %d but this Atrium knows only up to %d; run a newer Atrium "+
			"or point --data at another directory", ErrUnusable, d.path, current, latest)
	}
	// Apply every known migration not yet applied, not only those above the highest: a migration merged from
	// another branch may carry a lower number than one a database already has.
	for _, m := range all {
		if m.Version > upTo {
			continue
		}
		err := d.inTx(ctx, func(tx *sql.Tx) error {
			var applied int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`,
				m.Version).Scan(&applied); err != nil || applied > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migrate %s to version %d (%s): %w", d.path, m.Version, m.Name, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name) VALUES (?, ?)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return d.classify(err)
		}
	}
	return nil
}

// inTx runs fn in a read-write transaction and commits it unless fn fails.
func (d *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
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
		// Replicas of one PostgreSQL database starting together: the first epoch written is everyone's.
		b := make([]byte, 8)
		rand.Read(b)
		if _, err := d.sql.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('epoch', ?) ON CONFLICT(key) DO NOTHING`,
			hex.EncodeToString(b)); err != nil {
			return d.classify(err)
		}
		if e, err = d.Meta(ctx, "epoch"); err != nil {
			return d.classify(err)
		}
	}
	d.epoch = e
	return nil
}

// Epoch identifies this database's change feed; a cursor from another epoch is meaningless here.
func (d *DB) Epoch() string { return d.epoch }

// Path is the database file, or for PostgreSQL its URL without the password: what messages name.
func (d *DB) Path() string { return d.path }

// Engine is the database engine.
func (d *DB) Engine() Engine { return d.engine }

// SQL exposes the handle for packages that keep their own tables in the same file.
func (d *DB) SQL() *sql.DB { return d.sql }

// Close stops the database's background work and closes it.
func (d *DB) Close() error {
	if d.stop != nil {
		d.stop()
	}
	return d.sql.Close()
}

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
	d.generation++
	d.mu.Unlock()
}

func (d *DB) changedChan() <-chan struct{} {
	ch, _ := d.changedGen()
	return ch
}

// changedGen returns the channel closed at the next change, and how many changes were announced before it.
func (d *DB) changedGen() (<-chan struct{}, uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed, d.generation
}

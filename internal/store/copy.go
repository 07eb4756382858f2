package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrCopyRefused is wrapped by CopyToPostgres when the target is not an empty database nor one this source was
// being copied into: nothing was written.
var ErrCopyRefused = errors.New("copy refused")

// ErrCopyMismatch is wrapped by CopyToPostgres when the copy does not verify: a table's row count, the change
// feed's position or its epoch differs between source and target.
var ErrCopyMismatch = errors.New("copy does not match its source")

// TableCopy is one table of a copy: its rows in the source and in the target, and whether this run copied it (false:
// an earlier run had).
type TableCopy struct {
	Table  string `json:"table"`
	Source int64  `json:"source_rows"`
	Target int64  `json:"target_rows"`
	Copied bool   `json:"copied"`
}

// CopyReport is what CopyToPostgres did and verified.
type CopyReport struct {
	Tables  []TableCopy `json:"tables"`
	Epoch   string      `json:"epoch"`    // the change feed's, kept: desktops' cursors stay good
	FeedSeq int64       `json:"feed_seq"` // the feed's position in both
	Resumed bool        `json:"resumed"`  // an earlier run had copied some tables
}

// CopyOptions tune CopyToPostgres.
type CopyOptions struct {
	// Progress hears of each table as it is copied or found copied.
	Progress func(TableCopy)
	// afterTable, in tests, runs after each table's transaction committed; an error stops the copy there.
	afterTable func(table string) error
}

// migrateKey is the meta key under which the target records the source it is being filled from.
const migrateKey = "migrate.source"

// copySource fingerprints the source: a run may resume only a copy of the same, unchanged source.
type copySource struct {
	Path    string           `json:"path"`
	Epoch   string           `json:"epoch"`
	FeedSeq int64            `json:"feed_seq"`
	Rows    map[string]int64 `json:"rows"`
}

// CopyToPostgres copies every table of src, a SQLite portal database, into dst, a PostgreSQL database at the same
// schema version, and verifies the copy: each table's row count, the change feed's position and epoch (kept, so
// that desktops carry on from their cursors without fetching the catalog again). Each table is copied in one
// transaction, which also records that it is done: a copy that stopped (an error, a lost connection, ^C) is
// resumed by running it again with the same source, and tables already copied are skipped. The target must be
// empty (a new database; opening it creates the schema) or hold an unfinished copy of this very source; a source
// that changed since the copy began is refused, as is a target holding anything else (ErrCopyRefused). The
// source must not change while it is copied: stop its portal first.
func CopyToPostgres(ctx context.Context, src, dst *DB, opts CopyOptions) (CopyReport, error) {
	var rep CopyReport
	if src.engine != SQLite || dst.engine != Postgres {
		return rep, fmt.Errorf("%w: copies a SQLite database into a PostgreSQL one", ErrCopyRefused)
	}
	if opts.Progress == nil {
		opts.Progress = func(TableCopy) {}
	}
	tables, err := copyTables(ctx, src.sql)
	if err != nil {
		return rep, fmt.Errorf("read the tables of %s: %w", src.path, err)
	}
	from, err := fingerprint(ctx, src, tables)
	if err != nil {
		return rep, err
	}
	rep.Epoch, rep.FeedSeq = from.Epoch, from.FeedSeq
	if rep.Resumed, err = claimTarget(ctx, dst, from, tables); err != nil {
		return rep, err
	}
	conn, err := pgx.ConnectConfig(ctx, dst.pgConfig)
	if err != nil {
		return rep, pgError(dst.path, err)
	}
	defer conn.Close(context.Background()) //nolint:errcheck // the copies committed or rolled back already
	for _, t := range tables {
		tc, err := copyTable(ctx, src, conn, dst.path, t, from.Rows[t.name])
		if err != nil {
			return rep, err
		}
		rep.Tables = append(rep.Tables, tc)
		opts.Progress(tc)
		if opts.afterTable != nil {
			if err := opts.afterTable(t.name); err != nil {
				return rep, err
			}
		}
	}
	err = verifyCopy(ctx, src, dst, from, &rep)
	return rep, err
}

// copyTable is one table of a copy. It holds the writers' lock while it copies.
func copyTable(ctx context.Context, src *DB, conn *pgx.Conn, where string, t table, want int64) (TableCopy, error) {
	tc := TableCopy{Table: t.name, Source: want}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return tc, pgError(where, err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // after a commit: nothing to roll back
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockWriter); err != nil {
		return tc, pgError(where, err)
	}
	var done string
	err = tx.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, "migrate.done."+t.name).Scan(&done)
	if err == nil {
		tc.Target, _ = strconv.ParseInt(done, 10, 64)
		return tc, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return tc, pgError(where, err)
	}
	rows, err := src.sql.QueryContext(ctx, `SELECT "`+strings.Join(t.columns, `", "`)+`" FROM "`+t.name+`"`)
	if err != nil {
		return tc, src.classify(fmt.Errorf("read %s: %w", t.name, err))
	}
	defer rows.Close()
	vals := make([]any, len(t.columns))
	ptrs := make([]any, len(t.columns))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	next := func() ([]any, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		return vals, nil
	}
	if t.name == "meta" {
		// The target's own epoch (written when it was opened) gives way to the source's.
		for {
			row, err := next()
			if err != nil {
				return tc, fmt.Errorf("copy %s: %w", t.name, err)
			}
			if row == nil {
				break
			}
			if _, err := tx.Exec(ctx, `INSERT INTO meta(key, value) VALUES ($1, $2)
				ON CONFLICT(key) DO UPDATE SET value = excluded.value`, row...); err != nil {
				return tc, fmt.Errorf("copy %s: %w", t.name, pgError(where, err))
			}
			tc.Target++
		}
	} else {
		n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, pgx.CopyFromFunc(next))
		if err != nil {
			return tc, fmt.Errorf("copy %s: %w", t.name, pgError(where, err))
		}
		tc.Target = n
	}
	if t.identity != "" {
		// Rows inserted later get ids after the copied ones.
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t.name+`', '`+t.identity+`'),
			(SELECT COALESCE(MAX(`+t.identity+`), 0) + 1 FROM `+t.name+`), false)`); err != nil {
			return tc, fmt.Errorf("copy %s: %w", t.name, pgError(where, err))
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO meta(key, value) VALUES ($1, $2)`, "migrate.done."+t.name,
		strconv.FormatInt(tc.Target, 10)); err != nil {
		return tc, pgError(where, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return tc, pgError(where, err)
	}
	tc.Copied = true
	return tc, nil
}

type table struct {
	name     string
	columns  []string
	identity string // the INTEGER PRIMARY KEY column, an identity on PostgreSQL; "" when none
}

// copyTables lists the source's tables in an order that copies a referenced table before those referring to it.
func copyTables(ctx context.Context, db *sql.DB) ([]table, error) {
	names, err := queryStrings(ctx, db, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'services_fts%' AND name != 'schema_migrations' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	byName := map[string]table{}
	refs := map[string][]string{}
	for _, n := range names {
		t := table{name: n}
		rows, err := db.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`, n)
		if err != nil {
			return nil, err
		}
		pks := 0
		intPK := ""
		for rows.Next() {
			var col, typ string
			var pk int
			if err := rows.Scan(&col, &typ, &pk); err != nil {
				rows.Close()
				return nil, err
			}
			t.columns = append(t.columns, col)
			if pk > 0 {
				pks++
				if strings.EqualFold(typ, "INTEGER") {
					intPK = col
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if pks == 1 {
			t.identity = intPK
		}
		byName[n] = t
		if refs[n], err = queryStrings(ctx, db, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, n); err != nil {
			return nil, err
		}
	}
	var order []table
	placed := map[string]bool{}
	var place func(n string)
	place = func(n string) {
		if placed[n] {
			return
		}
		placed[n] = true
		for _, r := range refs[n] {
			if _, ok := byName[r]; ok {
				place(r)
			}
		}
		order = append(order, byName[n])
	}
	for _, n := range names {
		place(n)
	}
	return order, nil
}

func queryStrings(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func fingerprint(ctx context.Context, src *DB, tables []table) (copySource, error) {
	f := copySource{Path: src.path, Epoch: src.epoch, Rows: map[string]int64{}}
	if err := src.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM feed`).Scan(&f.FeedSeq); err != nil {
		return f, src.classify(err)
	}
	for _, t := range tables {
		var n int64
		if err := src.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+t.name+`"`).Scan(&n); err != nil {
			return f, src.classify(err)
		}
		f.Rows[t.name] = n
	}
	return f, nil
}

// claimTarget records from as the source of dst's copy, or checks that it is the one recorded; it refuses a target
// holding anything else. It reports whether an earlier run had begun this copy.
func claimTarget(ctx context.Context, dst *DB, from copySource, tables []table) (bool, error) {
	var began string
	err := dst.sql.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, migrateKey).Scan(&began)
	if err == nil {
		var was copySource
		if err := json.Unmarshal([]byte(began), &was); err != nil {
			return false, fmt.Errorf("%w: %s records a copy it cannot read (%v)", ErrCopyRefused, dst.path, err)
		}
		if was.Epoch != from.Epoch || was.FeedSeq != from.FeedSeq || !mapsEqualInt(was.Rows, from.Rows) {
			return false, fmt.Errorf("%w: %s holds a copy of %s begun when its change feed was at %d, but the source "+
				"is at %d now (or its tables changed): it changed since, so resuming would mix two states. Drop the "+
				"target database, create it anew and copy again (with the source's portal stopped)",
				ErrCopyRefused, dst.path, was.Path, was.FeedSeq, from.FeedSeq)
		}
		return true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, dst.classify(err)
	}
	for _, t := range tables {
		var n int64
		q := `SELECT COUNT(*) FROM "` + t.name + `"`
		if t.name == "meta" {
			q += ` WHERE key != 'epoch'` // written when the target was opened
		}
		if err := dst.sql.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return false, dst.classify(err)
		}
		if n > 0 {
			return false, fmt.Errorf("%w: %s is not empty (table %s has %d rows) and holds no copy of this source: "+
				"Atrium copies only into a new, empty database", ErrCopyRefused, dst.path, t.name, n)
		}
	}
	b, _ := json.Marshal(from)
	_, err = dst.sql.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)`, migrateKey, string(b))
	return false, dst.classify(err)
}

func mapsEqualInt(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// verifyCopy compares row counts, the feed's position, epoch and content between source and target.
func verifyCopy(ctx context.Context, src, dst *DB, from copySource, rep *CopyReport) error {
	var problems []string
	for i, tc := range rep.Tables {
		var n int64
		q := `SELECT COUNT(*) FROM "` + tc.Table + `"`
		if tc.Table == "meta" {
			q += ` WHERE key NOT LIKE 'migrate.%'`
		}
		if err := dst.sql.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return dst.classify(err)
		}
		rep.Tables[i].Target = n
		if n != from.Rows[tc.Table] {
			problems = append(problems, fmt.Sprintf("%s: %d rows in the source, %d in the target", tc.Table,
				from.Rows[tc.Table], n))
		}
	}
	var seq int64
	var epoch string
	if err := dst.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM feed`).Scan(&seq); err != nil {
		return dst.classify(err)
	}
	if err := dst.sql.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'epoch'`).Scan(&epoch); err != nil {
		return dst.classify(err)
	}
	if seq != from.FeedSeq || epoch != from.Epoch {
		problems = append(problems, fmt.Sprintf("change feed: the source is at %s.%d, the target at %s.%d",
			from.Epoch, from.FeedSeq, epoch, seq))
	}
	a, err := feedDigest(ctx, src.sql)
	if err != nil {
		return src.classify(err)
	}
	b, err := feedDigest(ctx, dst.sql)
	if err != nil {
		return dst.classify(err)
	}
	if a != b {
		problems = append(problems, "change feed: the entries differ")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrCopyMismatch, strings.Join(problems, "; "))
	}
	return nil
}

// feedDigest hashes every feed entry in sequence order.
func feedDigest(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, `SELECT kind, id, seq, deleted FROM feed ORDER BY seq`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	h := sha256.New()
	for rows.Next() {
		var kind, id string
		var seq, deleted int64
		if err := rows.Scan(&kind, &id, &seq, &deleted); err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\n", kind, id, seq, deleted)
	}
	return hex.EncodeToString(h.Sum(nil)), rows.Err()
}

// copyOrder is the order copyTables gives, by name (tests).
func copyOrder(ts []table) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.name)
	}
	return slices.Clip(out)
}

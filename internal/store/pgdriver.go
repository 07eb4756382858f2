package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// ErrUnavailable is wrapped by errors of a database server that cannot be reached right now: PostgreSQL is down,
// restarting or unreachable over the network. Requests fail at once with it (the API answers 503) and the portal
// recovers by itself when the server is back; nothing of the failed change was kept.
var ErrUnavailable = errors.New("database unavailable")

// The handle that packages get from DB.SQL works on both engines with the same SQL text: statements are written
// in the subset both understand (ON CONFLICT upserts, RETURNING, CAST, COALESCE, ...), with SQLite's `?` and `?N`
// placeholders; on PostgreSQL the connector below rewrites those to `$N`, passes Go bools as the integers the
// schema stores (0/1 in INTEGER columns, as in SQLite), and classifies the server's errors. The few statements
// that differ (full-text search, the queue's SKIP LOCKED) ask IsPostgres.
//
// Transactions keep SQLite's guarantee that read-write transactions never interleave: on PostgreSQL a transaction
// that is not read-only first takes a transaction-scoped advisory lock (lockWriter) that every replica's writers
// share, the exact counterpart of SQLite's BEGIN IMMEDIATE. Code written for one writer at a time therefore stays
// correct with several replicas, and the change feed's sequence numbers are handed out in commit order (feed.go).
// Read-only transactions run at REPEATABLE READ, one snapshot as in SQLite, and take no lock. Work that manages its
// own concurrency with row locks (the action queue's FOR UPDATE SKIP LOCKED) opts out with RowLocking.

// pgDriver marks a *sql.DB opened by OpenPostgres (see IsPostgres).
type pgDriver struct{ inner driver.Driver }

func (d pgDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("store: PostgreSQL connections are opened through store.OpenPostgres")
}

// IsPostgres reports whether db is a PostgreSQL handle of this package (else it is SQLite). Packages that keep
// their own tables ask it for the few statements that differ between the engines.
func IsPostgres(db *sql.DB) bool {
	_, ok := db.Driver().(pgDriver)
	return ok
}

type rowLockingKey struct{}

// RowLocking marks ctx for a transaction that locks the rows it works on itself (SELECT ... FOR UPDATE [SKIP
// LOCKED]): on PostgreSQL it runs at READ COMMITTED without the writers' lock, so that workers of several replicas
// proceed side by side. On SQLite it changes nothing (its writers are serialised by the file).
func RowLocking(ctx context.Context) context.Context {
	return context.WithValue(ctx, rowLockingKey{}, true)
}

func isRowLocking(ctx context.Context) bool { v, _ := ctx.Value(rowLockingKey{}).(bool); return v }

// LockKey is the advisory lock key of name, in a space of Atrium's own ("atrium:" + name hashed to 64 bits).
func LockKey(name string) int64 {
	h := fnv.New64a()
	_, _ = io.WriteString(h, "atrium:"+name)
	return int64(h.Sum64()) //nolint:gosec // a key, wrapping around is fine
}

// lockWriter serialises read-write transactions across replicas (see above).
var lockWriter = LockKey("writer")

type pgConnector struct {
	inner driver.Connector
	where string     // the server as messages name it: the URL without its password
	lost  *lostClock // when the server was last found unreachable
}

// lostClock remembers when the server was last found unreachable. A pooled connection idle since before then is
// checked (pinged) before it is used again, so that the first requests after an outage get fresh connections
// instead of failing on sockets the restarted server no longer knows.
type lostClock struct{ at atomic.Int64 }

func (l *lostClock) mark(err error) error {
	if l != nil && errors.Is(err, ErrUnavailable) {
		l.at.Store(time.Now().UnixNano())
	}
	return err
}

// shouldPing is stdlib's OptionShouldPing: pgx's own rule (idle for more than a second), or idle since an outage.
func (l *lostClock) shouldPing(_ context.Context, p stdlib.ShouldPingParams) bool {
	return p.IdleDuration > time.Second || time.Now().Add(-p.IdleDuration).UnixNano() <= l.at.Load()
}

func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, c.lost.mark(pgError(c.where, err))
	}
	return &pgConn{inner: cn.(*stdlib.Conn), where: c.where, lost: c.lost}, nil
}

func (c *pgConnector) Driver() driver.Driver { return pgDriver{inner: c.inner.Driver()} }

type pgConn struct {
	inner *stdlib.Conn
	where string
	lost  *lostClock
}

var (
	_ driver.ConnBeginTx        = (*pgConn)(nil)
	_ driver.ConnPrepareContext = (*pgConn)(nil)
	_ driver.ExecerContext      = (*pgConn)(nil)
	_ driver.QueryerContext     = (*pgConn)(nil)
	_ driver.Pinger             = (*pgConn)(nil)
	_ driver.SessionResetter    = (*pgConn)(nil)
	_ driver.NamedValueChecker  = (*pgConn)(nil)
)

func (c *pgConn) err(err error) error { return c.lost.mark(pgError(c.where, err)) }

// CheckNamedValue passes values to pgx as they are, but bools as 0 or 1: the schema keeps flags in integer
// columns on both engines.
func (c *pgConn) CheckNamedValue(v *driver.NamedValue) error {
	if b, ok := v.Value.(bool); ok {
		v.Value = int64(boolInt(b))
	}
	return nil
}

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.inner.PrepareContext(ctx, rebind(query))
	if err != nil {
		return nil, c.err(err)
	}
	return &pgStmt{inner: s, where: c.where, lost: c.lost}, nil
}

func (c *pgConn) Close() error { return c.inner.Close() }

func (c *pgConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	locking := isRowLocking(ctx)
	switch {
	case opts.ReadOnly && opts.Isolation == driver.IsolationLevel(sql.LevelDefault):
		opts.Isolation = driver.IsolationLevel(sql.LevelRepeatableRead) // one snapshot, as SQLite's read transaction
	case locking && opts.Isolation == driver.IsolationLevel(sql.LevelDefault):
		opts.Isolation = driver.IsolationLevel(sql.LevelReadCommitted)
	}
	t, err := c.inner.BeginTx(ctx, opts)
	if err != nil {
		return nil, c.err(err)
	}
	if !opts.ReadOnly && !locking {
		if _, err := c.inner.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`,
			[]driver.NamedValue{{Ordinal: 1, Value: lockWriter}}); err != nil {
			_ = t.Rollback() // the error that stopped the transaction is the one to report
			return nil, c.err(err)
		}
	}
	return &pgTx{inner: t, where: c.where, lost: c.lost}, nil
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) > 0 {
		query = rebind(query)
	}
	r, err := c.inner.ExecContext(ctx, query, args)
	if err != nil {
		return nil, c.err(err)
	}
	return r, nil
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) > 0 {
		query = rebind(query)
	}
	r, err := c.inner.QueryContext(ctx, query, args)
	if err != nil {
		return nil, c.err(err)
	}
	return &pgRows{inner: r.(*stdlib.Rows), where: c.where, lost: c.lost}, nil
}

func (c *pgConn) Ping(ctx context.Context) error { return c.inner.Ping(ctx) }

func (c *pgConn) ResetSession(ctx context.Context) error { return c.inner.ResetSession(ctx) }

type pgStmt struct {
	inner driver.Stmt
	where string
	lost  *lostClock
}

func (s *pgStmt) Close() error  { return s.inner.Close() }
func (s *pgStmt) NumInput() int { return s.inner.NumInput() }

func (s *pgStmt) Exec([]driver.Value) (driver.Result, error) {
	return nil, errors.New("store: Stmt.Exec without a context is not supported")
}

func (s *pgStmt) Query([]driver.Value) (driver.Rows, error) {
	return nil, errors.New("store: Stmt.Query without a context is not supported")
}

func (s *pgStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	r, err := s.inner.(driver.StmtExecContext).ExecContext(ctx, args)
	if err != nil {
		return nil, s.lost.mark(pgError(s.where, err))
	}
	return r, nil
}

func (s *pgStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	r, err := s.inner.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, s.lost.mark(pgError(s.where, err))
	}
	return &pgRows{inner: r.(*stdlib.Rows), where: s.where, lost: s.lost}, nil
}

type pgRows struct {
	inner *stdlib.Rows
	where string
	lost  *lostClock
}

func (r *pgRows) Columns() []string { return r.inner.Columns() }
func (r *pgRows) Close() error      { return r.lost.mark(pgError(r.where, r.inner.Close())) }

// Next passes io.EOF through untouched.
func (r *pgRows) Next(dest []driver.Value) error {
	err := r.inner.Next(dest)
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	return r.lost.mark(pgError(r.where, err))
}

func (r *pgRows) ColumnTypeDatabaseTypeName(i int) string {
	return r.inner.ColumnTypeDatabaseTypeName(i)
}
func (r *pgRows) ColumnTypeLength(i int) (int64, bool) { return r.inner.ColumnTypeLength(i) }
func (r *pgRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	return r.inner.ColumnTypePrecisionScale(i)
}
func (r *pgRows) ColumnTypeScanType(i int) reflect.Type { return r.inner.ColumnTypeScanType(i) }

type pgTx struct {
	inner driver.Tx
	where string
	lost  *lostClock
}

func (t *pgTx) Commit() error   { return t.lost.mark(pgError(t.where, t.inner.Commit())) }
func (t *pgTx) Rollback() error { return t.lost.mark(pgError(t.where, t.inner.Rollback())) }

// rebind rewrites SQLite's placeholders to PostgreSQL's: `?N` becomes `$N` and each bare `?` the next number after
// the highest so far (SQLite's own rule), outside string literals, quoted identifiers and comments.
func rebind(q string) string {
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			b.WriteString(q[i:min(j+1, len(q))])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j - 1
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			end := len(q)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(q[i:end])
			i = end - 1
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j > i+1 {
				var k int
				_, _ = fmt.Sscanf(q[i+1:j], "%d", &k)
				n = max(n, k)
				b.WriteString("$" + q[i+1:j])
				i = j - 1
			} else {
				n++
				fmt.Fprintf(&b, "$%d", n)
			}
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	rebound.Store(q, out)
	return out
}

// rebound caches rebind: the statements are a fixed set of constants (and IN lists of a few lengths).
var rebound sync.Map

// pgError classifies what PostgreSQL (or the way to it) answered into a *StorageError naming the server, the same
// way storageError does for SQLite files: the server cannot be reached (ErrUnavailable), its disk is full
// (ErrDiskFull), or it refuses Atrium for good (ErrUnusable: authentication, a missing database, a read-only
// standby). Anything else — a constraint, a serialisation failure — is returned as it is.
func pgError(where string, err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, driver.ErrBadConn) {
		return err
	}
	var already *StorageError
	if errors.As(err, &already) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		var ce *pgconn.ConnectError
		if !errors.As(err, &ce) {
			return err
		}
	}
	e := &StorageError{Path: where, Kind: ErrUnavailable, Err: err}
	unreachable := func(why string) error {
		e.Reason = "PostgreSQL cannot be reached (" + why + ")"
		e.Advice = "Check that the server is running and reachable from this host; requests fail until it is back, " +
			"and Atrium reconnects by itself"
		return e
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "53100": // disk_full
			e.Kind = ErrDiskFull
			e.Reason = "the server's disk is full; the change was not saved"
			e.Advice = "Free space on the database server (or grow its volume), then retry"
			return e
		case strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03",
			pe.Code == "53300": // connection exceptions, shutdown, starting up, too many connections
			return unreachable(pe.Message)
		case strings.HasPrefix(pe.Code, "28"): // invalid authorization
			e.Kind = ErrUnusable
			e.Reason = "the server refused Atrium's credentials (" + pe.Message + ")"
			e.Advice = "Check the user and password in the database URL (--database or ATRIUM_DATABASE_URL)"
			return e
		case pe.Code == "3D000": // invalid_catalog_name
			e.Kind = ErrUnusable
			e.Reason = "the database does not exist (" + pe.Message + ")"
			e.Advice = "Create it (createdb, or your provider's console) and give Atrium's user ownership of it"
			return e
		case pe.Code == "25006": // read_only_sql_transaction
			e.Kind = ErrUnusable
			e.Reason = "the server accepts no writes (a read-only standby?)"
			e.Advice = "Point the database URL at the primary"
			return e
		}
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &ce):
		msg := ce.Unwrap().Error()
		return unreachable(msg)
	case errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &oe), errors.As(err, &ne):
		return unreachable(err.Error())
	case strings.Contains(err.Error(), "conn closed"), strings.Contains(err.Error(), "unexpected EOF"):
		return unreachable(err.Error())
	}
	return err
}

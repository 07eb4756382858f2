package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrDiskFull is wrapped by errors of a database that cannot grow: the disk holding it is full (SQLITE_FULL). The
// API answers it with 507; nothing of the failed change was kept.
var ErrDiskFull = errors.New("database or disk is full")

// StorageError is a database failure that an operator must fix — the disk is full, the file is corrupt or
// read-only, the disk fails — wherever it happens: at Open, or at run time in any package using the handle. Its
// message names the file and what to do, and never carries SQL. It wraps ErrDiskFull or ErrUnusable, and SQLite's
// error.
type StorageError struct {
	Path   string
	Kind   error  // ErrDiskFull or ErrUnusable
	Reason string // what is wrong with the file
	Advice string // what to do about it
	Err    error  // SQLite's error, or nil
}

func (e *StorageError) Error() string {
	return fmt.Sprintf("%v: %s: %s. %s", e.Kind, e.Path, e.Reason, e.Advice)
}

// Unwrap lets errors.Is find the kind and errors.As find SQLite's error.
func (e *StorageError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// storageError classifies SQLite's error codes (not its messages) into a *StorageError naming path; any other
// error is returned as it is.
func storageError(path string, err error) error {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	var already *StorageError
	if errors.As(err, &already) {
		return err
	}
	e := &StorageError{Path: path, Kind: ErrUnusable, Err: se}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL:
		e.Kind = ErrDiskFull
		e.Reason = "the disk holding it is full (or the database reached its size limit); the change was not saved"
		e.Advice = "Free space on that disk, then retry"
	case sqlite3.SQLITE_CORRUPT:
		e.Reason, e.Advice = "it is corrupt ("+se.Error()+")", brokenAdvice(path)
	case sqlite3.SQLITE_NOTADB:
		e.Reason, e.Advice = "it is not a SQLite database", brokenAdvice(path)
	case sqlite3.SQLITE_READONLY:
		e.Reason = "it cannot be written (" + se.Error() + ")"
		e.Advice = "Check that the file and its directory are writable by Atrium's user and the disk is not mounted read-only"
	case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
		e.Reason = "it cannot be opened (" + se.Error() + ")"
		e.Advice = "Check the file's and its directory's permissions"
	case sqlite3.SQLITE_IOERR:
		e.Reason = "the disk failed to read or write it (" + se.Error() + ")"
		e.Advice = "Check the disk and the system log; restore the file from a backup if the disk is failing"
	default:
		return err
	}
	return e
}

func brokenAdvice(path string) string {
	return fmt.Sprintf("Atrium left it untouched. With Atrium stopped, move it aside to start with an empty "+
		"database (mv %q %q) or restore it from a backup", path, path+".broken")
}

// connector opens SQLite connections whose errors are classified by storageError, so that a full disk or a
// corrupt file is reported as such (with the path) by every user of the handle — flags, actions, collectors —
// not as an anonymous SQL error. Everything else passes through unchanged.
type connector struct {
	inner driver.Connector
	path  string
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, storageError(c.path, err)
	}
	return &conn{inner: cn, path: c.path}, nil
}

func (c *connector) Driver() driver.Driver { return c.inner.Driver() }

// conn wraps a modernc connection, which implements every interface below.
type conn struct {
	inner driver.Conn
	path  string
}

var (
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.SessionResetter    = (*conn)(nil)
	_ driver.Validator          = (*conn)(nil)
)

func (c *conn) err(err error) error { return storageError(c.path, err) }

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var s driver.Stmt
	var err error
	if p, ok := c.inner.(driver.ConnPrepareContext); ok {
		s, err = p.PrepareContext(ctx, query)
	} else {
		s, err = c.inner.Prepare(query)
	}
	if err != nil {
		return nil, c.err(err)
	}
	return &stmt{inner: s, path: c.path}, nil
}

func (c *conn) Close() error { return c.err(c.inner.Close()) }

func (c *conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	var t driver.Tx
	var err error
	if b, ok := c.inner.(driver.ConnBeginTx); ok {
		t, err = b.BeginTx(ctx, opts)
	} else {
		t, err = c.inner.Begin() //nolint:staticcheck // deprecated, yet the fallback database/sql uses too for a driver without BeginTx
	}
	if err != nil {
		return nil, c.err(err)
	}
	return &tx{inner: t, path: c.path}, nil
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.inner.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	r, err := e.ExecContext(ctx, query, args)
	return r, c.err(err)
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.inner.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	r, err := q.QueryContext(ctx, query, args)
	if err != nil {
		return nil, c.err(err)
	}
	return &rows{inner: r, path: c.path}, nil
}

func (c *conn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return c.err(p.Ping(ctx))
	}
	return nil
}

func (c *conn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

type stmt struct {
	inner driver.Stmt
	path  string
}

func (s *stmt) Close() error  { return storageError(s.path, s.inner.Close()) }
func (s *stmt) NumInput() int { return s.inner.NumInput() }

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	r, err := s.inner.Exec(args) //nolint:staticcheck // driver.Stmt requires Exec; database/sql calls it only when ExecContext is missing
	return r, storageError(s.path, err)
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	r, err := s.inner.Query(args) //nolint:staticcheck // driver.Stmt requires Query; database/sql calls it only when QueryContext is missing
	if err != nil {
		return nil, storageError(s.path, err)
	}
	return &rows{inner: r, path: s.path}, nil
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	e, ok := s.inner.(driver.StmtExecContext)
	if !ok {
		return nil, errors.New("store: driver statement without ExecContext")
	}
	r, err := e.ExecContext(ctx, args)
	return r, storageError(s.path, err)
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.inner.(driver.StmtQueryContext)
	if !ok {
		return nil, errors.New("store: driver statement without QueryContext")
	}
	r, err := q.QueryContext(ctx, args)
	if err != nil {
		return nil, storageError(s.path, err)
	}
	return &rows{inner: r, path: s.path}, nil
}

type rows struct {
	inner driver.Rows
	path  string
}

func (r *rows) Columns() []string { return r.inner.Columns() }
func (r *rows) Close() error      { return storageError(r.path, r.inner.Close()) }

// Next passes io.EOF through untouched (it is not a SQLite error).
func (r *rows) Next(dest []driver.Value) error { return storageError(r.path, r.inner.Next(dest)) }

func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	if c, ok := r.inner.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return c.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *rows) ColumnTypeLength(i int) (int64, bool) {
	if c, ok := r.inner.(driver.RowsColumnTypeLength); ok {
		return c.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *rows) ColumnTypeNullable(i int) (bool, bool) {
	if c, ok := r.inner.(driver.RowsColumnTypeNullable); ok {
		return c.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *rows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if c, ok := r.inner.(driver.RowsColumnTypePrecisionScale); ok {
		return c.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *rows) ColumnTypeScanType(i int) reflect.Type {
	if c, ok := r.inner.(driver.RowsColumnTypeScanType); ok {
		return c.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

type tx struct {
	inner driver.Tx
	path  string
}

func (t *tx) Commit() error   { return storageError(t.path, t.inner.Commit()) }
func (t *tx) Rollback() error { return storageError(t.path, t.inner.Rollback()) }

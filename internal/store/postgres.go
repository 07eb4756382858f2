package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// IsPostgresURL reports whether s names a PostgreSQL database (postgres:// or postgresql://) rather than a file.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// RedactURL is a database URL fit for logs and messages: its password replaced by "xxxxx".
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "postgres://(a URL that does not parse)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// feedChannel is the LISTEN/NOTIFY channel on which writers of the change feed announce a commit.
const feedChannel = "atrium_feed"

// Pool limits of a PostgreSQL handle: each replica holds at most this many connections (plus one listening, one
// leading), unless the URL says pool_max_conns=N.
const (
	pgMaxConns = 24
	// pgConnectTimeout bounds a connection attempt when the URL sets no connect_timeout, so that requests fail
	// fast while the server is unreachable instead of hanging on a dial.
	pgConnectTimeout = 5 * time.Second
)

// OpenPostgres opens the PostgreSQL database at url (postgres://USER[:PASSWORD]@HOST:PORT/DB[?PARAMS], libpq's
// parameters) and migrates it to the current schema. Several portal replicas may open one database at once: they
// migrate it one after the other, share its change feed, and wake each other's long polls (LISTEN/NOTIFY).
// A server that cannot be reached is reported with ErrUnavailable, wrong credentials or a missing database with
// ErrUnusable; messages name the server by its URL without the password.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	return OpenPostgresAt(ctx, url, LatestVersion())
}

// OpenPostgresAt is OpenPostgres migrating only up to schema version upTo.
func OpenPostgresAt(ctx context.Context, url string, upTo int) (*DB, error) {
	where := RedactURL(url)
	url, maxConns, err := poolSize(url)
	if err != nil {
		return nil, fmt.Errorf("%w: database URL %s: %v", ErrUnusable, where, err)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("%w: database URL %s: %v", ErrUnusable, where, redactErr(err, url))
	}
	if !strings.Contains(url, "connect_timeout") {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "atrium"
	}
	// A replica that hangs inside a transaction (its host frozen, its network cut) must not hold the writers' lock
	// for ever: the server ends such a session after a minute.
	if cfg.RuntimeParams["idle_in_transaction_session_timeout"] == "" {
		cfg.RuntimeParams["idle_in_transaction_session_timeout"] = "60000"
	}
	listenCfg := cfg.Copy()
	lost := &lostClock{}
	sdb := sql.OpenDB(&pgConnector{inner: stdlib.GetConnector(*cfg, stdlib.OptionShouldPing(lost.shouldPing)),
		where: where, lost: lost})
	sdb.SetMaxOpenConns(maxConns)
	sdb.SetMaxIdleConns(maxConns)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{Now: time.Now, After: time.After, sql: sdb, path: where, engine: Postgres, changed: make(chan struct{}),
		pgConfig: cfg.Copy(), reads: map[string]*feedRead{}}
	fail := func(err error) (*DB, error) {
		_ = sdb.Close() // the error that stopped the open is the one to report
		return nil, d.classify(err)
	}
	if err := sdb.PingContext(ctx); err != nil {
		return fail(fmt.Errorf("open database %s: %w", where, err))
	}
	if err := d.migrate(ctx, upTo); err != nil {
		return fail(err)
	}
	if err := d.loadEpoch(ctx); err != nil {
		return fail(err)
	}
	lctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	d.listening = make(chan struct{})
	go func() { defer close(done); d.listen(lctx, listenCfg, lost) }()
	d.stop = func() { cancel(); <-done }
	return d, nil
}

// poolSize takes the pool's size from the URL's pool_max_conns parameter (pgxpool's name for it; not one of
// PostgreSQL's, so it is removed before the URL is parsed), else pgMaxConns.
func poolSize(s string) (string, int, error) {
	u, err := url.Parse(s)
	if err != nil {
		return s, 0, errors.New("the URL does not parse")
	}
	q := u.Query()
	v := q.Get("pool_max_conns")
	if v == "" {
		return s, pgMaxConns, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 2 || n > 1000 {
		return s, 0, fmt.Errorf("pool_max_conns=%q: a number of connections from 2 to 1000", v)
	}
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	return u.String(), n, nil
}

// redactErr keeps a password that the URL holds out of an error's text.
func redactErr(err error, url string) string {
	msg := err.Error()
	if u, perr := parseURL(url); perr == nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

func parseURL(s string) (*url.URL, error) { return url.Parse(s) }

// listen holds one connection LISTENing on feedChannel and wakes this replica's long polls at every commit of any
// replica. When the connection breaks it wakes them too (a poll then asks the database, which answers or fails
// fast) and connects again, backing off up to five seconds.
func (d *DB) listen(ctx context.Context, cfg *pgx.ConnConfig, lost *lostClock) {
	backoff := 100 * time.Millisecond
	down := false
	var first sync.Once
	for {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+feedChannel)
		}
		if err == nil {
			if down {
				slog.Info("change feed: listening for other replicas' commits again", "database", d.path)
				down = false
			}
			backoff = 100 * time.Millisecond
			d.notify() // whatever was committed while nobody listened
			first.Do(func() { close(d.listening) })
			for {
				if _, err = conn.WaitForNotification(ctx); err != nil {
					break
				}
				d.notify()
			}
		}
		if conn != nil {
			_ = conn.Close(context.Background()) // a broken connection: nothing to flush
		}
		if ctx.Err() != nil {
			return
		}
		err = lost.mark(pgError(d.path, err))
		if !down {
			slog.Warn("change feed: lost the connection listening for other replicas' commits; reconnecting",
				"database", d.path, "err", err)
			down = true
		}
		d.notify()
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

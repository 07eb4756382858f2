// Package replica keeps a desktop's SQLite replica in step with its portal by pulling the portal's change feed.
package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/internal/store"
)

// Sync states, as the UI shows them.
const (
	StateSyncing  = "syncing"
	StateUpToDate = "up_to_date"
	StateOffline  = "offline"
	StateError    = "error"
)

// Status is what the sync status line shows.
type Status struct {
	State   string    `json:"state"`
	Done    int       `json:"done"`
	Total   int       `json:"total"`
	AsOf    time.Time `json:"as_of,omitzero"`
	Message string    `json:"message,omitempty"`
	// Origin is where the replica's data came from: a portal URL, or "local" for local mode. It differs from the
	// current connection after switching portals, until the new one's first batch replaces the data.
	Origin string `json:"origin,omitempty"`
	// DataVersion changes exactly when the replica's content changes, so views know when to refetch.
	DataVersion string `json:"data_version"`
}

const (
	asOfKey   = "replica.as_of"
	originKey = "replica.origin"
)

// Loop pulls the feed into the replica until its context ends.
type Loop struct {
	DB     *store.DB
	Client *client.Client
	Log    *slog.Logger
	// Wait is how long each request holds open for a change once caught up (long poll).
	Wait time.Duration
	// Batch is the number of changes asked for per request.
	Batch int
	// MaxBackoff caps the pause between attempts while the portal is unreachable.
	MaxBackoff time.Duration
	// Origin names the portal this loop pulls from ("local" or its URL), recorded with the data it brings.
	Origin string
	// Fleet, when set, reports this install on every feed request and sees every batch before it is applied: the
	// portal's signed fleet configuration rides the feed (docs/fleet.md). Set it before Run.
	Fleet FeedHook

	mu      sync.Mutex
	status  Status
	kick    chan struct{}
	settled chan struct{} // closed when the first attempt has ended; made by Settled
	isSet   bool
}

// FeedHook is the desktop's fleet configuration, as the sync loop sees it.
type FeedHook interface {
	// Header is what each feed request reports of the install.
	Header() http.Header
	// Receive is handed every batch (with the portal's key and, when it changed, the fleet configuration).
	Receive(ctx context.Context, b store.Batch)
}

// SetTimings changes how long each request waits for a change once caught up, and the longest pause between
// attempts while the portal is unreachable, from the next request on (zero keeps a value).
func (l *Loop) SetTimings(wait, maxBackoff time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if wait > 0 {
		l.Wait = wait
	}
	if maxBackoff > 0 {
		l.MaxBackoff = maxBackoff
	}
}

// Timings are the long poll and the longest pause between attempts in force.
func (l *Loop) Timings() (wait, maxBackoff time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.Wait, l.MaxBackoff
}

// New returns a loop pulling from the portal named origin with default timings.
func New(db *store.DB, c *client.Client, origin string, log *slog.Logger) *Loop {
	l := &Loop{DB: db, Client: c, Log: log, Origin: origin, Wait: 20 * time.Second, Batch: 500,
		MaxBackoff: 10 * time.Second, kick: make(chan struct{}, 1)}
	l.status = Status{State: StateSyncing}
	ctx := context.Background()
	if s, _ := db.Meta(ctx, asOfKey); s != "" {
		l.status.AsOf, _ = time.Parse(time.RFC3339Nano, s)
	}
	l.status.Origin, _ = db.Meta(ctx, originKey)
	l.status.DataVersion, _ = db.Meta(ctx, store.ReplicaCursorKey)
	return l
}

// Status returns the current sync status.
func (l *Loop) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status
}

func (l *Loop) setStatus(f func(*Status)) {
	l.mu.Lock()
	f(&l.status)
	if l.status.State != StateSyncing && !l.isSet {
		l.isSet = true
		if l.settled != nil {
			close(l.settled)
		}
	}
	l.mu.Unlock()
}

// Settled is closed once the loop's first attempt has ended: the replica caught up with the portal, or the portal
// could not be reached (Status says which). Commands that answer from the replica wait for it.
func (l *Loop) Settled() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.settled == nil {
		l.settled = make(chan struct{})
		if l.isSet {
			close(l.settled)
		}
	}
	return l.settled
}

// Kick makes a loop that is waiting between attempts try again now.
func (l *Loop) Kick() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Run syncs until ctx ends. Failures to reach the portal put the loop in the offline state and it retries with
// backoff; it never gives up and never touches the replica's data on failure.
func (l *Loop) Run(ctx context.Context) {
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		err := l.pull(ctx)
		if err == nil || ctx.Err() != nil {
			backoff = 500 * time.Millisecond
			continue
		}
		state, msg := StateOffline, err.Error()
		var ae *client.APIError
		if errors.As(err, &ae) {
			state = StateError
			if ae.Status == 401 {
				msg = "the portal rejected the token (" + ae.Message + "); set a valid token in Settings"
			}
		}
		prev := l.Status().State
		l.setStatus(func(s *Status) { s.State, s.Message, s.Done, s.Total = state, msg, 0, 0 })
		if prev != state {
			l.Log.Warn("replica sync failed", "state", state, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-l.kick:
		case <-time.After(backoff):
		}
		_, maxBackoff := l.Timings()
		backoff = min(backoff*2, maxBackoff)
	}
}

// pull reads batches until caught up, then one long poll; it returns after the long poll so that Run's loop
// re-enters with fresh state.
func (l *Loop) pull(ctx context.Context) error {
	cursor, err := l.DB.Meta(ctx, store.ReplicaCursorKey)
	if err != nil {
		return fmt.Errorf("read replica cursor: %w", err)
	}
	done := 0
	wait := time.Duration(0)
	longPoll, _ := l.Timings()
	if l.Status().State == StateUpToDate {
		wait = longPoll
	}
	for {
		var header http.Header
		if l.Fleet != nil {
			header = l.Fleet.Header()
		}
		b, err := l.Client.ChangesWith(ctx, cursor, l.Batch, wait, header)
		if err != nil {
			return err
		}
		if l.Fleet != nil {
			l.Fleet.Receive(ctx, b)
		}
		if len(b.Changes) > 0 || b.Reset {
			total := done + len(b.Changes) + b.Remaining
			l.setStatus(func(s *Status) { s.State, s.Done, s.Total, s.Message = StateSyncing, done, total, "" })
			if err := l.DB.ApplyBatch(ctx, b); err != nil {
				return fmt.Errorf("apply changes to replica %s: %w", l.DB.Path(), err)
			}
			if b.Reset {
				if err := l.DB.SetMeta(ctx, originKey, l.Origin); err != nil {
					return err
				}
			}
			done += len(b.Changes)
			l.setStatus(func(s *Status) {
				s.Done, s.DataVersion = done, b.Cursor
				if b.Reset {
					s.Origin = l.Origin
				}
			})
		} else if err := l.DB.SetMeta(ctx, store.ReplicaCursorKey, b.Cursor); err != nil {
			return err
		}
		cursor = b.Cursor
		if b.Remaining == 0 {
			now := time.Now().UTC()
			if err := l.DB.SetMeta(ctx, asOfKey, now.Format(time.RFC3339Nano)); err != nil {
				return err
			}
			if done > 0 {
				l.Log.Info("replica synced", "changes", done)
			}
			l.setStatus(func(s *Status) { s.State, s.AsOf, s.Message, s.Done, s.Total = StateUpToDate, now, "", done, done })
			if wait > 0 || len(b.Changes) > 0 {
				return nil
			}
			wait = longPoll
			continue
		}
		wait = 0
	}
}

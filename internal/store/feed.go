package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

// Change is one entity in the change feed, carried whole: a reader applies it without asking for more.
type Change struct {
	Seq     int64            `json:"seq"`
	Kind    string           `json:"kind"`
	ID      string           `json:"id"`
	Deleted bool             `json:"deleted,omitempty"`
	Service *catalog.Service `json:"service,omitempty"`
	Team    *catalog.Team    `json:"team,omitempty"`
	// Scorecard (kind "scorecard", ID the service) carries its history of the last TrendWeeks weeks; ScoreRules
	// (kind "scorerules") is the rule set in force.
	Scorecard  *catalog.Scorecard  `json:"scorecard,omitempty"`
	ScoreRules *catalog.ScoreRules `json:"score_rules,omitempty"`
	// Fleet (kind "fleet", ID "config") is the newest fleet configuration, signed by the portal (docs/fleet.md).
	// Replicas do not store it: the desktop checks and applies it.
	Fleet *catalog.FleetConfig `json:"fleet,omitempty"`
	// Secret is a secret's metadata (kind "secret"); never its value.
	Secret *catalog.Secret `json:"secret,omitempty"`
	// Drift is a drift item (kind "drift"); DriftStatus what the last detection could see (kind "driftstatus").
	Drift       *catalog.DriftItem   `json:"drift,omitempty"`
	DriftStatus *catalog.DriftStatus `json:"drift_status,omitempty"`
}

// Batch is one page of the change feed.
type Batch struct {
	// Cursor is where the next request continues; opaque to readers.
	Cursor string `json:"cursor"`
	// Reset tells the reader its cursor was not from this feed (first sync, or the portal's database was replaced):
	// it must drop what it holds before applying the batch.
	Reset     bool     `json:"reset"`
	Changes   []Change `json:"changes"`
	Remaining int      `json:"remaining"` // changes waiting after this batch
	Sources   []Source `json:"sources"`   // every collector's freshness, which is not itself a change
	// FleetKey is the portal's public ed25519 key (base64), which signs the fleet configuration: desktops pin it on
	// first connect. Set by the portal's feed endpoint; empty from a store alone.
	FleetKey string `json:"fleet_key,omitempty"`
}

// ErrBusy is wrapped by reads of the change feed that the portal could not answer in time, overloaded: the API
// answers 503 with Retry-After, and a desktop tries again later (nothing is lost: its cursor stays where it was).
var ErrBusy = errors.New("the portal is too busy to answer now")

// ErrBadCursor is returned for a cursor that is not of the form this feed hands out.
var ErrBadCursor = errors.New("malformed cursor")

func (d *DB) parseCursor(c string) (since int64, reset bool, err error) {
	if c == "" {
		return 0, true, nil
	}
	epoch, seq, ok := strings.Cut(c, ".")
	n, perr := strconv.ParseInt(seq, 10, 64)
	if !ok || perr != nil || n < 0 {
		return 0, false, fmt.Errorf("%w %q", ErrBadCursor, c)
	}
	if epoch != d.epoch {
		return 0, true, nil
	}
	return n, false, nil
}

// Changes returns up to limit changed entities after cursor, oldest first. When there are none and wait > 0 it
// waits up to wait for one (long poll), returning early when ctx ends. A wait woken by a change lingers Coalesce
// before reading, so that a burst of changes goes out in one answer.
func (d *DB) Changes(ctx context.Context, cursor string, limit int, wait time.Duration) (Batch, error) {
	sb, err := d.changes(ctx, cursor, limit, wait)
	if sb == nil {
		return Batch{}, err
	}
	return sb.b, err
}

// ChangesJSON is Changes answered as the JSON of the batch (what GET /api/v1/changes sends). Long polls answered by
// one shared read (below) share its encoding too: a change that wakes a thousand desktops waiting at the head of
// the feed is read once and encoded once. fleetKey is set as the batch's FleetKey (a portal has one).
func (d *DB) ChangesJSON(ctx context.Context, cursor string, limit int, wait time.Duration, fleetKey string) ([]byte, error) {
	sb, err := d.changes(ctx, cursor, limit, wait)
	if err != nil {
		return nil, err
	}
	return sb.encoded(fleetKey)
}

func (d *DB) changes(ctx context.Context, cursor string, limit int, wait time.Duration) (*sharedBatch, error) {
	since, reset, err := d.parseCursor(cursor)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 500
	}
	var timer <-chan time.Time
	ch, gen := d.changedGen()
	for woken := false; ; woken = true {
		sb, err := d.sharedChangesAfter(ctx, gen, since, reset, limit, woken)
		if err != nil || len(sb.b.Changes) > 0 || wait <= 0 {
			return sb, err
		}
		if timer == nil {
			timer = d.After(wait) // from the first empty answer: a change from here on wakes ch
		}
		select {
		case <-ch:
			if d.Coalesce > 0 {
				select {
				case <-d.After(d.Coalesce):
				case <-ctx.Done():
					return sb, nil
				}
			}
		case <-timer:
			return sb, nil
		case <-ctx.Done():
			return sb, nil
		}
		ch, gen = d.changedGen()
	}
}

// sharedBatch is a batch read once for every long poll that asked for it, encoded at most once for the fleet key
// of its first reader (a portal has one key; another key, as in tests, is encoded apart).
type sharedBatch struct {
	b    Batch
	once sync.Once
	key  string
	js   []byte
	err  error
}

func (s *sharedBatch) encoded(fleetKey string) ([]byte, error) {
	s.once.Do(func() {
		s.key = fleetKey
		s.js, s.err = encodeBatch(s.b, fleetKey)
	})
	if fleetKey != s.key {
		return encodeBatch(s.b, fleetKey)
	}
	return s.js, s.err
}

func encodeBatch(b Batch, fleetKey string) ([]byte, error) {
	b.FleetKey = fleetKey // b is a copy: the shared batch stays as read
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(b)
	return buf.Bytes(), err
}

// feedRead is one read of the feed after a cursor, shared by every long poll asking for that cursor that was told
// of no change newer than the read: gen is how many changes had been announced when the read began.
type feedRead struct {
	gen  uint64
	done chan struct{}
	sb   *sharedBatch
	err  error
}

// sharedChangesAfter is changesAfter, read once for many callers: desktops at the head of the feed all hold the
// same cursor, and a change wakes every one of their long polls at once; one read of the database answers them
// all. gen is the number of changes announced when the caller looked; it may take any read of its cursor begun
// after that announcement (one begun before could miss the change it was told of, and it would wait for the next).
// A read already finished is taken only by a caller woken by an announced change (woken): the thousand long polls one
// change wakes. Any other caller (a plain read, a long poll's first look) takes a read in flight or begins one:
// commits nobody announced here — another process writing the same SQLite file — are seen at its next read.
// The batch is shared: callers must not change it.
func (d *DB) sharedChangesAfter(ctx context.Context, gen uint64, since int64, reset bool, limit int,
	woken bool) (*sharedBatch, error) {
	key := fmt.Sprintf("%d/%t/%d", since, reset, limit)
	d.readsMu.Lock()
	r := d.reads[key]
	if r == nil || r.gen < gen || r.failed() || (!woken && r.finished()) {
		_, cur := d.changedGen()
		r = &feedRead{gen: cur, done: make(chan struct{})}
		for k, old := range d.reads { // reads no caller told of the newest change wants any more
			if old.gen < cur && old.finished() {
				delete(d.reads, k)
			}
		}
		d.reads[key] = r
		go func() {
			defer close(r.done)
			// Not the first caller's context: its going away must not fail the others.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			var b Batch
			b, r.err = d.changesAfter(rctx, since, reset, limit)
			r.sb = &sharedBatch{b: b}
		}()
	}
	d.readsMu.Unlock()
	select {
	case <-r.done:
		if errors.Is(r.err, context.DeadlineExceeded) && ctx.Err() == nil {
			return r.sb, fmt.Errorf("%w: reading the change feed took longer than a minute", ErrBusy)
		}
		return r.sb, r.err
	case <-ctx.Done():
		return &sharedBatch{b: emptyBatch(d.epoch, since, reset)}, ctx.Err()
	}
}

func (r *feedRead) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (r *feedRead) failed() bool { return r.finished() && r.err != nil }

func emptyBatch(epoch string, since int64, reset bool) Batch {
	return Batch{Reset: reset, Changes: []Change{}, Cursor: epoch + "." + strconv.FormatInt(since, 10)}
}

func (d *DB) changesAfter(ctx context.Context, since int64, reset bool, limit int) (Batch, error) {
	// One snapshot for the batch (and no lock: it only reads), so the entities and the counts agree.
	tx, err := d.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return emptyBatch(d.epoch, since, reset), d.classify(err)
	}
	defer tx.Rollback()
	return d.changesIn(ctx, tx, since, reset, limit)
}

func (d *DB) changesIn(ctx context.Context, tx *sql.Tx, since int64, reset bool, limit int) (Batch, error) {
	b := Batch{Reset: reset, Changes: []Change{}, Cursor: d.epoch + "." + strconv.FormatInt(since, 10)}
	// A reader starting over needs no tombstones.
	rows, err := tx.QueryContext(ctx, `SELECT kind, id, seq, deleted FROM feed WHERE seq > ? AND (? = 0 OR deleted = 0)
		ORDER BY seq LIMIT ?`, since, boolInt(reset), limit)
	if err != nil {
		return b, d.classify(err)
	}
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.Kind, &c.ID, &c.Seq, &c.Deleted); err != nil {
			rows.Close()
			return b, err
		}
		b.Changes = append(b.Changes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, err
	}
	// Services, the bulk of a batch, are read together: a few queries for the batch rather than four each.
	var names []string
	for _, c := range b.Changes {
		if c.Kind == KindService && !c.Deleted {
			names = append(names, c.ID)
		}
	}
	svcs, err := loadServices(ctx, tx, names)
	if err != nil {
		return b, err
	}
	byName := make(map[string]*catalog.Service, len(svcs))
	for i := range svcs {
		byName[svcs[i].Name] = &svcs[i]
	}
	for i := range b.Changes {
		c := &b.Changes[i]
		if c.Deleted {
			continue
		}
		switch c.Kind {
		case KindService:
			if c.Service = byName[c.ID]; c.Service == nil {
				c.Deleted = true // deleted after the feed row was written; its tombstone follows
			}
		case KindTeam:
			var t catalog.Team
			err := tx.QueryRowContext(ctx, `SELECT name, display_name, description, contact FROM teams WHERE name = ?`,
				c.ID).Scan(&t.Name, &t.DisplayName, &t.Description, &t.Contact)
			if errors.Is(err, sql.ErrNoRows) {
				c.Deleted = true
				continue
			}
			if err != nil {
				return b, err
			}
			c.Team = &t
		case KindScorecard:
			sc, err := getScorecard(ctx, tx, c.ID, d.Now())
			if errors.Is(err, catalog.ErrNotFound) {
				c.Deleted = true
				continue
			}
			if err != nil {
				return b, err
			}
			c.Scorecard = &sc
		case KindScoreRules:
			r, ok, err := scoreRulesIn(ctx, tx)
			if err != nil {
				return b, err
			}
			if !ok {
				c.Deleted = true
				continue
			}
			c.ScoreRules = &r
		case KindFleet:
			fc, ok, err := latestFleetConfig(ctx, tx)
			if err != nil {
				return b, err
			}
			if !ok {
				c.Deleted = true
				continue
			}
			c.Fleet = &fc
		case KindSecret:
			sec, err := getSecret(ctx, tx, c.ID)
			if errors.Is(err, catalog.ErrNotFound) {
				c.Deleted = true
				continue
			}
			if err != nil {
				return b, err
			}
			c.Secret = &sec
		case KindDrift:
			it, err := getDrift(ctx, d.sql, c.ID, d.Now())
			if errors.Is(err, catalog.ErrNotFound) {
				c.Deleted = true
				continue
			}
			if err != nil {
				return b, err
			}
			c.Drift = &it
		case KindDriftStatus:
			st, ok, err := d.DriftStatus(ctx)
			if err != nil {
				return b, err
			}
			if !ok {
				c.Deleted = true
				continue
			}
			c.DriftStatus = &st
		}
	}
	last := since
	if n := len(b.Changes); n > 0 {
		last = b.Changes[n-1].Seq
		b.Cursor = d.epoch + "." + strconv.FormatInt(last, 10)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM feed WHERE seq > ? AND (? = 0 OR deleted = 0)`,
		last, boolInt(reset)).Scan(&b.Remaining); err != nil {
		return b, err
	}
	b.Sources, err = sourcesIn(ctx, tx)
	return b, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ReplicaCursorKey is the meta key under which a replica keeps its position in its portal's feed.
const ReplicaCursorKey = "replica.cursor"

// ApplyBatch writes a batch received from a portal's feed into this (replica) database in one transaction,
// together with the new cursor, so a crash never leaves the replica ahead of or behind what it recorded.
func (d *DB) ApplyBatch(ctx context.Context, b Batch) error {
	_, err := d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		if b.Reset {
			for _, q := range []string{`DELETE FROM services`, `DELETE FROM teams`, `DELETE FROM sources`,
				`DELETE FROM scorecards`, `DELETE FROM scorecard_history`, `DELETE FROM meta WHERE key = '` + scoreRulesKey + `'`,
				`DELETE FROM secrets`, `DELETE FROM drift_items`, `DELETE FROM meta WHERE key = '` + driftStatusKey + `'`} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return 0, err
				}
			}
		}
		for _, c := range b.Changes {
			var err error
			switch {
			case c.Kind == KindService && c.Deleted:
				err = deleteService(ctx, tx, c.ID, bump)
			case c.Kind == KindService && c.Service != nil:
				_, err = putService(ctx, tx, *c.Service, false, d.Now(), bump)
			case c.Kind == KindTeam && c.Deleted:
				if _, err = tx.ExecContext(ctx, `DELETE FROM teams WHERE name = ?`, c.ID); err == nil {
					err = bump(KindTeam, c.ID, true)
				}
			case c.Kind == KindTeam && c.Team != nil:
				_, err = putTeam(ctx, tx, *c.Team, bump)
			case c.Kind == KindScorecard && c.Deleted:
				err = deleteScorecard(ctx, tx, c.ID, bump)
			case c.Kind == KindScorecard && c.Scorecard != nil:
				history := c.Scorecard.History
				if history == nil {
					history = []catalog.ScorePoint{}
				}
				if err = putScorecard(ctx, tx, *c.Scorecard, "", "", history); err == nil {
					err = bump(KindScorecard, c.ID, false)
				}
			case c.Kind == KindScoreRules && c.Deleted:
				if _, err = tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, scoreRulesKey); err == nil {
					err = bump(KindScoreRules, c.ID, true)
				}
			case c.Kind == KindScoreRules && c.ScoreRules != nil:
				var v []byte
				if v, err = json.Marshal(c.ScoreRules); err == nil {
					if _, err = tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
						ON CONFLICT(key) DO UPDATE SET value = excluded.value`, scoreRulesKey, string(v)); err == nil {
						err = bump(KindScoreRules, c.ID, false)
					}
				}
			case c.Kind == KindSecret && c.Deleted:
				err = deleteSecretRow(ctx, tx, c.ID, bump)
			case c.Kind == KindSecret && c.Secret != nil:
				err = applySecret(ctx, tx, *c.Secret, bump)
			case c.Kind == KindDrift && c.Deleted:
				if _, err = tx.ExecContext(ctx, `DELETE FROM drift_items WHERE id = ?`, c.ID); err == nil {
					err = bump(KindDrift, c.ID, true)
				}
			case c.Kind == KindDrift && c.Drift != nil:
				err = applyDrift(ctx, tx, *c.Drift, bump)
			case c.Kind == KindDriftStatus && c.Deleted:
				if _, err = tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, driftStatusKey); err == nil {
					err = bump(KindDriftStatus, c.ID, true)
				}
			case c.Kind == KindDriftStatus && c.DriftStatus != nil:
				err = applyDriftStatus(ctx, tx, *c.DriftStatus, bump)
			}
			if err != nil {
				return 0, fmt.Errorf("apply %s %q: %w", c.Kind, c.ID, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sources`); err != nil {
			return 0, err
		}
		for _, s := range b.Sources {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sources(name, synced_at, status, message) VALUES (?, ?, ?, ?)`,
				s.Name, s.SyncedAt.UnixMilli(), s.Status, s.Message); err != nil {
				return 0, err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, ReplicaCursorKey, b.Cursor)
		return len(b.Changes), err
	})
	return err
}

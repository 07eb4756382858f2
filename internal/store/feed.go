package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
// waits up to wait for one (long poll), returning early when ctx ends.
func (d *DB) Changes(ctx context.Context, cursor string, limit int, wait time.Duration) (Batch, error) {
	since, reset, err := d.parseCursor(cursor)
	if err != nil {
		return Batch{}, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 500
	}
	var timer <-chan time.Time
	for {
		ch := d.changedChan()
		b, err := d.changesAfter(ctx, since, reset, limit)
		if err != nil || len(b.Changes) > 0 || wait <= 0 {
			return b, err
		}
		if timer == nil {
			timer = d.After(wait) // from the first empty answer: a change from here on wakes ch
		}
		select {
		case <-ch:
		case <-timer:
			return b, nil
		case <-ctx.Done():
			return b, nil
		}
	}
}

func (d *DB) changesAfter(ctx context.Context, since int64, reset bool, limit int) (Batch, error) {
	b := Batch{Reset: reset, Changes: []Change{}, Cursor: d.epoch + "." + strconv.FormatInt(since, 10)}
	// A reader starting over needs no tombstones.
	rows, err := d.sql.QueryContext(ctx, `SELECT kind, id, seq, deleted FROM feed WHERE seq > ? AND (? = 0 OR deleted = 0)
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
	for i := range b.Changes {
		c := &b.Changes[i]
		if c.Deleted {
			continue
		}
		switch c.Kind {
		case KindService:
			s, err := getService(ctx, d.sql, c.ID)
			if errors.Is(err, catalog.ErrNotFound) {
				c.Deleted = true // deleted after the feed row was read; a tombstone follows
				continue
			}
			if err != nil {
				return b, err
			}
			c.Service = &s
		case KindTeam:
			var t catalog.Team
			err := d.sql.QueryRowContext(ctx, `SELECT name, display_name, description, contact FROM teams WHERE name = ?`,
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
			sc, err := getScorecard(ctx, d.sql, c.ID, d.Now())
			if errors.Is(err, catalog.ErrNotFound) {
				c.Deleted = true
				continue
			}
			if err != nil {
				return b, err
			}
			c.Scorecard = &sc
		case KindScoreRules:
			r, ok, err := d.ScoreRules(ctx)
			if err != nil {
				return b, err
			}
			if !ok {
				c.Deleted = true
				continue
			}
			c.ScoreRules = &r
		case KindFleet:
			fc, ok, err := latestFleetConfig(ctx, d.sql)
			if err != nil {
				return b, err
			}
			if !ok {
				c.Deleted = true
				continue
			}
			c.Fleet = &fc
		case KindSecret:
			sec, err := getSecret(ctx, d.sql, c.ID)
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
	if err := d.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM feed WHERE seq > ? AND (? = 0 OR deleted = 0)`,
		last, boolInt(reset)).Scan(&b.Remaining); err != nil {
		return b, err
	}
	b.Sources, err = d.Sources(ctx)
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

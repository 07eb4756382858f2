package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

// Drift items in the change feed: KindDrift carries one item (catalog.DriftItem), KindDriftStatus the places the
// last detection could and could not see (catalog.DriftStatus, one entity).
const (
	KindDrift       = "drift"
	KindDriftStatus = "driftstatus"
	// DriftStatusID is the id of the one driftstatus entity.
	DriftStatusID  = "status"
	driftStatusKey = "drift.status"
)

// DriftRetention is how long a resolved item is kept (and shown as resolved) before it is deleted.
const DriftRetention = 7 * 24 * time.Hour

// DriftQuery filters ListDrift; empty fields match everything.
type DriftQuery struct {
	Service string
	Team    string
	Kind    string
	// Resolved includes resolved items.
	Resolved bool
}

// ListDrift lists drift items, newest first, each with its state at now.
func (d *DB) ListDrift(ctx context.Context, q DriftQuery, now time.Time) ([]catalog.DriftItem, error) {
	var where []string
	var args []any
	if q.Service != "" {
		where, args = append(where, "service = ?"), append(args, q.Service)
	}
	if q.Team != "" {
		where, args = append(where, "team = ?"), append(args, q.Team)
	}
	if q.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, q.Kind)
	}
	if !q.Resolved {
		where = append(where, "resolved_at = 0")
	}
	query := `SELECT doc FROM drift_items`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := d.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, d.classify(err)
	}
	defer rows.Close()
	out := []catalog.DriftItem{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		it, err := parseDrift(doc, now)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortDrift(out)
	return out, nil
}

// sortDrift orders items as people read them: open before resolved, newest first, then by service and resource.
func sortDrift(items []catalog.DriftItem) {
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if (a.State == catalog.DriftResolved) != (b.State == catalog.DriftResolved) {
			return b.State == catalog.DriftResolved
		}
		if !a.Since.Equal(b.Since) {
			return a.Since.After(b.Since)
		}
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.ID < b.ID
	})
}

func parseDrift(doc string, now time.Time) (catalog.DriftItem, error) {
	var it catalog.DriftItem
	if err := json.Unmarshal([]byte(doc), &it); err != nil {
		return it, fmt.Errorf("drift item document: %w", err)
	}
	if it.Fixes == nil {
		it.Fixes = []string{}
	}
	it.State = catalog.DriftState(it, now)
	return it, nil
}

// GetDrift reads one item; catalog.ErrNotFound when there is none.
func (d *DB) GetDrift(ctx context.Context, id string, now time.Time) (catalog.DriftItem, error) {
	return getDrift(ctx, d.sql, id, now)
}

func getDrift(ctx context.Context, q querier, id string, now time.Time) (catalog.DriftItem, error) {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT doc FROM drift_items WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.DriftItem{}, fmt.Errorf("drift item %q: %w", id, catalog.ErrNotFound)
	}
	if err != nil {
		return catalog.DriftItem{}, err
	}
	return parseDrift(doc, now)
}

// DriftEvent is a change ReplaceDrift made that people are told about.
type DriftEvent struct {
	Kind string // DriftOpened or DriftResolved
	Item catalog.DriftItem
}

// Events of ReplaceDrift.
const (
	DriftOpened  = "opened"
	DriftClosed  = "resolved"
	driftOutbox  = "drift_outbox"
	driftMaxDocs = 1 << 20
)

// DriftReplace is one detection's outcome for ReplaceDrift.
type DriftReplace struct {
	// Items are every drift detected now.
	Items []catalog.DriftItem
	// Known says whether the place of an item not detected any more was seen: only then did it resolve. An item in
	// a place that could not be seen (an unreachable region or cluster) is kept as it was.
	Known func(catalog.DriftItem) bool
	// Alert makes the webhook message of an event; nil (or "" returned) posts nothing. It is written to the
	// outbox in the same transaction as the change, so each is posted once.
	Alert func(DriftEvent) string
	Now   time.Time
}

// ReplaceDrift makes the stored items those of one detection, in one transaction: a new item is opened (since
// now), one seen again keeps its since and acknowledgement (its fields and summary follow the detection), one no
// longer detected in a place that was seen is resolved, and a resolved one detected again is opened anew. Resolved
// items older than DriftRetention are deleted. Only documents that changed advance the feed. It returns the items
// opened and resolved.
func (d *DB) ReplaceDrift(ctx context.Context, r DriftReplace) ([]DriftEvent, error) {
	var events []DriftEvent
	_, err := d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		events = events[:0]
		old := map[string]catalog.DriftItem{}
		rows, err := tx.QueryContext(ctx, `SELECT doc FROM drift_items`)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var doc string
			if err := rows.Scan(&doc); err != nil {
				rows.Close()
				return 0, err
			}
			it, err := parseDrift(doc, r.Now)
			if err != nil {
				rows.Close()
				return 0, err
			}
			old[it.ID] = it
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		seen := map[string]bool{}
		n := 0
		for _, it := range r.Items {
			if seen[it.ID] {
				continue
			}
			seen[it.ID] = true
			prev, had := old[it.ID]
			switch {
			case had && prev.ResolvedAt.IsZero():
				it.Since, it.Acknowledgement, it.Fix = prev.Since, prev.Acknowledgement, prev.Fix
				if it.LastChangedBy == "" {
					it.LastChangedBy, it.LastChangedAt = prev.LastChangedBy, prev.LastChangedAt
				}
			default:
				it.Since, it.Acknowledgement, it.ResolvedAt, it.Fix = r.Now, nil, time.Time{}, nil
				events = append(events, DriftEvent{Kind: DriftOpened, Item: it})
			}
			it.UpdatedAt = prev.UpdatedAt
			changed, err := putDrift(ctx, tx, it, prev, had, r.Now, bump)
			if err != nil {
				return 0, err
			}
			if changed {
				n++
			}
		}
		for id, prev := range old {
			if seen[id] {
				continue
			}
			switch {
			case prev.ResolvedAt.IsZero() && (r.Known == nil || r.Known(prev)):
				it := prev
				it.ResolvedAt = r.Now
				if _, err := putDrift(ctx, tx, it, prev, true, r.Now, bump); err != nil {
					return 0, err
				}
				it.State = catalog.DriftResolved
				events = append(events, DriftEvent{Kind: DriftClosed, Item: it})
				n++
			case !prev.ResolvedAt.IsZero() && r.Now.Sub(prev.ResolvedAt) > DriftRetention:
				if _, err := tx.ExecContext(ctx, `DELETE FROM drift_items WHERE id = ?`, id); err != nil {
					return 0, err
				}
				if err := bump(KindDrift, id, true); err != nil {
					return 0, err
				}
				n++
			}
		}
		if r.Alert != nil {
			for _, ev := range events {
				if err := queueDriftAlert(ctx, tx, ev, r.Alert(ev), r.Now); err != nil {
					return 0, err
				}
			}
		}
		return n, nil
	})
	return events, err
}

func queueDriftAlert(ctx context.Context, tx *sql.Tx, ev DriftEvent, payload string, now time.Time) error {
	if payload == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO `+driftOutbox+`(service, payload, created_at) VALUES (?, ?, ?)`,
		ev.Item.Service, payload, now.UnixMilli())
	return err
}

// putDrift writes it unless its document equals prev's (UpdatedAt and State aside), advancing the feed when it did.
func putDrift(ctx context.Context, tx *sql.Tx, it, prev catalog.DriftItem, had bool, now time.Time, bump bumper) (bool, error) {
	it.State = ""
	if it.Fixes == nil {
		it.Fixes = []string{}
	}
	if had {
		p := prev
		p.State, p.UpdatedAt = "", it.UpdatedAt
		if p.Fixes == nil {
			p.Fixes = []string{}
		}
		a, _ := json.Marshal(p)
		b, _ := json.Marshal(it)
		if string(a) == string(b) {
			return false, nil
		}
	}
	it.UpdatedAt = now
	doc, err := json.Marshal(it)
	if err != nil {
		return false, err
	}
	if len(doc) > driftMaxDocs {
		return false, fmt.Errorf("drift item %s: document of %d bytes", it.ID, len(doc))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO drift_items(id, service, team, kind, resolved_at, doc)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET service = excluded.service, team = excluded.team,
		kind = excluded.kind, resolved_at = excluded.resolved_at, doc = excluded.doc`,
		it.ID, it.Service, it.Team, it.Kind, unixMilliOrZero(it.ResolvedAt), string(doc)); err != nil {
		return false, fmt.Errorf("store drift item %s: %w", it.ID, err)
	}
	return true, bump(KindDrift, it.ID, false)
}

// UpdateDrift changes one item in one transaction (an acknowledgement, a fix requested): fn gets the item as stored
// and changes it in place; fn's error aborts without writing. catalog.ErrNotFound when there is no such item.
// audit, when set, runs in the same transaction (the audit entry of the change).
func (d *DB) UpdateDrift(ctx context.Context, id string, now time.Time, fn func(*catalog.DriftItem) error,
	audit func(*sql.Tx, catalog.DriftItem) error) (catalog.DriftItem, error) {
	var out catalog.DriftItem
	_, err := d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		prev, err := getDrift(ctx, tx, id, now)
		if err != nil {
			return 0, err
		}
		it := prev
		if err := fn(&it); err != nil {
			return 0, err
		}
		if _, err := putDrift(ctx, tx, it, prev, true, now, bump); err != nil {
			return 0, err
		}
		out, err = getDrift(ctx, tx, id, now)
		if err != nil {
			return 0, err
		}
		if audit != nil {
			if err := audit(tx, out); err != nil {
				return 0, err
			}
		}
		return 1, nil
	})
	return out, err
}

// PutDriftStatus records what the last detection could and could not see; the feed advances when it changed
// (CheckedAt aside, which moves on every detection).
func (d *DB) PutDriftStatus(ctx context.Context, st catalog.DriftStatus) error {
	_, err := d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		var old string
		if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, driftStatusKey).Scan(&old); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		if st.Places == nil {
			st.Places = []catalog.DriftPlace{}
		}
		b, err := json.Marshal(st)
		if err != nil {
			return 0, err
		}
		changed := true
		if old != "" {
			var prev catalog.DriftStatus
			if json.Unmarshal([]byte(old), &prev) == nil {
				prev.CheckedAt = st.CheckedAt
				if p, _ := json.Marshal(prev); string(p) == string(b) {
					changed = false
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, driftStatusKey, string(b)); err != nil {
			return 0, err
		}
		if !changed {
			return 0, nil
		}
		return 1, bump(KindDriftStatus, DriftStatusID, false)
	})
	return err
}

// DriftStatus is what the last detection could and could not see; false before the first detection.
func (d *DB) DriftStatus(ctx context.Context) (catalog.DriftStatus, bool, error) {
	var v string
	err := d.sql.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, driftStatusKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.DriftStatus{Places: []catalog.DriftPlace{}}, false, nil
	}
	if err != nil {
		return catalog.DriftStatus{}, false, d.classify(err)
	}
	var st catalog.DriftStatus
	if err := json.Unmarshal([]byte(v), &st); err != nil {
		return st, false, fmt.Errorf("drift status: %w", err)
	}
	if st.Places == nil {
		st.Places = []catalog.DriftPlace{}
	}
	return st, true, nil
}

// applyDrift writes an item received from a portal's feed into this (replica) database.
func applyDrift(ctx context.Context, tx *sql.Tx, it catalog.DriftItem, bump bumper) error {
	prev, err := getDrift(ctx, tx, it.ID, time.Time{})
	had := err == nil
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	updated := it.UpdatedAt
	it.UpdatedAt = prev.UpdatedAt
	if _, err := putDrift(ctx, tx, it, prev, had, updated, bump); err != nil {
		return err
	}
	return nil
}

func applyDriftStatus(ctx context.Context, tx *sql.Tx, st catalog.DriftStatus, bump bumper) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, driftStatusKey, string(b)); err != nil {
		return err
	}
	return bump(KindDriftStatus, DriftStatusID, false)
}

// ServiceOwners maps every service to its owning team (drift attributes resources to services and teams).
func (d *DB) ServiceOwners(ctx context.Context) (map[string]string, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT name, owner FROM services`)
	if err != nil {
		return nil, d.classify(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, o string
		if err := rows.Scan(&n, &o); err != nil {
			return nil, err
		}
		out[n] = o
	}
	return out, rows.Err()
}

// ClearDrift deletes every drift item and the status (drift switched off: nothing stale is shown or alerted), and
// says how many items there were. Replicas receive the deletions.
func (d *DB) ClearDrift(ctx context.Context) (int, error) {
	return d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM drift_items`)
		if err != nil {
			return 0, err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `DELETE FROM drift_items WHERE id = ?`, id); err != nil {
				return 0, err
			}
			if err := bump(KindDrift, id, true); err != nil {
				return 0, err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, driftStatusKey)
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			if err := bump(KindDriftStatus, DriftStatusID, true); err != nil {
				return 0, err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM drift_outbox`)
		return len(ids), err
	})
}

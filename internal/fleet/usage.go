package fleet

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/problem"
)

// Event is one usage event as an install sends it: when, which page or action, from which client, how many
// times (events of one day, kind, page and client are counted together). Who is the authenticated caller; nothing
// else is recorded.
type Event struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Page   string    `json:"page"`
	Client string    `json:"client"`
	Count  int       `json:"count"`
}

// Clients are the clients that send usage.
var Clients = []string{"desktop", "web", "cli"}

// Limits of usage events.
const (
	MaxEventsPerBatch = 500
	MaxEventCount     = 1_000_000
)

var kindRE = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

// Route is the route part of a page ("service:payments-api" → "service"): usage keeps which page, never its
// parameters (which name services, flags, people).
func Route(page string) string {
	r, _, _ := strings.Cut(page, ":")
	r = strings.ToLower(strings.TrimSpace(r))
	if len(r) > 64 || !kindRE.MatchString(r) {
		return "other"
	}
	return r
}

// Features are what the KPI says drives adoption, each a family of pages (and CLI commands).
var Features = []string{"catalog", "scorecards", "self-service", "flags", "secrets", "admin", "other"}

// Feature is the feature a page (a route, or a CLI command) belongs to.
func Feature(page string) string {
	r := Route(page)
	switch {
	case slices.Contains([]string{"catalog", "service", "services", "matrix", "clusters", "packages", "package",
		"sources"}, r):
		return "catalog"
	case r == "scorecards" || r == "score" || r == "gate":
		return "scorecards"
	case strings.HasPrefix(r, "request") || strings.HasPrefix(r, "action") || strings.HasPrefix(r, "approval") ||
		strings.HasPrefix(r, "template") || strings.HasPrefix(r, "golden") || strings.HasPrefix(r, "create") ||
		strings.HasPrefix(r, "new_service") || strings.HasPrefix(r, "self"):
		return "self-service"
	case strings.HasPrefix(r, "flag"):
		return "flags"
	case strings.HasPrefix(r, "secret"):
		return "secrets"
	case slices.Contains([]string{"audit", "tokens", "settings", "kpi", "adoption"}, r) || strings.HasPrefix(r, "fleet"):
		return "admin"
	}
	return "other"
}

// CheckEvents validates a batch, naming each bad event ("events/3/kind").
func CheckEvents(events []Event) problem.Problems {
	var ps problem.Problems
	if len(events) > MaxEventsPerBatch {
		ps.Add("events", "%d events; at most %d per batch", len(events), MaxEventsPerBatch)
		return ps
	}
	for i, e := range events {
		p := fmt.Sprintf("events/%d/", i)
		if !kindRE.MatchString(e.Kind) {
			ps.Add(p+"kind", "a kind is lower case letters, digits and . _ -, at most 64 characters (e.g. page.view)")
		}
		if len(e.Page) > 200 {
			ps.Add(p+"page", "at most 200 characters")
		}
		if !slices.Contains(Clients, e.Client) {
			ps.Add(p+"client", "must be one of %s", strings.Join(Clients, ", "))
		}
		if e.Count < 1 || e.Count > MaxEventCount {
			ps.Add(p+"count", "must be 1 to %d", MaxEventCount)
		}
		if e.At.IsZero() {
			ps.Add(p+"at", "required")
		}
	}
	return ps
}

// Usage keeps usage events on the portal, for Retention days.
type Usage struct {
	DB *sql.DB
	// Retention is how many days events are kept (DefaultRetention when 0).
	Retention int
	Now       func() time.Time
}

// DefaultRetention keeps a year and a bit: the KPI's 26 weeks and a year's comparison.
const DefaultRetention = 400

func (u *Usage) now() time.Time {
	if u.Now != nil {
		return u.Now().UTC()
	}
	return time.Now().UTC()
}

func (u *Usage) retention() int {
	if u.Retention > 0 {
		return u.Retention
	}
	return DefaultRetention
}

// Day is the UTC day of t as stored.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Record stores events of user (validated with CheckEvents first) in one transaction. Events older than the
// retention, or more than an hour in the future (a wrong clock), are dropped and counted, not refused: an install
// that was offline for long sends them anyway.
func (u *Usage) Record(ctx context.Context, user string, events []Event) (stored, dropped int, err error) {
	if ps := CheckEvents(events); len(ps) > 0 {
		return 0, 0, fmt.Errorf("invalid usage events: nothing was stored: %w", ps)
	}
	user = strings.ToLower(strings.TrimSpace(user))
	if user == "" {
		return 0, 0, fmt.Errorf("usage events need a user")
	}
	now := u.now()
	oldest := Day(now.AddDate(0, 0, -u.retention()))
	tx, err := u.DB.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	for _, e := range events {
		day := Day(e.At)
		if day < oldest || e.At.After(now.Add(time.Hour)) {
			dropped++
			continue
		}
		page := Route(e.Page)
		at := e.At.UnixMilli()
		if _, err := tx.ExecContext(ctx, `INSERT INTO usage_events(day, user, feature, kind, page, client, count,
			first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(day, user, feature, kind, page, client) DO UPDATE SET count = count + excluded.count,
			first_at = MIN(first_at, excluded.first_at), last_at = MAX(last_at, excluded.last_at)`,
			day, user, Feature(page), e.Kind, page, e.Client, e.Count, at, at); err != nil {
			return 0, 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO usage_active(day, user) VALUES (?, ?)`, day, user); err != nil {
			return 0, 0, err
		}
		stored++
	}
	return stored, dropped, tx.Commit()
}

// Prune deletes events older than the retention and returns how many rows went.
func (u *Usage) Prune(ctx context.Context) (int64, error) {
	oldest := Day(u.now().AddDate(0, 0, -u.retention()))
	var n int64
	for _, q := range []string{`DELETE FROM usage_events WHERE day < ?`, `DELETE FROM usage_active WHERE day < ?`} {
		res, err := u.DB.ExecContext(ctx, q, oldest)
		if err != nil {
			return n, err
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}

// Outbox is a desktop's usage events waiting for its portal, in its replica: counted per day, kind, page and
// client, and bounded (OutboxLimit rows, the oldest days dropped first), so that an install offline for weeks
// neither loses a day's use to a full queue nor grows without end.
type Outbox struct {
	DB  *sql.DB
	Now func() time.Time
}

// OutboxLimit bounds the outbox: beyond it the oldest rows are dropped (at one row per page and client per day,
// that is months of use).
const OutboxLimit = 2000

// Add counts one event (count times) of kind on page from client, now.
func (o *Outbox) Add(ctx context.Context, kind, page, client string, count int) error {
	if count < 1 {
		count = 1
	}
	now := time.Now().UTC()
	if o.Now != nil {
		now = o.Now().UTC()
	}
	at := now.UnixMilli()
	// Only the route is kept, here already: the outbox holds no page parameters either.
	_, err := o.DB.ExecContext(ctx, `INSERT INTO usage_outbox(day, kind, page, client, count, first_at, last_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(day, kind, page, client) DO UPDATE SET count = MIN(count + excluded.count, ?),
		last_at = excluded.last_at`, Day(now), kind, Route(page), client, count, at, at, MaxEventCount)
	if err != nil {
		return err
	}
	_, err = o.DB.ExecContext(ctx, `DELETE FROM usage_outbox WHERE rowid IN (SELECT rowid FROM usage_outbox
		ORDER BY day DESC, last_at DESC LIMIT -1 OFFSET ?)`, OutboxLimit)
	return err
}

// Pending is a batch of the outbox's rows, oldest first.
type Pending struct {
	Events []Event
	keys   [][4]string
}

// Pending reads up to limit rows.
func (o *Outbox) Pending(ctx context.Context, limit int) (Pending, error) {
	rows, err := o.DB.QueryContext(ctx, `SELECT day, kind, page, client, count, first_at FROM usage_outbox
		ORDER BY day, first_at LIMIT ?`, limit)
	if err != nil {
		return Pending{}, err
	}
	defer rows.Close()
	var p Pending
	for rows.Next() {
		var k [4]string
		var e Event
		var first int64
		if err := rows.Scan(&k[0], &k[1], &k[2], &k[3], &e.Count, &first); err != nil {
			return p, err
		}
		e.Kind, e.Page, e.Client, e.At = k[1], k[2], k[3], time.UnixMilli(first).UTC()
		p.Events = append(p.Events, e)
		p.keys = append(p.keys, k)
	}
	return p, rows.Err()
}

// Sent takes what p carried out of the outbox: events counted since p was read stay.
func (o *Outbox) Sent(ctx context.Context, p Pending) error {
	tx, err := o.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i, k := range p.keys {
		if _, err := tx.ExecContext(ctx, `UPDATE usage_outbox SET count = count - ? WHERE day = ? AND kind = ?
			AND page = ? AND client = ?`, p.Events[i].Count, k[0], k[1], k[2], k[3]); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM usage_outbox WHERE count <= 0`); err != nil {
		return err
	}
	return tx.Commit()
}

// Len is the number of rows waiting.
func (o *Outbox) Len(ctx context.Context) (int, error) {
	var n int
	err := o.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM usage_outbox`).Scan(&n)
	return n, err
}

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

// Feed kinds of scorecards: one scorecard per service (ID: the service), and the rule set in force (ID
// ScoreRulesID), so that a replica can show what each rule means and the threshold, offline.
const (
	KindScorecard  = "scorecard"
	KindScoreRules = "scorerules"
	ScoreRulesID   = "current"
)

// TrendWeeks is how far back a scorecard's history and the trends reach.
const TrendWeeks = 12

// Day is the history day of t: its UTC date.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// StoredScorecard is a scorecard as stored, with the warning state the scorer keeps beside it.
type StoredScorecard struct {
	Card   catalog.Scorecard
	Warned string
}

// ScorecardWrite is a scorecard to store. Warn, when not empty, is a warning to post to the owners' webhook,
// queued in the same transaction (each change is announced once).
type ScorecardWrite struct {
	Card   catalog.Scorecard
	Warned string
	Warn   string
}

// StoredScorecards reads the stored scorecards of the named services (all when names is nil), without history.
func (d *DB) StoredScorecards(ctx context.Context, names []string) (map[string]StoredScorecard, error) {
	out := map[string]StoredScorecard{}
	read := func(q string, args ...any) error {
		rows, err := d.sql.QueryContext(ctx, q, args...)
		if err != nil {
			return d.classify(err)
		}
		defer rows.Close()
		for rows.Next() {
			var card, warned string
			if err := rows.Scan(&card, &warned); err != nil {
				return err
			}
			var st StoredScorecard
			if err := json.Unmarshal([]byte(card), &st.Card); err != nil {
				return fmt.Errorf("stored scorecard: %w", err)
			}
			st.Warned = warned
			out[st.Card.Service] = st
		}
		return rows.Err()
	}
	if names == nil {
		return out, read(`SELECT card, warned FROM scorecards`)
	}
	for len(names) > 0 {
		n := min(len(names), MaxListValues)
		var args []any
		in, err := In("service", names[:n], &args)
		if err != nil {
			return nil, err
		}
		if err := read(`SELECT card, warned FROM scorecards WHERE `+in, args...); err != nil {
			return nil, err
		}
		names = names[n:]
	}
	return out, nil
}

// WriteScorecards stores scorecards computed on day (YYYY-MM-DD) and deletes those of services gone, in one
// transaction: each written card advances the feed, and its score becomes the day's point of its history.
func (d *DB) WriteScorecards(ctx context.Context, writes []ScorecardWrite, gone []string, day string) (int, error) {
	return d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		n := 0
		for _, w := range writes {
			if err := putScorecard(ctx, tx, w.Card, w.Warned, day, nil); err != nil {
				return 0, err
			}
			if w.Warn != "" {
				if _, err := tx.ExecContext(ctx, `INSERT INTO scorecard_outbox(service, payload, created_at) VALUES (?, ?, ?)`,
					w.Card.Service, w.Warn, d.Now().UnixMilli()); err != nil {
					return 0, err
				}
			}
			if err := bump(KindScorecard, w.Card.Service, false); err != nil {
				return 0, err
			}
			n++
		}
		for _, name := range gone {
			if err := deleteScorecard(ctx, tx, name, bump); err != nil {
				return 0, err
			}
			n++
		}
		return n, nil
	})
}

// putScorecard writes a card. With history nil (the portal) the card's score becomes day's point; a replica
// passes the history the feed carried, which replaces the service's.
func putScorecard(ctx context.Context, tx *sql.Tx, c catalog.Scorecard, warned, day string, history []catalog.ScorePoint) error {
	c.History = nil
	failing := 0
	for _, r := range c.Results {
		if r.Status == catalog.RuleFailed {
			failing++
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO scorecards(service, owner, score, level, below, failing, card,
		changed_at, warned) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(service) DO UPDATE SET owner = excluded.owner, score = excluded.score, level = excluded.level,
		below = excluded.below, failing = excluded.failing, card = excluded.card, changed_at = excluded.changed_at,
		warned = excluded.warned`,
		c.Service, c.Owner, c.Score, c.Level, boolInt(c.Below), failing, string(b), c.ChangedAt.UnixMilli(),
		warned); err != nil {
		return err
	}
	if history == nil {
		_, err := tx.ExecContext(ctx, `INSERT INTO scorecard_history(service, day, score, level) VALUES (?, ?, ?, ?)
			ON CONFLICT(service, day) DO UPDATE SET score = excluded.score, level = excluded.level`,
			c.Service, day, c.Score, c.Level)
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM scorecard_history WHERE service = ?`, c.Service); err != nil {
		return err
	}
	for _, p := range history {
		if _, err := tx.ExecContext(ctx, `INSERT INTO scorecard_history(service, day, score, level)
			VALUES (?, ?, ?, ?) ON CONFLICT(service, day) DO UPDATE SET score = excluded.score, level = excluded.level`, c.Service, p.Day, p.Score, p.Level); err != nil {
			return err
		}
	}
	return nil
}

func deleteScorecard(ctx context.Context, tx *sql.Tx, name string, bump bumper) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM scorecards WHERE service = ?`, name); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM scorecard_history WHERE service = ?`, name); err != nil {
		return err
	}
	return bump(KindScorecard, name, true)
}

// PutScoreRules stores the rule set in force; it advances the feed only when it changed.
func (d *DB) PutScoreRules(ctx context.Context, r catalog.ScoreRules) (bool, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return false, err
	}
	// The scorer stores the rules at every pass and they rarely change: a read first spares the writers' lock.
	if cur, err := d.Meta(ctx, scoreRulesKey); err == nil && cur == string(b) {
		return false, nil
	}
	n, err := d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		var old string
		err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, scoreRulesKey).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		if old == string(b) {
			return 0, nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, scoreRulesKey, string(b)); err != nil {
			return 0, err
		}
		return 1, bump(KindScoreRules, ScoreRulesID, false)
	})
	return n > 0, err
}

const scoreRulesKey = "scorecard.rules"

// ScoreRules is the rule set in force; ok is false when none was stored (scorecards off, or a replica that has not
// received one).
func (d *DB) ScoreRules(ctx context.Context) (r catalog.ScoreRules, ok bool, err error) {
	r, ok, err = scoreRulesIn(ctx, d.sql)
	return r, ok, d.classify(err)
}

func scoreRulesIn(ctx context.Context, q querier) (r catalog.ScoreRules, ok bool, err error) {
	var v string
	err = q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, scoreRulesKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && v == "") {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return r, false, fmt.Errorf("stored score rules: %w", err)
	}
	return r, true, nil
}

// DeleteScoreRules forgets the rule set and every scorecard (scorecards switched off), advancing the feed.
func (d *DB) DeleteScoreRules(ctx context.Context) (int, error) {
	return d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		rows, err := tx.QueryContext(ctx, `SELECT service FROM scorecards`)
		if err != nil {
			return 0, err
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return 0, err
			}
			names = append(names, n)
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return 0, err
		}
		rows.Close()
		for _, n := range names {
			if err := deleteScorecard(ctx, tx, n, bump); err != nil {
				return 0, err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, scoreRulesKey)
		if err != nil {
			return 0, err
		}
		if k, _ := res.RowsAffected(); k > 0 {
			return len(names) + 1, bump(KindScoreRules, ScoreRulesID, true)
		}
		return len(names), nil
	})
}

// GetScorecard reads a service's scorecard with its history up to today; catalog.ErrNotFound when it has none.
func (d *DB) GetScorecard(ctx context.Context, service string, today time.Time) (catalog.Scorecard, error) {
	return getScorecard(ctx, d.sql, service, today)
}

// GetScorecardNow reads a service's scorecard without its history (the deploy gate's one query).
func (d *DB) GetScorecardNow(ctx context.Context, service string) (catalog.Scorecard, error) {
	return readCard(ctx, d.sql, service)
}

func readCard(ctx context.Context, q querier, service string) (catalog.Scorecard, error) {
	var c catalog.Scorecard
	var card string
	err := q.QueryRowContext(ctx, `SELECT card FROM scorecards WHERE service = ?`, service).Scan(&card)
	if errors.Is(err, sql.ErrNoRows) {
		return c, catalog.ErrNotFound
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(card), &c); err != nil {
		return c, fmt.Errorf("stored scorecard of %s: %w", service, err)
	}
	return c, nil
}

func getScorecard(ctx context.Context, q querier, service string, today time.Time) (catalog.Scorecard, error) {
	c, err := readCard(ctx, q, service)
	if err != nil {
		return c, err
	}
	from := Day(today.AddDate(0, 0, -7*TrendWeeks))
	rows, err := q.QueryContext(ctx, `SELECT day, score, level FROM scorecard_history WHERE service = ?1 AND day >= (
		SELECT COALESCE(MAX(day), '') FROM scorecard_history WHERE service = ?1 AND day <= ?2) ORDER BY day`,
		service, from)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	c.History = []catalog.ScorePoint{}
	for rows.Next() {
		var p catalog.ScorePoint
		if err := rows.Scan(&p.Day, &p.Score, &p.Level); err != nil {
			return c, err
		}
		c.History = append(c.History, p)
	}
	return c, rows.Err()
}

// ScorecardQuery selects rows of the scorecards list. Empty filters match everything.
type ScorecardQuery struct {
	Teams  []string
	Levels []string
	Below  *bool
	Q      string // a prefix of the service's name
	Sort   string // "score" (lowest first, the default), "name", "owner", "changed_at"
	Desc   bool
	Limit  int
	Offset int
}

// ScorecardSortColumns are the sortable columns of the scorecards list.
var ScorecardSortColumns = map[string]string{"score": "score", "name": "service", "owner": "owner",
	"changed_at": "changed_at"}

// ScorecardRow is one service's line in the scorecards list.
type ScorecardRow struct {
	Service   string    `json:"service"`
	Owner     string    `json:"owner"`
	Score     int       `json:"score"`
	Level     string    `json:"level"`
	Below     bool      `json:"below"`
	Failing   int       `json:"failing"`
	ChangedAt time.Time `json:"changed_at"`
	Previous  string    `json:"previous,omitempty"`
}

// ScorecardPage is a page of the list and how many rows match in all.
type ScorecardPage struct {
	Items []ScorecardRow `json:"items"`
	Total int            `json:"total"`
}

// ListScorecards answers the scorecards list.
func (d *DB) ListScorecards(ctx context.Context, q ScorecardQuery) (ScorecardPage, error) {
	page := ScorecardPage{Items: []ScorecardRow{}}
	var args []any
	var err error
	cond := "1 = 1" + andIn("owner", q.Teams, &args, &err) + andIn("level", q.Levels, &args, &err)
	if err != nil {
		return page, err
	}
	if q.Below != nil {
		cond += " AND below = ?"
		args = append(args, boolInt(*q.Below))
	}
	if p := strings.TrimSpace(q.Q); p != "" {
		cond += " AND service " + LikeNoCase(d.sql) + " ? ESCAPE '\\'"
		args = append(args, likePrefix(strings.ToLower(p)))
	}
	if err := d.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM scorecards WHERE `+cond, args...).Scan(&page.Total); err != nil {
		return page, d.classify(err)
	}
	col := ScorecardSortColumns[q.Sort]
	if col == "" {
		col = "score"
	}
	dir := "ASC"
	if q.Desc {
		dir = "DESC"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 200
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT service, owner, score, level, below, failing, changed_at,
		`+JSONText(d.sql, "card", "previous")+` FROM scorecards WHERE `+cond+` ORDER BY `+col+` `+dir+`, service LIMIT ? OFFSET ?`,
		append(args, limit, q.Offset)...)
	if err != nil {
		return page, d.classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r ScorecardRow
		var at int64
		var prev sql.NullString
		if err := rows.Scan(&r.Service, &r.Owner, &r.Score, &r.Level, &r.Below, &r.Failing, &at, &prev); err != nil {
			return page, err
		}
		r.ChangedAt, r.Previous = time.UnixMilli(at).UTC(), prev.String
		page.Items = append(page.Items, r)
	}
	return page, rows.Err()
}

// likePrefix escapes a LIKE pattern's wildcards and matches p as a prefix.
func likePrefix(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "%"
}

// TeamScore is one team's standing: its services' average score, how many are below the threshold, and the
// services dragging the average down (those below, lowest first; at most five).
type TeamScore struct {
	Team     string         `json:"team"`
	Services int            `json:"services"`
	Average  float64        `json:"average"`
	Below    int            `json:"below"`
	Levels   map[string]int `json:"levels"`
	Dragging []ScorecardRow `json:"dragging"`
}

// ScorecardTeams answers every team's standing (teams filters; empty: all), lowest average first.
func (d *DB) ScorecardTeams(ctx context.Context, teams []string) ([]TeamScore, error) {
	var args []any
	var err error
	cond := "1 = 1" + andIn("owner", teams, &args, &err)
	if err != nil {
		return nil, err
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT service, owner, score, level, below, failing, changed_at
		FROM scorecards WHERE `+cond+` ORDER BY owner, score, service`, args...)
	if err != nil {
		return nil, d.classify(err)
	}
	defer rows.Close()
	by := map[string]*TeamScore{}
	var order []string
	sums := map[string]int{}
	for rows.Next() {
		var r ScorecardRow
		var at int64
		if err := rows.Scan(&r.Service, &r.Owner, &r.Score, &r.Level, &r.Below, &r.Failing, &at); err != nil {
			return nil, err
		}
		r.ChangedAt = time.UnixMilli(at).UTC()
		t := by[r.Owner]
		if t == nil {
			t = &TeamScore{Team: r.Owner, Levels: map[string]int{}, Dragging: []ScorecardRow{}}
			by[r.Owner] = t
			order = append(order, r.Owner)
		}
		t.Services++
		sums[r.Owner] += r.Score
		t.Levels[r.Level]++
		if r.Below {
			t.Below++
			if len(t.Dragging) < 5 {
				t.Dragging = append(t.Dragging, r)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]TeamScore, 0, len(order))
	for _, name := range order {
		t := by[name]
		t.Average = float64(sums[name]*10/t.Services) / 10
		out = append(out, *t)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Average < out[j].Average })
	return out, nil
}

// Trend is a score over the last TrendWeeks weeks: one point per week, the last on today. A team's point is the
// average over its services that had a score by then.
type Trend struct {
	Service string               `json:"service,omitempty"`
	Team    string               `json:"team,omitempty"`
	Points  []catalog.ScorePoint `json:"points"`
}

// ScoreTrend answers the trend of one service, or of one team's services, or (both empty) of every service.
func (d *DB) ScoreTrend(ctx context.Context, service, team string, today time.Time) (Trend, error) {
	tr := Trend{Service: service, Team: team, Points: []catalog.ScorePoint{}}
	days := make([]string, TrendWeeks)
	for i := range days {
		days[i] = Day(today.AddDate(0, 0, -7*(TrendWeeks-1-i)))
	}
	q := `SELECT h.service, h.day, h.score FROM scorecard_history h`
	var args []any
	switch {
	case service != "":
		q += ` WHERE h.service = ?`
		args = append(args, service)
	case team != "":
		q += ` JOIN scorecards c ON c.service = h.service WHERE c.owner = ?`
		args = append(args, team)
	default:
		q += ` JOIN scorecards c ON c.service = h.service`
	}
	q += ` ORDER BY h.service, h.day`
	rows, err := d.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return tr, d.classify(err)
	}
	defer rows.Close()
	sums, counts := make([]int, len(days)), make([]int, len(days))
	var cur string
	var hist []catalog.ScorePoint
	flush := func() {
		// For each day, the service's last point on or before it.
		j := -1
		for i, day := range days {
			for j+1 < len(hist) && hist[j+1].Day <= day {
				j++
			}
			if j >= 0 {
				sums[i] += hist[j].Score
				counts[i]++
			}
		}
	}
	for rows.Next() {
		var svc string
		var p catalog.ScorePoint
		if err := rows.Scan(&svc, &p.Day, &p.Score); err != nil {
			return tr, err
		}
		if svc != cur {
			flush()
			cur, hist = svc, hist[:0]
		}
		hist = append(hist, p)
	}
	if err := rows.Err(); err != nil {
		return tr, err
	}
	flush()
	for i, day := range days {
		if counts[i] > 0 {
			tr.Points = append(tr.Points, catalog.ScorePoint{Day: day, Score: (sums[i] + counts[i]/2) / counts[i]})
		}
	}
	return tr, nil
}

// BackfillScoreHistory adds points to services' histories on days they have none (the demo's past), advancing
// the feed for each service that gained any. It returns how many services changed.
func (d *DB) BackfillScoreHistory(ctx context.Context, points map[string][]catalog.ScorePoint) (int, error) {
	return d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		n := 0
		for svc, ps := range points {
			added := int64(0)
			for _, p := range ps {
				res, err := tx.ExecContext(ctx, `INSERT INTO scorecard_history(service, day, score, level)
					SELECT ?, ?, CAST(? AS BIGINT), ? WHERE EXISTS (SELECT 1 FROM scorecards WHERE service = ?)
					ON CONFLICT DO NOTHING`,
					svc, p.Day, p.Score, p.Level, svc)
				if err != nil {
					return 0, err
				}
				k, _ := res.RowsAffected()
				added += k
			}
			if added > 0 {
				if err := bump(KindScorecard, svc, false); err != nil {
					return 0, err
				}
				n++
			}
		}
		return n, nil
	})
}

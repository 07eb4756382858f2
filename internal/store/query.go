package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// SortColumns are the sortable columns of the catalog table: the API's names and their SQL.
var SortColumns = map[string]string{
	"name":       "s.name",
	"owner":      "s.owner",
	"language":   "s.language",
	"lifecycle":  "s.lifecycle",
	"repository": "s.repo_url",
	"synced_at":  "synced",
	// Signals: deployments degraded or unavailable, then findings, then dependencies behind.
	"signals": "degraded",
}

// signalSQL are the signals the catalog table can be filtered by, with their condition on searchFTS's row.
var signalSQL = map[string]string{
	"findings": "EXISTS (SELECT 1 FROM findings fi WHERE fi.service_id = s.id)",
	"outdated": "EXISTS (SELECT 1 FROM dependencies dp WHERE dp.service_id = s.id AND dp.behind != '')",
	"degraded": "EXISTS (SELECT 1 FROM deployments dl WHERE dl.service_id = s.id AND dl.health IN ('degraded', 'unavailable'))",
}

// SignalNames lists the signals a ServiceQuery may filter by, for error messages.
const SignalNames = "findings, outdated, degraded"

// signalFilter is the test of q.Signals on a row: any of them (nil when none asked).
func signalFilter(signals []string) (func(r *ServiceRow) bool, error) {
	if len(signals) == 0 {
		return nil, nil
	}
	var f, o, d bool
	for _, s := range signals {
		switch s {
		case "findings":
			f = true
		case "outdated":
			o = true
		case "degraded":
			d = true
		default:
			return nil, fmt.Errorf("unknown signal %q (one of %s)", s, SignalNames)
		}
	}
	return func(r *ServiceRow) bool { return f && r.Findings > 0 || o && r.Outdated > 0 || d && r.Degraded > 0 }, nil
}

// ServiceQuery selects a page of the catalog table. Empty filters match everything; Q is search text, matched as
// prefixes of words in names, titles, descriptions, owners and tags.
type ServiceQuery struct {
	Q          string
	Owners     []string
	Languages  []string
	Lifecycles []string
	Systems    []string
	// Signals keeps services with any of these: "findings", "outdated" (dependencies behind), "degraded"
	// (deployments degraded or unavailable).
	Signals []string
	Sort    string // a key of SortColumns; "" orders by search relevance, then name
	Desc    bool
	Limit   int
	Offset  int
}

// ServiceRow is one line of the catalog table.
type ServiceRow struct {
	Name        string    `json:"name"`
	Title       string    `json:"title,omitempty"`
	Description string    `json:"description"`
	Owner       string    `json:"owner"`
	Language    string    `json:"language"`
	Lifecycle   string    `json:"lifecycle"`
	Type        string    `json:"type"`
	System      string    `json:"system,omitempty"`
	Repository  string    `json:"repository"`
	Tags        []string  `json:"tags"`
	SyncedAt    time.Time `json:"synced_at"`
	Findings    int       `json:"findings"`
	Outdated    int       `json:"outdated"`
	Degraded    int       `json:"degraded"` // deployments degraded or unavailable
}

// ServicePage is a page of rows and how many match in all.
type ServicePage struct {
	Items []ServiceRow `json:"items"`
	Total int          `json:"total"`
}

// ListServices answers the catalog table from the in-memory index (searchindex.go), on both engines: each portal
// replica keeps its own, brought up to date from the change feed they share before every answer.
func (d *DB) ListServices(ctx context.Context, q ServiceQuery) (ServicePage, error) {
	snap, err := d.search.current(ctx, d)
	if err != nil {
		return ServicePage{}, err
	}
	return snap.query(q)
}

// tsQuery is ftsQuery for PostgreSQL: the same terms (searchTerms, folded as FTS5 folds them), all required, each a
// phrase of its words whose last word is a prefix (`pay api` → `'pay':* & 'api':*`, `payments-api` →
// `'payments' <-> 'api':*`). weight "A" restricts every word to name and title (FTS5's {name title} filter). Words
// hold letters and digits only, so quoting them is enough to make every input a valid query; the database removes
// diacritics from the text (unaccent) as searchTerms does from the query.
func tsQuery(q, weight string) string {
	var terms []string
	for _, words := range searchTerms(q) {
		parts := make([]string, len(words))
		for i, w := range words {
			parts[i] = "'" + w + "'"
			if i == len(words)-1 {
				parts[i] += ":*" + weight
			} else if weight != "" {
				parts[i] += ":" + weight
			}
		}
		terms = append(terms, strings.Join(parts, " <-> "))
	}
	return strings.Join(terms, " & ")
}

// searchFTS answers ListServices with SQL: over the FTS5 table on SQLite, over each service's tsvector on
// PostgreSQL. It is what ListServices did before the in-memory index: the reference the index is held to
// (TestSearchIndexAgreesWithFTS, TestSearchCases) and the benchmarks' and the load test's baseline.
func (d *DB) searchFTS(ctx context.Context, q ServiceQuery) (ServicePage, error) {
	var where []string
	var args []any
	pg := d.engine == Postgres
	from := `services s LEFT JOIN sources src ON src.name = s.source`
	order := ""
	fq := ftsQuery(q.Q)
	if fq != "" && pg {
		// The same contract on PostgreSQL: the tsvector of each service (migrations/postgres/0002), prefix terms,
		// name-and-title matches first.
		where = append(where, "s.search @@ to_tsquery('simple', unaccent(?))")
		args = append(args, tsQuery(q.Q, ""))
		order = "(s.search @@ to_tsquery('simple', unaccent(?))) DESC, s.name"
	} else if fq != "" {
		// Relevance in two tiers, cheap enough for every keystroke: services whose name or title match come
		// first, then those matching elsewhere (description, owner, tags); alphabetical within a tier. (FTS5's
		// bm25 rank costs about 1 µs per match, too slow when a one-letter prefix matches thousands.)
		from = `(SELECT rowid AS fid FROM services_fts WHERE services_fts MATCH ?) f
			JOIN services s ON s.id = f.fid LEFT JOIN sources src ON src.name = s.source`
		args = append(args, fq)
		order = "(s.id IN (SELECT rowid FROM services_fts WHERE services_fts MATCH ?)) DESC, s.name"
	} else if strings.TrimSpace(q.Q) != "" {
		// Only punctuation typed: nothing can match.
		return ServicePage{Items: []ServiceRow{}}, nil
	}
	for _, f := range []struct {
		col  string
		vals []string
	}{{"s.owner", q.Owners}, {"s.language", q.Languages}, {"s.lifecycle", q.Lifecycles}, {"s.system", q.Systems}} {
		if len(f.vals) == 0 {
			continue
		}
		c, err := In(f.col, f.vals, &args)
		if err != nil {
			return ServicePage{}, err
		}
		where = append(where, c)
	}
	var signals []string
	for _, sig := range q.Signals {
		c, ok := signalSQL[sig]
		if !ok {
			return ServicePage{}, fmt.Errorf("unknown signal %q (one of %s)", sig, SignalNames)
		}
		signals = append(signals, c)
	}
	if len(signals) > 0 {
		where = append(where, "("+strings.Join(signals, " OR ")+")")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var orderArgs []any
	if col, ok := SortColumns[q.Sort]; ok {
		dir := " ASC"
		if q.Desc {
			dir = " DESC"
		}
		if q.Sort == "signals" {
			col = "degraded" + dir + ", findings" + dir + ", outdated"
		}
		order = col + dir + ", s.name" + dir
	} else if order == "" {
		order = "s.name"
	} else if pg {
		orderArgs = append(orderArgs, tsQuery(q.Q, "A"))
	} else {
		orderArgs = append(orderArgs, "{name title} : ("+fq+")")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}

	selectRow := `SELECT s.id, s.name, s.title, s.description, s.owner, s.language, s.lifecycle,
		s.type, s.system, s.repo_url, s.tags, ` + Greatest(d.sql, "s.synced_at", "COALESCE(src.synced_at, 0)") + ` AS synced,
		(SELECT COUNT(*) FROM findings fi WHERE fi.service_id = s.id) AS findings,
		(SELECT COUNT(*) FROM dependencies dp WHERE dp.service_id = s.id AND dp.behind != '') AS outdated,
		(SELECT COUNT(*) FROM deployments dl WHERE dl.service_id = s.id AND dl.health IN ('degraded', 'unavailable'))
		AS degraded FROM ` + from + cond

	var page ServicePage
	count := `SELECT COUNT(*) FROM ` + from + cond
	if fq != "" && cond == "" && !pg {
		count = `SELECT COUNT(*) FROM services_fts WHERE services_fts MATCH ?`
	}
	if err := d.sql.QueryRowContext(ctx, count, args...).Scan(&page.Total); err != nil {
		return page, d.classify(err)
	}
	args = append(append(args, orderArgs...), limit, q.Offset)
	rows, err := d.sql.QueryContext(ctx, selectRow+` ORDER BY `+order+` LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return page, d.classify(err)
	}
	defer rows.Close()
	page.Items = make([]ServiceRow, 0, limit)
	for rows.Next() {
		var r ServiceRow
		var tags string
		var id, synced int64
		if err := rows.Scan(&id, &r.Name, &r.Title, &r.Description, &r.Owner, &r.Language, &r.Lifecycle, &r.Type,
			&r.System, &r.Repository, &tags, &synced, &r.Findings, &r.Outdated, &r.Degraded); err != nil {
			return page, err
		}
		r.SyncedAt = time.UnixMilli(synced).UTC()
		_ = json.Unmarshal([]byte(tags), &r.Tags)
		if r.Tags == nil {
			r.Tags = []string{}
		}
		page.Items = append(page.Items, r)
	}
	return page, rows.Err()
}

// Facet is one value of a filter with how many services carry it.
type Facet struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Facets are the values the catalog table can be filtered by.
type Facets struct {
	Owners     []Facet `json:"owners"`
	Languages  []Facet `json:"languages"`
	Lifecycles []Facet `json:"lifecycles"`
}

// Facets counts services per owner, language and lifecycle.
func (d *DB) Facets(ctx context.Context) (Facets, error) {
	var f Facets
	for _, x := range []struct {
		col string
		dst *[]Facet
	}{{"owner", &f.Owners}, {"language", &f.Languages}, {"lifecycle", &f.Lifecycles}} {
		rows, err := d.sql.QueryContext(ctx, `SELECT `+x.col+`, COUNT(*) FROM services GROUP BY 1 ORDER BY 1`)
		if err != nil {
			return f, d.classify(err)
		}
		*x.dst = []Facet{}
		for rows.Next() {
			var v Facet
			if err := rows.Scan(&v.Value, &v.Count); err != nil {
				rows.Close()
				return f, err
			}
			*x.dst = append(*x.dst, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return f, err
		}
	}
	return f, nil
}

// CountServices counts all services.
func (d *DB) CountServices(ctx context.Context) (int, error) {
	var n int
	err := d.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM services`).Scan(&n)
	return n, d.classify(err)
}

// CountServicesOf counts the services of one source.
func (d *DB) CountServicesOf(ctx context.Context, source string) (int, error) {
	var n int
	err := d.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM services WHERE source = ?`, source).Scan(&n)
	return n, d.classify(err)
}

// ServiceNames lists, in order, up to limit names of services that start with prefix ("" for all).
func (d *DB) ServiceNames(ctx context.Context, prefix string, limit int) ([]string, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT name FROM services WHERE substr(name, 1, ?) = ? ORDER BY name LIMIT ?`,
		utf8.RuneCountInString(prefix), prefix, limit)
	if err != nil {
		return nil, d.classify(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, d.classify(err)
		}
		names = append(names, n)
	}
	return names, d.classify(rows.Err())
}

package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
)

// Entity kinds in the change feed.
const (
	KindService = "service"
	KindTeam    = "team"
)

// docHash fingerprints everything of a service a user can see except when it was synced.
func docHash(s catalog.Service) string {
	s.SyncedAt = time.Time{}
	b, _ := json.Marshal(s)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// PutServices writes services in one transaction. A service whose content is unchanged is not touched, so its
// feed entry stays put. It returns how many services changed.
func (d *DB) PutServices(ctx context.Context, svcs []catalog.Service) (int, error) {
	return d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		n := 0
		for i := range svcs {
			if err := mergeKubeDeployments(ctx, tx, &svcs[i]); err != nil {
				return 0, err
			}
			changed, err := putService(ctx, tx, svcs[i], true, d.Now(), bump)
			if err != nil {
				return 0, err
			}
			if changed {
				n++
			}
		}
		return n, nil
	})
}

// ReplaceSource makes the services of source exactly svcs: it writes those that changed and deletes the source's
// services not among them. It returns how many services changed or were deleted.
func (d *DB) ReplaceSource(ctx context.Context, source string, svcs []catalog.Service) (int, error) {
	return d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		keep := map[string]bool{}
		n := 0
		for i := range svcs {
			svcs[i].Source = source
			keep[svcs[i].Name] = true
			if err := mergeKubeDeployments(ctx, tx, &svcs[i]); err != nil {
				return 0, err
			}
			changed, err := putService(ctx, tx, svcs[i], true, d.Now(), bump)
			if err != nil {
				return 0, err
			}
			if changed {
				n++
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT name FROM services WHERE source = ?`, source)
		if err != nil {
			return 0, err
		}
		var gone []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				rows.Close()
				return 0, err
			}
			if !keep[name] {
				gone = append(gone, name)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		for _, name := range gone {
			if err := deleteService(ctx, tx, name, bump); err != nil {
				return 0, err
			}
			n++
		}
		return n, nil
	})
}

// DeleteService removes a service; ErrNotFound (catalog's) when there is none.
func (d *DB) DeleteService(ctx context.Context, name string) error {
	_, err := d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM services WHERE name = ?`, name).Scan(&id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return 0, catalog.ErrNotFound
			}
			return 0, err
		}
		return 1, deleteService(ctx, tx, name, bump)
	})
	return err
}

// PutTeams writes teams, touching only those that changed.
func (d *DB) PutTeams(ctx context.Context, teams []catalog.Team) (int, error) {
	return d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		n := 0
		for _, t := range teams {
			changed, err := putTeam(ctx, tx, t, bump)
			if err != nil {
				return 0, err
			}
			if changed {
				n++
			}
		}
		return n, nil
	})
}

// bumper records that an entity changed, giving it the next feed sequence number.
type bumper func(kind, id string, deleted bool) error

// write runs fn in a transaction with a bumper; subscribers are woken after commit when anything was bumped.
//
// The next sequence number is the highest plus one, read inside the transaction: writers never interleave (SQLite
// serialises them; on PostgreSQL they hold the writers' lock, see pgdriver.go), so numbers are handed out in
// commit order and a reader never sees seq N+1 committed while N is not yet — it cannot step over a change. On
// PostgreSQL the commit also notifies the other replicas (LISTEN/NOTIFY), whose long polls wake as this one's do.
func (d *DB) write(ctx context.Context, fn func(tx *sql.Tx, bump bumper) (int, error)) (int, error) {
	// Never a row-locking transaction: the feed's order rests on the writers' lock.
	tx, err := d.sql.BeginTx(context.WithValue(ctx, rowLockingKey{}, false), nil)
	if err != nil {
		return 0, d.classify(err)
	}
	defer tx.Rollback()
	bumped := false
	bump := func(kind, id string, deleted bool) error {
		if !bumped && d.engine == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_notify('`+feedChannel+`', '')`); err != nil {
				return err
			}
		}
		bumped = true
		_, err := tx.ExecContext(ctx, `INSERT INTO feed(kind, id, seq, deleted)
			VALUES (?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM feed), ?3)
			ON CONFLICT(kind, id) DO UPDATE SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM feed), deleted = ?3`,
			kind, id, deleted)
		return err
	}
	n, err := fn(tx, bump)
	if err != nil {
		return 0, d.classify(err)
	}
	if err := tx.Commit(); err != nil {
		return 0, d.classify(err)
	}
	if bumped {
		d.notify()
	}
	return n, nil
}

func putTeam(ctx context.Context, tx *sql.Tx, t catalog.Team, bump bumper) (bool, error) {
	if t.DisplayName == "" {
		t.DisplayName = t.Name
	}
	var old catalog.Team
	err := tx.QueryRowContext(ctx, `SELECT name, display_name, description, contact FROM teams WHERE name = ?`, t.Name).
		Scan(&old.Name, &old.DisplayName, &old.Description, &old.Contact)
	if err == nil && old == t {
		return false, nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO teams(name, display_name, description, contact) VALUES (?, ?, ?, ?)
		ON CONFLICT(name) DO UPDATE SET display_name = excluded.display_name, description = excluded.description,
		contact = excluded.contact`, t.Name, t.DisplayName, t.Description, t.Contact); err != nil {
		return false, err
	}
	return true, bump(KindTeam, t.Name, false)
}

// putService writes s unless its stored hash is equal. stamp=false stores s.SyncedAt as given (replicas copy the
// portal's); true stamps now on a change.
func putService(ctx context.Context, tx *sql.Tx, s catalog.Service, stamp bool, now time.Time, bump bumper) (bool, error) {
	if !catalog.ValidName(s.Name) {
		return false, fmt.Errorf("service name %q is not valid", s.Name)
	}
	canonicalTimes(s.Deployments)
	s.Normalize()
	hash := docHash(s)
	var id int64
	var oldHash string
	err := tx.QueryRowContext(ctx, `SELECT id, doc_hash FROM services WHERE name = ?`, s.Name).Scan(&id, &oldHash)
	switch {
	case err == nil && oldHash == hash:
		return false, nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return false, err
	}
	if stamp && (s.Template == "" || s.CreatedByAction == "") && id != 0 {
		// Where a service came from outlives collectors: the GitHub collector reading the repository the golden path
		// created knows nothing of the action (and of the template unless the descriptor names it).
		var tmpl, act string
		if err := tx.QueryRowContext(ctx, `SELECT template, created_by_action FROM services WHERE id = ?`, id).Scan(&tmpl, &act); err != nil {
			return false, err
		}
		if s.Template == "" && tmpl != "" || s.CreatedByAction == "" && act != "" {
			if s.Template == "" {
				s.Template = tmpl
			}
			if s.CreatedByAction == "" {
				s.CreatedByAction = act
			}
			if hash = docHash(s); hash == oldHash {
				return false, nil
			}
		}
	}
	if stamp || s.SyncedAt.IsZero() {
		s.SyncedAt = now.UTC()
	}
	tags, _ := json.Marshal(s.Tags)
	links, _ := json.Marshal(s.Links)
	r := s.Repository
	facts := ""
	if r.Facts != nil {
		b, _ := json.Marshal(r.Facts)
		facts = string(b)
	}
	if id == 0 {
		if err := tx.QueryRowContext(ctx, `INSERT INTO services(name, title, description, owner, lifecycle, type, language,
			system, tags, links, repo_url, repo_provider, repo_branch, repo_path, repo_head, source, synced_at, doc_hash,
			template, created_by_action, repo_facts)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			s.Name, s.Title, s.Description, s.Owner, s.Lifecycle, s.Type, s.Language, s.System, string(tags), string(links),
			r.URL, r.Provider, r.DefaultBranch, r.Path, r.Head, s.Source, s.SyncedAt.UnixMilli(), hash, s.Template,
			s.CreatedByAction, facts).Scan(&id); err != nil {
			return false, err
		}
	} else {
		if _, err := tx.ExecContext(ctx, `UPDATE services SET title = ?, description = ?, owner = ?, lifecycle = ?,
			type = ?, language = ?, system = ?, tags = ?, links = ?, repo_url = ?, repo_provider = ?, repo_branch = ?,
			repo_path = ?, repo_head = ?, source = ?, synced_at = ?, doc_hash = ?, template = ?, created_by_action = ?,
			repo_facts = ? WHERE id = ?`,
			s.Title, s.Description, s.Owner, s.Lifecycle, s.Type, s.Language, s.System, string(tags), string(links),
			r.URL, r.Provider, r.DefaultBranch, r.Path, r.Head, s.Source, s.SyncedAt.UnixMilli(), hash, s.Template,
			s.CreatedByAction, facts, id); err != nil {
			return false, err
		}
		for _, t := range []string{"dependencies", "findings", "deployments"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE service_id = ?`, id); err != nil {
				return false, err
			}
		}
	}
	if err := insertChildren(ctx, tx, id, s); err != nil {
		return false, err
	}
	return true, bump(KindService, s.Name, false)
}

func insertChildren(ctx context.Context, tx *sql.Tx, id int64, s catalog.Service) error {
	// A dependency listed twice keeps its last entry (one statement may not write a row twice).
	deps := map[[2]string]int{}
	var rows [][]any
	for _, dp := range s.Dependencies {
		row := []any{id, dp.Ecosystem, dp.Name, dp.Version, dp.Constraint, dp.Latest, dp.Dev, dp.Behind()}
		if i, ok := deps[[2]string{dp.Ecosystem, dp.Name}]; ok {
			rows[i] = row
			continue
		}
		deps[[2]string{dp.Ecosystem, dp.Name}] = len(rows)
		rows = append(rows, row)
	}
	if err := insertRows(ctx, tx, `INSERT INTO dependencies(service_id, ecosystem, name, version, constraint_text,
		latest, dev, behind) VALUES`, `ON CONFLICT(service_id, ecosystem, name) DO UPDATE SET version = excluded.version,
		constraint_text = excluded.constraint_text, latest = excluded.latest, dev = excluded.dev,
		behind = excluded.behind`, 8, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for i, f := range s.Findings {
		rows = append(rows, []any{id, i, string(f.Severity), f.Summary, f.Detail, f.Source})
	}
	if err := insertRows(ctx, tx, `INSERT INTO findings(service_id, ord, severity, summary, detail, source) VALUES`,
		"", 6, rows); err != nil {
		return err
	}
	return insertDeployments(ctx, tx, id, s.Deployments)
}

// insertDeployments writes deployment rows of service id; a workload listed twice keeps its last entry.
func insertDeployments(ctx context.Context, tx *sql.Tx, id int64, ds []catalog.Deployment) error {
	seen := map[[4]string]int{}
	var rows [][]any
	for _, dp := range ds {
		var hMin, hMax, hCur, hDes sql.NullInt64
		if a := dp.Autoscaler; a != nil {
			hMin, hMax = sql.NullInt64{Int64: int64(a.Min), Valid: true}, sql.NullInt64{Int64: int64(a.Max), Valid: true}
			hCur, hDes = sql.NullInt64{Int64: int64(a.Current), Valid: true}, sql.NullInt64{Int64: int64(a.Desired), Valid: true}
		}
		row := []any{id, dp.Cluster, dp.Namespace, dp.Kind, dp.Name, dp.Region, dp.Environment, dp.Image, dp.Version,
			dp.Ready, dp.Desired, dp.UpdatedAt.UnixMilli(), hMin, hMax, hCur, hDes, dp.Health, dp.HealthDetail,
			unixMilliOrZero(dp.RolloutAt)}
		k := [4]string{dp.Cluster, dp.Namespace, dp.Kind, dp.Name}
		if i, ok := seen[k]; ok {
			rows[i] = row
			continue
		}
		seen[k] = len(rows)
		rows = append(rows, row)
	}
	return insertRows(ctx, tx, `INSERT INTO deployments(service_id, cluster, namespace, kind, name, region,
		environment, image, version, ready, desired, updated_at, hpa_min, hpa_max, hpa_current, hpa_desired, health,
		health_detail, rollout_at) VALUES`, `ON CONFLICT(service_id, cluster, namespace, kind, name) DO UPDATE SET
		region = excluded.region, environment = excluded.environment, image = excluded.image,
		version = excluded.version, ready = excluded.ready, desired = excluded.desired, updated_at = excluded.updated_at,
		hpa_min = excluded.hpa_min, hpa_max = excluded.hpa_max, hpa_current = excluded.hpa_current,
		hpa_desired = excluded.hpa_desired, health = excluded.health, health_detail = excluded.health_detail,
		rollout_at = excluded.rollout_at`, 19, rows)
}

// insertRows inserts rows of width values each with one statement per chunk — head is `INSERT INTO t(...) VALUES`,
// tail what follows the values (ON CONFLICT ...) — rather than one per row: on PostgreSQL each statement is a round
// trip to the server. Chunks stay under SQLite's limit of 32,766 bound values.
func insertRows(ctx context.Context, tx *sql.Tx, head, tail string, width int, rows [][]any) error {
	per := max(1, 30000/width)
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	for len(rows) > 0 {
		n := min(len(rows), per)
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, n*width)
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(" ")
			b.WriteString(one)
			args = append(args, r...)
		}
		b.WriteString(" ")
		b.WriteString(tail)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// canonicalTimes rounds deployments' times to what the database keeps (UTC milliseconds), so that a document
// hashes the same before it is written and after it is read back.
func canonicalTimes(ds []catalog.Deployment) {
	for i := range ds {
		ds[i].UpdatedAt = ds[i].UpdatedAt.Truncate(time.Millisecond).UTC()
		if ds[i].RolloutAt.IsZero() {
			ds[i].RolloutAt = time.Time{}
		} else {
			ds[i].RolloutAt = ds[i].RolloutAt.Truncate(time.Millisecond).UTC()
		}
	}
}

func unixMilliOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func timeOrZero(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func deleteService(ctx context.Context, tx *sql.Tx, name string, bump bumper) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM services WHERE name = ?`, name); err != nil {
		return err
	}
	return bump(KindService, name, true)
}

// GetService reads one service with all its lists; catalog.ErrNotFound when there is none.
func (d *DB) GetService(ctx context.Context, name string) (catalog.Service, error) {
	return getService(ctx, d.sql, name)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getService(ctx context.Context, q querier, name string) (catalog.Service, error) {
	var s catalog.Service
	var id, synced, srcSynced int64
	var tags, links, facts string
	err := q.QueryRowContext(ctx, `SELECT s.id, s.name, s.title, s.description, s.owner, s.lifecycle, s.type,
		s.language, s.system, s.tags, s.links, s.repo_url, s.repo_provider, s.repo_branch, s.repo_path, s.repo_head,
		s.source, s.synced_at, COALESCE(src.synced_at, 0), s.template, s.created_by_action, s.repo_facts
		FROM services s LEFT JOIN sources src ON src.name = s.source WHERE s.name = ?`, name).Scan(
		&id, &s.Name, &s.Title, &s.Description, &s.Owner, &s.Lifecycle, &s.Type, &s.Language, &s.System, &tags, &links,
		&s.Repository.URL, &s.Repository.Provider, &s.Repository.DefaultBranch, &s.Repository.Path, &s.Repository.Head,
		&s.Source, &synced, &srcSynced, &s.Template, &s.CreatedByAction, &facts)
	if errors.Is(err, sql.ErrNoRows) {
		return s, catalog.ErrNotFound
	}
	if err != nil {
		return s, err
	}
	s.SyncedAt = time.UnixMilli(synced).UTC()
	_ = json.Unmarshal([]byte(tags), &s.Tags)
	_ = json.Unmarshal([]byte(links), &s.Links)
	s.Repository.Facts = parseFacts(facts)

	rows, err := q.QueryContext(ctx, `SELECT ecosystem, name, version, constraint_text, latest, dev FROM dependencies
		WHERE service_id = ? ORDER BY ecosystem, name`, id)
	if err != nil {
		return s, err
	}
	for rows.Next() {
		var dp catalog.Dependency
		if err := rows.Scan(&dp.Ecosystem, &dp.Name, &dp.Version, &dp.Constraint, &dp.Latest, &dp.Dev); err != nil {
			rows.Close()
			return s, err
		}
		s.Dependencies = append(s.Dependencies, dp)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}

	rows, err = q.QueryContext(ctx, `SELECT severity, summary, detail, source FROM findings WHERE service_id = ? ORDER BY ord`, id)
	if err != nil {
		return s, err
	}
	for rows.Next() {
		var f problem.Problem
		if err := rows.Scan(&f.Severity, &f.Summary, &f.Detail, &f.Source); err != nil {
			rows.Close()
			return s, err
		}
		s.Findings = append(s.Findings, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}

	rows, err = q.QueryContext(ctx, `SELECT cluster, namespace, kind, name, region, environment, image, version, ready,
		desired, updated_at, hpa_min, hpa_max, hpa_current, hpa_desired, health, health_detail, rollout_at
		FROM deployments WHERE service_id = ? ORDER BY cluster, namespace, kind, name`, id)
	if err != nil {
		return s, err
	}
	for rows.Next() {
		var dp catalog.Deployment
		var at, rollout int64
		var hMin, hMax, hCur, hDes sql.NullInt64
		if err := rows.Scan(&dp.Cluster, &dp.Namespace, &dp.Kind, &dp.Name, &dp.Region, &dp.Environment, &dp.Image,
			&dp.Version, &dp.Ready, &dp.Desired, &at, &hMin, &hMax, &hCur, &hDes, &dp.Health, &dp.HealthDetail,
			&rollout); err != nil {
			rows.Close()
			return s, err
		}
		dp.UpdatedAt = time.UnixMilli(at).UTC()
		dp.RolloutAt = timeOrZero(rollout)
		if hMin.Valid {
			dp.Autoscaler = &catalog.Autoscaler{Min: int(hMin.Int64), Max: int(hMax.Int64), Current: int(hCur.Int64),
				Desired: int(hDes.Int64)}
		}
		s.Deployments = append(s.Deployments, dp)
	}
	rows.Close()
	s.Normalize()
	return s, rows.Err()
}

// Teams lists all teams by name.
func (d *DB) Teams(ctx context.Context) ([]catalog.Team, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT name, display_name, description, contact FROM teams ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	teams := []catalog.Team{}
	for rows.Next() {
		var t catalog.Team
		if err := rows.Scan(&t.Name, &t.DisplayName, &t.Description, &t.Contact); err != nil {
			return nil, err
		}
		teams = append(teams, t)
	}
	return teams, rows.Err()
}

// Source is a collector's freshness record.
type Source struct {
	Name     string    `json:"name"`
	SyncedAt time.Time `json:"synced_at"`
	Status   string    `json:"status"`
	Message  string    `json:"message,omitempty"`
}

// PutSource records a collector's latest run. Freshness is not a change of any entity, so it does not advance the
// feed; feed readers receive all sources with every batch.
func (d *DB) PutSource(ctx context.Context, s Source) error {
	_, err := d.sql.ExecContext(ctx, `INSERT INTO sources(name, synced_at, status, message) VALUES (?, ?, ?, ?)
		ON CONFLICT(name) DO UPDATE SET synced_at = excluded.synced_at, status = excluded.status,
		message = excluded.message`, s.Name, s.SyncedAt.UnixMilli(), s.Status, s.Message)
	return d.classify(err)
}

// Sources lists collectors' freshness records.
func (d *DB) Sources(ctx context.Context) ([]Source, error) {
	out, err := sourcesIn(ctx, d.sql)
	return out, d.classify(err)
}

func sourcesIn(ctx context.Context, q querier) ([]Source, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, synced_at, status, message FROM sources ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Source{}
	for rows.Next() {
		var s Source
		var at int64
		if err := rows.Scan(&s.Name, &at, &s.Status, &s.Message); err != nil {
			return nil, err
		}
		if at != 0 { // 0: never finished
			s.SyncedAt = time.UnixMilli(at).UTC()
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteSource removes a source: its services (advancing the feed for each) and its freshness record. Used when a
// collector is switched off, e.g. the demo once a real collector is configured.
func (d *DB) DeleteSource(ctx context.Context, source string) (int, error) {
	n, err := d.ReplaceSource(ctx, source, nil)
	if err != nil {
		return 0, err
	}
	if _, err := d.sql.ExecContext(ctx, `DELETE FROM sources WHERE name = ?`, source); err != nil {
		return n, d.classify(err)
	}
	return n, nil
}

// TeamKnown reports whether team is a team of the catalog: in the teams table, or the owner of some service.
func (d *DB) TeamKnown(ctx context.Context, team string) (bool, error) {
	var known bool
	err := d.sql.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM teams WHERE name = ?1)
		OR EXISTS(SELECT 1 FROM services WHERE owner = ?1)`, team).Scan(&known)
	return known, err
}

// parseFacts reads the repo_facts column: nil when empty (not collected) or unreadable.
func parseFacts(col string) *catalog.RepoFacts {
	if col == "" {
		return nil
	}
	var f catalog.RepoFacts
	if json.Unmarshal([]byte(col), &f) != nil {
		return nil
	}
	return &f
}

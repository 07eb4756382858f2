package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
)

// AllServices reads every service with all its lists in five queries, for work over the whole catalog (scoring
// it); GetService reads one.
func (d *DB) AllServices(ctx context.Context) ([]catalog.Service, error) {
	tx, err := d.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, d.classify(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, name, title, description, owner, lifecycle, type, language, system,
		tags, links, repo_url, repo_provider, repo_branch, repo_path, repo_head, source, synced_at, repo_facts
		FROM services ORDER BY id`)
	if err != nil {
		return nil, d.classify(err)
	}
	var svcs []catalog.Service
	index := map[int64]int{}
	for rows.Next() {
		var s catalog.Service
		var id, synced int64
		var tags, links, facts string
		if err := rows.Scan(&id, &s.Name, &s.Title, &s.Description, &s.Owner, &s.Lifecycle, &s.Type, &s.Language,
			&s.System, &tags, &links, &s.Repository.URL, &s.Repository.Provider, &s.Repository.DefaultBranch,
			&s.Repository.Path, &s.Repository.Head, &s.Source, &synced, &facts); err != nil {
			rows.Close()
			return nil, err
		}
		s.SyncedAt = time.UnixMilli(synced).UTC()
		_ = json.Unmarshal([]byte(tags), &s.Tags)
		_ = json.Unmarshal([]byte(links), &s.Links)
		s.Repository.Facts = parseFacts(facts)
		index[id] = len(svcs)
		svcs = append(svcs, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT service_id, ecosystem, name, version, constraint_text, latest, dev
		FROM dependencies ORDER BY service_id, ecosystem, name`)
	if err != nil {
		return nil, d.classify(err)
	}
	for rows.Next() {
		var id int64
		var dp catalog.Dependency
		if err := rows.Scan(&id, &dp.Ecosystem, &dp.Name, &dp.Version, &dp.Constraint, &dp.Latest, &dp.Dev); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := index[id]; ok {
			svcs[i].Dependencies = append(svcs[i].Dependencies, dp)
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, d.classify(err)
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT service_id, severity, summary, detail, source FROM findings
		ORDER BY service_id, ord`)
	if err != nil {
		return nil, d.classify(err)
	}
	for rows.Next() {
		var id int64
		var f problem.Problem
		if err := rows.Scan(&id, &f.Severity, &f.Summary, &f.Detail, &f.Source); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := index[id]; ok {
			svcs[i].Findings = append(svcs[i].Findings, f)
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, d.classify(err)
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT service_id, cluster, namespace, kind, name, region, environment, image,
		version, ready, desired, updated_at, hpa_min, hpa_max, hpa_current, hpa_desired, health, health_detail, rollout_at
		FROM deployments ORDER BY service_id, cluster, namespace, kind, name`)
	if err != nil {
		return nil, d.classify(err)
	}
	for rows.Next() {
		var id, at, rollout int64
		var dp catalog.Deployment
		var hMin, hMax, hCur, hDes sql.NullInt64
		if err := rows.Scan(&id, &dp.Cluster, &dp.Namespace, &dp.Kind, &dp.Name, &dp.Region, &dp.Environment,
			&dp.Image, &dp.Version, &dp.Ready, &dp.Desired, &at, &hMin, &hMax, &hCur, &hDes, &dp.Health,
			&dp.HealthDetail, &rollout); err != nil {
			rows.Close()
			return nil, err
		}
		dp.UpdatedAt, dp.RolloutAt = time.UnixMilli(at).UTC(), timeOrZero(rollout)
		if hMin.Valid {
			dp.Autoscaler = &catalog.Autoscaler{Min: int(hMin.Int64), Max: int(hMax.Int64), Current: int(hCur.Int64),
				Desired: int(hDes.Int64)}
		}
		if i, ok := index[id]; ok {
			svcs[i].Deployments = append(svcs[i].Deployments, dp)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range svcs {
		svcs[i].Normalize()
	}
	return svcs, nil
}

// ServiceNamesChangedSince lists the services whose feed entry moved after seq (changed, added or deleted; deleted
// ones too, so that what hangs off them can go), and the feed's newest sequence number.
func (d *DB) ServiceNamesChangedSince(ctx context.Context, seq int64) (names []string, last int64, err error) {
	if err := d.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM feed`).Scan(&last); err != nil {
		return nil, 0, d.classify(err)
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT id FROM feed WHERE kind = ? AND seq > ? AND seq <= ? ORDER BY seq`,
		KindService, seq, last)
	if err != nil {
		return nil, 0, d.classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, 0, err
		}
		names = append(names, n)
	}
	return names, last, rows.Err()
}

// ChangedNotify returns a channel closed at the next change of the feed (any entity).
func (d *DB) ChangedNotify() <-chan struct{} { return d.changedChan() }

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
	svcs, err := loadServices(ctx, tx, nil)
	return svcs, d.classify(err)
}

// loadServices reads the services named (all when names is nil) with all their lists, a few queries for any number
// of them (in chunks of MaxListValues), as GetService would read each; a name without a service is left out.
func loadServices(ctx context.Context, q querier, names []string) ([]catalog.Service, error) {
	var svcs []catalog.Service
	index := map[int64]int{}
	var ids []int64
	chunks := [][]string{nil}
	if names != nil {
		chunks = nil
		for len(names) > 0 {
			n := min(len(names), MaxListValues)
			chunks, names = append(chunks, names[:n]), names[n:]
		}
	}
	for _, chunk := range chunks {
		where, args := "", []any{}
		if chunk != nil {
			c, err := In("name", chunk, &args)
			if err != nil {
				return nil, err
			}
			where = " WHERE " + c
		}
		rows, err := q.QueryContext(ctx, `SELECT id, name, title, description, owner, lifecycle, type, language, system,
			tags, links, repo_url, repo_provider, repo_branch, repo_path, repo_head, source, synced_at, template,
			created_by_action, repo_facts FROM services`+where+` ORDER BY id`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var s catalog.Service
			var id, synced int64
			var tags, links, facts string
			if err := rows.Scan(&id, &s.Name, &s.Title, &s.Description, &s.Owner, &s.Lifecycle, &s.Type, &s.Language,
				&s.System, &tags, &links, &s.Repository.URL, &s.Repository.Provider, &s.Repository.DefaultBranch,
				&s.Repository.Path, &s.Repository.Head, &s.Source, &synced, &s.Template, &s.CreatedByAction,
				&facts); err != nil {
				rows.Close()
				return nil, err
			}
			s.SyncedAt = time.UnixMilli(synced).UTC()
			_ = json.Unmarshal([]byte(tags), &s.Tags)
			_ = json.Unmarshal([]byte(links), &s.Links)
			s.Repository.Facts = parseFacts(facts)
			index[id] = len(svcs)
			ids = append(ids, id)
			svcs = append(svcs, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	// The lists, of all services or of those read (their ids in chunks).
	idChunks := [][]int64{nil}
	if names != nil {
		idChunks = nil
		for rest := ids; len(rest) > 0; {
			n := min(len(rest), MaxListValues)
			idChunks, rest = append(idChunks, rest[:n]), rest[n:]
		}
	}
	each := func(query, order string, scan func(rows *sql.Rows) error) error {
		for _, chunk := range idChunks {
			where, args := "", []any{}
			if chunk != nil {
				c, err := In("service_id", chunk, &args)
				if err != nil {
					return err
				}
				where = " WHERE " + c
			}
			rows, err := q.QueryContext(ctx, query+where+" ORDER BY "+order, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				if err := scan(rows); err != nil {
					rows.Close()
					return err
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := each(`SELECT service_id, ecosystem, name, version, constraint_text, latest, dev FROM dependencies`,
		"service_id, ecosystem, name", func(rows *sql.Rows) error {
			var id int64
			var dp catalog.Dependency
			if err := rows.Scan(&id, &dp.Ecosystem, &dp.Name, &dp.Version, &dp.Constraint, &dp.Latest, &dp.Dev); err != nil {
				return err
			}
			if i, ok := index[id]; ok {
				svcs[i].Dependencies = append(svcs[i].Dependencies, dp)
			}
			return nil
		}); err != nil {
		return nil, err
	}
	if err := each(`SELECT service_id, severity, summary, detail, source FROM findings`, "service_id, ord",
		func(rows *sql.Rows) error {
			var id int64
			var f problem.Problem
			if err := rows.Scan(&id, &f.Severity, &f.Summary, &f.Detail, &f.Source); err != nil {
				return err
			}
			if i, ok := index[id]; ok {
				svcs[i].Findings = append(svcs[i].Findings, f)
			}
			return nil
		}); err != nil {
		return nil, err
	}
	if err := each(`SELECT service_id, cluster, namespace, kind, name, region, environment, image, version, ready,
		desired, updated_at, hpa_min, hpa_max, hpa_current, hpa_desired, health, health_detail, rollout_at
		FROM deployments`, "service_id, cluster, namespace, kind, name", func(rows *sql.Rows) error {
		var id, at, rollout int64
		var dp catalog.Deployment
		var hMin, hMax, hCur, hDes sql.NullInt64
		if err := rows.Scan(&id, &dp.Cluster, &dp.Namespace, &dp.Kind, &dp.Name, &dp.Region, &dp.Environment,
			&dp.Image, &dp.Version, &dp.Ready, &dp.Desired, &at, &hMin, &hMax, &hCur, &hDes, &dp.Health,
			&dp.HealthDetail, &rollout); err != nil {
			return err
		}
		dp.UpdatedAt, dp.RolloutAt = time.UnixMilli(at).UTC(), timeOrZero(rollout)
		if hMin.Valid {
			dp.Autoscaler = &catalog.Autoscaler{Min: int(hMin.Int64), Max: int(hMax.Int64), Current: int(hCur.Int64),
				Desired: int(hDes.Int64)}
		}
		if i, ok := index[id]; ok {
			svcs[i].Deployments = append(svcs[i].Deployments, dp)
		}
		return nil
	}); err != nil {
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

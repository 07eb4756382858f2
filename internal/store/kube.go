package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

// The Kubernetes collector's data on the portal. kube_workloads holds every workload of every registered cluster,
// mapped or not; a service's deployments are the mapped rows, merged into its document whenever either side
// changes, so replicas receive them through the change feed like every other part of a service. Which service a
// workload belongs to is the catalog's rule (catalog.Claims.Service); the store applies it when either a workload or
// a claim changes.

// ErrNoSuchService is returned when a claim names a service the catalog does not have.
var ErrNoSuchService = errors.New("no such service")

func loadClaims(ctx context.Context, q querier) (catalog.Claims, error) {
	rows, err := q.QueryContext(ctx, `SELECT cluster, namespace, kind, name, service FROM kube_claims`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := catalog.Claims{}
	for rows.Next() {
		var k catalog.WorkloadRef
		var s string
		if err := rows.Scan(&k.Cluster, &k.Namespace, &k.Kind, &k.Name, &s); err != nil {
			return nil, err
		}
		out[k] = s
	}
	return out, rows.Err()
}

type workloadRow struct {
	service, mappedBy, annotation, label, doc string
}

// ReplaceClusterWorkloads makes the workloads of cluster exactly ws, in one transaction: rows that did not change
// are not touched, and only services whose deployments changed are rewritten, so an unchanged snapshot advances
// nothing. It returns how many services changed.
func (d *DB) ReplaceClusterWorkloads(ctx context.Context, cluster string, ws []catalog.Workload) (int, error) {
	return d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO kube_clusters(name) VALUES (?) ON CONFLICT DO NOTHING`, cluster); err != nil {
			return 0, err
		}
		claims, err := loadClaims(ctx, tx)
		if err != nil {
			return 0, err
		}
		old := map[catalog.WorkloadRef]workloadRow{}
		rows, err := tx.QueryContext(ctx, `SELECT namespace, kind, name, service, mapped_by, annotation_service,
			label_service, doc FROM kube_workloads WHERE cluster = ?`, cluster)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			k := catalog.WorkloadRef{Cluster: cluster}
			var r workloadRow
			if err := rows.Scan(&k.Namespace, &k.Kind, &k.Name, &r.service, &r.mappedBy, &r.annotation, &r.label,
				&r.doc); err != nil {
				rows.Close()
				return 0, err
			}
			old[k] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}

		now := d.Now().UTC().Truncate(time.Millisecond)
		affected := map[string]bool{}
		seen := make(map[catalog.WorkloadRef]bool, len(ws))
		upsert, err := tx.PrepareContext(ctx, `INSERT INTO kube_workloads(cluster, namespace, kind, name,
			service, mapped_by, annotation_service, label_service, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(cluster, namespace, kind, name) DO UPDATE SET service = excluded.service,
			mapped_by = excluded.mapped_by, annotation_service = excluded.annotation_service,
			label_service = excluded.label_service, doc = excluded.doc`)
		if err != nil {
			return 0, err
		}
		defer upsert.Close()
		for _, w := range ws {
			w.Deployment.Cluster = cluster
			dp, k := w.Deployment, w.Ref()
			if seen[k] {
				continue
			}
			seen[k] = true
			svc, by := claims.Service(k, w.AnnotationService, w.LabelService)
			prev, had := old[k]
			stampTimes(&dp, w.CreatedAt, prev.doc, had, now)
			b, _ := json.Marshal(dp)
			row := workloadRow{service: svc, mappedBy: by, annotation: w.AnnotationService, label: w.LabelService,
				doc: string(b)}
			if had && prev == row {
				continue
			}
			if _, err := upsert.ExecContext(ctx, cluster, k.Namespace, k.Kind, k.Name, row.service, row.mappedBy,
				row.annotation, row.label, row.doc); err != nil {
				return 0, err
			}
			if had {
				affected[prev.service] = true
			}
			affected[svc] = true
		}
		for k, r := range old {
			if seen[k] {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM kube_workloads WHERE cluster = ? AND namespace = ? AND
				kind = ? AND name = ?`, cluster, k.Namespace, k.Kind, k.Name); err != nil {
				return 0, err
			}
			affected[r.service] = true
		}
		return rerenderCluster(ctx, tx, affected, cluster, now, bump)
	})
}

// stampTimes fills a deployment's times from what was stored before: UpdatedAt moves only when something else
// changed, and RolloutAt, when the cluster does not report it, moves when the image does.
func stampTimes(dp *catalog.Deployment, created time.Time, prevDoc string, had bool, now time.Time) {
	dp.UpdatedAt = now
	var prev catalog.Deployment
	if !had || json.Unmarshal([]byte(prevDoc), &prev) != nil {
		if dp.RolloutAt.IsZero() {
			dp.RolloutAt = created
		}
		canonicalTimes([]catalog.Deployment{*dp})
		return
	}
	if dp.RolloutAt.IsZero() {
		dp.RolloutAt = now
		if prev.Image == dp.Image {
			dp.RolloutAt = prev.RolloutAt
		}
	}
	ds := []catalog.Deployment{*dp}
	canonicalTimes(ds)
	*dp = ds[0]
	same := *dp
	same.UpdatedAt = prev.UpdatedAt
	if b, err := json.Marshal(same); err == nil && string(b) == prevDoc {
		dp.UpdatedAt = prev.UpdatedAt
	}
}

// rerender rewrites the named services (those that exist) so that their deployments in every registered cluster
// match kube_workloads.
func rerender(ctx context.Context, tx *sql.Tx, names map[string]bool, now time.Time, bump bumper) (int, error) {
	n := 0
	for name := range names {
		if name == "" {
			continue
		}
		s, err := getService(ctx, tx, name)
		if errors.Is(err, catalog.ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if err := mergeKubeDeployments(ctx, tx, &s); err != nil {
			return 0, err
		}
		changed, err := putService(ctx, tx, s, true, now, bump)
		if err != nil {
			return 0, err
		}
		if changed {
			n++
		}
	}
	return n, nil
}

// rerenderCluster is rerender when only cluster's workloads changed: it rewrites just that cluster's deployment
// rows of each service (and the service's hash), which keeps a cluster's snapshot proportional to its own
// workloads however many other clusters run the same services.
func rerenderCluster(ctx context.Context, tx *sql.Tx, names map[string]bool, cluster string, now time.Time, bump bumper) (int, error) {
	n := 0
	for name := range names {
		if name == "" {
			continue
		}
		var id int64
		var oldHash string
		err := tx.QueryRowContext(ctx, `SELECT id, doc_hash FROM services WHERE name = ?`, name).Scan(&id, &oldHash)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, err
		}
		s, err := getService(ctx, tx, name)
		if err != nil {
			return 0, err
		}
		fresh, err := kubeDeployments(ctx, tx, name, cluster)
		if err != nil {
			return 0, err
		}
		kept := s.Deployments[:0]
		for _, dp := range s.Deployments {
			if dp.Cluster != cluster {
				kept = append(kept, dp)
			}
		}
		kept = append(kept, fresh...) // kept reuses s.Deployments' array: the filter is in place
		s.Deployments = kept
		canonicalTimes(s.Deployments)
		s.Normalize()
		hash := docHash(s)
		if hash == oldHash {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM deployments WHERE service_id = ? AND cluster = ?`, id, cluster); err != nil {
			return 0, err
		}
		canonicalTimes(fresh)
		if err := insertDeployments(ctx, tx, id, fresh); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE services SET synced_at = ?, doc_hash = ? WHERE id = ?`,
			now.UnixMilli(), hash, id); err != nil {
			return 0, err
		}
		if err := bump(KindService, name, false); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// kubeDeployments reads the collector's deployments of a service, in one cluster or ("") all.
func kubeDeployments(ctx context.Context, tx *sql.Tx, service, cluster string) ([]catalog.Deployment, error) {
	q, args := `SELECT doc FROM kube_workloads WHERE service = ?`, []any{service}
	if cluster != "" {
		q += ` AND cluster = ?`
		args = append(args, cluster)
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Deployment
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		var dp catalog.Deployment
		if err := json.Unmarshal([]byte(doc), &dp); err != nil {
			return nil, fmt.Errorf("stored workload of %s: %w", service, err)
		}
		out = append(out, dp)
	}
	return out, rows.Err()
}

// mergeKubeDeployments replaces the deployments of s in registered clusters with those the collector recorded.
func mergeKubeDeployments(ctx context.Context, tx *sql.Tx, s *catalog.Service) error {
	owned := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT name FROM kube_clusters`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		owned[name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(owned) == 0 {
		return nil
	}
	var out []catalog.Deployment
	for _, dp := range s.Deployments {
		if !owned[dp.Cluster] {
			out = append(out, dp)
		}
	}
	kd, err := kubeDeployments(ctx, tx, s.Name, "")
	if err != nil {
		return err
	}
	out = append(out, kd...)
	s.Deployments = out
	return nil
}

// PutCluster records a cluster's registration and state. Its freshness also goes to sources as "kube:NAME"
// (catalog.ClusterSource), so replicas learn it with their next batch; neither advances the change feed.
func (d *DB) PutCluster(ctx context.Context, c catalog.Cluster) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return d.classify(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO kube_clusters(name, region, environment, state, message, last_ok_at,
		checked_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET region = excluded.region,
		environment = excluded.environment, state = excluded.state, message = excluded.message,
		last_ok_at = excluded.last_ok_at, checked_at = excluded.checked_at`, c.Name, c.Region, c.Environment, c.State,
		c.Message, unixMilliOrZero(c.LastOKAt), unixMilliOrZero(c.CheckedAt)); err != nil {
		return d.classify(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sources(name, synced_at, status, message) VALUES (?, ?, ?, ?)
		ON CONFLICT(name) DO UPDATE SET synced_at = excluded.synced_at, status = excluded.status,
		message = excluded.message`, catalog.ClusterSource(c.Name), unixMilliOrZero(c.LastOKAt), c.State, c.Message); err != nil {
		return d.classify(err)
	}
	return d.classify(tx.Commit())
}

// Clusters lists registered clusters with their workload counts, by name.
func (d *DB) Clusters(ctx context.Context) ([]catalog.Cluster, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT c.name, c.region, c.environment, c.state, c.message, c.last_ok_at,
		c.checked_at,
		(SELECT COUNT(*) FROM kube_workloads w WHERE w.cluster = c.name),
		(SELECT COUNT(*) FROM kube_workloads w WHERE w.cluster = c.name AND
			NOT EXISTS (SELECT 1 FROM services s WHERE s.name = w.service))
		FROM kube_clusters c ORDER BY c.name`)
	if err != nil {
		return nil, d.classify(err)
	}
	defer rows.Close()
	out := []catalog.Cluster{}
	for rows.Next() {
		var c catalog.Cluster
		var ok, checked int64
		if err := rows.Scan(&c.Name, &c.Region, &c.Environment, &c.State, &c.Message, &ok, &checked, &c.Workloads,
			&c.Unmapped); err != nil {
			return nil, err
		}
		c.LastOKAt, c.CheckedAt = timeOrZero(ok), timeOrZero(checked)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ForgetCluster removes a cluster that is no longer registered, with its workloads, and takes its deployments off
// every service. It returns how many services changed.
func (d *DB) ForgetCluster(ctx context.Context, name string) (int, error) {
	return d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		affected := map[string]bool{}
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT service FROM kube_workloads WHERE cluster = ?`, name)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return 0, err
			}
			affected[s] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		for _, q := range []string{`DELETE FROM kube_workloads WHERE cluster = ?`, `DELETE FROM kube_clusters WHERE name = ?`} {
			if _, err := tx.ExecContext(ctx, q, name); err != nil {
				return 0, err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sources WHERE name = ?`, catalog.ClusterSource(name)); err != nil {
			return 0, err
		}
		return rerenderCluster(ctx, tx, affected, name, d.Now(), bump)
	})
}

// UnmappedQuery selects unmapped workloads; empty fields match all.
type UnmappedQuery struct {
	Cluster   string
	Namespace string
	Limit     int
	Offset    int
}

// UnmappedPage is a page of unmapped workloads and how many there are in all.
type UnmappedPage struct {
	Items []catalog.UnmappedWorkload `json:"items"`
	Total int                        `json:"total"`
}

// Unmapped lists workloads no service owns, for admins to claim.
func (d *DB) Unmapped(ctx context.Context, q UnmappedQuery) (UnmappedPage, error) {
	where := `(w.service = '' OR NOT EXISTS (SELECT 1 FROM services s WHERE s.name = w.service))`
	var args []any
	if q.Cluster != "" {
		where += ` AND w.cluster = ?`
		args = append(args, q.Cluster)
	}
	if q.Namespace != "" {
		where += ` AND w.namespace = ?`
		args = append(args, q.Namespace)
	}
	page := UnmappedPage{Items: []catalog.UnmappedWorkload{}}
	if err := d.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM kube_workloads w WHERE `+where, args...).
		Scan(&page.Total); err != nil {
		return page, d.classify(err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT w.service, w.mapped_by, w.doc FROM kube_workloads w WHERE `+where+`
		ORDER BY w.cluster, w.namespace, w.kind, w.name LIMIT ? OFFSET ?`, append(args, limit, q.Offset)...)
	if err != nil {
		return page, d.classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		var svc, by, doc string
		if err := rows.Scan(&svc, &by, &doc); err != nil {
			return page, err
		}
		var dp catalog.Deployment
		if err := json.Unmarshal([]byte(doc), &dp); err != nil {
			return page, err
		}
		page.Items = append(page.Items, catalog.Unmapped(dp, svc, by))
	}
	return page, rows.Err()
}

// PutClaim records a claim, replacing one for the same workload, and maps the workloads it matches at once. The
// service must exist (ErrNoSuchService otherwise). It returns the stored claim and how many workloads it matched.
func (d *DB) PutClaim(ctx context.Context, c catalog.Claim) (catalog.Claim, int, error) {
	matched := 0
	_, err := d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM services WHERE name = ?`, c.Service).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return 0, fmt.Errorf("%w: %q", ErrNoSuchService, c.Service)
			}
			return 0, err
		}
		c.CreatedAt = d.Now().UTC().Truncate(time.Millisecond)
		if err := tx.QueryRowContext(ctx, `INSERT INTO kube_claims(cluster, namespace, kind, name, service, created_by,
			created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(cluster, namespace, kind, name) DO UPDATE SET
			service = excluded.service, created_by = excluded.created_by, created_at = excluded.created_at
			RETURNING id`, c.Cluster, c.Namespace, c.Kind, c.Name, c.Service, c.CreatedBy, c.CreatedAt.UnixMilli()).
			Scan(&c.ID); err != nil {
			return 0, err
		}
		var err error
		matched, err = remap(ctx, tx, c.Ref(), d.Now(), bump)
		return matched, err
	})
	return c, matched, err
}

// DeleteClaim removes a claim; the workloads it matched fall back to their annotation or label. ErrNotFound
// (catalog's) when there is no such claim.
func (d *DB) DeleteClaim(ctx context.Context, id int64) error {
	_, err := d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		var c catalog.Claim
		err := tx.QueryRowContext(ctx, `DELETE FROM kube_claims WHERE id = ? RETURNING cluster, namespace, kind, name`,
			id).Scan(&c.Cluster, &c.Namespace, &c.Kind, &c.Name)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, catalog.ErrNotFound
		}
		if err != nil {
			return 0, err
		}
		return remap(ctx, tx, c.Ref(), d.Now(), bump)
	})
	return err
}

// Claims lists admins' claims.
func (d *DB) Claims(ctx context.Context) ([]catalog.Claim, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id, cluster, namespace, kind, name, service, created_by, created_at
		FROM kube_claims ORDER BY namespace, kind, name, cluster`)
	if err != nil {
		return nil, d.classify(err)
	}
	defer rows.Close()
	out := []catalog.Claim{}
	for rows.Next() {
		var c catalog.Claim
		var at int64
		if err := rows.Scan(&c.ID, &c.Cluster, &c.Namespace, &c.Kind, &c.Name, &c.Service, &c.CreatedBy, &at); err != nil {
			return nil, err
		}
		c.CreatedAt = time.UnixMilli(at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// remap maps again the workloads a claim on k matches (k.Cluster "": in every cluster) and rewrites the services
// they leave and join.
func remap(ctx context.Context, tx *sql.Tx, k catalog.WorkloadRef, now time.Time, bump bumper) (int, error) {
	claims, err := loadClaims(ctx, tx)
	if err != nil {
		return 0, err
	}
	q := `SELECT cluster, service, annotation_service, label_service FROM kube_workloads
		WHERE namespace = ? AND kind = ? AND name = ?`
	args := []any{k.Namespace, k.Kind, k.Name}
	if k.Cluster != "" {
		q += ` AND cluster = ?`
		args = append(args, k.Cluster)
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	type hit struct{ cluster, service, annotation, label string }
	var hits []hit
	for rows.Next() {
		var h hit
		if err := rows.Scan(&h.cluster, &h.service, &h.annotation, &h.label); err != nil {
			rows.Close()
			return 0, err
		}
		hits = append(hits, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	affected := map[string]bool{}
	for _, h := range hits {
		w := k
		w.Cluster = h.cluster
		svc, by := claims.Service(w, h.annotation, h.label)
		if _, err := tx.ExecContext(ctx, `UPDATE kube_workloads SET service = ?, mapped_by = ? WHERE cluster = ? AND
			namespace = ? AND kind = ? AND name = ?`, svc, by, h.cluster, k.Namespace, k.Kind, k.Name); err != nil {
			return 0, err
		}
		affected[h.service], affected[svc] = true, true
	}
	if _, err := rerender(ctx, tx, affected, now, bump); err != nil {
		return 0, err
	}
	return len(hits), nil
}

// clusterStates reads the kube:* freshness records, which replicas hold too.
func clusterStates(ctx context.Context, q querier) (map[string]Source, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, synced_at, status, message FROM sources WHERE name LIKE 'kube:%'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Source{}
	for rows.Next() {
		var s Source
		var at int64
		if err := rows.Scan(&s.Name, &at, &s.Status, &s.Message); err != nil {
			return nil, err
		}
		s.SyncedAt = timeOrZero(at)
		out[strings.TrimPrefix(s.Name, catalog.ClusterSourcePrefix)] = s
	}
	return out, rows.Err()
}

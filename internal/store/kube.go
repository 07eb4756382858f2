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
// changes, so replicas receive them through the change feed like every other part of a service.

// Ways a workload is mapped to a service, strongest first.
const (
	MappedByClaim      = "claim"      // an admin recorded it (kube_claims)
	MappedByAnnotation = "annotation" // the workload's atrium.sphera.io/service annotation
	MappedByLabel      = "label"      // the workload's app.kubernetes.io/name label
)

// SourcePrefix names the freshness record of a cluster in sources ("kube:prod-eu-1"), which travels to replicas with
// every feed batch, so a desktop knows each cluster's state and the age of its data offline.
const SourcePrefix = "kube:"

// ErrNoSuchService is returned when a claim names a service the catalog does not have.
var ErrNoSuchService = errors.New("no such service")

// Workload is one Deployment, StatefulSet or DaemonSet as a cluster reports it, before it is mapped to a service.
type Workload struct {
	// Deployment holds what is shown; Cluster, Namespace, Kind and Name identify the workload. A zero RolloutAt
	// means the cluster does not say when the last rollout was: the store then keeps the time it first saw the
	// current image (CreatedAt on first sight).
	Deployment catalog.Deployment
	// CreatedAt is the workload's creation time.
	CreatedAt time.Time
	// AnnotationService and LabelService are the service names the workload carries, if any.
	AnnotationService string
	LabelService      string
}

// Cluster is a registered cluster and how reaching it goes.
type Cluster struct {
	Name        string `json:"name"`
	Region      string `json:"region"`
	Environment string `json:"environment"`
	// State is one of connecting, ok, unreachable, unauthorized, forbidden, invalid-config, error.
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
	// LastOKAt is when the cluster's data was last known to be complete and current; its workloads are kept as of
	// then while it is not ok.
	LastOKAt  time.Time `json:"last_ok_at,omitzero"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
	Workloads int       `json:"workloads"`
	Unmapped  int       `json:"unmapped"`
}

type workloadKey struct{ namespace, kind, name string }

type claimKey struct{ cluster, namespace, kind, name string }

// resolveService applies the mapping convention: a claim for this cluster, then a claim for every cluster, then
// the annotation, then the label.
func resolveService(claims map[claimKey]string, cluster string, k workloadKey, annotation, label string) (string, string) {
	if s, ok := claims[claimKey{cluster, k.namespace, k.kind, k.name}]; ok {
		return s, MappedByClaim
	}
	if s, ok := claims[claimKey{"", k.namespace, k.kind, k.name}]; ok {
		return s, MappedByClaim
	}
	if annotation != "" {
		return annotation, MappedByAnnotation
	}
	if label != "" {
		return label, MappedByLabel
	}
	return "", ""
}

func loadClaims(ctx context.Context, q querier) (map[claimKey]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT cluster, namespace, kind, name, service FROM kube_claims`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[claimKey]string{}
	for rows.Next() {
		var k claimKey
		var s string
		if err := rows.Scan(&k.cluster, &k.namespace, &k.kind, &k.name, &s); err != nil {
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
func (d *DB) ReplaceClusterWorkloads(ctx context.Context, cluster string, ws []Workload) (int, error) {
	return d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO kube_clusters(name) VALUES (?)`, cluster); err != nil {
			return 0, err
		}
		claims, err := loadClaims(ctx, tx)
		if err != nil {
			return 0, err
		}
		old := map[workloadKey]workloadRow{}
		rows, err := tx.QueryContext(ctx, `SELECT namespace, kind, name, service, mapped_by, annotation_service,
			label_service, doc FROM kube_workloads WHERE cluster = ?`, cluster)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var k workloadKey
			var r workloadRow
			if err := rows.Scan(&k.namespace, &k.kind, &k.name, &r.service, &r.mappedBy, &r.annotation, &r.label,
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
		seen := make(map[workloadKey]bool, len(ws))
		upsert, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO kube_workloads(cluster, namespace, kind, name,
			service, mapped_by, annotation_service, label_service, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return 0, err
		}
		defer upsert.Close()
		for _, w := range ws {
			dp := w.Deployment
			dp.Cluster = cluster
			k := workloadKey{dp.Namespace, dp.Kind, dp.Name}
			if seen[k] {
				continue
			}
			seen[k] = true
			svc, by := resolveService(claims, cluster, k, w.AnnotationService, w.LabelService)
			prev, had := old[k]
			stampTimes(&dp, w.CreatedAt, prev.doc, had, now)
			b, _ := json.Marshal(dp)
			row := workloadRow{service: svc, mappedBy: by, annotation: w.AnnotationService, label: w.LabelService,
				doc: string(b)}
			if had && prev == row {
				continue
			}
			if _, err := upsert.ExecContext(ctx, cluster, k.namespace, k.kind, k.name, row.service, row.mappedBy,
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
				kind = ? AND name = ?`, cluster, k.namespace, k.kind, k.name); err != nil {
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
		s.Deployments = append(kept, fresh...)
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
	if len(owned) == 0 {
		return rows.Err()
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
	s.Deployments = append(out, kd...)
	return nil
}

// PutCluster records a cluster's registration and state. Its freshness also goes to sources as "kube:NAME", so
// replicas learn it with their next batch; neither advances the change feed.
func (d *DB) PutCluster(ctx context.Context, c Cluster) error {
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
		message = excluded.message`, SourcePrefix+c.Name, unixMilliOrZero(c.LastOKAt), c.State, c.Message); err != nil {
		return d.classify(err)
	}
	return d.classify(tx.Commit())
}

// Clusters lists registered clusters with their workload counts, by name.
func (d *DB) Clusters(ctx context.Context) ([]Cluster, error) {
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
	out := []Cluster{}
	for rows.Next() {
		var c Cluster
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
		for _, q := range []string{`DELETE FROM kube_workloads WHERE cluster = ?`, `DELETE FROM kube_clusters WHERE name = ?`} {
			if _, err := tx.ExecContext(ctx, q, name); err != nil {
				return 0, err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sources WHERE name = ?`, SourcePrefix+name); err != nil {
			return 0, err
		}
		return rerenderCluster(ctx, tx, affected, name, d.Now(), bump)
	})
}

// UnmappedWorkload is a workload no service owns: it names none, or names one the catalog does not have.
type UnmappedWorkload struct {
	Cluster     string `json:"cluster"`
	Region      string `json:"region"`
	Environment string `json:"environment"`
	Namespace   string `json:"namespace"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Image       string `json:"image"`
	Version     string `json:"version"`
	// Candidate is the service name the workload carries (annotation, label or claim) when that service does not
	// exist.
	Candidate string `json:"candidate,omitempty"`
	Reason    string `json:"reason"`
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
	Items []UnmappedWorkload `json:"items"`
	Total int                `json:"total"`
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
	page := UnmappedPage{Items: []UnmappedWorkload{}}
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
		u := UnmappedWorkload{Cluster: dp.Cluster, Region: dp.Region, Environment: dp.Environment,
			Namespace: dp.Namespace, Kind: dp.Kind, Name: dp.Name, Image: dp.Image, Version: dp.Version, Candidate: svc}
		switch by {
		case "":
			u.Reason = "carries neither the atrium.sphera.io/service annotation nor the app.kubernetes.io/name label"
		case MappedByClaim:
			u.Reason = fmt.Sprintf("claimed for service %q, which is not in the catalog", svc)
		default:
			u.Reason = fmt.Sprintf("its %s names service %q, which is not in the catalog", by, svc)
		}
		page.Items = append(page.Items, u)
	}
	return page, rows.Err()
}

// Claim maps a workload to a service by decision of an admin, over what the workload's annotation or label says.
// Cluster "" claims the workload in every cluster.
type Claim struct {
	ID        int64     `json:"id"`
	Cluster   string    `json:"cluster"`
	Namespace string    `json:"namespace"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Service   string    `json:"service"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// PutClaim records a claim, replacing one for the same workload, and maps the workloads it matches at once. The
// service must exist (ErrNoSuchService otherwise). It returns the stored claim and how many workloads it matched.
func (d *DB) PutClaim(ctx context.Context, c Claim) (Claim, int, error) {
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
		matched, err = remap(ctx, tx, c.Cluster, workloadKey{c.Namespace, c.Kind, c.Name}, d.Now(), bump)
		return matched, err
	})
	return c, matched, err
}

// DeleteClaim removes a claim; the workloads it matched fall back to their annotation or label. ErrNotFound
// (catalog's) when there is no such claim.
func (d *DB) DeleteClaim(ctx context.Context, id int64) error {
	_, err := d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		var c Claim
		err := tx.QueryRowContext(ctx, `DELETE FROM kube_claims WHERE id = ? RETURNING cluster, namespace, kind, name`,
			id).Scan(&c.Cluster, &c.Namespace, &c.Kind, &c.Name)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, catalog.ErrNotFound
		}
		if err != nil {
			return 0, err
		}
		return remap(ctx, tx, c.Cluster, workloadKey{c.Namespace, c.Kind, c.Name}, d.Now(), bump)
	})
	return err
}

// Claims lists admins' claims.
func (d *DB) Claims(ctx context.Context) ([]Claim, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id, cluster, namespace, kind, name, service, created_by, created_at
		FROM kube_claims ORDER BY namespace, kind, name, cluster`)
	if err != nil {
		return nil, d.classify(err)
	}
	defer rows.Close()
	out := []Claim{}
	for rows.Next() {
		var c Claim
		var at int64
		if err := rows.Scan(&c.ID, &c.Cluster, &c.Namespace, &c.Kind, &c.Name, &c.Service, &c.CreatedBy, &at); err != nil {
			return nil, err
		}
		c.CreatedAt = time.UnixMilli(at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// remap re-resolves the workloads a claim on (cluster, k) matches and rewrites the services they leave and join.
func remap(ctx context.Context, tx *sql.Tx, cluster string, k workloadKey, now time.Time, bump bumper) (int, error) {
	claims, err := loadClaims(ctx, tx)
	if err != nil {
		return 0, err
	}
	q := `SELECT cluster, service, annotation_service, label_service FROM kube_workloads
		WHERE namespace = ? AND kind = ? AND name = ?`
	args := []any{k.namespace, k.kind, k.name}
	if cluster != "" {
		q += ` AND cluster = ?`
		args = append(args, cluster)
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
	affected := map[string]bool{}
	for _, h := range hits {
		svc, by := resolveService(claims, h.cluster, k, h.annotation, h.label)
		if _, err := tx.ExecContext(ctx, `UPDATE kube_workloads SET service = ?, mapped_by = ? WHERE cluster = ? AND
			namespace = ? AND kind = ? AND name = ?`, svc, by, h.cluster, k.namespace, k.kind, k.name); err != nil {
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
		out[strings.TrimPrefix(s.Name, SourcePrefix)] = s
	}
	return out, rows.Err()
}

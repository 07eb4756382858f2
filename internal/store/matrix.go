package store

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

// The "what runs where" matrix: services down, clusters across. It reads only services, their deployments and the
// kube:* freshness records — all of which replicas hold — so a desktop answers it offline exactly as the portal does.

// Cell statuses of the matrix.
const (
	// CellSame: the service runs here the version(s) most of its clusters in this environment run.
	CellSame = "same"
	// CellDiffers: the service runs here, but not the version(s) most of its clusters in this environment run (or
	// its clusters in this environment disagree with no majority).
	CellDiffers = "differs"
	// CellMissing: the service runs elsewhere in this environment, but not here.
	CellMissing = "missing"
	// CellAbsent: the service runs nowhere in this environment.
	CellAbsent = "absent"
)

// MatrixQuery selects the matrix. Teams filter rows (by owner); Environments filter rows and columns; Regions filter
// columns only, so a service missing from a region still shows as a row. Empty filters match all.
type MatrixQuery struct {
	Teams        []string
	Environments []string
	Regions      []string
	Limit        int // services per page; 0 means 100
	Offset       int
}

// MatrixCluster is a column: a cluster, and its state as last reported by the collector.
type MatrixCluster struct {
	Name        string `json:"name"`
	Region      string `json:"region"`
	Environment string `json:"environment"`
	// State is the cluster's collector state (ok, unreachable, ...); empty when unknown. When it is not ok, the
	// column shows data as of LastOKAt.
	State    string    `json:"state,omitempty"`
	Message  string    `json:"message,omitempty"`
	LastOKAt time.Time `json:"last_ok_at,omitzero"`
}

// MatrixCell is what one service runs in one cluster.
type MatrixCell struct {
	Status string `json:"status"`
	// Versions running here, sorted; empty for missing and absent cells.
	Versions []string `json:"versions"`
	// Expected is what most of the service's clusters in this environment run; set on differs and missing cells
	// when there is such a majority.
	Expected  []string `json:"expected,omitempty"`
	Ready     int      `json:"ready"`
	Desired   int      `json:"desired"`
	Workloads int      `json:"workloads"`
	// Health is the worst health of the service's workloads here.
	Health string `json:"health,omitempty"`
}

// MatrixRow is a service and its cells, one per column in the order of Matrix.Clusters.
type MatrixRow struct {
	Service string       `json:"service"`
	Owner   string       `json:"owner"`
	Cells   []MatrixCell `json:"cells"`
}

// Matrix is a page of the matrix.
type Matrix struct {
	Clusters []MatrixCluster `json:"clusters"`
	Services []MatrixRow     `json:"services"`
	// Total counts the services with a deployment in the selected environments, over all pages.
	Total int `json:"total"`
}

// andIn is " AND col IN (…)" for a filter, "" for none.
func andIn(col string, vals []string, args *[]any, err *error) string {
	if len(vals) == 0 || *err != nil {
		return ""
	}
	c, e := In(col, vals, args)
	if e != nil {
		*err = e
		return ""
	}
	return " AND " + c
}

// healthRank orders health from best to worst.
var healthRank = map[string]int{catalog.HealthScaledToZero: 1, catalog.HealthHealthy: 2, catalog.HealthProgressing: 3,
	catalog.HealthDegraded: 4, catalog.HealthUnavailable: 5}

// Matrix answers the services × clusters matrix.
func (d *DB) Matrix(ctx context.Context, q MatrixQuery) (Matrix, error) {
	m := Matrix{Clusters: []MatrixCluster{}, Services: []MatrixRow{}}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}

	// Columns: every cluster with a deployment in the selected environments and regions.
	var args []any
	var err error
	cond := andIn("environment", q.Environments, &args, &err) + andIn("region", q.Regions, &args, &err)
	if err != nil {
		return m, err
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT DISTINCT environment, region, cluster FROM deployments
		WHERE 1 = 1`+cond+` ORDER BY environment, region, cluster`, args...)
	if err != nil {
		return m, d.classify(err)
	}
	col := map[string]int{}
	for rows.Next() {
		var c MatrixCluster
		if err := rows.Scan(&c.Environment, &c.Region, &c.Name); err != nil {
			rows.Close()
			return m, err
		}
		if _, dup := col[c.Name]; dup {
			continue // a cluster re-registered under another region or environment, mid-rewrite
		}
		col[c.Name] = len(m.Clusters)
		m.Clusters = append(m.Clusters, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, err
	}
	states, err := clusterStates(ctx, d.sql)
	if err != nil {
		return m, d.classify(err)
	}
	for i := range m.Clusters {
		if st, ok := states[m.Clusters[i].Name]; ok {
			m.Clusters[i].State, m.Clusters[i].Message, m.Clusters[i].LastOKAt = st.Status, st.Message, st.SyncedAt
		}
	}

	// Rows: services with a deployment in the selected environments (any region), owned by the selected teams.
	args = nil
	envCond := andIn("d.environment", q.Environments, &args, &err)
	teamCond := andIn("s.owner", q.Teams, &args, &err)
	if err != nil {
		return m, err
	}
	where := `EXISTS (SELECT 1 FROM deployments d WHERE d.service_id = s.id` + envCond + `)` + teamCond
	if err := d.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM services s WHERE `+where, args...).Scan(&m.Total); err != nil {
		return m, d.classify(err)
	}
	rows, err = d.sql.QueryContext(ctx, `SELECT s.id, s.name, s.owner FROM services s WHERE `+where+`
		ORDER BY s.name LIMIT ? OFFSET ?`, append(args, limit, q.Offset)...)
	if err != nil {
		return m, d.classify(err)
	}
	var ids []any
	byID := map[int64]int{}
	for rows.Next() {
		var id int64
		var r MatrixRow
		if err := rows.Scan(&id, &r.Service, &r.Owner); err != nil {
			rows.Close()
			return m, err
		}
		byID[id] = len(m.Services)
		ids = append(ids, id)
		m.Services = append(m.Services, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return m, err
	}

	// Every deployment of those services in the selected environments, in all regions: whether a cell differs is
	// decided against the service's other regions even when the columns show only some.
	args = nil
	idCond, err := In("service_id", ids, &args)
	if err != nil {
		return m, err
	}
	envCond = andIn("environment", q.Environments, &args, &err)
	if err != nil {
		return m, err
	}
	rows, err = d.sql.QueryContext(ctx, `SELECT service_id, cluster, environment, version, ready, desired, health
		FROM deployments WHERE `+idCond+envCond, args...)
	if err != nil {
		return m, d.classify(err)
	}
	type cellKey struct {
		row     int
		cluster string
	}
	cells := map[cellKey]*MatrixCell{}
	cellEnv := map[cellKey]string{}
	for rows.Next() {
		var id int64
		var cluster, env, version, health string
		var ready, desired int
		if err := rows.Scan(&id, &cluster, &env, &version, &ready, &desired, &health); err != nil {
			rows.Close()
			return m, err
		}
		k := cellKey{byID[id], cluster}
		c := cells[k]
		if c == nil {
			c = &MatrixCell{Versions: []string{}}
			cells[k], cellEnv[k] = c, env
		}
		c.Ready += ready
		c.Desired += desired
		c.Workloads++
		if !slices.Contains(c.Versions, version) {
			c.Versions = append(c.Versions, version)
		}
		if healthRank[health] > healthRank[c.Health] {
			c.Health = health
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, err
	}

	// Per service and environment, the version set most clusters run.
	type envKey struct {
		row int
		env string
	}
	counts := map[envKey]map[string]int{}
	for k, c := range cells {
		sort.Strings(c.Versions)
		ek := envKey{k.row, cellEnv[k]}
		if counts[ek] == nil {
			counts[ek] = map[string]int{}
		}
		counts[ek][strings.Join(c.Versions, "\x00")]++
	}
	majority := map[envKey][]string{}
	disagree := map[envKey]bool{}
	for ek, cs := range counts {
		best, bestN, tie := "", 0, false
		for set, n := range cs {
			switch {
			case n > bestN:
				best, bestN, tie = set, n, false
			case n == bestN:
				tie = true
			}
		}
		disagree[ek] = len(cs) > 1
		if !tie {
			majority[ek] = strings.Split(best, "\x00")
		}
	}

	for i := range m.Services {
		r := &m.Services[i]
		r.Cells = make([]MatrixCell, len(m.Clusters))
		for j, cl := range m.Clusters {
			ek := envKey{i, cl.Environment}
			c := cells[cellKey{i, cl.Name}]
			switch {
			case c != nil:
				cell := *c
				cell.Status = CellSame
				if disagree[ek] {
					maj, ok := majority[ek]
					if !ok || strings.Join(maj, "\x00") != strings.Join(cell.Versions, "\x00") {
						cell.Status, cell.Expected = CellDiffers, maj
					}
				}
				r.Cells[j] = cell
			case counts[ek] != nil:
				r.Cells[j] = MatrixCell{Status: CellMissing, Versions: []string{}, Expected: majority[ek]}
			default:
				r.Cells[j] = MatrixCell{Status: CellAbsent, Versions: []string{}}
			}
		}
	}
	return m, nil
}

package store

import (
	"context"
	"sort"
	"strings"

	"github.com/sphera/atrium/internal/catalog"
)

// PackageSortColumns are the sortable columns of the packages table.
var PackageSortColumns = map[string]string{
	"name":      "name",
	"ecosystem": "ecosystem",
	"services":  "services",
	"outdated":  "outdated",
	"major":     "major",
	"minor":     "minor",
	"patch":     "patch",
}

// PackageQuery selects a page of the packages table: every package some service depends on, aggregated over the
// services that match the filters. Empty filters match everything.
type PackageQuery struct {
	Q          string   // part of the package name, case-insensitive
	Ecosystems []string // npm, go
	Owners     []string // count only services of these teams ("what is outdated in team T")
	Outdated   bool     // only packages some (matching) service uses behind the newest version
	Sort       string   // a key of PackageSortColumns; "" orders by name
	Desc       bool
	Limit      int // <= 0: 50
	Offset     int
}

// VersionCount is one version of a package in use and how many services use it.
type VersionCount struct {
	Version  string `json:"version"`
	Services int    `json:"services"`
}

// PackageRow is one line of the packages table.
type PackageRow struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Latest    string `json:"latest"` // "" when unknown
	Services  int    `json:"services"`
	// Versions in use, newest first.
	Versions []VersionCount `json:"versions"`
	// How many services are behind the newest version, by how far.
	Outdated int `json:"outdated"`
	Major    int `json:"major"`
	Minor    int `json:"minor"`
	Patch    int `json:"patch"`
}

// PackagePage is a page of packages and how many match in all.
type PackagePage struct {
	Items []PackageRow `json:"items"`
	Total int          `json:"total"`
}

// PackageUse is one service's use of a package.
type PackageUse struct {
	Service    string `json:"service"`
	Owner      string `json:"owner"`
	Version    string `json:"version"`
	Constraint string `json:"constraint,omitempty"`
	Behind     string `json:"behind"` // major, minor, patch, or "" when current or unknown
	Dev        bool   `json:"dev"`
}

// PackageDetail answers "which services use package X, in which versions".
type PackageDetail struct {
	PackageRow
	Uses []PackageUse `json:"uses"`
}

// packageFilter builds the WHERE clause shared by the packages queries over dependencies d joined to services s.
func packageFilter(q PackageQuery, like string) (string, []any, error) {
	where := []string{"1 = 1"}
	var args []any
	for _, f := range []struct {
		col  string
		vals []string
	}{{"d.ecosystem", q.Ecosystems}, {"s.owner", q.Owners}} {
		if len(f.vals) == 0 {
			continue
		}
		c, err := In(f.col, f.vals, &args)
		if err != nil {
			return "", nil, err
		}
		where = append(where, c)
	}
	if t := strings.TrimSpace(q.Q); t != "" {
		r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
		where = append(where, `d.name `+like+` ? ESCAPE '\'`)
		args = append(args, "%"+r.Replace(t)+"%")
	}
	return strings.Join(where, " AND "), args, nil
}

// ListPackages answers the packages table. The "behind" counts read the dependencies' behind column, which the
// store computes when a service is written.
func (d *DB) ListPackages(ctx context.Context, q PackageQuery) (PackagePage, error) {
	cond, args, err := packageFilter(q, LikeNoCase(d.sql))
	if err != nil {
		return PackagePage{}, err
	}
	having := ""
	if q.Outdated {
		having = " HAVING SUM(CASE WHEN d.behind != '' THEN 1 ELSE 0 END) > 0"
	}
	agg := `SELECT d.ecosystem AS ecosystem, d.name AS name, MAX(d.latest) AS latest, COUNT(*) AS services,
		SUM(CASE WHEN d.behind != '' THEN 1 ELSE 0 END) AS outdated,
		SUM(CASE WHEN d.behind = 'major' THEN 1 ELSE 0 END) AS major,
		SUM(CASE WHEN d.behind = 'minor' THEN 1 ELSE 0 END) AS minor,
		SUM(CASE WHEN d.behind = 'patch' THEN 1 ELSE 0 END) AS patch
		FROM dependencies d JOIN services s ON s.id = d.service_id WHERE ` + cond +
		` GROUP BY d.ecosystem, d.name` + having
	page := PackagePage{Items: []PackageRow{}}
	if err := d.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+agg+`) AS agg`, args...).Scan(&page.Total); err != nil {
		return page, d.classify(err)
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	order := "name" + dir + ", ecosystem" + dir
	if col, ok := PackageSortColumns[q.Sort]; ok && col != "name" {
		order = col + dir + ", name ASC, ecosystem ASC"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := d.sql.QueryContext(ctx, agg+` ORDER BY `+order+` LIMIT ? OFFSET ?`,
		append(append([]any{}, args...), limit, q.Offset)...)
	if err != nil {
		return page, d.classify(err)
	}
	index := map[[2]string]int{}
	for rows.Next() {
		var r PackageRow
		if err := rows.Scan(&r.Ecosystem, &r.Name, &r.Latest, &r.Services, &r.Outdated, &r.Major, &r.Minor,
			&r.Patch); err != nil {
			rows.Close()
			return page, err
		}
		r.Versions = []VersionCount{}
		index[[2]string{r.Ecosystem, r.Name}] = len(page.Items)
		page.Items = append(page.Items, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(page.Items) == 0 {
		return page, err
	}
	// Versions in use, for this page's packages only, a chunk of packages per query: an export's page may hold
	// every package, more than SQLite binds in one statement.
	for start := 0; start < len(page.Items); start += MaxListValues / 2 {
		chunk := page.Items[start:min(start+MaxListValues/2, len(page.Items))]
		pairs := make([]string, 0, len(chunk))
		vargs := append([]any{}, args...)
		for _, r := range chunk {
			pairs = append(pairs, "(d.ecosystem = ? AND d.name = ?)")
			vargs = append(vargs, r.Ecosystem, r.Name)
		}
		if err := d.versionsInUse(ctx, cond, pairs, vargs, page.Items, index); err != nil {
			return page, err
		}
	}
	for i := range page.Items {
		sortVersions(page.Items[i].Versions)
	}
	return page, nil
}

// versionsInUse adds to items the versions in use of the packages the pairs select.
func (d *DB) versionsInUse(ctx context.Context, cond string, pairs []string, args []any, items []PackageRow,
	index map[[2]string]int) error {
	rows, err := d.sql.QueryContext(ctx, `SELECT d.ecosystem, d.name, d.version, COUNT(*)
		FROM dependencies d JOIN services s ON s.id = d.service_id WHERE `+cond+` AND (`+strings.Join(pairs, " OR ")+`)
		GROUP BY d.ecosystem, d.name, d.version`, args...)
	if err != nil {
		return d.classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		var eco, name string
		var v VersionCount
		if err := rows.Scan(&eco, &name, &v.Version, &v.Services); err != nil {
			return err
		}
		if i, ok := index[[2]string{eco, name}]; ok {
			items[i].Versions = append(items[i].Versions, v)
		}
	}
	return rows.Err()
}

// sortVersions orders versions newest first; versions that are not semantic go last, alphabetically.
func sortVersions(vs []VersionCount) {
	sort.Slice(vs, func(i, j int) bool {
		c, ok := catalog.CompareVersions(vs[i].Version, vs[j].Version)
		if ok {
			return c > 0
		}
		_, iok := catalog.CompareVersions(vs[i].Version, vs[i].Version)
		_, jok := catalog.CompareVersions(vs[j].Version, vs[j].Version)
		if iok != jok {
			return iok
		}
		return vs[i].Version < vs[j].Version
	})
}

// GetPackage lists the services using one package (only those of owners, when given); catalog.ErrNotFound when no
// such service uses it.
func (d *DB) GetPackage(ctx context.Context, ecosystem, name string, owners []string) (PackageDetail, error) {
	cond, args, err := packageFilter(PackageQuery{Ecosystems: []string{ecosystem}, Owners: owners}, LikeNoCase(d.sql))
	if err != nil {
		return PackageDetail{}, err
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT s.name, s.owner, d.version, d.constraint_text, d.behind, d.dev,
		d.latest FROM dependencies d JOIN services s ON s.id = d.service_id WHERE `+cond+` AND d.name = ?
		ORDER BY s.name`, append(args, name)...)
	if err != nil {
		return PackageDetail{}, d.classify(err)
	}
	defer rows.Close()
	p := PackageDetail{PackageRow: PackageRow{Ecosystem: ecosystem, Name: name, Versions: []VersionCount{}},
		Uses: []PackageUse{}}
	counts := map[string]int{}
	for rows.Next() {
		var u PackageUse
		var latest string
		if err := rows.Scan(&u.Service, &u.Owner, &u.Version, &u.Constraint, &u.Behind, &u.Dev, &latest); err != nil {
			return p, err
		}
		if latest > p.Latest {
			p.Latest = latest
		}
		p.Uses = append(p.Uses, u)
		counts[u.Version]++
		switch u.Behind {
		case "major":
			p.Major++
		case "minor":
			p.Minor++
		case "patch":
			p.Patch++
		}
		if u.Behind != "" {
			p.Outdated++
		}
	}
	if err := rows.Err(); err != nil {
		return p, err
	}
	if len(p.Uses) == 0 {
		return p, catalog.ErrNotFound
	}
	p.Services = len(p.Uses)
	for v, n := range counts {
		p.Versions = append(p.Versions, VersionCount{Version: v, Services: n})
	}
	sortVersions(p.Versions)
	return p, nil
}

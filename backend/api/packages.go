package api

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
)

// ParsePackageQuery reads the packages table's query parameters, naming every bad one. csv reports ?format=csv.
func ParsePackageQuery(v url.Values) (q store.PackageQuery, csv bool, err error) {
	p := newParams(v)
	p.only("q", "ecosystem", "owner", "outdated", "sort", "order", "limit", "offset", "format")
	q.Q = p.text("q", 200)
	q.Ecosystems = p.list("ecosystem")
	for _, e := range q.Ecosystems {
		if e != catalog.EcosystemNPM && e != catalog.EcosystemGo {
			p.problem("ecosystem", "must be npm or go")
			break
		}
	}
	q.Owners = p.list("owner")
	q.Outdated = p.boolean("outdated")
	q.Sort = p.oneOf("sort", store.PackageSortColumns, "name, ecosystem, services, outdated, major, minor, patch")
	q.Desc = p.desc()
	csv = p.csv()
	def := 50
	if csv {
		def = 100000 // an export is the whole table unless a limit is given
	}
	q.Limit, q.Offset = p.page(def)
	return q, csv, p.err()
}

func (c *Catalog) listPackages(w http.ResponseWriter, r *http.Request) {
	q, asCSV, err := ParsePackageQuery(r.URL.Query())
	if err != nil {
		WriteError(w, r, c.Log, err)
		return
	}
	page, err := c.DB.ListPackages(r.Context(), q)
	if err != nil {
		WriteError(w, r, c.Log, err)
		return
	}
	if !asCSV {
		WriteJSON(w, http.StatusOK, page)
		return
	}
	rows := [][]string{{"ecosystem", "name", "latest", "services", "outdated", "behind_major", "behind_minor",
		"behind_patch", "versions"}}
	for _, p := range page.Items {
		rows = append(rows, []string{p.Ecosystem, p.Name, p.Latest, strconv.Itoa(p.Services), strconv.Itoa(p.Outdated),
			strconv.Itoa(p.Major), strconv.Itoa(p.Minor), strconv.Itoa(p.Patch), versionList(p.Versions)})
	}
	writeCSV(w, "packages.csv", rows)
}

func versionList(vs []store.VersionCount) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("%s (%d)", v.Version, v.Services)
	}
	return strings.Join(parts, "; ")
}

func (c *Catalog) getPackage(w http.ResponseWriter, r *http.Request) {
	eco, name := r.PathValue("ecosystem"), r.PathValue("name")
	v := r.URL.Query()
	q := newParams(v)
	q.only("owner", "format")
	asCSV := q.csv()
	owners := q.list("owner")
	if err := q.err(); err != nil {
		WriteError(w, r, c.Log, err)
		return
	}
	p, err := c.DB.GetPackage(r.Context(), eco, name, owners)
	if errors.Is(err, catalog.ErrNotFound) {
		err = Errorf(http.StatusNotFound, "not_found", "no service uses %s package %q", eco, name)
	}
	if err != nil {
		WriteError(w, r, c.Log, err)
		return
	}
	if !asCSV {
		WriteJSON(w, http.StatusOK, p)
		return
	}
	rows := [][]string{{"ecosystem", "package", "service", "owner", "version", "constraint", "latest", "behind", "dev"}}
	for _, u := range p.Uses {
		rows = append(rows, []string{p.Ecosystem, p.Name, u.Service, u.Owner, u.Version, u.Constraint, p.Latest, u.Behind,
			strconv.FormatBool(u.Dev)})
	}
	writeCSV(w, "package-"+eco+"-"+fileSafe.ReplaceAllString(name, "_")+".csv", rows)
}

var fileSafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// scopedNPMName is an npm package name with a scope (@types/node): npm allows only lower-case letters, digits and
// - . _ ~ around the one slash.
var scopedNPMName = regexp.MustCompile(`^@[a-z0-9~-][a-z0-9._~-]*/[a-z0-9~-][a-z0-9._~-]*$`)

// formulaLike reports whether a spreadsheet could run cell as a formula: it starts with = + - @ tab or CR (CSV
// injection). A scoped npm package name starts with @ but holds nothing a formula could call or reach out with,
// so it is a name, written as it is.
func formulaLike(cell string) bool {
	return cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !scopedNPMName.MatchString(cell)
}

// writeCSV answers rows as a CSV download. Cells that a spreadsheet would run as a formula (formulaLike) are
// prefixed with a quote (CSV injection); no other cell is changed.
func writeCSV(w http.ResponseWriter, filename string, rows [][]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	for _, row := range rows {
		for i, cell := range row {
			if formulaLike(cell) {
				row[i] = "'" + cell
			}
		}
		if err := cw.Write(row); err != nil {
			return // the status is sent: the client went away, and there is nobody left to tell
		}
	}
	cw.Flush()
}

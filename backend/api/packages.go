package api

import (
	"encoding/csv"
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
	var problems []FieldProblem
	known := map[string]bool{"q": true, "ecosystem": true, "owner": true, "outdated": true, "sort": true,
		"order": true, "limit": true, "offset": true, "format": true}
	for k := range v {
		if !known[k] {
			problems = append(problems, FieldProblem{Field: k, Problem: "unknown parameter"})
		}
	}
	q.Q = v.Get("q")
	if len(q.Q) > 200 {
		problems = append(problems, FieldProblem{Field: "q", Problem: "at most 200 characters"})
	}
	q.Ecosystems = list(v.Get("ecosystem"))
	for _, e := range q.Ecosystems {
		if e != catalog.EcosystemNPM && e != catalog.EcosystemGo {
			problems = append(problems, FieldProblem{Field: "ecosystem", Problem: "must be npm or go"})
		}
	}
	q.Owners = list(v.Get("owner"))
	switch v.Get("outdated") {
	case "", "false":
	case "true":
		q.Outdated = true
	default:
		problems = append(problems, FieldProblem{Field: "outdated", Problem: "must be true or false"})
	}
	if s := v.Get("sort"); s != "" {
		if _, ok := store.PackageSortColumns[s]; !ok {
			problems = append(problems, FieldProblem{Field: "sort",
				Problem: "must be one of name, ecosystem, services, outdated, major, minor, patch"})
		}
		q.Sort = s
	}
	switch v.Get("order") {
	case "", "asc":
	case "desc":
		q.Desc = true
	default:
		problems = append(problems, FieldProblem{Field: "order", Problem: "must be asc or desc"})
	}
	csv, fp := parseFormat(v)
	problems = append(problems, fp...)
	q.Limit = 50
	if csv {
		q.Limit = 100000 // an export is the whole table unless a limit is given
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			problems = append(problems, FieldProblem{Field: "limit", Problem: "must be an integer from 1 to 1000"})
		}
		q.Limit = n
	}
	if s := v.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			problems = append(problems, FieldProblem{Field: "offset", Problem: "must be a non-negative integer"})
		}
		q.Offset = n
	}
	if len(problems) > 0 {
		return q, csv, BadRequest("invalid query parameters", problems...)
	}
	return q, csv, nil
}

func parseFormat(v url.Values) (bool, []FieldProblem) {
	switch v.Get("format") {
	case "", "json":
		return false, nil
	case "csv":
		return true, nil
	}
	return false, []FieldProblem{{Field: "format", Problem: "must be json or csv"}}
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
	var problems []FieldProblem
	for k := range v {
		if k != "owner" && k != "format" {
			problems = append(problems, FieldProblem{Field: k, Problem: "unknown parameter"})
		}
	}
	asCSV, fp := parseFormat(v)
	problems = append(problems, fp...)
	if len(problems) > 0 {
		WriteError(w, r, c.Log, BadRequest("invalid query parameters", problems...))
		return
	}
	p, err := c.DB.GetPackage(r.Context(), eco, name, list(v.Get("owner")))
	if err == catalog.ErrNotFound {
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

// writeCSV answers rows as a CSV download. Cells that a spreadsheet would run as a formula are prefixed with a
// quote (CSV injection).
func writeCSV(w http.ResponseWriter, filename string, rows [][]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	for _, row := range rows {
		for i, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				row[i] = "'" + cell
			}
		}
		cw.Write(row)
	}
	cw.Flush()
}

package api

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/store"
)

// Catalog serves the catalog read endpoints from a store: the portal's database or a desktop's replica.
type Catalog struct {
	DB  *store.DB
	Log *slog.Logger
}

// Routes are the catalog's read endpoints.
func (c *Catalog) Routes() []Route {
	return []Route{
		{"GET /api/v1/services", policy.CatalogRead, c.listServices},
		{"GET /api/v1/services/{name}", policy.CatalogRead, c.getService},
		{"GET /api/v1/facets", policy.CatalogRead, c.facets},
		{"GET /api/v1/teams", policy.CatalogRead, c.teams},
		{"GET /api/v1/packages", policy.CatalogRead, c.listPackages},
		{"GET /api/v1/packages/{ecosystem}/{name...}", policy.CatalogRead, c.getPackage},
	}
}

// ParseServiceQuery reads the catalog table's query parameters, naming every bad one.
func ParseServiceQuery(v url.Values) (store.ServiceQuery, error) {
	var q store.ServiceQuery
	var problems []FieldProblem
	known := map[string]bool{"q": true, "owner": true, "language": true, "lifecycle": true, "sort": true,
		"order": true, "limit": true, "offset": true, "token": true}
	for k := range v {
		if !known[k] {
			problems = append(problems, FieldProblem{Field: k, Problem: "unknown parameter"})
		}
	}
	q.Q = v.Get("q")
	if len(q.Q) > 200 {
		problems = append(problems, FieldProblem{Field: "q", Problem: "at most 200 characters"})
	}
	q.Owners = list(v.Get("owner"))
	q.Languages = list(v.Get("language"))
	q.Lifecycles = list(v.Get("lifecycle"))
	if s := v.Get("sort"); s != "" {
		if _, ok := store.SortColumns[s]; !ok {
			problems = append(problems, FieldProblem{Field: "sort",
				Problem: "must be one of name, owner, language, lifecycle, repository, synced_at"})
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
	q.Limit = 50
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
		return q, BadRequest("invalid query parameters", problems...)
	}
	return q, nil
}

func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (c *Catalog) listServices(w http.ResponseWriter, r *http.Request) {
	q, err := ParseServiceQuery(r.URL.Query())
	if err != nil {
		WriteError(w, r, c.Log, err)
		return
	}
	page, err := c.DB.ListServices(r.Context(), q)
	if err != nil {
		WriteError(w, r, c.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, page)
}

func (c *Catalog) getService(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s, err := c.DB.GetService(r.Context(), name)
	if err == catalog.ErrNotFound {
		err = Errorf(http.StatusNotFound, "not_found", "no service named %q", name)
	}
	if err != nil {
		WriteError(w, r, c.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, s)
}

func (c *Catalog) facets(w http.ResponseWriter, r *http.Request) {
	f, err := c.DB.Facets(r.Context())
	if err != nil {
		WriteError(w, r, c.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, f)
}

func (c *Catalog) teams(w http.ResponseWriter, r *http.Request) {
	t, err := c.DB.Teams(r.Context())
	if err != nil {
		WriteError(w, r, c.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"items": t})
}

// Feed serves the change feed of the portal's store.
type Feed struct {
	DB  *store.DB
	Log *slog.Logger
}

// Routes is the change feed's endpoint.
func (f *Feed) Routes() []Route {
	return []Route{{"GET /api/v1/changes", policy.CatalogRead, f.changes}}
}

func (f *Feed) changes(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	var problems []FieldProblem
	limit, wait := 500, 0
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			problems = append(problems, FieldProblem{Field: "limit", Problem: "must be an integer from 1 to 1000"})
		}
		limit = n
	}
	if s := v.Get("wait"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 60 {
			problems = append(problems, FieldProblem{Field: "wait", Problem: "must be an integer from 0 to 60 (seconds)"})
		}
		wait = n
	}
	if len(problems) > 0 {
		WriteError(w, r, f.Log, BadRequest("invalid query parameters", problems...))
		return
	}
	b, err := f.DB.Changes(r.Context(), v.Get("cursor"), limit, time.Duration(wait)*time.Second)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, b)
}

package api

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
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
	p := newParams(v)
	p.only("q", "owner", "language", "lifecycle", "system", "signal", "sort", "order", "limit", "offset")
	q := store.ServiceQuery{
		Q:          p.text("q", 200),
		Owners:     p.list("owner"),
		Languages:  p.list("language"),
		Lifecycles: p.list("lifecycle"),
		Systems:    p.list("system"),
		Signals:    p.list("signal"),
		Sort:       p.oneOf("sort", store.SortColumns, "name, owner, language, lifecycle, repository, synced_at, signals"),
		Desc:       p.desc(),
	}
	for _, s := range q.Signals {
		if s != "findings" && s != "outdated" && s != "degraded" {
			p.problem("signal", "must be %s (comma-separated)", store.SignalNames)
			break
		}
	}
	q.Limit, q.Offset = p.page(50)
	return q, p.err()
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
	if errors.Is(err, catalog.ErrNotFound) {
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
	WriteJSON(w, http.StatusOK, Items[catalog.Team]{t})
}

// Feed serves the change feed of the portal's store. With Fleet, each batch carries the portal's signing key and
// each request's install report is recorded (docs/fleet.md).
type Feed struct {
	DB    *store.DB
	Log   *slog.Logger
	Fleet *Fleet
}

// Routes is the change feed's endpoint.
func (f *Feed) Routes() []Route {
	return []Route{{"GET /api/v1/changes", policy.CatalogRead, f.changes}}
}

func (f *Feed) changes(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	p := newParams(v)
	limit := p.intIn("limit", 1, 1000, 500, "")
	wait := p.intIn("wait", 0, 60, 0, "seconds")
	if err := p.err(); err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	f.Fleet.Report(r)
	// Encoded by the store: the thousand desktops a change wakes at once share one read and one encoding.
	b, err := f.DB.ChangesJSON(r.Context(), v.Get("cursor"), limit, time.Duration(wait)*time.Second, f.Fleet.PublicKey())
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

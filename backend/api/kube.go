package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/store"
)

// Kube serves what the Kubernetes collector gathered: the services × clusters matrix (from the store's services, so
// a desktop's replica answers it too), the clusters' states, and the unmapped workloads admins claim.
type Kube struct {
	DB  *store.DB
	Log *slog.Logger
}

// ReadRoutes are the endpoints a replica can answer: mount them on a desktop's local API.
func (k *Kube) ReadRoutes() []Route {
	return []Route{{"GET /api/v1/kube/matrix", policy.CatalogRead, k.matrix}}
}

// Routes are every Kubernetes endpoint of the portal.
func (k *Kube) Routes() []Route {
	return append(k.ReadRoutes(),
		Route{"GET /api/v1/kube/clusters", policy.SourcesRead, k.clusters},
		Route{"GET /api/v1/kube/unmapped", policy.SourcesRead, k.unmapped},
		Route{"GET /api/v1/kube/claims", policy.SourcesRead, k.claims},
		Route{"POST /api/v1/kube/claims", policy.KubeClaim, k.claim},
		Route{"DELETE /api/v1/kube/claims/{id}", policy.KubeClaim, k.unclaim},
	)
}

// ParseMatrixQuery reads the matrix's query parameters, naming every bad one.
func ParseMatrixQuery(v url.Values) (store.MatrixQuery, error) {
	p := newParams(v)
	p.only("team", "environment", "region", "limit", "offset")
	q := store.MatrixQuery{Teams: p.list("team"), Environments: p.list("environment"), Regions: p.list("region")}
	q.Limit, q.Offset = p.page(100)
	return q, p.err()
}

func (k *Kube) matrix(w http.ResponseWriter, r *http.Request) {
	q, err := ParseMatrixQuery(r.URL.Query())
	if err == nil {
		var m store.Matrix
		if m, err = k.DB.Matrix(r.Context(), q); err == nil {
			WriteJSON(w, http.StatusOK, m)
			return
		}
	}
	WriteError(w, r, k.Log, err)
}

func (k *Kube) clusters(w http.ResponseWriter, r *http.Request) {
	cs, err := k.DB.Clusters(r.Context())
	if err != nil {
		WriteError(w, r, k.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, Items[catalog.Cluster]{cs})
}

func (k *Kube) unmapped(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	p := newParams(v)
	p.only("cluster", "namespace", "limit", "offset")
	q := store.UnmappedQuery{Cluster: v.Get("cluster"), Namespace: v.Get("namespace")}
	q.Limit, q.Offset = p.page(100)
	if err := p.err(); err != nil {
		WriteError(w, r, k.Log, err)
		return
	}
	page, err := k.DB.Unmapped(r.Context(), q)
	if err != nil {
		WriteError(w, r, k.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, page)
}

func (k *Kube) claims(w http.ResponseWriter, r *http.Request) {
	cs, err := k.DB.Claims(r.Context())
	if err != nil {
		WriteError(w, r, k.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, Items[catalog.Claim]{cs})
}

func (k *Kube) claim(w http.ResponseWriter, r *http.Request) {
	var in ClaimRequest
	if err := DecodeJSON(w, r, 16<<10, &in); err != nil {
		WriteError(w, r, k.Log, err)
		return
	}
	pr, _ := auth.FromContext(r.Context())
	c := catalog.Claim{Cluster: in.Cluster, Namespace: in.Namespace, Kind: in.Kind, Name: in.Name,
		Service: in.Service, CreatedBy: pr.Subject}
	if err := c.Check().Err(); err != nil {
		WriteError(w, r, k.Log, fmt.Errorf("invalid claim: %w", err))
		return
	}
	c, n, err := k.DB.PutClaim(r.Context(), c)
	if errors.Is(err, store.ErrNoSuchService) {
		err = fmt.Errorf("invalid claim: %w", problem.Problems{problem.Atf("service", "no service named %q", in.Service)})
	}
	if err != nil {
		WriteError(w, r, k.Log, err)
		return
	}
	k.Log.Info("workload claimed", "by", pr.Subject, "cluster", c.Cluster, "namespace", c.Namespace, "kind", c.Kind,
		"name", c.Name, "service", c.Service, "matched", n)
	WriteJSON(w, http.StatusCreated, ClaimCreated{Claim: c, Matched: n})
}

func (k *Kube) unclaim(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		WriteError(w, r, k.Log, BadRequest("invalid claim id", problem.At("id", "must be an integer")))
		return
	}
	if err := k.DB.DeleteClaim(r.Context(), id); err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			err = Errorf(http.StatusNotFound, "not_found", "no claim %d", id)
		}
		WriteError(w, r, k.Log, err)
		return
	}
	pr, _ := auth.FromContext(r.Context())
	k.Log.Info("claim removed", "by", pr.Subject, "id", id)
	w.WriteHeader(http.StatusNoContent)
}

package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/drift"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/store"
)

// Drift serves drift items (docs/drift.md): the list and one item for everyone with a role — from the store, so
// a desktop's replica answers them offline — and, on the portal, acknowledging, silencing and fixing them.
type Drift struct {
	DB *store.DB
	// Svc acknowledges and fixes; nil on a replica, or a portal with drift off (those answer not_configured).
	Svc *drift.Service
	Log *slog.Logger
	// Now is the clock items' states are read at (nil: time.Now).
	Now func() time.Time
}

// Routes lists drift's endpoints.
func (h *Drift) Routes() []Route {
	return append(h.ReadRoutes(),
		Route{"POST /api/v1/drift/{id}/acknowledge", policy.DriftAcknowledge, h.acknowledge},
		Route{"DELETE /api/v1/drift/{id}/acknowledgement", policy.DriftAcknowledge, h.unacknowledge},
		Route{"POST /api/v1/drift/{id}/fix", policy.DriftFix, h.fix},
	)
}

// ReadRoutes are the reads a replica answers too, offline.
func (h *Drift) ReadRoutes() []Route {
	return []Route{
		{"GET /api/v1/drift", policy.DriftRead, h.list},
		{"GET /api/v1/drift/{id}", policy.DriftRead, h.get},
	}
}

func (h *Drift) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

var errNoDrift = Errorf(http.StatusNotFound, "not_configured",
	"drift detection is off on this portal (drift.off in its configuration, docs/drift.md)")

var driftKinds = map[string]string{catalog.DriftMissing: "", catalog.DriftUnmanaged: "", catalog.DriftChanged: ""}

func (h *Drift) list(w http.ResponseWriter, r *http.Request) {
	p := newParams(r.URL.Query())
	p.only("service", "team", "kind", "resolved")
	q := store.DriftQuery{Service: p.text("service", 200), Team: p.text("team", 200), Kind: p.text("kind", 20)}
	if q.Kind != "" {
		if _, ok := driftKinds[q.Kind]; !ok {
			p.problem("kind", "%q is not one of missing, unmanaged, changed", q.Kind)
		}
	}
	if r.URL.Query().Has("resolved") {
		q.Resolved = p.boolean("resolved")
	}
	if err := p.err(); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	items, err := h.DB.ListDrift(r.Context(), q, h.now())
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	st, _, err := h.DB.DriftStatus(r.Context())
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, DriftList{Items: items, Status: st})
}

func (h *Drift) get(w http.ResponseWriter, r *http.Request) {
	it, err := h.DB.GetDrift(r.Context(), r.PathValue("id"), h.now())
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, it)
}

func (h *Drift) acknowledge(w http.ResponseWriter, r *http.Request) {
	if h.Svc == nil {
		WriteError(w, r, h.Log, errNoDrift)
		return
	}
	var in drift.AckRequest
	if err := DecodeJSON(w, r, 16<<10, &in); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	p, _ := auth.FromContext(r.Context())
	it, err := h.Svc.Acknowledge(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, it)
}

func (h *Drift) unacknowledge(w http.ResponseWriter, r *http.Request) {
	if h.Svc == nil {
		WriteError(w, r, h.Log, errNoDrift)
		return
	}
	p, _ := auth.FromContext(r.Context())
	it, err := h.Svc.Unacknowledge(r.Context(), p, r.PathValue("id"))
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, it)
}

func (h *Drift) fix(w http.ResponseWriter, r *http.Request) {
	if h.Svc == nil {
		WriteError(w, r, h.Log, errNoDrift)
		return
	}
	var in drift.FixRequest
	if err := DecodeJSON(w, r, 16<<10, &in); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	p, _ := auth.FromContext(r.Context())
	res, err := h.Svc.Fix(r.Context(), p, r.PathValue("id"), r.Header.Get("Idempotency-Key"), in)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, res)
}

package api

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/store"
)

// Sources serves the collectors' status — progress, per-item errors, rate-limit budget — and sync triggers.
// Sources known only from the store (the demo, or a collector no longer configured) are listed with their last
// recorded freshness.
type Sources struct {
	DB         *store.DB
	Collectors sources.Set
	Log        *slog.Logger
}

// Routes are the sources endpoints.
func (s *Sources) Routes() []Route {
	return []Route{
		{"GET /api/v1/sources", policy.SourcesRead, s.list},
		{"GET /api/v1/sources/{name}", policy.SourcesRead, s.get},
		{"POST /api/v1/sources/{name}/sync", policy.SourcesSync, s.sync},
	}
}

// recorded turns a store freshness record into a status, with the services the source left in the catalog.
func (s *Sources) recorded(r *http.Request, rec store.Source) (sources.Status, error) {
	kind, _, _ := strings.Cut(rec.Name, ":")
	n, err := s.DB.CountServicesOf(r.Context(), rec.Name)
	return sources.Status{Name: rec.Name, Kind: kind, State: rec.Status, Message: rec.Message,
		FinishedAt: rec.SyncedAt, Services: n}, err
}

func (s *Sources) list(w http.ResponseWriter, r *http.Request) {
	recs, err := s.DB.Sources(r.Context())
	if err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	items := s.Collectors.Statuses()
	for i := range items {
		items[i].Syncable = true
	}
	for _, rec := range recs {
		if _, live := s.Collectors[rec.Name]; !live {
			st, err := s.recorded(r, rec)
			if err != nil {
				WriteError(w, r, s.Log, err)
				return
			}
			items = append(items, st)
		}
	}
	WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Sources) get(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if c, err := s.Collectors.Get(name); err == nil {
		d, err := c.Detail(r.Context())
		if err != nil {
			WriteError(w, r, s.Log, err)
			return
		}
		d.Syncable = true
		WriteJSON(w, http.StatusOK, d)
		return
	}
	recs, err := s.DB.Sources(r.Context())
	if err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	for _, rec := range recs {
		if rec.Name == name {
			st, err := s.recorded(r, rec)
			if err != nil {
				WriteError(w, r, s.Log, err)
				return
			}
			WriteJSON(w, http.StatusOK, sources.Detail{Status: st, ItemErrors: []sources.ItemError{}})
			return
		}
	}
	WriteError(w, r, s.Log, Errorf(http.StatusNotFound, "not_found", "no source named %q", name))
}

func (s *Sources) sync(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	c, err := s.Collectors.Get(name)
	if err != nil {
		recs, _ := s.DB.Sources(r.Context())
		for _, rec := range recs {
			if rec.Name == name {
				WriteError(w, r, s.Log, Errorf(http.StatusConflict, "conflict",
					"source %q has no collector running on this portal; there is nothing to sync", name))
				return
			}
		}
		WriteError(w, r, s.Log, Errorf(http.StatusNotFound, "not_found", "no source named %q", name))
		return
	}
	c.Trigger()
	WriteJSON(w, http.StatusAccepted, c.Status())
}

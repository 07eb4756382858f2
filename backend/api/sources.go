package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/store"
)

// Sources serves the collectors' status — progress, per-item errors, rate-limit budget — and sync triggers, all
// through one sources.Set: the running collectors (GitHub organisations, Kubernetes clusters), and the sources
// known only from what they left in the store (the demo, a collector no longer configured).
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

// all is the running collectors, with the sources the store records and no running collector reports.
func (s *Sources) all(ctx context.Context) (sources.Set, error) {
	recs, err := s.DB.Sources(ctx)
	if err != nil {
		return nil, err
	}
	recorded := sources.Set{}
	for _, rec := range recs {
		if _, live := s.Collectors[rec.Name]; live {
			continue
		}
		kind, _, _ := strings.Cut(rec.Name, ":")
		n, err := s.DB.CountServicesOf(ctx, rec.Name)
		if err != nil {
			return nil, err
		}
		recorded.Add(sources.Recorded{Last: sources.Status{Name: rec.Name, Kind: kind, State: rec.Status,
			Message: rec.Message, FinishedAt: rec.SyncedAt, Services: n}})
	}
	return s.Collectors.With(recorded), nil
}

func (s *Sources) list(w http.ResponseWriter, r *http.Request) {
	all, err := s.all(r.Context())
	if err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, Items[sources.Status]{all.Statuses()})
}

func (s *Sources) get(w http.ResponseWriter, r *http.Request) {
	all, err := s.all(r.Context())
	if err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	d, err := all.Detail(r.Context(), r.PathValue("name"))
	if err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, d)
}

func (s *Sources) sync(w http.ResponseWriter, r *http.Request) {
	all, err := s.all(r.Context())
	if err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	st, err := all.Sync(r.PathValue("name"))
	if err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	WriteJSON(w, http.StatusAccepted, st)
}

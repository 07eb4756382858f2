package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
)

// Audit serves the audit log to those who may read it, as JSON or as JSON lines for export.
type Audit struct {
	Trail audit.Log
	Log   *slog.Logger
}

// Routes lists the audit endpoints.
func (h *Audit) Routes() []Route {
	return []Route{{"GET /api/v1/audit", policy.AuditRead, h.query}}
}

// NDJSON is the media type of the JSON lines export.
const NDJSON = "application/x-ndjson"

func (h *Audit) query(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := audit.Filter{Actor: q.Get("actor"), Action: q.Get("action"), Resource: q.Get("resource")}
	var problems problem.Problems
	for _, tf := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(tf.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				problems.Append(problem.At(tf.name, "must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z"))
			}
			*tf.dst = t
		}
	}
	jsonl := q.Get("format") == "jsonl" || strings.Contains(r.Header.Get("Accept"), NDJSON)
	switch q.Get("format") {
	case "", "json", "jsonl":
	default:
		problems.Append(problem.At("format", "must be json or jsonl"))
	}
	maxLimit := 1000
	if jsonl {
		maxLimit = audit.MaxLimit
	}
	f.Limit = audit.DefaultLimit
	if jsonl {
		f.Limit = audit.MaxLimit
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			problems.Append(problem.At("limit", "must be 1–"+strconv.Itoa(maxLimit)))
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			problems.Append(problem.At("before", "must be an event id"))
		}
		f.Before = n
	}
	if len(problems) > 0 {
		WriteError(w, r, h.Log, BadRequest("invalid audit query", problems...))
		return
	}
	events, err := h.Trail.Query(r.Context(), f)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	if jsonl {
		w.Header().Set("Content-Type", NDJSON)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Disposition", `attachment; filename="atrium-audit.jsonl"`)
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, e := range events {
			if err := enc.Encode(e); err != nil {
				return
			}
		}
		return
	}
	body := AuditPage{Events: events}
	if len(events) == f.Limit && len(events) > 0 {
		body.NextBefore = events[len(events)-1].ID
	}
	WriteJSON(w, http.StatusOK, body)
}

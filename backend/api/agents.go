package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
)

// Agents serves cluster agents (docs/agent.md): each pulls its cluster's work over a long poll and reports on it.
// An agent's token is scoped to its cluster (agent:work:CLUSTER); every route checks the cluster of its path, so
// one cluster's agent gets 403 on another's.
type Agents struct {
	Queue *agent.Queue
	Log   *slog.Logger
}

// Routes lists the agent endpoints.
func (h *Agents) Routes() []Route {
	return []Route{
		{"GET /api/v1/agents", policy.SourcesRead, h.list},
		{"POST /api/v1/agents/{cluster}/hello", policy.AgentWork, h.hello},
		{"GET /api/v1/agents/{cluster}/work", policy.AgentWork, h.next},
		{"POST /api/v1/agents/{cluster}/work/{id}/renew", policy.AgentWork, h.renew},
		{"POST /api/v1/agents/{cluster}/work/{id}/result", policy.AgentWork, h.result},
	}
}

// cluster reads the path's cluster and checks that the caller may act for it.
func (h *Agents) cluster(r *http.Request) (string, auth.Principal, error) {
	c := r.PathValue("cluster")
	if !agent.ValidCluster(c) {
		return "", auth.Principal{}, BadRequest("invalid cluster", problem.At("cluster", "must be a cluster name (lower-case letters, digits and -, at most 63)"))
	}
	if err := AuthorizeIn(r, policy.AgentWork, "", c); err != nil {
		return "", auth.Principal{}, err
	}
	p, _ := auth.FromContext(r.Context())
	return c, p, nil
}

func (h *Agents) list(w http.ResponseWriter, r *http.Request) {
	st, err := h.Queue.Agents(r.Context())
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"items": st})
}

func (h *Agents) hello(w http.ResponseWriter, r *http.Request) {
	c, p, err := h.cluster(r)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	var in agent.Hello
	if err := DecodeJSON(w, r, 16<<10, &in); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	s, err := h.Queue.Hello(r.Context(), c, p.Subject, in)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	h.Log.Info("agent connected", "cluster", c, "by", p.Subject, "agent", in.AgentID, "version", in.Version,
		"kube", in.KubeVersion, "key", s.KeyID)
	WriteJSON(w, http.StatusOK, s)
}

// next is the long poll: the next item leased to the caller, or 204 when none came within wait seconds.
func (h *Agents) next(w http.ResponseWriter, r *http.Request) {
	c, p, err := h.cluster(r)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	q := newParams(r.URL.Query())
	q.only("wait")
	wait := q.intIn("wait", 0, 60, 0, "seconds")
	if err := q.err(); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	it, ok, err := h.Queue.Next(r.Context(), c, p.Subject, time.Duration(wait)*time.Second)
	if errors.Is(err, agent.ErrBusy) {
		w.Header().Set("Retry-After", "5")
	}
	if err != nil {
		if r.Context().Err() != nil {
			return // the agent hung up
		}
		WriteError(w, r, h.Log, err)
		return
	}
	if !ok {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.Log.Info("agent work leased", "cluster", c, "work", it.ID, "kind", it.Kind, "attempt", it.Attempts, "by", p.Subject)
	WriteJSON(w, http.StatusOK, it)
}

type leaseRequest struct {
	LeaseID string `json:"lease_id"`
}

func (h *Agents) renew(w http.ResponseWriter, r *http.Request) {
	c, _, err := h.cluster(r)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	var in leaseRequest
	if err := DecodeJSON(w, r, 4<<10, &in); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	if in.LeaseID == "" {
		WriteError(w, r, h.Log, BadRequest("invalid renewal", problem.At("lease_id", "required")))
		return
	}
	until, err := h.Queue.Renew(r.Context(), c, r.PathValue("id"), in.LeaseID)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"lease_until": until})
}

type resultRequest struct {
	LeaseID string       `json:"lease_id"`
	Result  agent.Result `json:"result"`
}

func (h *Agents) result(w http.ResponseWriter, r *http.Request) {
	c, p, err := h.cluster(r)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	var in resultRequest
	if err := DecodeJSON(w, r, agent.MaxResult+4<<10, &in); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	if in.LeaseID == "" {
		WriteError(w, r, h.Log, BadRequest("invalid result", problem.At("lease_id", "required")))
		return
	}
	it, err := h.Queue.Report(r.Context(), c, r.PathValue("id"), in.LeaseID, in.Result)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	h.Log.Info("agent reported", "cluster", c, "work", it.ID, "state", it.State, "by", p.Subject,
		"objects", strconv.Itoa(len(in.Result.Objects)))
	WriteJSON(w, http.StatusOK, it)
}

package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
)

// Actions serves self-service actions: requests, the approvers' inbox and decisions.
type Actions struct {
	Svc   *actions.Service
	Audit audit.Auditor
	Log   *slog.Logger
}

// maxActionBody bounds a request body; a larger one is answered 413 and nothing is written.
const maxActionBody = 64 << 10

// Routes lists the endpoints of actions.
func (h *Actions) Routes() []Route {
	return []Route{
		{"GET /api/v1/actions/options", policy.ActionsRead, h.options},
		{"GET /api/v1/actions/queues", policy.ActionsRead, h.queues},
		{"POST /api/v1/actions", policy.ActionsRequest, h.request},
		{"GET /api/v1/actions", policy.ActionsRead, h.list},
		{"GET /api/v1/actions/{id}", policy.ActionsRead, h.get},
		{"GET /api/v1/actions/{id}/plan", policy.ActionsRead, h.plan},
		{"GET /api/v1/actions/{id}/preview", policy.ActionsRead, h.preview},
		// The service checks who may: the requester, an owner of the action's team, or an admin.
		{"POST /api/v1/actions/{id}/retry", policy.ActionsRequest, h.retry},
		{"POST /api/v1/actions/{id}/cancel", policy.ActionsRequest, h.cancel},
		{"POST /api/v1/actions/{id}/approve", policy.ActionsApprove, h.approve},
		{"POST /api/v1/actions/{id}/reject", policy.ActionsApprove, h.reject},
		{"GET /api/v1/approvals", policy.ActionsApprove, h.inbox},
	}
}

// options tells the UI what may be requested where, and who approves it.
func (h *Actions) options(w http.ResponseWriter, r *http.Request) {
	out := ActionOptions{Kinds: actions.Kinds(), Environments: []EnvironmentOption{}}
	for _, name := range h.Svc.Config.EnvironmentNames() {
		e := h.Svc.Config.Environments[name]
		out.Environments = append(out.Environments, EnvironmentOption{Name: name, Regions: e.Regions,
			Delivery: e.Delivery, Approvers: h.Svc.Config.ApproversOf(name)})
	}
	WriteJSON(w, http.StatusOK, out)
}

// queues lists the SQS queues a topic of an environment's region may subscribe: those that exist (made through
// the portal, or seen in AWS where the delivery path looks) and those requested and on their way.
func (h *Actions) queues(w http.ResponseWriter, r *http.Request) {
	q := newParams(r.URL.Query())
	q.only("environment", "region")
	env, region := q.text("environment", 128), q.text("region", 64)
	if e, ok := h.Svc.Config.Environments[env]; env == "" {
		q.problem("environment", "required: one of %s", strings.Join(h.Svc.Config.EnvironmentNames(), ", "))
	} else if !ok {
		q.problem("environment", "unknown environment %q; known: %s", env, strings.Join(h.Svc.Config.EnvironmentNames(), ", "))
	} else if !slices.Contains(e.Regions, region) {
		q.problem("region", "required: one of %s's regions (%s)", env, strings.Join(e.Regions, ", "))
	}
	if err := q.err(); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	list, err := h.Svc.Queues(r.Context(), env, region)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, Items[actions.Queue]{list})
}

func (h *Actions) request(w http.ResponseWriter, r *http.Request) {
	var req actions.Request
	if err := DecodeJSON(w, r, maxActionBody, &req); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	p, _ := auth.FromContext(r.Context())
	a, created, err := h.Svc.Request(r.Context(), p, r.Header.Get("Idempotency-Key"), req)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/actions/"+a.ID)
	status := http.StatusOK // the action stored first under this key
	if created {
		status = http.StatusCreated
	}
	WriteJSON(w, status, a)
}

func (h *Actions) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f actions.Filter
	var problems problem.Problems
	switch q.Get("mine") {
	case "", "false", "0":
	case "true", "1":
		p, _ := auth.FromContext(r.Context())
		f.Requester = p.Subject
	default:
		problems.Append(problem.At("mine", "must be true or false"))
	}
	if s := actions.State(q.Get("state")); s != "" {
		if !slices.Contains(actions.States(), s) {
			problems.Append(problem.Atf("state", "must be one of %v", actions.States()))
		}
		f.State = s
	}
	f.Team = q.Get("team")
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			problems.Append(problem.At("limit", "must be 1–500"))
		}
		f.Limit = n
	}
	if len(problems) > 0 {
		WriteError(w, r, h.Log, BadRequest("invalid query", problems...))
		return
	}
	list, err := h.Svc.Store.List(r.Context(), f)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, ActionList{list})
}

// get answers an action; with wait and version it is a long poll that answers as soon as the action's version
// differs from version (or when wait seconds have passed): how the UI and the CLI follow a run step by step.
func (h *Actions) get(w http.ResponseWriter, r *http.Request) {
	q := newParams(r.URL.Query())
	q.only("wait", "version")
	wait := q.intIn("wait", 0, int(actions.MaxWait/time.Second), 0, "seconds")
	version := q.intIn("version", 0, math.MaxInt, 0, "")
	if wait > 0 && !r.URL.Query().Has("version") {
		q.problem("version", "required with wait: the version of the action you have (its version field)")
	}
	if err := q.err(); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	var a actions.Action
	var err error
	if wait > 0 {
		a, err = h.Svc.Wait(r.Context(), r.PathValue("id"), int64(version), time.Duration(wait)*time.Second)
	} else {
		a, err = h.Svc.Store.Get(r.Context(), r.PathValue("id"))
	}
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	p, _ := auth.FromContext(r.Context())
	v := ActionView{Action: a}
	mayControl := policy.MayRetryOrCancel(p, a.Requester, a.Team, a.Environment)
	v.MayRetry = mayControl.Allow && a.State == actions.StateFailed
	v.MayCancel = mayControl.Allow && !a.State.Final()
	switch d := policy.MayApprove(p, a.Requester, a.Team, a.Environment, a.Approvers); {
	case a.State != actions.StatePendingApproval:
		v.MayApproveReason = "the action is " + string(a.State) + ", not pending approval"
	case !d.Allow:
		v.MayApproveReason = d.Reason
	default:
		v.MayApprove = true
	}
	WriteJSON(w, http.StatusOK, v)
}

// plan answers the plan stored with an action when it was requested (service_create: what its run executes, exactly
// as the requester reviewed it), so that an approver reviews what they approve and a run's page can show it. It is
// apart from the action itself: a plan holds every file of a repository, too much to send again with each change a
// long poll on the action reports. An action of another kind has none (404 no_plan).
func (h *Actions) plan(w http.ResponseWriter, r *http.Request) {
	a, err := h.Svc.Store.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	if a.Document() == "" {
		WriteError(w, r, h.Log, Errorf(http.StatusNotFound, "no_plan",
			"action %s has no plan: only service_create actions store one", a.ID))
		return
	}
	WriteJSON(w, http.StatusOK, json.RawMessage(a.Document()))
}

// preview answers what an action will do (or did), for every kind: the Terraform or manifests it applies, the
// flag as it is and as the change makes it, in sentences — what an approver decides on. Never a secret's value.
func (h *Actions) preview(w http.ResponseWriter, r *http.Request) {
	p, err := h.Svc.Preview(r.Context(), r.PathValue("id"))
	if errors.Is(err, actions.ErrNoPreview) {
		err = Errorf(http.StatusNotFound, "no_preview", "%v", err)
	}
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, p)
}

func (h *Actions) approve(w http.ResponseWriter, r *http.Request) { h.decide(w, r, true) }
func (h *Actions) reject(w http.ResponseWriter, r *http.Request)  { h.decide(w, r, false) }

func (h *Actions) decide(w http.ResponseWriter, r *http.Request, approve bool) {
	var in Decision
	// An approval may come without a body; a rejection needs one with a reason.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<10))
	if err != nil {
		WriteError(w, r, h.Log, &Error{Code: "too_large", Message: "request body is larger than 16384 bytes",
			status: http.StatusRequestEntityTooLarge})
		return
	}
	if len(bytes.TrimSpace(body)) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := DecodeJSON(w, r, 16<<10, &in); err != nil {
			WriteError(w, r, h.Log, err)
			return
		}
	}
	p, _ := auth.FromContext(r.Context())
	id := r.PathValue("id")
	a, err := h.Svc.Decide(r.Context(), p, id, approve, in.Reason)
	if errors.Is(err, actions.ErrForbidden) && h.Audit != nil {
		verb := "action.approve"
		if !approve {
			verb = "action.reject"
		}
		// A refused decision is itself a decision worth keeping.
		if aerr := h.Audit.Record(r.Context(), audit.Event{Actor: p.Subject, Action: verb, Resource: "action/" + id,
			Outcome: audit.Denied, Detail: map[string]any{"reason": err.Error()}}); aerr != nil {
			h.Log.Error("audit a denied decision", "err", aerr)
		}
	}
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, a)
}

func (h *Actions) inbox(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.FromContext(r.Context())
	list, err := h.Svc.Inbox(r.Context(), p)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, ActionList{list})
}

func (h *Actions) retry(w http.ResponseWriter, r *http.Request) {
	if !emptyOrJSON(w, r, h.Log, nil) {
		return
	}
	p, _ := auth.FromContext(r.Context())
	id := r.PathValue("id")
	a, err := h.Svc.Retry(r.Context(), p, id)
	h.auditDenied(r, p, "action.retry", id, err)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, a)
}

func (h *Actions) cancel(w http.ResponseWriter, r *http.Request) {
	var in Cancellation
	if !emptyOrJSON(w, r, h.Log, &in) {
		return
	}
	p, _ := auth.FromContext(r.Context())
	id := r.PathValue("id")
	a, err := h.Svc.Cancel(r.Context(), p, id, in.Reason)
	h.auditDenied(r, p, "action.cancel", id, err)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, a)
}

// auditDenied keeps a refused retry or cancel in the audit log: a refusal is a decision worth keeping.
func (h *Actions) auditDenied(r *http.Request, p auth.Principal, verb, id string, err error) {
	if !errors.Is(err, actions.ErrForbidden) || h.Audit == nil {
		return
	}
	if aerr := h.Audit.Record(r.Context(), audit.Event{Actor: p.Subject, Action: verb, Resource: "action/" + id,
		Outcome: audit.Denied, Detail: map[string]any{"reason": err.Error()}}); aerr != nil {
		h.Log.Error("audit a denied request", "action", verb, "err", aerr)
	}
}

// emptyOrJSON reads an optional JSON body into v (nil: the body must be empty or {}); false when it answered an
// error.
func emptyOrJSON(w http.ResponseWriter, r *http.Request, log *slog.Logger, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<10))
	if err != nil {
		WriteError(w, r, log, &Error{Code: "too_large", Message: "request body is larger than 16384 bytes",
			status: http.StatusRequestEntityTooLarge})
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	if v == nil {
		v = &struct{}{}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := DecodeJSON(w, r, 16<<10, v); err != nil {
		WriteError(w, r, log, err)
		return false
	}
	return true
}

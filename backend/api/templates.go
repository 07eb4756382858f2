package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/sphera/atrium/internal/actions/golden"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/scaffold"
)

// Templates serves the golden path's templates: the listing with each template's parameter schema (the form the
// UI renders), inline validation and the dry run. Creating a service is an action (POST /api/v1/actions, kind
// service_create): one pipeline for every privileged change.
type Templates struct {
	// Golden is the portal's golden path: its template registry, target and checker; nil on a portal without one
	// (every endpoint answers 404 not_configured).
	Golden *golden.Requests
	Log    *slog.Logger
}

// maxTemplateBody bounds the parameters of a validation or a dry run.
const maxTemplateBody = 64 << 10

// Routes lists the endpoints of templates.
func (h *Templates) Routes() []Route {
	return []Route{
		{"GET /api/v1/templates", policy.TemplatesRead, h.list},
		{"GET /api/v1/templates/{name}", policy.TemplatesRead, h.get},
		{"POST /api/v1/templates/{name}/validate", policy.TemplatesRead, h.validate},
		{"POST /api/v1/templates/{name}/plan", policy.TemplatesRead, h.plan},
	}
}

var errNoGoldenPath = Errorf(http.StatusNotFound, "not_configured",
	"this portal has no golden path: an admin configures golden_path in its configuration file (docs/golden-path.md)")

func (h *Templates) configured(w http.ResponseWriter, r *http.Request) bool {
	if h.Golden == nil || h.Golden.Registry == nil {
		WriteError(w, r, h.Log, errNoGoldenPath)
		return false
	}
	return true
}

func (h *Templates) list(w http.ResponseWriter, r *http.Request) {
	if !h.configured(w, r) {
		return
	}
	WriteJSON(w, http.StatusOK, TemplateList{Templates: h.Golden.Registry.List(h.Golden.Target)})
}

// summary is the listing of one template; nil after it answered 404.
func (h *Templates) summary(w http.ResponseWriter, r *http.Request) *scaffold.Summary {
	name := r.PathValue("name")
	for _, s := range h.Golden.Registry.List(h.Golden.Target) {
		if s.Name == name {
			return &s
		}
	}
	WriteError(w, r, h.Log, Errorf(http.StatusNotFound, "not_found", "no template %q (GET /api/v1/templates lists them)", name))
	return nil
}

func (h *Templates) get(w http.ResponseWriter, r *http.Request) {
	if !h.configured(w, r) {
		return
	}
	if s := h.summary(w, r); s != nil {
		WriteJSON(w, http.StatusOK, s)
	}
}

// parameters reads the {"parameters": {...}} body of validate and plan.
func (h *Templates) parameters(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	var in TemplateParameters
	if err := DecodeJSON(w, r, maxTemplateBody, &in); err != nil {
		WriteError(w, r, h.Log, err)
		return nil, false
	}
	if in.Parameters == nil {
		in.Parameters = map[string]any{}
	}
	return in.Parameters, true
}

// template returns the template of the path, answering 404 for an unknown one and 409 for a broken one.
func (h *Templates) template(w http.ResponseWriter, r *http.Request) *scaffold.Template {
	t, err := h.Golden.Registry.Get(r.PathValue("name"))
	switch {
	case errors.Is(err, scaffold.ErrNotFound):
		WriteError(w, r, h.Log, Errorf(http.StatusNotFound, "not_found", "no template %q (GET /api/v1/templates lists them)", r.PathValue("name")))
		return nil
	case errors.Is(err, scaffold.ErrBroken):
		WriteError(w, r, h.Log, Errorf(http.StatusConflict, "template_broken", "%v", err))
		return nil
	case err != nil:
		WriteError(w, r, h.Log, err)
		return nil
	}
	return t
}

// validate checks parameters as the form is filled in: 200 with every problem at its field (a JSON Pointer into
// the parameters), including what only the outside world knows — the name taken in the catalog or on GitHub, the
// team unknown. Nothing is created.
func (h *Templates) validate(w http.ResponseWriter, r *http.Request) {
	if !h.configured(w, r) {
		return
	}
	params, ok := h.parameters(w, r)
	if !ok {
		return
	}
	t := h.template(w, r)
	if t == nil {
		return
	}
	vals, ps := t.Validate(r.Context(), params, h.Golden.Target, h.Golden.Checker)
	out := TemplateValidation{Valid: !ps.HasErrors(), Parameters: vals, Problems: fieldProblems(errorsOf(ps)),
		Warnings: fieldProblems(warningsOf(ps))}
	if out.Problems == nil {
		out.Problems = []FieldProblem{}
	}
	if out.Warnings == nil {
		out.Warnings = []FieldProblem{}
	}
	if !out.Valid {
		out.Parameters = nil
	}
	WriteJSON(w, http.StatusOK, out)
}

// plan is the dry run: the full plan — every file of the repository, the infrastructure pull request, the dev
// manifests, the catalog entry and the steps — or 400 naming every bad parameter. Nothing is created.
func (h *Templates) plan(w http.ResponseWriter, r *http.Request) {
	if !h.configured(w, r) {
		return
	}
	params, ok := h.parameters(w, r)
	if !ok {
		return
	}
	if h.template(w, r) == nil {
		return
	}
	p, ps, err := h.Golden.Plan(r.Context(), r.PathValue("name"), params)
	switch {
	case err != nil:
		WriteError(w, r, h.Log, err)
	case ps.HasErrors():
		WriteError(w, r, h.Log, BadRequest("the parameters do not make a plan: nothing was created", ps...))
	default:
		WriteJSON(w, http.StatusOK, p)
	}
}

func errorsOf(ps problem.Problems) problem.Problems {
	var out problem.Problems
	for _, p := range ps {
		if p.Severity == problem.Error {
			out = append(out, p)
		}
	}
	return out
}

func warningsOf(ps problem.Problems) problem.Problems {
	var out problem.Problems
	for _, p := range ps {
		if p.Severity != problem.Error {
			out = append(out, p)
		}
	}
	return out
}

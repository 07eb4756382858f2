package golden

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/scaffold"
)

// Params are the parameters of a service_create request: the template and its parameters.
type Params struct {
	Template   string         `json:"template"`
	Parameters map[string]any `json:"parameters"`
}

// Stored are the parameters a service_create action keeps (and shows): what was asked, the template's version and
// the digest of the plan stored with the action.
type Stored struct {
	Template        string         `json:"template"`
	TemplateVersion string         `json:"template_version"`
	Parameters      map[string]any `json:"parameters"`
	PlanDigest      string         `json:"plan_digest"`
}

// Requests prepares service_create requests for the actions service (actions.Preparer): it checks the template's
// parameters against the portal's target and the outside world (Checker), renders the plan — the run executes
// exactly this plan — and names the team the request is for.
type Requests struct {
	Registry *scaffold.Registry
	Target   scaffold.Target
	Checker  scaffold.Checker
}

// Plan validates params for the template called name and renders its plan; problems are at JSON Pointers into
// params, or at "" for the template itself (unknown or broken: ErrTemplate).
func (rq Requests) Plan(ctx context.Context, name string, params map[string]any) (*Plan, problem.Problems, error) {
	t, err := rq.Registry.Get(name)
	var ps problem.Problems
	switch {
	case errors.Is(err, scaffold.ErrNotFound):
		return nil, nil, fmt.Errorf("%w: no template %q (GET /api/v1/templates lists them)", ErrTemplate, name)
	case errors.Is(err, scaffold.ErrBroken):
		return nil, nil, fmt.Errorf("%w: %v", ErrTemplate, err)
	case err != nil:
		return nil, nil, err
	}
	plan, ps := t.Plan(ctx, params, rq.Target, rq.Checker)
	if ps.HasErrors() {
		return nil, ps, nil
	}
	return plan, nil, nil
}

// ErrTemplate says the template asked for is not in the registry, or is broken.
var ErrTemplate = errors.New("template cannot be used")

// Prepare implements actions.Preparer.
func (rq Requests) Prepare(ctx context.Context, _ auth.Principal, req actions.Request) (actions.Prepared, error) {
	var ps problem.Problems
	var in Params
	dec := json.NewDecoder(bytes.NewReader(req.Params))
	dec.DisallowUnknownFields()
	switch {
	case len(req.Params) == 0 || string(req.Params) == "null":
		ps.Add("/params", `required: {"template": NAME, "parameters": {...}}`)
	case dec.Decode(&in) != nil:
		ps.Add("/params", `must be {"template": NAME, "parameters": {...}} and nothing else`)
	case in.Template == "":
		ps.Add("/params/template", "required: the template to create the service from (GET /api/v1/templates lists them)")
	}
	if req.Service != "" {
		ps.Add("/service", "leave empty: the new service's name is the parameter name")
	}
	if ps.HasErrors() {
		return actions.Prepared{}, refused(ps)
	}
	if in.Parameters == nil {
		in.Parameters = map[string]any{}
	}
	plan, tps, err := rq.Plan(ctx, in.Template, in.Parameters)
	switch {
	case errors.Is(err, ErrTemplate):
		return actions.Prepared{}, refused(problem.Problems{problem.At("/params/template", err.Error())})
	case err != nil:
		return actions.Prepared{}, err
	case tps.HasErrors():
		return actions.Prepared{}, refused(tps.Under("/params/parameters"))
	}
	if err := checkPlan(plan); err != nil {
		return actions.Prepared{}, fmt.Errorf("template %s rendered a plan that cannot run: %w", in.Template, err)
	}
	doc, err := json.Marshal(plan)
	if err != nil {
		return actions.Prepared{}, err
	}
	stored, _ := json.Marshal(Stored{Template: plan.Template.Name, TemplateVersion: plan.Template.Version,
		Parameters: plan.Parameters, PlanDigest: plan.Digest})
	region := ""
	if len(plan.Deploy) > 0 {
		region = plan.Deploy[0].Region
	}
	return actions.Prepared{Params: stored, Team: plan.CatalogEntry.Owner, Service: plan.Service, Region: region,
		Document: string(doc)}, nil
}

func refused(ps problem.Problems) error {
	return fmt.Errorf("invalid service_create request: nothing was stored: %w", ps)
}

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
)

// Checker answers what validating a new service asks of the outside world: is the name taken in the catalog or
// on GitHub, does the team exist. The portal implements it over its store and GitHub (CatalogChecker).
type Checker interface {
	ServiceExists(ctx context.Context, name string) (bool, error)
	RepoExists(ctx context.Context, owner, name string) (bool, error)
	TeamExists(ctx context.Context, team string) (bool, error)
}

// Templates renders plans: the portal's template registry.
type Templates interface {
	// Plan validates params for template name — asking chk about the outside world — and renders the plan. Bad
	// parameters are a problem.Problems (errors.As) at JSON Pointers into params ("/name"); an unknown template is
	// ErrNoTemplate.
	Plan(ctx context.Context, name string, params map[string]any, chk Checker) (*Plan, error)
}

// ErrNoTemplate: the template asked for is not in the registry.
var ErrNoTemplate = errors.New("no such template")

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
// parameters, renders the plan — the run executes exactly this plan — and names the team the request is for.
type Requests struct {
	Templates Templates
	Checker   Checker
}

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
	plan, err := rq.Templates.Plan(ctx, in.Template, in.Parameters, rq.Checker)
	var tps problem.Problems
	switch {
	case errors.Is(err, ErrNoTemplate):
		return actions.Prepared{}, refused(problem.Problems{problem.Atf("/params/template", "no template %q (GET /api/v1/templates lists them)", in.Template)})
	case errors.As(err, &tps):
		return actions.Prepared{}, refused(tps.Under("/params/parameters"))
	case err != nil:
		return actions.Prepared{}, err
	}
	if err := plan.check(); err != nil {
		return actions.Prepared{}, fmt.Errorf("template %s rendered a plan that cannot run: %w", in.Template, err)
	}
	doc := plan.Raw
	if len(doc) == 0 {
		if doc, err = json.Marshal(plan); err != nil {
			return actions.Prepared{}, err
		}
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

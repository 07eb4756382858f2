package golden

import (
	"fmt"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/scaffold"
)

// Plan is what a run executes: the template package's plan, as the requester reviewed it (stored with the action).
type Plan = scaffold.Plan

// Step ids, in the order a run executes them.
const (
	StepCreateRepository  = scaffold.StepCreateRepository
	StepPushInitialCommit = scaffold.StepPushInitialCommit
	StepProtectBranch     = scaffold.StepProtectBranch
	StepRegisterCatalog   = scaffold.StepRegisterCatalog
	StepOpenInfraPR       = scaffold.StepOpenInfraPR
	StepDeployDev         = scaffold.StepDeployDev
	StepWaitDevAvailable  = scaffold.StepWaitDevAvailable
)

// templateRef is the plan's template as "name@version".
func templateRef(p *Plan) string { return p.Template.Name + "@" + p.Template.Version }

// checkPlan says what makes p impossible to run.
func checkPlan(p *Plan) error {
	r := p.Repository
	switch {
	case p.Service == "" || !catalog.ValidName(p.Service):
		return fmt.Errorf("the plan names no valid service (%q)", p.Service)
	case r.Owner == "" || r.Name == "":
		return fmt.Errorf("the plan names no repository")
	case r.DefaultBranch == "":
		return fmt.Errorf("the plan's repository has no default branch")
	case len(p.Steps) == 0:
		return fmt.Errorf("the plan has no steps")
	case p.CatalogEntry.Name != p.Service:
		return fmt.Errorf("the plan's catalog entry is %q, not the service %q", p.CatalogEntry.Name, p.Service)
	}
	return nil
}

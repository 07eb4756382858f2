package golden

import (
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/sphera/atrium/internal/catalog"
)

// Plan is what a run executes: the golden path's plan as the requester reviewed it (the template package renders
// it; its JSON is stored with the action). These are the fields the steps use, with the JSON names of the plan.
type Plan struct {
	Template         TemplateRef     `json:"template"`
	Service          string          `json:"service"`
	Parameters       map[string]any  `json:"parameters"`
	Files            []File          `json:"files"`
	Repository       Repository      `json:"repository"`
	InfraPullRequest PullRequest     `json:"infra_pull_request"`
	Deploy           []Deploy        `json:"deploy"`
	CatalogEntry     catalog.Service `json:"catalog_entry"`
	Steps            []PlanStep      `json:"steps"`
	Digest           string          `json:"digest"`
	// Raw is the plan's whole JSON as the template package rendered it, when it has more than these fields: what
	// is stored with the action (and shown as the run's plan).
	Raw json.RawMessage `json:"-"`
}

// TemplateRef names the template a plan was made from.
type TemplateRef struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Ref is "name@version".
func (t TemplateRef) Ref() string { return t.Name + "@" + t.Version }

// File is one file of a repository.
type File struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// Repository is the repository to create.
type Repository struct {
	Owner         string            `json:"owner"`
	Name          string            `json:"name"`
	URL           string            `json:"url"`
	Description   string            `json:"description"`
	DefaultBranch string            `json:"default_branch"`
	Visibility    string            `json:"visibility"`
	Protection    *BranchProtection `json:"protection"`
}

// BranchProtection is what protect_branch applies to the default branch.
type BranchProtection struct {
	Branch                  string   `json:"branch"`
	RequiredReviews         int      `json:"required_reviews"`
	RequireCodeOwnerReviews bool     `json:"require_code_owner_reviews"`
	DismissStaleReviews     bool     `json:"dismiss_stale_reviews"`
	RequiredChecks          []string `json:"required_checks"`
	Strict                  bool     `json:"strict"`
}

// PullRequest is the infrastructure pull request.
type PullRequest struct {
	Repository string `json:"repository"`
	Base       string `json:"base"`
	Branch     string `json:"branch"`
	Title      string `json:"title"`
	Body       string `json:"body"`
	Files      []File `json:"files"`
}

// Deploy is the hello-world of one dev cluster.
type Deploy struct {
	Cluster     string `json:"cluster"`
	Environment string `json:"environment"`
	Region      string `json:"region"`
	Namespace   string `json:"namespace"`
	Deployment  string `json:"deployment"`
	URL         string `json:"url"`
	Files       []File `json:"files"`
}

// PlanStep is one step of the plan: its id and title.
type PlanStep struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Step ids, in the order a run executes them.
const (
	StepCreateRepository  = "create_repository"
	StepPushInitialCommit = "push_initial_commit"
	StepProtectBranch     = "protect_branch"
	StepRegisterCatalog   = "register_catalog"
	StepOpenInfraPR       = "open_infra_pull_request"
	StepDeployDev         = "deploy_dev"
	StepWaitDevAvailable  = "wait_dev_available"
)

// Objects are the manifests of d as JSON objects, in order.
func (d Deploy) Objects() ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(d.Files))
	for i, f := range d.Files {
		j, err := yaml.YAMLToJSON([]byte(f.Content))
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", f.Path, err)
		}
		out[i] = j
	}
	return out, nil
}

// check says what makes p impossible to run.
func (p *Plan) check() error {
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

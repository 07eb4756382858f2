package server

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/gitops"
	"github.com/sphera/atrium/internal/actions/golden"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/scaffold"
	"github.com/sphera/atrium/internal/store"
)

// The golden path's configuration and wiring. Its section of the configuration file is the template package's
// Target (docs/golden-path.md):
//
//	golden_path:
//	  github: {org: sphera, visibility: private, required_reviews: 1, required_checks: [security/scan]}
//	  infra: {repo: sphera/infra, base: main}
//	  environments:
//	    - {name: dev, regions: [eu-west-1], clusters: [{name: dev-eu-1, region: eu-west-1}]}
//	    - {name: staging, regions: [eu-west-1, us-east-1]}
//	  registry: registry.sphera.example/sphera
//
// The repository, its commit and protection and the infrastructure pull request are written with the actions'
// GitHub credentials (actions.github.api_url, $ATRIUM_GITHUB_TOKEN); the dev clusters are reached through their
// agents (docs/agent.md). A service_create request is an action in the dev environment, under that environment's
// approvals policy; the environment's delivery decides whether the run is carried out (direct or gitops: the
// golden delivery path) or previewed (preview).

// checkGoldenPath checks the golden_path section against the rest of the configuration.
func (fc *FileConfig) checkGoldenPath() error {
	t := fc.GoldenPath
	if t == nil {
		return nil
	}
	if ps := t.Check(); ps.HasErrors() {
		return fmt.Errorf("golden_path: %s", strings.ReplaceAll(ps.Error(), "; ", "; golden_path."))
	}
	env, ok := fc.Actions.Environments[t.DevEnvironment]
	if !ok {
		return fmt.Errorf("golden_path: the dev environment %q must be an environment of the actions section (its "+
			"approvals policy and delivery apply to new services)", t.DevEnvironment)
	}
	if env.Delivery != actions.DeliveryPreview && fc.Actions.GitHub.Token == "" {
		return errors.New("golden_path: creating repositories needs the portal's GitHub token in $ATRIUM_GITHUB_TOKEN " +
			"(or a preview delivery for the dev environment)")
	}
	return nil
}

// goldenPath builds the golden path of a portal: the requests the actions service prepares, the executor of the
// golden delivery path (nil when the dev environment only previews), and the preview.
func goldenPath(fc FileConfig, db *store.DB, agents *agent.Queue) (*golden.Requests, actions.Executor, golden.Preview, error) {
	t := *fc.GoldenPath
	_ = t.Check() // for its defaults; its problems are reported where the configuration is loaded
	preview := golden.Preview{Catalog: db}
	checker := golden.CatalogChecker{Catalog: db}
	var ex actions.Executor
	if fc.Actions.GitHub.Token != "" {
		gh, err := gitops.NewClient(fc.Actions.GitHub.APIURL, fc.Actions.GitHub.Token, nil)
		if err != nil {
			return nil, nil, preview, fmt.Errorf("golden_path: %w", err)
		}
		checker.GitHub = gh
		ex = &golden.Executor{GitHub: gh, Catalog: db, Clusters: golden.AgentClusters{Queue: agents}}
	}
	req := &golden.Requests{Registry: scaffold.NewRegistry(scaffold.Builtin()), Target: t, Checker: checker}
	return req, ex, preview, nil
}

// localTarget is local mode's golden path: the demo's organisation, environments and clusters, previewed.
func localTarget() *scaffold.Target {
	t := &scaffold.Target{
		GitHub: scaffold.GitHubTarget{Org: "sphera"},
		Infra:  scaffold.InfraTarget{Repo: "sphera/infra"},
		Environments: []scaffold.Environment{
			{Name: "dev", Regions: []string{"eu-west-1", "us-east-1"}, Delivery: actions.DeliveryPreview,
				Clusters: []scaffold.Cluster{{Name: "dev-eu-west-1", Region: "eu-west-1"}}},
			{Name: "staging", Regions: []string{"eu-west-1", "us-east-1"}, Delivery: actions.DeliveryPreview,
				Clusters: []scaffold.Cluster{{Name: "staging-eu-west-1", Region: "eu-west-1"}}},
			{Name: "production", Regions: []string{"eu-west-1", "us-east-1"}, Delivery: actions.DeliveryPreview,
				Clusters: []scaffold.Cluster{{Name: "prod-eu-west-1", Region: "eu-west-1"}, {Name: "prod-us-east-1", Region: "us-east-1"}}},
		},
		Registry: "registry.sphera.example/sphera",
	}
	if ps := t.Check(); ps.HasErrors() {
		panic(ps) // a constant configuration
	}
	return t
}

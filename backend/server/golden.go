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
	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/store"
)

// The golden path's configuration and wiring. Its section of the configuration file is the template package's
// Target, and the templates repositories the portal syncs (docs/golden-path.md, docs/templates.md):
//
//	golden_path:
//	  github: {org: sphera, visibility: private, required_reviews: 1, required_checks: [security/scan]}
//	  infra: {repo: sphera/infra, base: main}
//	  environments:
//	    - {name: dev, regions: [eu-west-1], clusters: [{name: dev-eu-1, region: eu-west-1}]}
//	    - {name: staging, regions: [eu-west-1, us-east-1]}
//	  registry: registry.sphera.example/sphera
//	  templates:
//	    - {repo: sphera/golden-templates, ref: main, path: templates}
//
// The templates repositories are read with the github section's credentials, by the GitHub collector's hub
// (github.TemplateSource); the built-in templates are offered beside theirs.
//
// The repository, its commit and protection and the infrastructure pull request are written with the actions'
// GitHub credentials (actions.github.api_url, $ATRIUM_GITHUB_TOKEN); the dev clusters are reached through their
// agents (docs/agent.md). A service_create request is an action in the dev environment, under that environment's
// approvals policy; the environment's delivery decides whether the run is carried out (direct or gitops: the
// golden delivery path) or previewed (preview).

// GoldenPathConfig is the golden_path section: where new services go (the template package's Target), and the
// templates repositories the portal syncs.
type GoldenPathConfig struct {
	scaffold.Target `yaml:",inline"`
	// Templates are repositories of templates, read with the github section's credentials at start, every
	// github.sync_interval and on a push to their ref. The built-in templates are offered beside them; a
	// repository's template of the same name replaces the built-in one.
	Templates []TemplatesConfig `yaml:"templates"`
}

// TemplatesConfig is one templates repository: every directory under Path holding a template.yaml is a template.
type TemplatesConfig struct {
	Repo string `yaml:"repo"` // owner/name
	Ref  string `yaml:"ref"`  // branch, tag or commit; default the repository's default branch
	Path string `yaml:"path"` // the templates' directory; default the repository's root
}

// templateRepos are the templates repositories of the golden path, checked.
func (fc FileConfig) templateRepos() ([]github.TemplateRepo, error) {
	if fc.GoldenPath == nil {
		return nil, nil
	}
	var out []github.TemplateRepo
	var errs []error
	seen := map[string]bool{}
	for i, tc := range fc.GoldenPath.Templates {
		owner, name, _ := strings.Cut(tc.Repo, "/")
		r := github.TemplateRepo{Owner: owner, Name: name, Ref: tc.Ref, Path: tc.Path}
		if err := r.Check(); err != nil {
			errs = append(errs, fmt.Errorf("golden_path.templates[%d]: %w", i, err))
			continue
		}
		if seen[r.SourceName()] {
			errs = append(errs, fmt.Errorf("golden_path.templates[%d]: repo %s is listed twice: one entry per repository "+
				"(put its templates under one path)", i, tc.Repo))
			continue
		}
		seen[r.SourceName()] = true
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

// checkGoldenPath checks the golden_path section against the rest of the configuration.
func (fc *FileConfig) checkGoldenPath() error {
	if fc.GoldenPath == nil {
		return nil
	}
	t := &fc.GoldenPath.Target
	if ps := t.Check(); ps.HasErrors() {
		return fmt.Errorf("golden_path: %s", strings.ReplaceAll(ps.Error(), "; ", "; golden_path."))
	}
	repos, err := fc.templateRepos()
	if err != nil {
		return err
	}
	if len(repos) > 0 {
		if _, err := fc.githubConfig(); err != nil {
			return fmt.Errorf("golden_path.templates are read with the github section's credentials: %w", err)
		}
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
func goldenPath(fc FileConfig, db *store.DB, agents *agent.Queue, reg *scaffold.Registry) (*golden.Requests, actions.Executor, golden.Preview, error) {
	t := fc.GoldenPath.Target
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
	if reg == nil {
		reg = scaffold.NewRegistry(scaffold.Builtin())
	}
	req := &golden.Requests{Registry: reg, Target: t, Checker: checker}
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

package drift

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/drift/diff"
	"github.com/sphera/atrium/internal/drift/gitops"
)

// Config is the drift section of the portal's configuration file (docs/drift.md).
//
//	drift:
//	  interval: 5m                       # scheduled detection besides detection on change
//	  gitops:                            # repositories declaring desired state, synced by the GitHub collector
//	    - repo: sphera/deploy
//	      kubernetes: clusters/{cluster}  # Kubernetes manifests (and simple kustomizations) per cluster
//	    - repo: sphera/infra
//	      terraform: envs/{environment}/{region}/{service}
//	  ignore:                            # paths never drift, per kind ("*": every kind)
//	    - {kind: Deployment, paths: ['spec.template.spec.containers[istio-proxy]']}
//	  reapply: [staging]                 # environments where a fix may ask the cluster's agent to re-apply gitops
//	  webhook: {url: https://hooks.slack.com/services/...}   # or $ATRIUM_DRIFT_WEBHOOK_URL
//	  off: false
type Config struct {
	Interval time.Duration     `yaml:"interval"`
	GitOps   []GitOpsRepo      `yaml:"gitops"`
	Ignore   []diff.IgnoreRule `yaml:"ignore"`
	Reapply  []string          `yaml:"reapply"`
	Webhook  WebhookConfig     `yaml:"webhook"`
	Off      bool              `yaml:"off"`
	rules    diff.Rules        // compiled Ignore
	layouts  []compiledRepo    // compiled GitOps
	reapply  map[string]bool
}

// WebhookConfig is where new and resolved drift is posted (Slack-compatible JSON).
type WebhookConfig struct {
	URL string `yaml:"url"`
}

// GitOpsRepo is a repository declaring desired state, and where in it.
type GitOpsRepo struct {
	// Repo is owner/name; the GitHub collector must sync its organisation.
	Repo string `yaml:"repo"`
	// Kubernetes is the layout of Kubernetes manifests: a directory template with {cluster}, or {environment}
	// (and {region}), e.g. clusters/{cluster}; every .yaml below it (through a kustomization where there is one).
	Kubernetes string `yaml:"kubernetes"`
	// Terraform is the layout of the AWS resources' Terraform: a directory template with {environment} and
	// {region} (and {service}), e.g. envs/{environment}/{region}/{service}; every .tf below it.
	Terraform string `yaml:"terraform"`
	// Branch pull requests of fixes target; default the repository's default branch as synced, else main.
	Branch string `yaml:"branch"`
}

type compiledRepo struct {
	GitOpsRepo
	kube, tf     gitops.Layout
	hasKube      bool
	hasTerraform bool
}

// DefaultInterval is how often detection runs when nothing changes.
const DefaultInterval = 5 * time.Minute

// Check reports what is wrong with c, each problem at its key, and compiles it.
func (c *Config) Check() error {
	var errs []string
	if c.Interval < 0 {
		errs = append(errs, "drift.interval must not be negative")
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	rules, err := diff.CompileRules(c.Ignore)
	if err != nil {
		errs = append(errs, "drift."+err.Error())
	}
	c.rules = rules
	c.layouts = nil
	seen := map[string]bool{}
	for i, r := range c.GitOps {
		at := fmt.Sprintf("drift.gitops[%d]", i)
		owner, name, ok := strings.Cut(r.Repo, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			errs = append(errs, at+".repo must be owner/name")
		}
		if seen[strings.ToLower(r.Repo)] {
			errs = append(errs, at+".repo: "+r.Repo+" is listed twice; give both layouts in one entry")
		}
		seen[strings.ToLower(r.Repo)] = true
		cr := compiledRepo{GitOpsRepo: r}
		if r.Kubernetes == "" && r.Terraform == "" {
			errs = append(errs, at+": give kubernetes or terraform (a directory layout), or both")
		}
		if r.Kubernetes != "" {
			l, err := gitops.ParseLayout(r.Kubernetes)
			switch {
			case err != nil:
				errs = append(errs, at+".kubernetes: "+err.Error())
			case !strings.Contains(r.Kubernetes, "{cluster}") && !strings.Contains(r.Kubernetes, "{environment}"):
				errs = append(errs, at+".kubernetes: must name {cluster} or {environment}, so that each manifest has its clusters")
			}
			cr.kube, cr.hasKube = l, true
		}
		if r.Terraform != "" {
			l, err := gitops.ParseLayout(r.Terraform)
			switch {
			case err != nil:
				errs = append(errs, at+".terraform: "+err.Error())
			case !strings.Contains(r.Terraform, "{environment}") || !strings.Contains(r.Terraform, "{region}"):
				errs = append(errs, at+".terraform: must name {environment} and {region}")
			}
			cr.tf, cr.hasTerraform = l, true
		}
		c.layouts = append(c.layouts, cr)
	}
	c.reapply = map[string]bool{}
	for _, e := range c.Reapply {
		c.reapply[e] = true
	}
	if u := c.Webhook.URL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			errs = append(errs, "drift.webhook.url (or $ATRIUM_DRIFT_WEBHOOK_URL) must be an http(s) URL")
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("drift config: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Repos are the gitops repositories, as owner/name.
func (c *Config) Repos() []string {
	var out []string
	for _, r := range c.GitOps {
		out = append(out, r.Repo)
	}
	return out
}

// Prefixes are the directories of repo's files drift reads (nil when repo is not a gitops repository): what the
// GitHub collector must fetch besides descriptors and manifests.
func (c *Config) Prefixes(repo string) []string {
	for _, r := range c.layouts {
		if !strings.EqualFold(r.Repo, repo) {
			continue
		}
		var out []string
		if r.hasKube {
			out = append(out, r.kube.Prefix())
		}
		if r.hasTerraform {
			out = append(out, r.tf.Prefix())
		}
		return out
	}
	return nil
}

package actions

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/auth"
)

// Config is the actions section of the portal's configuration file.
//
//	actions:
//	  worker: {lease: 30s, poll: 30s, max_attempts: 5}
//	  github: {api_url: https://github.example.com/api/v3/}   # token from $ATRIUM_GITHUB_TOKEN
//	  environments:
//	    staging:
//	      regions: [eu-west-1]
//	      delivery: direct
//	      approvers: [team_owner, platform_approver]   # absent: none outside production
//	      aws:
//	        endpoints: {eu-west-1: http://127.0.0.1:4100}  # optional per-region endpoint override
//	    production:
//	      regions: [eu-west-1, us-east-1]
//	      delivery: gitops                               # approvers absent: [platform_approver]
//	      gitops: {repo: sphera/infra, base: main, path: "envs/{environment}/{region}/{service}"}
type Config struct {
	Environments map[string]Environment `yaml:"environments"`
	Worker       WorkerConfig           `yaml:"worker"`
	GitHub       GitHubConfig           `yaml:"github"`
}

// Environment is one deployment environment where actions may run.
type Environment struct {
	Regions  []string `yaml:"regions"`
	Delivery string   `yaml:"delivery"` // direct | gitops | preview
	// Approvers are the roles one of which must approve a request here: platform_approver (any team) and/or
	// team_owner (of the requesting team). Absent: platform_approver in an environment named production or prod,
	// no approval elsewhere. An empty list: no approval.
	Approvers *[]string `yaml:"approvers"`
	AWS       AWSConfig `yaml:"aws"`
	GitOps    GitOps    `yaml:"gitops"`
}

// AWSConfig is how the direct path reaches AWS. Credentials are the portal's own, from the usual AWS sources
// (environment, shared config, instance role).
type AWSConfig struct {
	// Endpoints overrides the AWS endpoint per region (an emulator, a VPC endpoint).
	Endpoints map[string]string `yaml:"endpoints"`
	// Profile of the shared AWS config to use; empty for the default chain.
	Profile string `yaml:"profile"`
	// QueuePolicy: "manage" (default) adds a statement to a queue's policy so that a topic subscribed to it may
	// send to it; "skip" leaves queue policies to whoever manages them (and to emulators that cannot store one).
	QueuePolicy string `yaml:"queue_policy"`
}

// GitOps is where the gitops path writes Terraform.
type GitOps struct {
	Repo string `yaml:"repo"` // owner/name of the infrastructure repository
	Base string `yaml:"base"` // branch pull requests target; default main
	// Path is the directory of a service's Terraform, with {environment}, {region} and {service} filled in;
	// default envs/{environment}/{region}/{service}.
	Path string `yaml:"path"`
}

// WorkerConfig tunes the executor.
type WorkerConfig struct {
	// Lease is how long a worker holds an action without renewing it; after a crash, an action is resumed this
	// long after its last renewal. Default 30s.
	Lease time.Duration `yaml:"lease"`
	// Poll is how often open pull requests are checked and how often the queue is scanned. Default 30s.
	Poll time.Duration `yaml:"poll"`
	// MaxAttempts before a failing action is given up. Default 5.
	MaxAttempts int `yaml:"max_attempts"`
}

// GitHubConfig is the GitHub API of the gitops path; the token comes from the environment, never the file.
type GitHubConfig struct {
	APIURL string `yaml:"api_url"` // empty: github.com
	Token  string `yaml:"-"`
}

// Check reports what is wrong with c, and fills in defaults.
func (c *Config) Check() error {
	var errs []string
	for name, env := range c.Environments {
		if len(env.Regions) == 0 {
			errs = append(errs, fmt.Sprintf("environment %s: regions: at least one", name))
		}
		switch env.Delivery {
		case DeliveryDirect, DeliveryPreview:
			if env.GitOps.Path == "" {
				env.GitOps.Path = "envs/{environment}/{region}/{service}"
			}
		case DeliveryGitOps:
			owner, repo, ok := strings.Cut(env.GitOps.Repo, "/")
			if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
				errs = append(errs, fmt.Sprintf("environment %s: gitops.repo must be owner/name", name))
			}
			if env.GitOps.Base == "" {
				env.GitOps.Base = "main"
			}
			if env.GitOps.Path == "" {
				env.GitOps.Path = "envs/{environment}/{region}/{service}"
			}
		default:
			errs = append(errs, fmt.Sprintf("environment %s: delivery must be direct, gitops or preview, not %q", name, env.Delivery))
		}
		switch env.AWS.QueuePolicy {
		case "", "manage", "skip":
		default:
			errs = append(errs, fmt.Sprintf("environment %s: aws.queue_policy must be manage or skip", name))
		}
		if env.Approvers != nil {
			for _, r := range *env.Approvers {
				if r != auth.RolePlatformApprover && r != auth.RoleTeamOwner {
					errs = append(errs, fmt.Sprintf("environment %s: approvers: %q is not platform_approver or team_owner", name, r))
				}
			}
		}
		c.Environments[name] = env
	}
	if c.Worker.Lease <= 0 {
		c.Worker.Lease = 30 * time.Second
	}
	if c.Worker.Poll <= 0 {
		c.Worker.Poll = 30 * time.Second
	}
	if c.Worker.MaxAttempts <= 0 {
		c.Worker.MaxAttempts = 5
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return fmt.Errorf("actions config: %s", strings.Join(errs, "; "))
	}
	return nil
}

// EnvironmentNames lists the configured environments, sorted.
func (c Config) EnvironmentNames() []string {
	names := make([]string, 0, len(c.Environments))
	for n := range c.Environments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ApproversOf returns the roles that may approve requests in environment env; empty when none is needed.
func (c Config) ApproversOf(env string) []string {
	e := c.Environments[env]
	if e.Approvers != nil {
		return append([]string{}, (*e.Approvers)...)
	}
	if env == "production" || env == "prod" {
		return []string{auth.RolePlatformApprover}
	}
	return []string{}
}

// DirFor is the directory of a service's Terraform in the infra repository.
func (g GitOps) DirFor(env, region, service string) string {
	return strings.NewReplacer("{environment}", env, "{region}", region, "{service}", service).Replace(g.Path)
}

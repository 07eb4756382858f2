package secrets

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
)

// Config is the secrets section of the portal's configuration file: the conventions the platform team sets, as
// code, checked at start (Check).
//
//	secrets:
//	  naming: "{team}/{service}/{name}"      # the backend name of a secret
//	  name_pattern: "^[a-z][a-z0-9-]{0,62}$" # what a secret's own name may be
//	  kubernetes_name: "{service}-{name}"    # the Kubernetes Secret's name
//	  max_value_bytes: 65536
//	  reveal_seconds: 30
//	  required: [dev, production]            # every secret must exist in these environments
//	  environments:
//	    dev:
//	      backend: kubernetes                # through the clusters' agents
//	      clusters: [{name: dev-eu-1, region: eu-west-1}]
//	      reveal: [developer, team_owner]    # who of the owning team may reveal here (absent: nobody)
//	    production:
//	      backend: aws
//	      regions: [eu-west-1, us-east-1]
//	      approvers: [platform_approver]     # absent: the actions section's approvers of this environment
type Config struct {
	// Naming is the name of a secret in its backend, from {team}, {service}, {name} and {environment}; it must hold
	// {service} and {name}. Default "{team}/{service}/{name}".
	Naming string `yaml:"naming" json:"naming"`
	// NamePattern is a regular expression a secret's own name must match; default ^[a-z][a-z0-9-]{0,62}$.
	NamePattern string `yaml:"name_pattern" json:"name_pattern"`
	// KubernetesName is the name of the Kubernetes Secret, from {team}, {service} and {name}; default
	// "{service}-{name}". It must be a DNS subdomain once filled in.
	KubernetesName string `yaml:"kubernetes_name" json:"kubernetes_name"`
	// MaxValueBytes bounds a value; default 65536 (AWS Secrets Manager's limit), at most 1 MiB less the
	// Kubernetes Secret's overhead.
	MaxValueBytes int `yaml:"max_value_bytes" json:"max_value_bytes"`
	// RevealSeconds is how long a revealed value is shown; default 30.
	RevealSeconds int `yaml:"reveal_seconds" json:"reveal_seconds"`
	// Required are the environments every secret must exist in: where it is not, it is listed as missing.
	Required []string `yaml:"required" json:"required"`
	// Environments where secrets may be written, by name.
	Environments map[string]Environment `yaml:"environments" json:"-"`
	// StagingKeyFile keeps the portal's staging key (docs/secrets.md); default DATA/secrets-staging.key.
	StagingKeyFile string `yaml:"staging_key_file" json:"-"`
	// RetryWindow is how long a value a failed action could not write is kept for a retry; default 7 days.
	RetryWindow time.Duration `yaml:"retry_window" json:"-"`
	// ObserveInterval is how often the portal compares the metadata with what AWS Secrets Manager lists (secrets
	// deleted or created outside Atrium, last reads); default 5 minutes.
	ObserveInterval time.Duration `yaml:"observe_interval" json:"-"`

	nameRE *regexp.Regexp
}

// Environment is where the secrets of one environment live and who may reveal them.
type Environment struct {
	// Backend is kubernetes, aws or local.
	Backend string `yaml:"backend"`
	// Regions of the environment (aws, local); for kubernetes, the clusters' regions.
	Regions []string `yaml:"regions"`
	// Clusters are the environment's Kubernetes clusters (kubernetes), each with an agent. A secret goes to the
	// clusters where its service runs (its deployments), in the namespace it runs in.
	Clusters []Cluster `yaml:"clusters"`
	// Namespace of a secret whose service has no deployment in a cluster (with DeployedOnly false), from {team}
	// and {service}; default "{team}".
	Namespace string `yaml:"namespace"`
	// DeployedOnly refuses a secret for a service not deployed in the environment (default true): the catalog's
	// deployments say where a service runs. false lets any service have secrets here, in every region.
	DeployedOnly *bool `yaml:"deployed_only"`
	// Reveal lists the roles of the owning team that may reveal a value here (developer, team_owner); admins may
	// wherever the list is not empty. Absent or empty: nobody reveals values of this environment.
	Reveal []string `yaml:"reveal"`
	// Approvers of writes here, as in the actions section (platform_approver, team_owner); absent: the actions
	// section's approvers of the environment of the same name (platform_approver in production).
	Approvers *[]string `yaml:"approvers"`
	// AWS is how the aws backend reaches Secrets Manager (endpoint per region, shared-config profile).
	AWS AWSConfig `yaml:"aws"`
}

// Cluster is a Kubernetes cluster of an environment.
type Cluster struct {
	Name   string `yaml:"name" json:"name"`
	Region string `yaml:"region" json:"region"`
}

// AWSConfig is how the aws backend reaches AWS Secrets Manager: the portal's own credentials from the default
// chain, one client per region.
type AWSConfig struct {
	Endpoints map[string]string `yaml:"endpoints"`
	Profile   string            `yaml:"profile"`
}

// Enabled reports whether the portal has secrets configured.
func (c *Config) Enabled() bool { return c != nil && len(c.Environments) > 0 }

var placeholder = regexp.MustCompile(`\{[^}]*\}`)

// Check reports every problem of c, each at its key, and fills in the defaults. actionEnvs are the environments
// of the actions section (for the approvers' defaults).
func (c *Config) Check() problem.Problems {
	var ps problem.Problems
	if c.Naming == "" {
		c.Naming = "{team}/{service}/{name}"
	}
	if c.NamePattern == "" {
		c.NamePattern = `^[a-z][a-z0-9-]{0,62}$`
	}
	if c.KubernetesName == "" {
		c.KubernetesName = "{service}-{name}"
	}
	if c.MaxValueBytes == 0 {
		c.MaxValueBytes = 64 << 10
	}
	if c.RevealSeconds == 0 {
		c.RevealSeconds = 30
	}
	if c.RetryWindow == 0 {
		c.RetryWindow = 7 * 24 * time.Hour
	}
	if c.ObserveInterval == 0 {
		c.ObserveInterval = 5 * time.Minute
	}
	checkTemplate := func(key, tmpl string, allowed ...string) {
		for _, ph := range placeholder.FindAllString(tmpl, -1) {
			if !slices.Contains(allowed, ph) {
				ps.Add(key, "unknown placeholder %s; use %s", ph, strings.Join(allowed, ", "))
			}
		}
		for _, need := range []string{"{service}", "{name}"} {
			if !strings.Contains(tmpl, need) {
				ps.Add(key, "must contain %s, so that two secrets never share a name", need)
			}
		}
	}
	checkTemplate("secrets.naming", c.Naming, "{team}", "{service}", "{name}", "{environment}")
	if !awsName.MatchString(placeholder.ReplaceAllString(c.Naming, "x")) {
		ps.Add("secrets.naming", "may hold only letters, digits and /_+=.@- besides its placeholders (AWS Secrets Manager's names)")
	}
	checkTemplate("secrets.kubernetes_name", c.KubernetesName, "{team}", "{service}", "{name}")
	if !k8sName.MatchString(placeholder.ReplaceAllString(c.KubernetesName, "x")) {
		ps.Add("secrets.kubernetes_name", "must make a Kubernetes name: lower-case letters, digits, '-' and '.'")
	}
	re, err := regexp.Compile(c.NamePattern)
	if err != nil {
		ps.Add("secrets.name_pattern", "not a regular expression: %v", err)
	} else {
		c.nameRE = re
	}
	if c.MaxValueBytes < 1 || c.MaxValueBytes > 512<<10 {
		ps.Add("secrets.max_value_bytes", "from 1 to %d (a Kubernetes Secret holds at most 1 MiB; AWS at most 65536)", 512<<10)
	}
	if c.RevealSeconds < 5 || c.RevealSeconds > 300 {
		ps.Add("secrets.reveal_seconds", "from 5 to 300")
	}
	if c.RetryWindow < time.Hour {
		ps.Add("secrets.retry_window", "at least 1h")
	}
	if c.ObserveInterval < time.Minute {
		ps.Add("secrets.observe_interval", "at least 1m")
	}
	for _, r := range c.Required {
		if _, ok := c.Environments[r]; !ok {
			ps.Add("secrets.required", "%q is not an environment of secrets.environments (%s)", r, strings.Join(c.EnvironmentNames(), ", "))
		}
	}
	for _, name := range c.EnvironmentNames() {
		env := c.Environments[name]
		at := "secrets.environments." + name
		if !envName.MatchString(name) {
			ps.Add(at, "an environment's name is letters, digits and _ . -")
		}
		switch env.Backend {
		case catalog.SecretBackendKubernetes:
			if len(env.Clusters) == 0 {
				ps.Add(at+".clusters", "a kubernetes environment needs its clusters ({name, region}), each with an agent (docs/agent.md)")
			}
			seen := map[string]bool{}
			for i, cl := range env.Clusters {
				if !catalog.ValidName(cl.Name) || cl.Region == "" {
					ps.Add(fmt.Sprintf("%s.clusters[%d]", at, i), "needs a name (lower-case letters, digits and -) and a region")
				}
				if seen[cl.Name] {
					ps.Add(fmt.Sprintf("%s.clusters[%d]", at, i), "cluster %s is listed twice", cl.Name)
				}
				seen[cl.Name] = true
				if !slices.Contains(env.Regions, cl.Region) && cl.Region != "" {
					env.Regions = append(env.Regions, cl.Region)
				}
			}
			if len(env.AWS.Endpoints) > 0 || env.AWS.Profile != "" {
				ps.Add(at+".aws", "only for the aws backend")
			}
		case catalog.SecretBackendAWS, catalog.SecretBackendLocal:
			if len(env.Regions) == 0 {
				ps.Add(at+".regions", "at least one")
			}
			if len(env.Clusters) > 0 {
				ps.Add(at+".clusters", "only for the kubernetes backend")
			}
			if env.Backend == catalog.SecretBackendLocal && (len(env.AWS.Endpoints) > 0 || env.AWS.Profile != "") {
				ps.Add(at+".aws", "only for the aws backend")
			}
			for r := range env.AWS.Endpoints {
				if !slices.Contains(env.Regions, r) {
					ps.Add(at+".aws.endpoints", "region %s is not one of the environment's regions", r)
				}
			}
		default:
			ps.Add(at+".backend", "must be kubernetes, aws or local, not %q", env.Backend)
		}
		for i, r := range env.Regions {
			if !regionName.MatchString(r) {
				ps.Add(fmt.Sprintf("%s.regions[%d]", at, i), "%q is not a region name (e.g. eu-west-1)", r)
			}
		}
		sort.Strings(env.Regions)
		env.Regions = slices.Compact(env.Regions)
		for i, role := range env.Reveal {
			if role != auth.RoleDeveloper && role != auth.RoleTeamOwner {
				ps.Add(fmt.Sprintf("%s.reveal[%d]", at, i), "%q: the roles of the owning team that may reveal are developer and team_owner", role)
			}
		}
		if env.Approvers != nil {
			for i, r := range *env.Approvers {
				if r != auth.RolePlatformApprover && r != auth.RoleTeamOwner {
					ps.Add(fmt.Sprintf("%s.approvers[%d]", at, i), "%q is not platform_approver or team_owner", r)
				}
			}
		}
		if env.Namespace == "" {
			env.Namespace = "{team}"
		}
		for _, ph := range placeholder.FindAllString(env.Namespace, -1) {
			if ph != "{team}" && ph != "{service}" {
				ps.Add(at+".namespace", "unknown placeholder %s; use {team}, {service}", ph)
			}
		}
		if env.DeployedOnly == nil {
			t := true
			env.DeployedOnly = &t
		}
		c.Environments[name] = env
	}
	return ps
}

var (
	awsName    = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	k8sName    = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$`)
	envName    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)
	regionName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
)

// EnvironmentNames lists the environments, sorted.
func (c *Config) EnvironmentNames() []string {
	names := make([]string, 0, len(c.Environments))
	for n := range c.Environments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ValidName says what is wrong with a secret's own name under the conventions, or "".
func (c *Config) ValidName(name string) string {
	re := c.nameRE
	if re == nil {
		var err error
		if re, err = regexp.Compile(c.NamePattern); err != nil {
			return "the portal's name pattern does not compile"
		}
	}
	switch {
	case name == "":
		return "required"
	case !re.MatchString(name):
		return fmt.Sprintf("%q breaks the naming convention: a secret's name must match %s", name, c.NamePattern)
	}
	return ""
}

// FullName is the backend name of service's secret name in env, under the naming convention.
func (c *Config) FullName(team, service, name, env string) string {
	return strings.NewReplacer("{team}", team, "{service}", service, "{name}", name, "{environment}", env).Replace(c.Naming)
}

// KubeName is the Kubernetes Secret's name of service's secret name.
func (c *Config) KubeName(team, service, name string) string {
	return strings.NewReplacer("{team}", team, "{service}", service, "{name}", name).Replace(c.KubernetesName)
}

// MayReveal says whether p may reveal values of team's secrets in env: only where the environment lists roles,
// and then to holders of one of them on team, and to admins.
func (c *Config) MayReveal(p auth.Principal, team, env string) (bool, string) {
	e, ok := c.Environments[env]
	if !ok {
		return false, fmt.Sprintf("no environment %q has secrets", env)
	}
	if len(e.Reveal) == 0 {
		return false, fmt.Sprintf("the conventions allow no reveal in %s: read the value where it is used", env)
	}
	if p.IsAdmin() {
		return true, ""
	}
	for _, role := range e.Reveal {
		if p.Has(role, team) {
			return true, ""
		}
	}
	return false, fmt.Sprintf("revealing values of team %q in %s needs one of the roles %s on that team", team, env,
		strings.Join(e.Reveal, ", "))
}

package scaffold

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sphera/atrium/internal/problem"
)

// Target is where the golden path puts a new service: the portal's configuration of GitHub, the infrastructure
// repository, the environments with their regions and clusters, and the container registry. The caller builds it
// from the portal's configuration (its yaml tags let a configuration file hold it as is); Check fills in the
// defaults.
type Target struct {
	GitHub GitHubTarget `json:"github" yaml:"github"`
	Infra  InfraTarget  `json:"infra" yaml:"infra"`
	// Environments a service may be deployed to, in the order the UI shows them.
	Environments []Environment `json:"environments" yaml:"environments"`
	// DevEnvironment is the environment whose clusters run the hello-world first; default "dev".
	DevEnvironment string `json:"dev_environment" yaml:"dev_environment"`
	// DevClusters are the clusters of DevEnvironment the hello-world is deployed to (those in the regions the user
	// picks); default every cluster of DevEnvironment.
	DevClusters []string `json:"dev_clusters,omitempty" yaml:"dev_clusters,omitempty"`
	// DefaultEnvironments are preselected in the form; default every environment except production and prod.
	DefaultEnvironments []string `json:"default_environments,omitempty" yaml:"default_environments,omitempty"`
	// Registry is the container registry prefix; a service's image is Registry/NAME.
	Registry string `json:"registry" yaml:"registry"`
	// Namespace is the Kubernetes namespace of a service, with {team} and {service} filled in; default "{team}".
	Namespace string `json:"namespace" yaml:"namespace"`
}

// GitHubTarget is where new repositories are created and how they are protected.
type GitHubTarget struct {
	// Host of the GitHub server, for URLs and Go module paths; default github.com.
	Host string `json:"host" yaml:"host"`
	// Org owns new repositories.
	Org string `json:"org" yaml:"org"`
	// Visibility of new repositories: private (default), internal or public.
	Visibility string `json:"visibility" yaml:"visibility"`
	// DefaultBranch of new repositories; default main.
	DefaultBranch string `json:"default_branch" yaml:"default_branch"`
	// RequiredChecks are status checks every new repository requires on its default branch, besides those its
	// template's CI declares.
	RequiredChecks []string `json:"required_checks,omitempty" yaml:"required_checks,omitempty"`
	// RequiredReviews is the number of approving reviews a pull request needs; default 1.
	RequiredReviews int `json:"required_reviews" yaml:"required_reviews"`
}

// InfraTarget is the infrastructure repository that receives a service's Terraform and Kubernetes manifests.
type InfraTarget struct {
	Repo string `json:"repo" yaml:"repo"` // owner/name
	Base string `json:"base" yaml:"base"` // default main
	// Path of a service's Terraform, with {environment}, {region} and {service}; default
	// envs/{environment}/{region}/{service} (as the gitops path of actions).
	Path string `json:"path" yaml:"path"`
	// ManifestPath of its Kubernetes manifests, same placeholders; default the Terraform path + /kubernetes.
	ManifestPath string `json:"manifest_path" yaml:"manifest_path"`
}

// Environment is one environment a service may be deployed to.
type Environment struct {
	Name     string    `json:"name" yaml:"name"`
	Regions  []string  `json:"regions" yaml:"regions"`
	Delivery string    `json:"delivery,omitempty" yaml:"delivery,omitempty"` // as in the actions configuration: direct, gitops, preview
	Clusters []Cluster `json:"clusters,omitempty" yaml:"clusters,omitempty"`
}

// Cluster is one Kubernetes cluster of an environment.
type Cluster struct {
	Name   string `json:"name" yaml:"name"`
	Region string `json:"region" yaml:"region"`
}

// Check fills in defaults and reports what is wrong with t, every problem at once.
func (t *Target) Check() problem.Problems {
	var ps problem.Problems
	if t.GitHub.Host == "" {
		t.GitHub.Host = "github.com"
	}
	if t.GitHub.Visibility == "" {
		t.GitHub.Visibility = "private"
	}
	if t.GitHub.DefaultBranch == "" {
		t.GitHub.DefaultBranch = "main"
	}
	if t.GitHub.RequiredReviews == 0 {
		t.GitHub.RequiredReviews = 1
	}
	if t.Infra.Base == "" {
		t.Infra.Base = "main"
	}
	if t.Infra.Path == "" {
		t.Infra.Path = "envs/{environment}/{region}/{service}"
	}
	if t.Infra.ManifestPath == "" {
		t.Infra.ManifestPath = t.Infra.Path + "/kubernetes"
	}
	if t.DevEnvironment == "" {
		t.DevEnvironment = "dev"
	}
	if t.Namespace == "" {
		t.Namespace = "{team}"
	}
	if !validOwner(t.GitHub.Org) {
		ps.Add("github.org", "%q is not a GitHub organisation name", t.GitHub.Org)
	}
	switch t.GitHub.Visibility {
	case "private", "internal", "public":
	default:
		ps.Add("github.visibility", "must be private, internal or public, not %q", t.GitHub.Visibility)
	}
	if owner, repo, ok := strings.Cut(t.Infra.Repo, "/"); !ok || !validOwner(owner) || !validRepo(repo) {
		ps.Add("infra.repo", "%q is not owner/name", t.Infra.Repo)
	}
	if t.Registry == "" || strings.ContainsAny(t.Registry, " :@") || strings.HasSuffix(t.Registry, "/") {
		ps.Add("registry", "%q is not a container registry prefix such as registry.example.com/team", t.Registry)
	}
	seen := map[string]bool{}
	clusters := map[string]bool{}
	var dev *Environment
	for i := range t.Environments {
		e := &t.Environments[i]
		at := fmt.Sprintf("environments[%d]", i)
		if !dnsLabel(e.Name) {
			ps.Add(at+".name", "%q is not a lowercase DNS label", e.Name)
		}
		if seen[e.Name] {
			ps.Add(at+".name", "environment %q is listed twice", e.Name)
		}
		seen[e.Name] = true
		if len(e.Regions) == 0 {
			ps.Add(at+".regions", "at least one region")
		}
		for _, r := range e.Regions {
			if !dnsLabel(r) {
				ps.Add(at+".regions", "%q is not a region name", r)
			}
		}
		for j, c := range e.Clusters {
			if !dnsLabel(c.Name) {
				ps.Add(fmt.Sprintf("%s.clusters[%d].name", at, j), "%q is not a lowercase DNS label", c.Name)
			}
			if !slices.Contains(e.Regions, c.Region) {
				ps.Add(fmt.Sprintf("%s.clusters[%d].region", at, j), "%q is not a region of environment %s", c.Region, e.Name)
			}
			clusters[c.Name] = true
		}
		if e.Name == t.DevEnvironment {
			dev = e
		}
	}
	if dev == nil {
		ps.Add("dev_environment", "%q is not one of the environments", t.DevEnvironment)
	} else if len(t.DevClusters) == 0 {
		for _, c := range dev.Clusters {
			t.DevClusters = append(t.DevClusters, c.Name)
		}
	} else {
		for _, c := range t.DevClusters {
			if !slices.ContainsFunc(dev.Clusters, func(d Cluster) bool { return d.Name == c }) {
				ps.Add("dev_clusters", "%q is not a cluster of environment %s", c, t.DevEnvironment)
			}
		}
	}
	if dev != nil && len(t.DevClusters) == 0 {
		ps.Add("dev_clusters", "environment %s has no cluster to run the hello-world in", t.DevEnvironment)
	}
	if len(t.DefaultEnvironments) == 0 {
		for _, e := range t.Environments {
			if e.Name != "production" && e.Name != "prod" {
				t.DefaultEnvironments = append(t.DefaultEnvironments, e.Name)
			}
		}
	}
	for _, e := range t.DefaultEnvironments {
		if !seen[e] {
			ps.Add("default_environments", "%q is not one of the environments", e)
		}
	}
	for _, p := range []string{t.Infra.Path, t.Infra.ManifestPath} {
		if strings.Contains(p, "..") || strings.HasPrefix(p, "/") || !strings.Contains(p, "{service}") {
			ps.Add("infra.path", "%q must be a relative path holding {service}", p)
		}
	}
	return ps
}

// environment returns the environment named name.
func (t Target) environment(name string) (Environment, bool) {
	for _, e := range t.Environments {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// environmentNames are the names of the environments, in configuration order.
func (t Target) environmentNames() []string {
	out := make([]string, len(t.Environments))
	for i, e := range t.Environments {
		out[i] = e.Name
	}
	return out
}

// regions are every region of any environment, sorted.
func (t Target) regions() []string {
	set := map[string]bool{}
	for _, e := range t.Environments {
		for _, r := range e.Regions {
			set[r] = true
		}
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// devRegions are the regions of the dev clusters, sorted: the default regions of a new service, so that its
// hello-world has somewhere to run.
func (t Target) devRegions() []string {
	dev, _ := t.environment(t.DevEnvironment)
	set := map[string]bool{}
	for _, c := range dev.Clusters {
		if slices.Contains(t.DevClusters, c.Name) {
			set[c.Region] = true
		}
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func (t Target) namespace(team, service string) string {
	return strings.NewReplacer("{team}", team, "{service}", service).Replace(t.Namespace)
}

func validOwner(s string) bool {
	if s == "" || len(s) > 39 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func validRepo(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// dnsLabel reports whether s is an RFC 1123 label: lowercase letters, digits and dashes, at most 63 characters,
// starting and ending with a letter or digit.
func dnsLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

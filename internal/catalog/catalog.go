// Package catalog is Atrium's vocabulary: the services a company runs, who owns them, what they depend on, where
// they are deployed and what is wrong with them. It knows nothing of storage or transport; collectors produce these
// values, the store keeps them and the API serves them.
package catalog

import (
	"errors"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/problem"
)

// Lifecycle values understood by the UI; descriptors may use others, which are kept as written.
const (
	LifecycleExperimental = "experimental"
	LifecycleProduction   = "production"
	LifecycleDeprecated   = "deprecated"
)

// Ecosystems of dependencies.
const (
	EcosystemNPM = "npm"
	EcosystemGo  = "go"
)

// dependencyLanguages are the languages whose dependencies the GitHub collector reads (go.mod; package.json and its
// lockfile). The UI's frontend/src/lib/dependencies.ts holds the same list (TestDependencyLanguagesMatchTheUI).
var dependencyLanguages = map[string]bool{"go": true, "typescript": true, "javascript": true}

// DependenciesRead reports whether Atrium reads the dependencies of a service written in language. For any other
// language (Python, Java, Kotlin…) a service without dependencies was not checked: "none" would claim what nobody
// measured.
func DependenciesRead(language string) bool {
	return dependencyLanguages[strings.ToLower(strings.TrimSpace(language))]
}

// ErrNotFound is returned by lookups of an entity that does not exist.
var ErrNotFound = errors.New("not found")

// Service is one deployable unit of software: the row of the catalog table and the subject of a service page.
type Service struct {
	Name        string     `json:"name"`
	Title       string     `json:"title,omitempty"`
	Description string     `json:"description"`
	Owner       string     `json:"owner"` // team name
	Lifecycle   string     `json:"lifecycle"`
	Type        string     `json:"type"`
	Language    string     `json:"language"`
	System      string     `json:"system,omitempty"`
	Tags        []string   `json:"tags"`
	Links       []Link     `json:"links"`
	Repository  Repository `json:"repository"`
	Template    string     `json:"template,omitempty"` // the template it was created from, "name@version"
	// Source names the collector that produced the service ("demo", "github:acme"); a collector only ever
	// replaces or removes services of its own source.
	Source       string       `json:"source"`
	Dependencies []Dependency `json:"dependencies"`
	Deployments  []Deployment `json:"deployments"`
	// Findings are what a user can act on: a descriptor that does not parse, a package far behind, a missing
	// region. They accumulate; producing one never stops the rest of the catalog from loading.
	Findings problem.Problems `json:"findings"`
	SyncedAt time.Time        `json:"synced_at"`

	// CreatedByAction is the portal action that created the service (the golden path's run), empty for services
	// not created through Atrium. Collectors reading the service later keep it, and Template (store).
	CreatedByAction string `json:"created_by_action,omitempty"`
}

// Link is a titled URL shown on a service page (runbook, dashboard, docs).
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Icon  string `json:"icon,omitempty"`
}

// Repository is where a service's code lives. Path is the descriptor's directory inside a monorepo ("" at the root).
type Repository struct {
	URL           string `json:"url"`
	Provider      string `json:"provider,omitempty"`
	DefaultBranch string `json:"default_branch,omitempty"`
	Path          string `json:"path,omitempty"`
	Head          string `json:"head,omitempty"`
	// Facts are what the collector saw of the repository's configuration (README, CODEOWNERS, CI workflows,
	// branch protection); nil when no collector looked (a service that is not on GitHub).
	Facts *RepoFacts `json:"facts,omitempty"`
}

// Dependency is one package a service uses. Version is what the service resolves (lockfile first, then the
// manifest's lowest acceptable version); Latest is the newest released version known, empty when unknown.
type Dependency struct {
	Ecosystem  string `json:"ecosystem"`
	Name       string `json:"name"`
	Version    string `json:"version"`
	Constraint string `json:"constraint,omitempty"`
	Latest     string `json:"latest,omitempty"`
	Dev        bool   `json:"dev,omitempty"`
}

// Behind reports how far Version lags Latest: "major", "minor", "patch", "" when current or unknown.
func (d Dependency) Behind() string { return Behind(d.Version, d.Latest) }

// Deployment is one running copy of a service: one workload in one cluster, filled by the Kubernetes collector.
type Deployment struct {
	Cluster     string `json:"cluster"`
	Region      string `json:"region"`
	Environment string `json:"environment"`
	Namespace   string `json:"namespace"`
	Kind        string `json:"kind"` // Deployment, StatefulSet or DaemonSet
	Name        string `json:"name"`
	// Image is the reference of the workload's main container; Version is its tag (or short digest).
	Image   string `json:"image"`
	Version string `json:"version"`
	Ready   int    `json:"ready"`
	Desired int    `json:"desired"`
	// Autoscaler is the HorizontalPodAutoscaler targeting the workload, if any.
	Autoscaler *Autoscaler `json:"autoscaler,omitempty"`
	// Health summarises the replicas: one of the Health* values; HealthDetail says why, for a person.
	Health       string `json:"health,omitempty"`
	HealthDetail string `json:"health_detail,omitempty"`
	// RolloutAt is when the running version last changed (the last rollout).
	RolloutAt time.Time `json:"rollout_at,omitzero"`
	// UpdatedAt is when anything of this deployment last changed (replicas, health, version).
	UpdatedAt time.Time `json:"updated_at"`
}

// Autoscaler is a HorizontalPodAutoscaler's range and where it stands.
type Autoscaler struct {
	Min     int `json:"min"`
	Max     int `json:"max"`
	Current int `json:"current"`
	Desired int `json:"desired"`
}

// Health of a Deployment.
const (
	HealthHealthy      = "healthy"        // every desired replica ready and up to date
	HealthProgressing  = "progressing"    // a rollout is under way
	HealthDegraded     = "degraded"       // some replicas ready, not all; or the rollout stalled
	HealthUnavailable  = "unavailable"    // replicas desired, none ready
	HealthScaledToZero = "scaled_to_zero" // no replicas desired
)

// Team owns services.
type Team struct {
	Name        string `json:"name" yaml:"name"`
	DisplayName string `json:"display_name" yaml:"display_name"`
	Description string `json:"description,omitempty" yaml:"description"`
	Contact     string `json:"contact,omitempty" yaml:"contact"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidName reports whether s may name a service or a team: lowercase DNS label, as Kubernetes and Backstage use.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// Normalize puts a service in canonical form so that two collections of the same input compare equal: nil slices
// become empty, lists are sorted, and duplicates dropped.
func (s *Service) Normalize() {
	if s.Tags == nil {
		s.Tags = []string{}
	}
	sort.Strings(s.Tags)
	s.Tags = compactStrings(s.Tags)
	if s.Links == nil {
		s.Links = []Link{}
	}
	if s.Dependencies == nil {
		s.Dependencies = []Dependency{}
	}
	sort.SliceStable(s.Dependencies, func(i, j int) bool {
		a, b := s.Dependencies[i], s.Dependencies[j]
		if a.Ecosystem != b.Ecosystem {
			return a.Ecosystem < b.Ecosystem
		}
		return a.Name < b.Name
	})
	if s.Deployments == nil {
		s.Deployments = []Deployment{}
	}
	sort.SliceStable(s.Deployments, func(i, j int) bool {
		a, b := s.Deployments[i], s.Deployments[j]
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	if s.Findings == nil {
		s.Findings = problem.Problems{}
	}
	if f := s.Repository.Facts; f != nil {
		if f.Workflows == nil {
			f.Workflows = []string{}
		}
		sort.Strings(f.Workflows)
		if bp := f.BranchProtection; bp != nil {
			if bp.RequiredChecks == nil {
				bp.RequiredChecks = []string{}
			}
			sort.Strings(bp.RequiredChecks)
		}
	}
}

func compactStrings(in []string) []string {
	out := in[:0]
	for i, v := range in {
		if v == "" || (i > 0 && v == in[i-1]) {
			continue
		}
		out = append(out, v)
	}
	return out
}

// TemplateSourcePrefix starts the source of a service the golden path registered before any collector read its
// repository: "template:go-http-service".
const TemplateSourcePrefix = "template:"

// TemplateSource is the source of services registered by the golden path from template.
func TemplateSource(template string) string { return TemplateSourcePrefix + template }

// Adoptable reports whether a collector that reads a service from the repository at repoURL may take over the
// service of that name held by source heldBy, whose repository is heldRepoURL: only a registration of the golden
// path (a template source) for that same repository — the collector then holds the one entry, which keeps its
// template and action (store). A service another collector provides is never taken over.
func Adoptable(heldBy, heldRepoURL, repoURL string) bool {
	return strings.HasPrefix(heldBy, TemplateSourcePrefix) && repoURL != "" && sameRepository(heldRepoURL, repoURL)
}

// sameRepository compares repository URLs by host and path, whatever their scheme, case or ".git".
func sameRepository(a, b string) bool {
	norm := func(u string) string {
		u = strings.ToLower(strings.TrimSpace(u))
		if _, rest, ok := strings.Cut(u, "://"); ok {
			u = rest
		}
		return strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git")
	}
	return norm(a) != "" && norm(a) == norm(b)
}

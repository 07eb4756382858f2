package catalog

import (
	"slices"
	"time"
)

// Document is the one typed view of a service that rules read — scorecard rules, the deploy gate, drift: its
// catalog fields, its dependencies with their newest versions, what its repository holds, where it runs, and what
// was found wrong with it. Every fact in it was collected once, by the collectors, and is read from the store; no
// rule triggers a request to anything.
//
// CEL expressions see it as the variable `service`, with the JSON names of its fields (service.repository.facts,
// service.dependencies, service.regions["production"]); docs/scorecards.md lists them. Adding a field is
// backwards compatible; renaming one breaks the rules that read it.
type Document struct {
	Name         string           `json:"name"`
	Title        string           `json:"title"`
	Description  string           `json:"description"`
	Owner        string           `json:"owner"`
	Lifecycle    string           `json:"lifecycle"`
	Type         string           `json:"type"`
	Language     string           `json:"language"`
	System       string           `json:"system"`
	Tags         []string         `json:"tags"`
	Links        []*DocLink       `json:"links"`
	Source       string           `json:"source"`
	Repository   DocRepository    `json:"repository"`
	Dependencies []*DocDependency `json:"dependencies"`
	Deployments  []*DocDeployment `json:"deployments"`
	Findings     []*DocFinding    `json:"findings"`
	// Regions are the regions the service runs in, per environment (sorted, each once). Every environment given
	// to NewDocument has an entry, empty where the service runs nowhere, so that a rule may index it.
	Regions map[string][]string `json:"regions"`
}

// DocRepository is where the service's code lives and what the repository holds. Facts is null when no collector
// read the repository (a rule reading it is then unknown for the service, not failed).
type DocRepository struct {
	URL           string     `json:"url"`
	Provider      string     `json:"provider"`
	DefaultBranch string     `json:"default_branch"`
	Path          string     `json:"path"`
	Head          string     `json:"head"`
	Facts         *RepoFacts `json:"facts"`
}

// Lag ranks how far a dependency is behind its newest version: LagNone (current, or unknown), LagPatch, LagMinor,
// LagMajor. Rules compare ranks (d.lag <= 2: "at most a minor version behind").
const (
	LagNone = iota
	LagPatch
	LagMinor
	LagMajor
)

// LagRank is the rank of a Behind value ("major", "minor", "patch", "").
func LagRank(behind string) int {
	switch behind {
	case "major":
		return LagMajor
	case "minor":
		return LagMinor
	case "patch":
		return LagPatch
	}
	return LagNone
}

// DocDependency is a dependency with how far it is behind: Behind is "major", "minor", "patch" or "" (current, or
// newest version unknown), Lag its rank.
type DocDependency struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	Latest    string `json:"latest"`
	Dev       bool   `json:"dev"`
	Behind    string `json:"behind"`
	Lag       int    `json:"lag"`
}

// DocDeployment is one running copy of the service in one cluster.
type DocDeployment struct {
	Cluster     string    `json:"cluster"`
	Region      string    `json:"region"`
	Environment string    `json:"environment"`
	Namespace   string    `json:"namespace"`
	Kind        string    `json:"kind"`
	Name        string    `json:"name"`
	Image       string    `json:"image"`
	Version     string    `json:"version"`
	Ready       int       `json:"ready"`
	Desired     int       `json:"desired"`
	Health      string    `json:"health"`
	RolloutAt   time.Time `json:"rollout_at"`
}

// DocLink is a titled link of the service (runbook, dashboard).
type DocLink struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// DocFinding is a finding on the service (a collector's, or a descriptor's).
type DocFinding struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Source   string `json:"source"`
}

// NewDocument builds the document of s. environments are the environments the platform knows (those of its
// clusters); each gets an entry in Regions.
func NewDocument(s Service, environments []string) Document {
	d := Document{Name: s.Name, Title: s.Title, Description: s.Description, Owner: s.Owner, Lifecycle: s.Lifecycle,
		Type: s.Type, Language: s.Language, System: s.System, Tags: nonNil(s.Tags), Source: s.Source,
		Repository: DocRepository{URL: s.Repository.URL, Provider: s.Repository.Provider,
			DefaultBranch: s.Repository.DefaultBranch, Path: s.Repository.Path, Head: s.Repository.Head,
			Facts: s.Repository.Facts},
		Dependencies: make([]*DocDependency, len(s.Dependencies)),
		Links:        make([]*DocLink, len(s.Links)),
		Deployments:  make([]*DocDeployment, len(s.Deployments)),
		Findings:     make([]*DocFinding, len(s.Findings)),
		Regions:      make(map[string][]string, len(environments)),
	}
	for _, env := range environments {
		d.Regions[env] = []string{}
	}
	// One allocation per list, not one per element.
	deps, links := make([]DocDependency, len(s.Dependencies)), make([]DocLink, len(s.Links))
	deployments, findings := make([]DocDeployment, len(s.Deployments)), make([]DocFinding, len(s.Findings))
	for i, dp := range s.Dependencies {
		behind := dp.Behind()
		deps[i] = DocDependency{Ecosystem: dp.Ecosystem, Name: dp.Name, Version: dp.Version,
			Latest: dp.Latest, Dev: dp.Dev, Behind: behind, Lag: LagRank(behind)}
		d.Dependencies[i] = &deps[i]
	}
	for i, l := range s.Links {
		links[i] = DocLink{Title: l.Title, URL: l.URL}
		d.Links[i] = &links[i]
	}
	for i, dp := range s.Deployments {
		deployments[i] = DocDeployment{Cluster: dp.Cluster, Region: dp.Region, Environment: dp.Environment,
			Namespace: dp.Namespace, Kind: dp.Kind, Name: dp.Name, Image: dp.Image, Version: dp.Version,
			Ready: dp.Ready, Desired: dp.Desired, Health: dp.Health, RolloutAt: dp.RolloutAt}
		d.Deployments[i] = &deployments[i]
		if dp.Environment == "" || dp.Region == "" {
			continue
		}
		if rs := d.Regions[dp.Environment]; !slices.Contains(rs, dp.Region) {
			rs = append(rs, dp.Region)
			slices.Sort(rs)
			d.Regions[dp.Environment] = rs
		}
	}
	for i, f := range s.Findings {
		findings[i] = DocFinding{Severity: string(f.Severity), Summary: f.Summary, Detail: f.Detail, Source: f.Source}
		d.Findings[i] = &findings[i]
	}
	return d
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

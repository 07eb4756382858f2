// Package synthetic generates large, realistic-looking catalogs for benchmarks: deterministic for a seed, with
// name, owner and package distributions like a mid-size company's (many teams, a few dominant packages, long tails).
package synthetic

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

var (
	domains = []string{"payments", "ledger", "checkout", "identity", "auth", "profile", "search", "index", "catalog",
		"pricing", "inventory", "shipping", "tracking", "orders", "billing", "invoice", "fraud", "risk", "notify",
		"email", "sms", "push", "feed", "recommend", "ranking", "analytics", "events", "audit", "reporting", "export"}
	roles = []string{"api", "service", "worker", "gateway", "consumer", "scheduler", "web", "bff", "sync", "store"}
	langs = []string{"Go", "Go", "Go", "TypeScript", "TypeScript", "JavaScript", "Java", "Kotlin", "Python"}
	life  = []string{"production", "production", "production", "production", "experimental", "deprecated"}
	words = []string{"handles", "stores", "streams", "indexes", "validates", "aggregates", "routes", "caches",
		"reconciles", "publishes", "schedules", "exports", "scores", "enriches", "deduplicates"}
	objects = []string{"payments", "orders", "events", "customer profiles", "invoices", "shipments", "search queries",
		"feature flags", "audit records", "notifications", "prices", "stock levels", "sessions", "documents"}
	goMods = []string{"google.golang.org/grpc", "github.com/prometheus/client_golang", "go.uber.org/zap",
		"github.com/jackc/pgx/v5", "github.com/redis/go-redis/v9", "github.com/stretchr/testify",
		"k8s.io/client-go", "github.com/aws/aws-sdk-go-v2", "github.com/go-chi/chi/v5", "golang.org/x/sync",
		"github.com/segmentio/kafka-go", "go.opentelemetry.io/otel", "github.com/google/uuid", "gopkg.in/yaml.v3"}
	npmPkgs = []string{"react", "express", "zod", "typescript", "axios", "lodash", "pino", "jest", "vitest",
		"eslint", "fastify", "next", "kafkajs", "ioredis", "pg", "graphql", "date-fns", "uuid", "@nestjs/core"}
)

// Catalog returns n services with depsPer dependencies each (so n*depsPer dependency rows) spread over teams
// teams, and the newest-version table their dependencies are compared against.
func Catalog(n, depsPer, teams int, seed uint64) ([]catalog.Team, []catalog.Service, catalog.VersionTable) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var ts []catalog.Team
	for i := 0; i < teams; i++ {
		name := fmt.Sprintf("%s-team-%d", domains[i%len(domains)], i)
		ts = append(ts, catalog.Team{Name: name, DisplayName: fmt.Sprintf("Team %d (%s)", i, domains[i%len(domains)])})
	}
	latest := catalog.VersionTable{catalog.EcosystemGo: {}, catalog.EcosystemNPM: {}}
	// A long tail of packages beyond the popular ones, so 200,000 rows hold thousands of distinct packages.
	pkg := func(eco string) string {
		if r.IntN(3) > 0 {
			if eco == catalog.EcosystemGo {
				return goMods[r.IntN(len(goMods))]
			}
			return npmPkgs[r.IntN(len(npmPkgs))]
		}
		if eco == catalog.EcosystemGo {
			return fmt.Sprintf("github.com/acme-oss/lib-%d", r.IntN(3000))
		}
		return fmt.Sprintf("@acme/lib-%d", r.IntN(3000))
	}
	version := func() (string, string) {
		maj, minor, pat := r.IntN(5), r.IntN(20), r.IntN(10)
		return fmt.Sprintf("%d.%d.%d", maj, minor, pat), fmt.Sprintf("%d.%d.%d", 4, 19, 9)
	}
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	svcs := make([]catalog.Service, 0, n)
	for i := 0; i < n; i++ {
		d, ro := domains[r.IntN(len(domains))], roles[r.IntN(len(roles))]
		name := fmt.Sprintf("%s-%s-%d", d, ro, i)
		lang := langs[r.IntN(len(langs))]
		eco := catalog.EcosystemNPM
		if lang == "Go" {
			eco = catalog.EcosystemGo
		}
		s := catalog.Service{
			Name:        name,
			Title:       fmt.Sprintf("%s %s", d, ro),
			Description: fmt.Sprintf("%s %s for the %s domain", words[r.IntN(len(words))], objects[r.IntN(len(objects))], d),
			Owner:       ts[r.IntN(len(ts))].Name,
			Lifecycle:   life[r.IntN(len(life))],
			Type:        "service",
			Language:    lang,
			Tags:        []string{d, ro},
			Repository:  catalog.Repository{URL: "https://github.com/acme/" + name, Provider: "github", DefaultBranch: "main"},
			Source:      "synthetic",
			SyncedAt:    base.Add(time.Duration(r.IntN(30*24*3600)) * time.Second),
		}
		seen := map[string]bool{}
		for len(s.Dependencies) < depsPer {
			p := pkg(eco)
			if seen[p] {
				// Fill with a unique long-tail package so every service has exactly depsPer rows.
				p = fmt.Sprintf("%s-%d", p, len(s.Dependencies))
			}
			seen[p] = true
			v, l := version()
			if eco == catalog.EcosystemGo {
				v, l = "v"+v, "v"+l
			}
			latest[eco][p] = l
			s.Dependencies = append(s.Dependencies, catalog.Dependency{Ecosystem: eco, Name: p, Version: v, Latest: l})
		}
		svcs = append(svcs, s)
	}
	return ts, svcs, latest
}

// AddReadiness gives services what scorecards read besides dependencies, deterministically for a seed: repository
// facts (most have a README, CODEOWNERS, a CI workflow and a protected default branch; some lack one of them) and
// deployments in the production clusters of regions (most run in all of them, some miss one).
func AddReadiness(svcs []catalog.Service, regions []string, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed^0x51ed27f1))
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range svcs {
		s := &svcs[i]
		f := &catalog.RepoFacts{Workflows: []string{}}
		if r.IntN(10) > 0 {
			f.Readme = "README.md"
		}
		if r.IntN(5) > 0 {
			f.CodeOwners = ".github/CODEOWNERS"
		}
		if r.IntN(4) > 0 {
			f.Workflows = []string{".github/workflows/ci.yml"}
		}
		switch r.IntN(6) {
		case 0: // not readable with the collector's token: unknown
		case 1:
			f.BranchProtection = &catalog.BranchProtection{RequiredChecks: []string{}}
		default:
			f.BranchProtection = &catalog.BranchProtection{Enabled: true, RequiredReviews: 1 + r.IntN(2),
				RequiredChecks: []string{"ci"}}
		}
		s.Repository.Facts = f
		s.Links = []catalog.Link{{Title: "Dashboard", URL: "https://grafana.example/d/" + s.Name}}
		if r.IntN(3) == 0 {
			s.Links = append(s.Links, catalog.Link{Title: "Runbook", URL: "https://runbooks.example/" + s.Name})
		}
		for j, region := range regions {
			if j > 0 && r.IntN(8) == 0 {
				continue // missing in this region
			}
			v := fmt.Sprintf("1.%d.%d", r.IntN(30), r.IntN(10))
			s.Deployments = append(s.Deployments, catalog.Deployment{Cluster: "prod-" + region, Region: region,
				Environment: "production", Namespace: s.Owner, Kind: "Deployment", Name: s.Name,
				Image: "registry.example/" + s.Name + ":" + v, Version: v, Ready: 3, Desired: 3,
				Health: catalog.HealthHealthy, RolloutAt: base.Add(-time.Duration(r.IntN(2000)) * time.Hour),
				UpdatedAt: base})
		}
	}
}

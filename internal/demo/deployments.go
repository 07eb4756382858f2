package demo

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

// The demo's clusters: production in two regions, a staging cluster and a dev cluster, as a mid-size company runs
// them.
var demoClusters = []struct{ name, region, env string }{
	{"prod-eu-west-1", "eu-west-1", "production"},
	{"prod-us-east-1", "us-east-1", "production"},
	{"staging-eu-west-1", "eu-west-1", "staging"},
	{"dev-eu-west-1", "eu-west-1", "dev"},
}

// demoEpoch anchors the demo's rollout times, so that seeding the same demo again changes nothing.
var demoEpoch = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// addDeployments gives the demo's services deployments in the demo clusters, derived from their names so that
// the demo is the same on every machine: most services run the same version in both production regions and a
// newer one in staging; some lag in us-east-1, a few are missing there, one is degraded; experimental services
// run in staging only; a quarter of the services (and the experimental ones) run the next version in dev;
// libraries run nowhere.
func addDeployments(svcs []catalog.Service) {
	for i := range svcs {
		s := &svcs[i]
		if s.Type == "library" {
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(s.Name))
		n := h.Sum32()
		minor, patch := int(n%30), int(n/30%12)
		prod := fmt.Sprintf("1.%d.%d", minor, patch)
		for _, c := range demoClusters {
			version := prod
			switch {
			case c.env == "dev" && n%4 != 0 && s.Lifecycle != catalog.LifecycleExperimental:
				continue // not every team runs a shared dev cluster
			case c.env == "dev":
				version = fmt.Sprintf("1.%d.1", minor+1)
			case c.env == "staging":
				version = fmt.Sprintf("1.%d.0", minor+1)
			case s.Lifecycle == catalog.LifecycleExperimental:
				continue // not in production yet
			case c.region == "us-east-1" && n%13 == 0:
				continue // missing here
			case c.region == "us-east-1" && n%7 == 0:
				version = fmt.Sprintf("1.%d.%d", max(minor-1, 0), patch) // a region behind
			}
			replicas := 2 + int(n%4)
			if c.env == "staging" || c.env == "dev" {
				replicas = 1
			}
			d := catalog.Deployment{
				Cluster: c.name, Region: c.region, Environment: c.env, Namespace: s.Owner, Kind: "Deployment",
				Name: s.Name, Image: "registry.sphera.internal/" + s.Owner + "/" + s.Name + ":" + version,
				Version: version, Ready: replicas, Desired: replicas, Health: catalog.HealthHealthy,
				RolloutAt: demoEpoch.Add(-time.Duration(n%500) * time.Hour),
				UpdatedAt: demoEpoch.Add(-time.Duration(n%90) * time.Minute),
			}
			if c.env == "production" && n%3 == 0 {
				d.Autoscaler = &catalog.Autoscaler{Min: replicas, Max: replicas * 4, Current: replicas, Desired: replicas}
			}
			if c.region == "us-east-1" && n%17 == 0 {
				d.Ready = d.Desired - 1
				d.Health, d.HealthDetail = catalog.HealthDegraded, fmt.Sprintf("%d of %d replicas ready", d.Ready, d.Desired)
			}
			if s.Type == "worker" {
				d.Kind = "StatefulSet"
			}
			s.Deployments = append(s.Deployments, d)
		}
	}
}

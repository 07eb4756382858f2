package demo

import (
	"context"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/store/storetest"
)

func TestDemoCatalog(t *testing.T) {
	teams, svcs, err := Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) < 60 || len(teams) < 6 {
		t.Fatalf("demo has %d services and %d teams; the spine promises at least 60 and 6", len(svcs), len(teams))
	}
	byName := map[string]int{}
	owners := map[string]int{}
	langs := map[string]int{}
	outdated := 0
	for i, s := range svcs {
		byName[s.Name] = i
		owners[s.Owner]++
		langs[s.Language]++
		for _, d := range s.Dependencies {
			if d.Behind() != "" {
				outdated++
			}
		}
	}
	for _, tm := range teams {
		if tm.DisplayName == "" || owners[tm.Name] == 0 {
			t.Errorf("team %+v has no display name or no services", tm)
		}
	}
	if langs["Go"] == 0 || langs["TypeScript"] == 0 || langs["unknown"] != 0 {
		t.Errorf("languages detected from manifests: %v", langs)
	}
	if outdated == 0 {
		t.Error("no dependency is behind its newest version")
	}
	findings := func(name, sub string) bool {
		i, ok := byName[name]
		if !ok {
			t.Fatalf("demo service %s missing", name)
		}
		for _, f := range svcs[i].Findings {
			if strings.Contains(f.Summary+f.Detail, sub) {
				return true
			}
		}
		return false
	}
	// The deliberate problems show as findings while everything else loads.
	if !findings("legacy-reporting", "could not be read") {
		t.Error("broken descriptor of legacy-reporting is not a finding")
	}
	if !findings("marketing-site", "package.json could not be read") {
		t.Error("malformed package.json of marketing-site is not a finding")
	}
	if !findings("scratch-experiments", "No service descriptor") {
		t.Error("scratch-experiments has no descriptor finding")
	}
	if _, ok := byName["ios-bff"]; !ok {
		t.Error("monorepo service ios-bff missing")
	}
}

func TestSeedIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	n, err := Seed(ctx, db)
	if err != nil || n < 60 {
		t.Fatalf("first seed: %d %v", n, err)
	}
	b, _ := db.Changes(ctx, "", 1000, 0)
	if n, err := Seed(ctx, db); err != nil || n != 0 {
		t.Fatalf("second seed changed %d (%v)", n, err)
	}
	if b2, _ := db.Changes(ctx, b.Cursor, 1000, 0); len(b2.Changes) != 0 {
		t.Errorf("second seed advanced the feed by %d", len(b2.Changes))
	}
}

// The demo runs in three clusters, with the differences the matrix view exists to show.
func TestDemoDeployments(t *testing.T) {
	_, svcs, err := Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var deployed, missing, differ, degraded int
	for _, s := range svcs {
		if len(s.Deployments) == 0 {
			continue
		}
		deployed++
		prod := map[string]string{}
		for _, d := range s.Deployments {
			if d.Environment == "production" {
				prod[d.Region] = d.Version
			}
			if d.Health == "degraded" {
				degraded++
			}
		}
		switch {
		case len(prod) == 1 && s.Lifecycle != "experimental":
			missing++
		case len(prod) == 2 && prod["eu-west-1"] != prod["us-east-1"]:
			differ++
		}
	}
	if deployed < 50 || missing == 0 || differ == 0 || degraded == 0 {
		t.Errorf("deployed %d, missing in a region %d, differing %d, degraded %d", deployed, missing, differ, degraded)
	}
}

// Every demo flag names a team of the demo as its team and its owner: a name found nowhere else in the app (the
// owner "platform-devex" once) reads as a second team.
func TestDemoFlagsNameDemoTeams(t *testing.T) {
	teams, _, err := Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, tm := range teams {
		known[tm.Name] = true
	}
	for _, env := range []string{"dev", "staging", "production"} {
		f, err := FlagFile(env)
		if err != nil {
			t.Fatal(err)
		}
		for key, fl := range f.Flags {
			for _, field := range []string{"team", "owner"} {
				if v, _ := fl.Metadata[field].(string); !known[v] {
					t.Errorf("%s/%s: %s %q is not a demo team", env, key, field, v)
				}
			}
		}
	}
}

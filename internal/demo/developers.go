package demo

import (
	"context"
	"fmt"

	"github.com/sphera/atrium/internal/fleet"
)

// DevelopersPerTeam is how many developers the demo directory gives each demo team.
const DevelopersPerTeam = 5

// SeedDevelopers writes the demo's developer directory (the adoption KPI's denominator, docs/fleet.md): a few
// developers per demo team, and extra (the local user in local mode) on no team. Seeding it again changes nothing.
func SeedDevelopers(ctx context.Context, dir *fleet.Directory, extra ...string) (fleet.DirectoryChange, error) {
	teams, _, err := Catalog(ctx)
	if err != nil {
		return fleet.DirectoryChange{}, err
	}
	var ms []fleet.Member
	for _, t := range teams {
		for i := 1; i <= DevelopersPerTeam; i++ {
			ms = append(ms, fleet.Member{Login: fmt.Sprintf("%s-dev-%d", t.Name, i), Teams: []string{t.Name}})
		}
	}
	for _, login := range extra {
		ms = append(ms, fleet.Member{Login: login})
	}
	return dir.Replace(ctx, fleet.SourceDemo, ms)
}

package demo

import (
	"context"
	"hash/fnv"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
)

// addRepoFacts gives the demo's services what the GitHub collector would have seen of their repositories, derived
// from their names like their deployments: most have a README, CODEOWNERS, a CI workflow and a protected default
// branch; some lack one or two, and for a few branch protection could not be read (unknown).
func addRepoFacts(svcs []catalog.Service) {
	for i := range svcs {
		s := &svcs[i]
		h := fnv.New32a()
		h.Write([]byte(s.Name + "/repo"))
		n := h.Sum32()
		f := &catalog.RepoFacts{Readme: "README.md", CodeOwners: ".github/CODEOWNERS",
			Workflows:        []string{".github/workflows/ci.yml"},
			BranchProtection: &catalog.BranchProtection{Enabled: true, RequiredReviews: 1, RequiredChecks: []string{"ci"}}}
		if s.Repository.Path != "" {
			f.Readme = s.Repository.Path + "/README.md"
		}
		if n%11 == 0 {
			f.Readme = ""
		}
		if n%5 == 0 {
			f.CodeOwners = ""
		}
		if n%4 == 0 {
			f.Workflows = []string{}
		}
		switch {
		case n%9 == 0:
			f.BranchProtection = nil // the collector's token may not read it
		case n%6 == 0:
			f.BranchProtection = &catalog.BranchProtection{RequiredChecks: []string{}}
		}
		s.Repository.Facts = f
	}
}

// SeedScoreHistory gives the demo's scorecards a past: weekly points over the last twelve weeks, most services
// improving towards their score today and some slipping, so that the trends have something to show. Days that
// already have a point keep it; run it after the first scoring.
func SeedScoreHistory(ctx context.Context, db *store.DB, today time.Time) (int, error) {
	cards, err := db.StoredScorecards(ctx, nil)
	if err != nil {
		return 0, err
	}
	points := map[string][]catalog.ScorePoint{}
	for name, st := range cards {
		if st.Card.Owner == "" {
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(name + "/history"))
		n := int(h.Sum32())
		step := n%7 - 2 // points per week: most rose to today's score, a few fell to it
		var ps []catalog.ScorePoint
		for w := store.TrendWeeks - 1; w >= 1; w-- {
			score := min(100, max(0, st.Card.Score-step*w+(n>>w)%5))
			ps = append(ps, catalog.ScorePoint{Day: store.Day(today.AddDate(0, 0, -7*w)), Score: score})
		}
		points[name] = ps
	}
	return db.BackfillScoreHistory(ctx, points)
}

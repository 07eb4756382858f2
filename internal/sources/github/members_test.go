package github_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

func TestMembersWithTheirTeams(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg(org)
	gh.AddOrg("other")
	// More members than one page holds: the collector follows the Link header.
	var many []string
	for i := range 130 {
		many = append(many, fmt.Sprintf("dev-%03d", i))
	}
	gh.AddMember(org, many...)
	gh.AddTeam(org, "Payments", "Ana", "dev-001")
	gh.AddTeam(org, "growth", "ana", "bo")
	gh.AddMember("other", "zed")
	e := newEnv(t, gh, func(c *github.Config) { c.Orgs = []string{org, "other"} })

	gh.ResetCounts()
	got, err := e.hub.Members(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ms := got[github.SourceName(org)]
	if len(ms) != 132 {
		t.Fatalf("%d members", len(ms))
	}
	teams := map[string]string{}
	for _, m := range ms {
		teams[m.Login] = strings.Join(m.Teams, ",")
	}
	if teams["Ana"] != "growth,payments" || teams["dev-001"] != "payments" || teams["bo"] != "growth" || teams["dev-100"] != "" {
		t.Errorf("teams %v", map[string]string{"Ana": teams["Ana"], "dev-001": teams["dev-001"], "bo": teams["bo"]})
	}
	if o := got[github.SourceName("other")]; len(o) != 1 || o[0].Login != "zed" {
		t.Errorf("other org: %+v", o)
	}
	c := gh.Counts()
	// Two pages of members and one of teams per org with members, one page per team.
	if c.ByKind[githubtest.KindMembers] != 3 || c.ByKind[githubtest.KindTeams] != 4 {
		t.Errorf("requests %v", c.ByKind)
	}

	// An organisation GitHub refuses is named; the others are still returned.
	gh.FailNext(githubtest.KindMembers, "GET", 1, 403, "Must have admin rights to Repository.")
	got, err = e.hub.Members(context.Background())
	if err == nil || !strings.Contains(err.Error(), "list members of github org") || len(got) != 1 {
		t.Errorf("one org refused: %d orgs, %v", len(got), err)
	}
}

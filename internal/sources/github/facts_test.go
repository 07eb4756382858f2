package github_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

// The repository facts scorecards read come from the tree listing the collector fetches anyway, and from one
// request for the default branch's protection: read with every change of a repository, and for repositories
// nobody pushed to once per protection interval.
func TestRepositoryFacts(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg(org)
	gh.AddRepo(org, githubtest.Repo{Name: "payments-api", Files: map[string]string{
		"atrium.yaml": atrium("payments-api", "payments"), "go.mod": goMod, "README.md": "# payments",
		".github/CODEOWNERS": "* @acme/payments", ".github/workflows/ci.yml": "on: push",
		".github/workflows/release.yaml": "on: tag", "docs/CODEOWNERS": "ignored: .github/ wins"}})
	gh.AddRepo(org, githubtest.Repo{Name: "mobile", Files: map[string]string{
		"readme.markdown":          "# mobile",
		"apps/ios/atrium.yaml":     atrium("mobile-ios", "mobile"),
		"apps/ios/README.md":       "# ios",
		"apps/android/atrium.yaml": atrium("mobile-android", "mobile")}})
	gh.AddRepo(org, githubtest.Repo{Name: "bare", Files: map[string]string{"atrium.yaml": atrium("bare", "x")}})
	gh.Protect(org, "payments-api", "main", &githubtest.Protection{RequiredReviews: 2, RequiredChecks: []string{"ci", "lint"},
		EnforceAdmins: true})
	gh.HideProtection(org, "mobile", "main")
	e := newEnv(t, gh, nil)
	c := e.sync()
	if n := c.ByKind[githubtest.KindProtection]; n != 3 {
		t.Errorf("first sync: %d protection requests, want one per repository", n)
	}
	for _, tc := range []struct {
		service string
		want    catalog.RepoFacts
	}{
		{"payments-api", catalog.RepoFacts{Readme: "README.md", CodeOwners: ".github/CODEOWNERS",
			Workflows: []string{".github/workflows/ci.yml", ".github/workflows/release.yaml"},
			BranchProtection: &catalog.BranchProtection{Enabled: true, RequiredReviews: 2,
				RequiredChecks: []string{"ci", "lint"}, EnforceAdmins: true}}},
		{"mobile-ios", catalog.RepoFacts{Readme: "apps/ios/README.md", Workflows: []string{}}},
		{"mobile-android", catalog.RepoFacts{Readme: "readme.markdown", Workflows: []string{}}},
		{"bare", catalog.RepoFacts{Workflows: []string{},
			BranchProtection: &catalog.BranchProtection{RequiredChecks: []string{}}}},
	} {
		got := e.service(tc.service).Repository.Facts
		if got == nil || !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%s: facts %+v, want %+v", tc.service, got, tc.want)
		}
	}

	// Nothing changed: no protection is read again within the interval, and the sync spends nothing.
	if c := e.sync(); c.ByKind[githubtest.KindProtection] != 0 || c.Points != 0 {
		t.Errorf("unchanged sync: %+v", c)
	}
	// Protection added to a repository nobody pushed to: seen at the first sync after the interval, for the cost
	// of one request per repository (an unchanged protected branch answers 304, free).
	gh.Protect(org, "bare", "main", &githubtest.Protection{RequiredReviews: 1})
	e.clock.Advance(6*time.Hour + time.Minute)
	c = e.sync()
	if n := c.ByKind[githubtest.KindProtection]; n != 3 || c.NotModified[githubtest.KindProtection] != 1 {
		t.Errorf("after the interval: %+v", c)
	}
	if bp := e.service("bare").Repository.Facts.BranchProtection; bp == nil || !bp.Enabled || bp.RequiredReviews != 1 {
		t.Errorf("bare's protection: %+v", bp)
	}
	// A push reads the tree again: the removed CODEOWNERS is seen at once.
	gh.Push(org, "payments-api", map[string]string{"atrium.yaml": atrium("payments-api", "payments"), "go.mod": goMod,
		"README.md": "# payments"})
	e.sync()
	if f := e.service("payments-api").Repository.Facts; f.CodeOwners != "" || len(f.Workflows) != 0 || !f.BranchProtection.Enabled {
		t.Errorf("after the push: %+v", f)
	}
}

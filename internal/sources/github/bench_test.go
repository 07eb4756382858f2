package github_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
	"github.com/sphera/atrium/internal/sources/versions"
	"github.com/sphera/atrium/internal/sources/versions/registrytest"
	"github.com/sphera/atrium/internal/store"
)

const benchRepos = 2000

// benchOrg fills a fake organisation of n repositories like a company's: a descriptor each, Node or Go manifests
// drawn from a handful of variants (so some blobs are shared, as lockfiles of one template are).
func benchOrg(gh *githubtest.Server, n int) {
	gh.AddOrg(org)
	for i := range n {
		name := fmt.Sprintf("service-%04d", i)
		files := map[string]string{"atrium.yaml": atrium(name, fmt.Sprintf("team-%02d", i%40))}
		if i%2 == 0 {
			files["package.json"] = fmt.Sprintf(`{"dependencies": {"react": "^18.%d.0", "express": "4.%d.0", "lodash": "^4.17.%d"}}`, i%5, i%19, i%21)
			files["package-lock.json"] = fmt.Sprintf(`{"lockfileVersion": 3, "packages": {"node_modules/react": {"version": "18.%d.1"}}}`, i%5)
		} else {
			files["go.mod"] = fmt.Sprintf("module example.test/%s\n\ngo 1.22\n\nrequire (\n\tgithub.com/pkg/errors v0.9.%d\n\tgolang.org/x/sync v0.%d.0\n)\n", name, i%2, i%7)
		}
		gh.AddRepo(org, githubtest.Repo{Name: name, Language: "Go", Files: files})
		if i%2 == 0 { // half the default branches protected, half not (GitHub answers 404 for those)
			gh.Protect(org, name, "main", &githubtest.Protection{RequiredReviews: 1, RequiredChecks: []string{"ci"}})
		}
	}
}

func benchHub(b *testing.B, gh *githubtest.Server, db *store.DB, npm, proxy string, protectionEvery time.Duration) *github.Hub {
	vc := versions.New(db.SQL(), versions.Config{NPMRegistry: npm, GoProxy: proxy})
	hub, err := github.New(db, github.Config{APIURL: gh.URL, Orgs: []string{org}, Token: gh.Token,
		ProtectionInterval: protectionEvery}, vc, nil)
	if err != nil {
		b.Fatal(err)
	}
	return hub
}

func report(b *testing.B, c githubtest.Counts) {
	b.ReportMetric(float64(c.Requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(c.ByKind[githubtest.KindList])/float64(b.N), "list/op")
	b.ReportMetric(float64(c.NotModified[githubtest.KindList]+c.NotModified[githubtest.KindCommit])/float64(b.N), "304s/op")
	b.ReportMetric(float64(c.Content())/float64(b.N), "content/op")
	b.ReportMetric(float64(c.ByKind[githubtest.KindBlob])/float64(b.N), "blobs/op")
	b.ReportMetric(float64(c.Points)/float64(b.N), "ratelimit-points/op")
	b.ReportMetric(float64(c.ByKind[githubtest.KindProtection])/float64(b.N), "protection/op")
	b.ReportMetric(float64(c.NotModified[githubtest.KindProtection])/float64(b.N), "protection-304s/op")
}

// BenchmarkSync measures syncs of a 2,000-repository organisation against the fake GitHub on loopback: a full
// first sync, a sync with nothing changed, and a sync after 20 repositories were pushed to. Run it with
// -benchtime=1x; the metrics are per sync.
func BenchmarkSync(b *testing.B) {
	ctx := context.Background()
	gh := githubtest.New(b)
	// A first full sync of 2,000 repositories costs more than the 5,000 points an hour of a personal token (the
	// collector would wait for the reset, as it should); each phase is measured with a fresh hour of the 15,000
	// points of a GitHub App installation on Enterprise Cloud.
	freshHour := func() { gh.SetRateLimit(15000, 15000, time.Now().Add(time.Hour)) }
	benchOrg(gh, benchRepos)
	npm := registrytest.NewNPM(b, map[string]string{"react": "19.1.0", "express": "5.1.0", "lodash": "4.17.21"})
	proxy := registrytest.NewGoProxy(b, map[string][]string{"github.com/pkg/errors": {"v0.9.1"}, "golang.org/x/sync": {"v0.16.0"}})

	b.Run("full", func(b *testing.B) {
		var total githubtest.Counts
		for i := range b.N {
			b.StopTimer()
			db, err := store.Open(filepath.Join(b.TempDir(), fmt.Sprintf("full-%d.db", i)))
			if err != nil {
				b.Fatal(err)
			}
			hub := benchHub(b, gh, db, npm.URL, proxy.URL, 0)
			freshHour()
			gh.ResetCounts()
			b.StartTimer()
			if err := hub.Collector(org).Sync(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			total = add(total, gh.Counts())
			if n, _ := db.CountServices(ctx); n != benchRepos {
				b.Fatalf("%d services", n)
			}
			if err := db.Close(); err != nil {
				b.Fatal(err)
			}
		}
		report(b, total)
	})

	db, err := store.Open(filepath.Join(b.TempDir(), "portal.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			b.Error(err)
		}
	}()
	hub := benchHub(b, gh, db, npm.URL, proxy.URL, 0)
	freshHour()
	if err := hub.Collector(org).Sync(ctx); err != nil {
		b.Fatal(err)
	}

	b.Run("unchanged", func(b *testing.B) {
		freshHour()
		gh.ResetCounts()
		for range b.N {
			if err := hub.Collector(org).Sync(ctx); err != nil {
				b.Fatal(err)
			}
		}
		report(b, gh.Counts())
	})

	// The same unchanged organisation once every repository's branch protection is due again (the default is six
	// hours after it was last read): one conditional request per repository.
	b.Run("protection-due", func(b *testing.B) {
		due := benchHub(b, gh, db, npm.URL, proxy.URL, time.Nanosecond)
		freshHour()
		gh.ResetCounts()
		for range b.N {
			if err := due.Collector(org).Sync(ctx); err != nil {
				b.Fatal(err)
			}
		}
		report(b, gh.Counts())
	})

	b.Run("changed20", func(b *testing.B) {
		freshHour()
		var total githubtest.Counts
		for i := range b.N {
			b.StopTimer()
			for j := range 20 {
				name := fmt.Sprintf("service-%04d", (i*20+j)*97%benchRepos)
				gh.Push(org, name, map[string]string{"atrium.yaml": atrium(name, fmt.Sprintf("moved-%d", i)),
					"go.mod": fmt.Sprintf("module example.test/%s\n\nrequire github.com/pkg/errors v0.8.%d\n", name, i)})
			}
			gh.ResetCounts()
			b.StartTimer()
			if err := hub.Collector(org).Sync(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			total = add(total, gh.Counts())
		}
		report(b, total)
	})
}

func add(a, c githubtest.Counts) githubtest.Counts {
	if a.ByKind == nil {
		a.ByKind, a.NotModified = map[string]int{}, map[string]int{}
	}
	a.Requests += c.Requests
	a.Points += c.Points
	for k, v := range c.ByKind {
		a.ByKind[k] += v
	}
	for k, v := range c.NotModified {
		a.NotModified[k] += v
	}
	return a
}

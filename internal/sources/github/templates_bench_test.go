package github_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/scaffold"
	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
	"github.com/sphera/atrium/internal/store"
)

// benchTemplates is how many templates the benchmark's templates repository holds: half copies of the built-in Go
// template, half of the TypeScript one.
const benchTemplates = 50

// benchTemplatesRepo is a platform team's templates repository: benchTemplates templates under templates/, every
// file of each distinct (a text/template comment, which renders to nothing, tells the copies apart, so no blob is
// shared between templates), and 500 documentation files outside the templates' directory, which a sync never reads.
// edition changes one file of the first template.
func benchTemplatesRepo(b *testing.B, edition int) map[string]string {
	files := map[string]string{}
	for i := range benchTemplates {
		builtin, name := "go-http-service", fmt.Sprintf("go-%02d", i)
		if i%2 == 1 {
			builtin, name = "node-service", fmt.Sprintf("node-%02d", i)
		}
		for p, c := range dirFiles(b, "../../scaffold/builtin/"+builtin, "templates/"+name, nil) {
			switch {
			case strings.HasSuffix(p, "/template.yaml"):
				c = strings.Replace(c, "name: "+builtin, "name: "+name, 1) + fmt.Sprintf("# copy %d\n", i)
			case strings.HasSuffix(p, ".tmpl"):
				c += fmt.Sprintf("{{/* copy %d */}}", i)
			}
			files[p] = c
		}
	}
	files["templates/go-00/skeleton/README.md.tmpl"] += fmt.Sprintf("{{/* edition %d */}}", edition)
	for i := range 500 {
		files[fmt.Sprintf("docs/guide-%03d.md", i)] = fmt.Sprintf("# Guide %d\n", i)
	}
	return files
}

// BenchmarkTemplatesSync measures syncs of a templates repository of 50 templates (625 files, about 1.3 MB) against
// the fake GitHub on loopback, into a registry of the built-in templates: a first sync (empty blob cache), a sync
// with nothing moved, a sync after one file of one template changed, and one after a push outside the templates'
// directory. Each sync that reads a new commit loads every template again (parsing and trial-rendering each);
// the metrics are per sync.
func BenchmarkTemplatesSync(b *testing.B) {
	ctx := context.Background()
	gh := githubtest.New(b)
	gh.AddOrg(tmplOrg)
	gh.AddRepo(tmplOrg, githubtest.Repo{Name: tmplRepo, Files: benchTemplatesRepo(b, 0)})
	repo := github.TemplateRepo{Owner: tmplOrg, Name: tmplRepo, Ref: "main", Path: "templates"}
	open := func(b *testing.B, name string) (*github.TemplateSource, *scaffold.Registry) {
		db, err := store.Open(filepath.Join(b.TempDir(), name))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			if err := db.Close(); err != nil {
				b.Error(err)
			}
		})
		hub, err := github.New(db, github.Config{APIURL: gh.URL, Token: gh.Token}, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		reg := scaffold.NewRegistry(scaffold.Builtin())
		src, err := hub.AddTemplates(repo, reg, github.TemplateLimits{})
		if err != nil {
			b.Fatal(err)
		}
		return src, reg
	}
	sync := func(b *testing.B, src *github.TemplateSource, reg *scaffold.Registry) {
		if err := src.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if n := len(reg.List(tmplTarget())); n != benchTemplates+2 {
			b.Fatalf("%d templates listed", n)
		}
		b.StartTimer()
	}
	freshHour := func() { gh.SetRateLimit(5000, 5000, time.Now().Add(time.Hour)) }

	b.Run("first", func(b *testing.B) {
		var total githubtest.Counts
		for i := range b.N {
			b.StopTimer()
			src, reg := open(b, fmt.Sprintf("first-%d.db", i))
			freshHour()
			gh.ResetCounts()
			b.StartTimer()
			sync(b, src, reg)
			b.StopTimer()
			total = add(total, gh.Counts())
		}
		report(b, total)
	})

	src, reg := open(b, "portal.db")
	freshHour()
	sync(b, src, reg)

	b.Run("unchanged", func(b *testing.B) {
		freshHour()
		gh.ResetCounts()
		for range b.N {
			sync(b, src, reg)
		}
		report(b, gh.Counts())
	})

	edition := 0
	b.Run("one-file-changed", func(b *testing.B) {
		var total githubtest.Counts
		for range b.N {
			b.StopTimer()
			edition++
			gh.Push(tmplOrg, tmplRepo, benchTemplatesRepo(b, edition))
			freshHour()
			gh.ResetCounts()
			b.StartTimer()
			sync(b, src, reg)
			b.StopTimer()
			total = add(total, gh.Counts())
		}
		report(b, total)
	})

	b.Run("outside-changed", func(b *testing.B) {
		var total githubtest.Counts
		for i := range b.N {
			b.StopTimer()
			files := benchTemplatesRepo(b, edition)
			files["README.md"] = fmt.Sprintf("# Templates, revision %d\n", i)
			gh.Push(tmplOrg, tmplRepo, files)
			freshHour()
			gh.ResetCounts()
			b.StartTimer()
			sync(b, src, reg)
			b.StopTimer()
			total = add(total, gh.Counts())
		}
		report(b, total)
	})
}

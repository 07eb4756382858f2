// Package demo is the catalog of a fictional company that local mode starts with: repositories shipped as files
// and read by the same parser the GitHub collector uses, so the demo exercises the real ingestion path.
package demo

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"embed"

	"gopkg.in/yaml.v3"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
)

//go:embed teams.yaml latest.json all:repos
var files embed.FS

// Source is the source name of demo services.
const Source = "demo"

// Org is the fictional GitHub organisation the demo repositories belong to.
const Org = "sphera"

// Catalog parses the embedded demo: teams, and services with their newest known package versions.
func Catalog(ctx context.Context) ([]catalog.Team, []catalog.Service, error) {
	return Load(ctx, files)
}

// Load parses a demo tree laid out like the embedded one: teams.yaml, latest.json and repos/<repository>/...
func Load(ctx context.Context, fsys fs.FS) ([]catalog.Team, []catalog.Service, error) {
	var teams []catalog.Team
	b, err := fs.ReadFile(fsys, "teams.yaml")
	if err != nil {
		return nil, nil, fmt.Errorf("demo teams: %w", err)
	}
	if err := yaml.Unmarshal(b, &teams); err != nil {
		return nil, nil, fmt.Errorf("demo teams.yaml: %w", err)
	}
	var latest catalog.VersionTable
	b, err = fs.ReadFile(fsys, "latest.json")
	if err != nil {
		return nil, nil, fmt.Errorf("demo versions: %w", err)
	}
	if err := json.Unmarshal(b, &latest); err != nil {
		return nil, nil, fmt.Errorf("demo latest.json: %w", err)
	}
	repos, err := fs.ReadDir(fsys, "repos")
	if err != nil {
		return nil, nil, fmt.Errorf("demo repositories: %w", err)
	}
	var svcs []catalog.Service
	for _, r := range repos {
		if !r.IsDir() {
			continue
		}
		snap, err := snapshot(fsys, r.Name())
		if err != nil {
			return nil, nil, err
		}
		svcs = append(svcs, catalog.ParseRepository(snap, Source)...)
	}
	if errs := catalog.FillLatest(ctx, svcs, latest); len(errs) > 0 {
		return nil, nil, errs[0]
	}
	addDeployments(svcs)
	addRepoFacts(svcs)
	sort.Slice(svcs, func(i, j int) bool { return svcs[i].Name < svcs[j].Name })
	return teams, svcs, nil
}

// snapshot reads one demo repository the way a collector reads a GitHub one: metadata plus the wanted files.
func snapshot(fsys fs.FS, repo string) (catalog.RepoSnapshot, error) {
	root := path.Join("repos", repo)
	snap := catalog.RepoSnapshot{
		Name:          repo,
		URL:           "https://github.com/" + Org + "/" + repo,
		Provider:      "github",
		DefaultBranch: "main",
		Files:         map[string][]byte{},
	}
	h := sha1.New()
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := p[len(root)+1:]
		// go:embed leaves out directories holding a go.mod (they are other modules), so the demo ships them
		// as go.mod.txt.
		if path.Base(rel) == "go.mod.txt" {
			rel = strings.TrimSuffix(rel, ".txt")
		}
		if !catalog.WantedFile(rel) {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		snap.Files[rel] = b
		h.Write([]byte(rel))
		h.Write(b)
		return nil
	})
	if err != nil {
		return snap, fmt.Errorf("demo repository %s: %w", repo, err)
	}
	snap.Head = hex.EncodeToString(h.Sum(nil)) // stands in for the commit SHA: changes when the files do
	return snap, nil
}

// Seed writes the demo catalog into db. It is idempotent: seeding an unchanged demo again changes nothing and
// leaves the change feed quiet.
func Seed(ctx context.Context, db *store.DB) (changed int, err error) {
	teams, svcs, err := Catalog(ctx)
	if err != nil {
		return 0, err
	}
	n, err := db.PutTeams(ctx, teams)
	if err != nil {
		return 0, fmt.Errorf("seed demo teams: %w", err)
	}
	m, err := db.ReplaceSource(ctx, Source, svcs)
	if err != nil {
		return 0, fmt.Errorf("seed demo services: %w", err)
	}
	if err := db.PutSource(ctx, store.Source{Name: Source, SyncedAt: time.Now().UTC(), Status: "ok",
		Message: fmt.Sprintf("%d demo services", len(svcs))}); err != nil {
		return 0, err
	}
	return n + m, nil
}

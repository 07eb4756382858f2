package scaffold_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/scaffold"
)

var update = flag.Bool("update", false, "rewrite the golden plans under testdata/golden")

// target is a portal with three environments: dev in one region, staging in two, production in two.
func target() scaffold.Target {
	return scaffold.Target{
		GitHub: scaffold.GitHubTarget{Org: "sphera", RequiredChecks: []string{"security/scan"}},
		Infra:  scaffold.InfraTarget{Repo: "sphera/infrastructure"},
		Environments: []scaffold.Environment{
			{Name: "dev", Regions: []string{"eu-west-1"}, Delivery: "gitops",
				Clusters: []scaffold.Cluster{{Name: "dev-eu-1", Region: "eu-west-1"}}},
			{Name: "staging", Regions: []string{"us-east-1", "eu-west-1"}, Delivery: "gitops",
				Clusters: []scaffold.Cluster{{Name: "staging-eu-1", Region: "eu-west-1"}, {Name: "staging-us-1", Region: "us-east-1"}}},
			{Name: "production", Regions: []string{"eu-west-1", "us-east-1"}, Delivery: "gitops",
				Clusters: []scaffold.Cluster{{Name: "prod-eu-1", Region: "eu-west-1"}}},
		},
		Registry: "registry.sphera.internal/services",
	}
}

// world is what a Checker knows: catalog services, GitHub repositories (owner/name) and teams.
type world struct {
	services, repos, teams map[string]bool
	fail                   error
	mu                     sync.Mutex
	asked                  []string
}

func newWorld() *world {
	return &world{
		services: map[string]bool{"payments-api": true},
		repos:    map[string]bool{"sphera/payments-api": true, "sphera/orphan-repo": true},
		teams:    map[string]bool{"payments": true, "growth": true},
	}
}

func (w *world) note(q string) {
	w.mu.Lock()
	w.asked = append(w.asked, q)
	w.mu.Unlock()
}

func (w *world) ServiceExists(_ context.Context, name string) (bool, error) {
	w.note("service " + name)
	return w.services[name], w.fail
}

func (w *world) RepoExists(_ context.Context, owner, name string) (bool, error) {
	w.note("repo " + owner + "/" + name)
	return w.repos[owner+"/"+name], w.fail
}

func (w *world) TeamExists(_ context.Context, team string) (bool, error) {
	w.note("team " + team)
	return w.teams[team], w.fail
}

func registry(t testing.TB) *scaffold.Registry {
	t.Helper()
	return scaffold.NewRegistry(scaffold.Builtin(), scaffold.Source{Name: "testdata", Version: "abc123", FS: os.DirFS("testdata/backstage")})
}

func get(t testing.TB, r *scaffold.Registry, name string) *scaffold.Template {
	t.Helper()
	tmpl, err := r.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// byPath indexes files.
func byPath(files []scaffold.File) map[string]string {
	m := map[string]string{}
	for _, f := range files {
		m[f.Path] = f.Content
	}
	return m
}

// has reports whether some problem at path mentions sub.
func has(ps problem.Problems, path, sub string) bool {
	for _, p := range ps {
		if p.Path == path && strings.Contains(p.String(), sub) {
			return true
		}
	}
	return false
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test -run '%s' -update and review the diff", file, t.Name())
	}
}

func planJSON(t testing.TB, p *scaffold.Plan) []byte {
	t.Helper()
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestRegistryListsBuiltinsAndBackstage(t *testing.T) {
	list := registry(t).List(target())
	got := map[string]scaffold.Summary{}
	for _, s := range list {
		got[s.Name] = s
		if s.Broken {
			t.Errorf("%s is broken: %v", s.Name, s.Problems)
		}
	}
	for name, want := range map[string]struct{ language, source, version, format string }{
		"go-http-service": {"Go", "builtin", "v1", "atrium"},
		"node-service":    {"TypeScript", "builtin", "v1", "atrium"},
		"go-service":      {"Go", "testdata", "3", "backstage"},
	} {
		s, ok := got[name]
		if !ok {
			t.Errorf("%s not listed", name)
			continue
		}
		if s.Language != want.language || s.Source != want.source || s.Version != want.version || s.Format != want.format ||
			s.Owner != "platform" {
			t.Errorf("%s: %+v", name, s)
		}
		props, _ := s.Parameters["properties"].(map[string]any)
		for _, std := range []string{"name", "team", "description", "environments", "regions"} {
			if _, ok := props[std]; !ok {
				t.Errorf("%s: no standard parameter %s in %v", name, std, props)
			}
		}
		if s.Parameters["additionalProperties"] != false {
			t.Errorf("%s: unknown parameters must be refused", name)
		}
	}
	// The listing is what the CLI prints: its JSON has stable names.
	b, _ := json.Marshal(list[0])
	for _, k := range []string{`"name"`, `"title"`, `"language"`, `"tags"`, `"source"`, `"version"`, `"parameters"`, `"problems"`} {
		if !bytes.Contains(b, []byte(k)) {
			t.Errorf("summary JSON lacks %s: %s", k, b)
		}
	}
}

func TestRegistryGetErrors(t *testing.T) {
	r := registry(t)
	if _, err := r.Get("no-such-template"); !errors.Is(err, scaffold.ErrNotFound) {
		t.Errorf("missing template: %v", err)
	}
}

package versions_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/sources/versions"
	"github.com/sphera/atrium/internal/sources/versions/registrytest"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

func openDB(t *testing.T) *store.DB {
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func TestLatest(t *testing.T) {
	ctx := context.Background()
	npm := registrytest.NewNPM(t, map[string]string{"react": "19.1.0", "@acme/ui": "2.0.0"})
	proxy := registrytest.NewGoProxy(t, map[string][]string{
		"github.com/pkg/errors":        {"v0.8.0", "v0.9.1", "v0.9.0"},
		"github.com/BurntSushi/toml":   {"v1.3.2", "v1.4.0"},
		"example.test/only-list":       {"v1.0.0", "v1.2.0", "v2.0.0-rc.1"},
		"example.test/only-prerelease": {"v0.0.0-rc.1"},
	})
	proxy.NoLatest("example.test/only-list")
	proxy.NoLatest("example.test/only-prerelease")
	db := openDB(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(t time.Time) func() time.Time { return func() time.Time { return t } }
	c := versions.New(db.SQL(), versions.Config{NPMRegistry: npm.URL + "/", GoProxy: proxy.URL, Now: at(t0)})
	for _, tc := range []struct{ eco, name, want string }{
		{"npm", "react", "19.1.0"},
		{"npm", "@acme/ui", "2.0.0"}, // scoped: one path segment
		{"npm", "no-such-package", ""},
		{"go", "github.com/pkg/errors", "v0.9.1"},
		{"go", "github.com/BurntSushi/toml", "v1.4.0"}, // upper case is !-encoded
		{"go", "example.test/only-list", "v1.2.0"},     // /@latest 404 → /@v/list, releases first
		{"go", "example.test/only-prerelease", "v0.0.0-rc.1"},
		{"go", "example.test/unknown", ""},
	} {
		t.Run(tc.eco+"/"+tc.name, func(t *testing.T) {
			got, err := c.Latest(ctx, tc.eco, tc.name)
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	// Looked up once: asking again (and warming) costs nothing.
	if _, err := c.Latest(ctx, "npm", "react"); err != nil {
		t.Fatal(err)
	}
	c.Warm(ctx, []catalog.Dependency{{Ecosystem: "npm", Name: "react"}, {Ecosystem: "npm", Name: "no-such-package"}})
	if n := npm.Requests("react"); n != 1 {
		t.Errorf("react asked %d times", n)
	}
	if n := npm.Requests("no-such-package"); n != 1 {
		t.Errorf("unknown package asked %d times", n)
	}
	// A new process reads the SQLite cache: no request, and none either to refresh answers not old yet.
	npm.Publish("react", "19.2.0")
	c2 := versions.New(db.SQL(), versions.Config{NPMRegistry: npm.URL, GoProxy: proxy.URL,
		Now: at(t0.Add(24*time.Hour - time.Millisecond))})
	if v, _ := c2.Latest(ctx, "npm", "react"); v != "19.1.0" || npm.Requests("react") != 1 {
		t.Errorf("after restart: %q, %d requests", v, npm.Requests("react"))
	}
	if n, err := c2.Refresh(ctx); err != nil || n != 0 || npm.Requests("react") != 1 {
		t.Errorf("refresh of fresh answers: %d changed, %v, %d requests", n, err, npm.Requests("react"))
	}
	// Refresh asks again once answers are old (default: a day), and reports changes.
	c3 := versions.New(db.SQL(), versions.Config{NPMRegistry: npm.URL, GoProxy: proxy.URL, Now: at(t0.Add(24 * time.Hour))})
	n, err := c3.Refresh(ctx)
	if err != nil || n != 1 {
		t.Errorf("refresh: %d changed, %v", n, err)
	}
	if v, _ := c3.Latest(ctx, "npm", "react"); v != "19.2.0" {
		t.Errorf("after refresh: %q", v)
	}
}

// Run refreshes on its schedule and tells of changes; the test ends each wait instead of sleeping through it.
func TestRunRefreshesOnSchedule(t *testing.T) {
	npm := registrytest.NewNPM(t, map[string]string{"react": "19.1.0"})
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	waits := make(chan time.Duration, 10) // never blocks Run: it may wait again after the test is done
	fire := make(chan time.Time)
	c := versions.New(openDB(t).SQL(), versions.Config{NPMRegistry: npm.URL, Refresh: 8 * time.Hour,
		Now:   func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		After: func(d time.Duration) <-chan time.Time { waits <- d; return fire }})
	ctx, cancel := context.WithCancel(context.Background())
	if v, _ := c.Latest(ctx, "npm", "react"); v != "19.1.0" {
		t.Fatalf("latest %q", v)
	}
	changed := make(chan struct{}, 10)
	done := make(chan struct{})
	go func() { c.Run(ctx, func(context.Context) { changed <- struct{}{} }); close(done) }()
	defer func() { cancel(); <-done }()

	if d := <-waits; d != time.Hour {
		t.Errorf("Run waits %v between refreshes, want a quarter of Refresh, at most an hour", d)
	}
	// Nothing is old yet: the refresh asks nothing and reports no change.
	fire <- now
	<-waits
	if npm.Requests("react") != 1 || len(changed) != 0 {
		t.Errorf("refresh of a fresh answer: %d requests, %d changes", npm.Requests("react"), len(changed))
	}
	// A new release, and the answer is old: the next refresh finds it.
	npm.Publish("react", "19.2.0")
	mu.Lock()
	now = now.Add(8 * time.Hour)
	mu.Unlock()
	fire <- now
	<-changed
	if v, _ := c.Latest(ctx, "npm", "react"); v != "19.2.0" {
		t.Errorf("after the scheduled refresh: %q", v)
	}
}

func TestUnconfiguredRegistriesLeaveLatestEmpty(t *testing.T) {
	c := versions.New(openDB(t).SQL(), versions.Config{})
	if v, err := c.Latest(context.Background(), "npm", "react"); v != "" || err != nil {
		t.Errorf("%q %v", v, err)
	}
	d := c.Describe()
	if !strings.Contains(d, "npm versions unknown") || !strings.Contains(d, "Go versions unknown") {
		t.Errorf("describe: %s", d)
	}
}

func TestFillLatestWithCache(t *testing.T) {
	npm := registrytest.NewNPM(t, map[string]string{"react": "19.1.0"})
	c := versions.New(openDB(t).SQL(), versions.Config{NPMRegistry: npm.URL})
	svcs := []catalog.Service{
		{Dependencies: []catalog.Dependency{{Ecosystem: "npm", Name: "react", Version: "17.0.2"}}},
		{Dependencies: []catalog.Dependency{{Ecosystem: "npm", Name: "react", Version: "19.1.0"}}},
	}
	if errs := catalog.FillLatest(context.Background(), svcs, c); len(errs) != 0 {
		t.Fatal(errs)
	}
	if svcs[0].Dependencies[0].Behind() != "major" || svcs[1].Dependencies[0].Behind() != "" || npm.Total() != 1 {
		t.Errorf("%+v %+v; %d requests", svcs[0].Dependencies, svcs[1].Dependencies, npm.Total())
	}
}

func TestDefaults(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("NPM_CONFIG_REGISTRY", "")
	t.Setenv("npm_config_registry", "")
	if got := versions.DefaultNPMRegistry(); got != "" {
		t.Errorf("no npmrc: %q", got)
	}
	if err := os.WriteFile(filepath.Join(home, ".npmrc"), []byte("; comment\n//mirror.test/:_authToken=x\nregistry = http://127.0.0.1:4873/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := versions.DefaultNPMRegistry(); got != "http://127.0.0.1:4873/" {
		t.Errorf("from npmrc: %q", got)
	}
	t.Setenv("NPM_CONFIG_REGISTRY", "http://127.0.0.1:9/")
	if got := versions.DefaultNPMRegistry(); got != "http://127.0.0.1:9/" {
		t.Errorf("from env: %q", got)
	}
	for in, want := range map[string]string{
		"http://127.0.0.1:1,direct": "http://127.0.0.1:1",
		"off":                       "",
		"direct":                    "",
		"file:///tmp/x|http://127.0.0.1:2|direct": "http://127.0.0.1:2",
	} {
		if got := versions.FirstProxy(in); got != want {
			t.Errorf("FirstProxy(%q) = %q, want %q", in, got, want)
		}
	}
	t.Setenv("GOPROXY", "http://127.0.0.1:3,direct")
	if got := versions.DefaultGoProxy(); got != "http://127.0.0.1:3" {
		t.Errorf("DefaultGoProxy: %q", got)
	}
}

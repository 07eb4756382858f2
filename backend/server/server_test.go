package server_test

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/server"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
	"github.com/sphera/atrium/internal/sources/versions/registrytest"
)

const admin = "atr_e2e_admin_token_0123456789"

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, m
}

// serve runs `atrium serve`'s wiring (flags, environment, config file) until the test ends.
func serve(t *testing.T, args ...string) string {
	t.Helper()
	cfg := server.Config{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(append([]string{"--data", t.TempDir(), "--addr", "127.0.0.1:0"}, args...)); err != nil {
		t.Fatal(err)
	}
	if err := cfg.FromEnv(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, cfg, func(a string) { addr <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-done:
		done <- nil // for the cleanup, which waits for Serve to return
		t.Fatalf("serve: %v", err)
	}
	return ""
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func serviceNames(t *testing.T, base string) []string {
	_, body := getJSON(t, base+"/api/v1/services?limit=1000")
	var out []string
	items, _ := body["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any)["name"].(string))
	}
	return out
}

func TestServeSyncsGitHubFromEnvironment(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg("acme")
	gh.AddRepo("acme", githubtest.Repo{Name: "payments-api", Files: map[string]string{
		"atrium.yaml": "name: payments-api\nowner: payments\n", "go.mod": "module x\n\nrequire github.com/pkg/errors v0.8.1\n"}})
	gh.AddRepo("acme", githubtest.Repo{Name: "checkout-web", Files: map[string]string{
		"package.json": `{"dependencies": {"react": "^18.2.0"}}`}})
	npm := registrytest.NewNPM(t, map[string]string{"react": "19.1.0"})
	proxy := registrytest.NewGoProxy(t, map[string][]string{"github.com/pkg/errors": {"v0.9.1"}})
	t.Setenv("ATRIUM_ADMIN_TOKEN", admin)
	t.Setenv("ATRIUM_DEMO", "")
	t.Setenv("ATRIUM_GITHUB_API_URL", gh.URL)
	t.Setenv("ATRIUM_GITHUB_ORGS", "acme")
	t.Setenv("ATRIUM_GITHUB_TOKEN", gh.Token)
	t.Setenv("ATRIUM_GITHUB_WEBHOOK_SECRET", "hook")
	t.Setenv("ATRIUM_NPM_REGISTRY", npm.URL)
	t.Setenv("ATRIUM_GOPROXY", proxy.URL)
	t.Setenv("ATRIUM_GITHUB_SYNC_INTERVAL", "1h")
	base := serve(t)

	// Synced at start; the demo is off because a collector is configured.
	waitFor(t, "the synced services", func() bool { return len(serviceNames(t, base)) == 2 })
	if n := serviceNames(t, base); strings.Join(n, ",") != "checkout-web,payments-api" {
		t.Errorf("services: %v", n)
	}
	_, svc := getJSON(t, base+"/api/v1/services/checkout-web")
	deps := svc["dependencies"].([]any)
	if d := deps[0].(map[string]any); d["name"] != "react" || d["latest"] != "19.1.0" {
		t.Errorf("newest version from the npm registry: %v", d)
	}
	// The services are stored before the sync ends (it goes on to the registries): wait for its end.
	var src map[string]any
	waitFor(t, "the sync's end", func() bool { _, src = getJSON(t, base+"/api/v1/sources/github:acme"); return src["state"] != "syncing" })
	if src["state"] != "ok" || src["total"].(float64) != 2 {
		t.Errorf("source: %v", src)
	}
	_, pk := getJSON(t, base+"/api/v1/packages/go/github.com%2Fpkg%2Ferrors")
	if pk["latest"] != "v0.9.1" {
		t.Errorf("go package: %v", pk)
	}

	// A push delivered as GitHub delivers it refreshes the service within seconds.
	gh.Push("acme", "checkout-web", map[string]string{"atrium.yaml": "name: checkout-web\nowner: web\n"})
	resp, err := githubtest.Deliver(base+"/api/v1/webhooks/github", "hook", "push", gh.PushPayload("acme", "checkout-web"))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook: %v %v", resp.StatusCode, err)
	}
	waitFor(t, "the pushed owner", func() bool {
		_, s := getJSON(t, base+"/api/v1/services/checkout-web")
		return s["owner"] == "web"
	})
}

func TestServeSyncsGitHubAsAnApp(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg("acme")
	gh.AddRepo("acme", githubtest.Repo{Name: "payments-api", Files: map[string]string{
		"atrium.yaml": "name: payments-api\nowner: payments\n"}})
	key, pemKey := githubtest.NewAppKey(t)
	gh.AddApp(31337, &key.PublicKey)
	inst := gh.Install(31337, "acme")
	_, otherPEM := githubtest.NewAppKey(t)
	npm := registrytest.NewNPM(t, map[string]string{})
	proxy := registrytest.NewGoProxy(t, map[string][]string{})

	for _, c := range []struct {
		name string
		key  []byte
		ok   bool
	}{{"the App's key", pemKey, true}, {"another key", otherPEM, false}} {
		t.Run(c.name, func(t *testing.T) {
			keyFile := filepath.Join(t.TempDir(), "app.pem")
			if err := os.WriteFile(keyFile, c.key, 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("ATRIUM_ADMIN_TOKEN", admin)
			t.Setenv("ATRIUM_DEMO", "")
			t.Setenv("ATRIUM_GITHUB_API_URL", gh.URL)
			t.Setenv("ATRIUM_GITHUB_ORGS", "acme")
			t.Setenv("ATRIUM_GITHUB_TOKEN", "")
			t.Setenv("ATRIUM_GITHUB_APP_ID", "31337")
			t.Setenv("ATRIUM_GITHUB_APP_INSTALLATION_ID", strconv.FormatInt(inst, 10))
			t.Setenv("ATRIUM_GITHUB_APP_PRIVATE_KEY_FILE", keyFile)
			t.Setenv("ATRIUM_NPM_REGISTRY", npm.URL)
			t.Setenv("ATRIUM_GOPROXY", proxy.URL)
			t.Setenv("ATRIUM_GITHUB_SYNC_INTERVAL", "1h")
			base := serve(t)
			var src map[string]any
			waitFor(t, "the first sync", func() bool {
				_, src = getJSON(t, base+"/api/v1/sources/github:acme")
				return src["state"] == "ok" || src["state"] == "error"
			})
			msg, _ := src["message"].(string)
			if c.ok {
				if src["state"] != "ok" || strings.Join(serviceNames(t, base), ",") != "payments-api" {
					t.Errorf("source %v, services %v", src, serviceNames(t, base))
				}
				return
			}
			if src["state"] != "error" || !strings.Contains(msg, "private key") || !strings.Contains(msg, "401") ||
				strings.Contains(msg, strings.Split(string(c.key), "\n")[1]) {
				t.Errorf("source with another key: %v", src)
			}
		})
	}
}

func TestConfigFileWithEnvironmentOverride(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "token")
	if err := os.WriteFile(keyFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "atrium.yaml")
	if err := os.WriteFile(file, []byte(`github:
  api_url: http://127.0.0.1:1/api/v3
  orgs: [one, two]
  token_file: `+keyFile+`
  sync_interval: 30m
  concurrency: 4
versions:
  npm_registry: http://127.0.0.1:2/
  refresh: 6h
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ATRIUM_GITHUB_ORGS", "three")
	t.Setenv("ATRIUM_GOPROXY", "http://127.0.0.1:3")
	t.Setenv("ATRIUM_GITHUB_TOKEN", "")
	cfg := server.Config{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"--config", file}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.FromEnv(); err != nil {
		t.Fatal(err)
	}
	g := cfg.File.GitHub
	if strings.Join(g.Orgs, ",") != "three" || g.APIURL != "http://127.0.0.1:1/api/v3" || g.Concurrency != 4 ||
		time.Duration(g.SyncInterval) != 30*time.Minute || cfg.File.Versions.GoProxy != "http://127.0.0.1:3" ||
		cfg.File.Versions.NPMRegistry != "http://127.0.0.1:2/" || time.Duration(cfg.File.Versions.Refresh) != 6*time.Hour {
		t.Errorf("config: %+v", cfg.File)
	}

	for name, content := range map[string]string{
		"typo":      "github:\n  org: [x]\n",
		"duration":  "github:\n  sync_interval: often\n",
		"no secret": "github:\n  orgs: [x]\n",
	} {
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("ATRIUM_GITHUB_ORGS", "")
		c := server.Config{ConfigFile: file, Demo: "auto"}
		if err := c.FromEnv(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

package server

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The cluster registry reaches the collector through the flag or $ATRIUM_KUBE_CLUSTERS, and a cluster that cannot
// be used shows as such through the API. (The collector against real clusters is tested in internal/sources/kube.)
func TestKubeClustersFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	registry := filepath.Join(dir, "clusters.yaml")
	if err := os.WriteFile(registry, []byte(`clusters:
  - name: prod-eu-1
    region: eu-west-1
    environment: production
    kubeconfig: `+filepath.Join(dir, "missing.kubeconfig")+`
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ATRIUM_KUBE_CLUSTERS", registry)
	t.Setenv("ATRIUM_ADMIN_TOKEN", "atr_server_test_admin_0123456789")
	var cfg Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data")}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.FromEnv(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Kube.Clusters) != 1 {
		t.Fatalf("registry not loaded: %+v", cfg.Kube)
	}
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, func(a string) { ready <- a }) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/kube/clusters", nil)
		req.Header.Set("Authorization", "Bearer atr_server_test_admin_0123456789")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Items []struct{ Name, State, Message string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(body.Items) == 1 && body.Items[0].State == "invalid-config" {
			if !strings.Contains(body.Items[0].Message, "missing.kubeconfig") {
				t.Errorf("message: %q", body.Items[0].Message)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster state: %+v", body)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The cluster is a source like GitHub's organisations: listed with its state by the sources API, with nothing
	// to sync on request; and, a collector being configured, the demo catalog is not seeded.
	call := func(method, path string, out any) int {
		t.Helper()
		return callAPI(t, "http://"+addr, "atr_server_test_admin_0123456789", method, path, "", out)
	}
	var list struct {
		Items []struct {
			Name, Kind, State, Message string
			Syncable                   bool
		}
	}
	if code := call("GET", "/api/v1/sources", &list); code != 200 || len(list.Items) != 1 ||
		list.Items[0].Name != "kube:prod-eu-1" || list.Items[0].Kind != "kube" || list.Items[0].State != "invalid-config" ||
		!strings.Contains(list.Items[0].Message, "missing.kubeconfig") || list.Items[0].Syncable {
		t.Errorf("sources: %d %+v", code, list.Items)
	}
	var detail struct {
		Name       string
		ItemErrors []any `json:"item_errors"`
	}
	if code := call("GET", "/api/v1/sources/kube:prod-eu-1", &detail); code != 200 || detail.Name != "kube:prod-eu-1" ||
		detail.ItemErrors == nil {
		t.Errorf("source detail: %d %+v", code, detail)
	}
	var refused struct {
		Error struct{ Code, Message string }
	}
	if code := call("POST", "/api/v1/sources/kube:prod-eu-1/sync", &refused); code != 409 ||
		!strings.Contains(refused.Error.Message, "watches continuously") {
		t.Errorf("sync a cluster: %d %+v", code, refused)
	}

	// A registry that does not parse stops the server from starting, naming every problem.
	if err := os.WriteFile(registry, []byte("clusters:\n  - name: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cfg.FromEnv(); err == nil || !strings.Contains(err.Error(), "region is required") ||
		!strings.Contains(err.Error(), "environment is required") {
		t.Errorf("bad registry: %v", err)
	}
}

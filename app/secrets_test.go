package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/server"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/secrets"
)

// TestDesktopForwardsSecretsAndKeepsNoValue: a developer's desktop connected to a team portal creates a secret
// and reveals it through its local API — the value passes through the forwarder both ways — and afterwards sees
// the secret's metadata from its replica; the reveal's answer still says no-store, and no file of the desktop's data
// directory (replica, settings, token file) holds the value.
func TestDesktopForwardsSecretsAndKeepsNoValue(t *testing.T) {
	t.Setenv("ATRIUM_TOKEN_STORE", "file")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	anywhere, none := false, []string{}
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: adminToken, Demo: "on", Log: testLog(t),
		File: server.FileConfig{Secrets: &secrets.Config{Environments: map[string]secrets.Environment{
			"dev": {Backend: "local", Regions: []string{"eu-west-1"}, DeployedOnly: &anywhere, Reveal: []string{"developer"},
				Approvers: &none}}}}}
	go func() { done <- server.Serve(ctx, cfg, func(a string) { ready <- a }) }()
	var portalURL string
	select {
	case a := <-ready:
		portalURL = "http://" + a
	case err := <-done:
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("portal: %v", err)
		}
	}()
	req, _ := http.NewRequest("POST", portalURL+"/api/v1/tokens", strings.NewReader(
		`{"name":"dana's desktop","subject":"dana","grants":[{"role":"developer","team":"payments"}]}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create token: %v %v", resp, err)
	}
	var created struct{ Secret string }
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	dir := t.TempDir()
	rt, err := Open(context.Background(), dir, portalURL, created.Secret, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	c := newLocalClient(t, rt)
	value := "desktop-forwarded-" + base64.RawURLEncoding.EncodeToString([]byte(t.Name()))
	send := func(method, path, body string, hdr map[string]string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, c.url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		if _, err := b.ReadFrom(resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp, b.Bytes()
	}
	r, body := send("POST", "/api/v1/secrets", `{"service":"checkout-web","name":"db-password","environment":"dev","value":"`+value+`"}`,
		map[string]string{"Idempotency-Key": "desktop-secret-1"})
	if r.StatusCode != 201 || bytes.Contains(body, []byte(value)) {
		t.Fatalf("create through the desktop: %d %s", r.StatusCode, body)
	}
	var sec catalog.Secret
	waitFor(t, "the secret in the replica", 20*time.Second, func() bool {
		return c.do("GET", "/api/v1/secrets/checkout-web/db-password", "", &sec) == 200 && len(sec.Locations) == 1
	})
	r, body = send("POST", "/api/v1/secrets/checkout-web/db-password/reveal", `{"environment":"dev","reason":"desktop test"}`, nil)
	var rv secrets.Revealed
	if err := json.Unmarshal(body, &rv); err != nil {
		t.Fatalf("reveal: %v: %s", err, body)
	}
	if r.StatusCode != 200 || rv.Value != value || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reveal through the desktop: %d %v %s", r.StatusCode, r.Header, body)
	}
	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	walkErr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(value)) || bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString([]byte(value)))) {
			t.Errorf("the desktop's %s holds the value", p)
		}
		return nil
	})
	if walkErr != nil {
		t.Fatal(walkErr)
	}
}

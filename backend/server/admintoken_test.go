package server_test

import (
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sphera/atrium/backend/server"
)

// start runs `atrium serve` on dir with ATRIUM_ADMIN_TOKEN set to token ("" unset) and returns its URL and a
// function that stops it.
func start(t *testing.T, dir, token string) (string, func()) {
	t.Helper()
	t.Setenv("ATRIUM_ADMIN_TOKEN", token)
	cfg := server.Config{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"--data", dir, "--addr", "127.0.0.1:0", "--demo", "off"}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.FromEnv(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, cfg, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		return "http://" + a, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	}
	return "", nil
}

func status(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAdminTokenRotation: a new ATRIUM_ADMIN_TOKEN replaces the previous seeded admin token (and the first start's
// file token) instead of adding a second one: the old one answers 401, the revocation is audited without any
// token value, and starting again with the same value changes nothing.
func TestAdminTokenRotation(t *testing.T) {
	dir := t.TempDir()
	const a, b = "atr_rotation_first_0123456789", "atr_rotation_second_0123456789"

	// A first start without the variable writes a token to the data directory.
	base, stop := start(t, dir, "")
	raw, err := os.ReadFile(filepath.Join(dir, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	first := strings.TrimSpace(string(raw))
	if code, _ := status(t, base+"/api/v1/me", first); code != 200 {
		t.Fatalf("first start's token: %d", code)
	}
	stop()

	for _, st := range []struct {
		name          string
		token         string
		live, revoked []string
	}{
		{"ATRIUM_ADMIN_TOKEN set", a, []string{a}, []string{first}},
		{"ATRIUM_ADMIN_TOKEN changed", b, []string{b}, []string{a, first}},
		{"the same value again", b, []string{b}, []string{a, first}},
	} {
		base, stop := start(t, dir, st.token)
		for _, tok := range st.live {
			if code, body := status(t, base+"/api/v1/me", tok); code != 200 {
				t.Errorf("%s: the current token answers %d %s", st.name, code, body)
			}
		}
		for _, tok := range st.revoked {
			if code, _ := status(t, base+"/api/v1/me", tok); code != 401 {
				t.Errorf("%s: a previous admin token answers %d, want 401", st.name, code)
			}
		}
		_, audit := status(t, base+"/api/v1/audit?action=token.&limit=100", st.token)
		if n := strings.Count(audit, `"token.revoked"`); n != len(st.revoked) {
			t.Errorf("%s: %d revocations audited, want %d: %s", st.name, n, len(st.revoked), audit)
		}
		if !strings.Contains(audit, "ATRIUM_ADMIN_TOKEN") {
			t.Errorf("%s: the audit does not say why: %s", st.name, audit)
		}
		for _, secret := range []string{a, b, first} {
			if strings.Contains(audit, secret) {
				t.Errorf("%s: the audit log holds a token value", st.name)
			}
		}
		stop()
	}
	if _, err := os.Stat(filepath.Join(dir, "admin-token")); !os.IsNotExist(err) {
		t.Errorf("the revoked first token's file is still there: %v", err)
	}
}

package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/store/storetest"
)

// testPortal opens a portal with admin as its seeded admin token and serves it on loopback until the test ends.
func testPortal(t *testing.T, admin string, fc FileConfig) (*Server, string) {
	t.Helper()
	s, err := Open(context.Background(), Config{DataDir: t.TempDir(), AdminToken: admin, Demo: "off", File: fc,
		Database: storetest.URL(t, storetest.Default()), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, srv.URL
}

// callAPI sends a JSON request to the portal at base as token, decodes the answer into out (when not nil), and
// returns the status.
func callAPI(t *testing.T, base, token, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

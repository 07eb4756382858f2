package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestServeBoundsHeaders: headers beyond 64 KiB are refused by the server before any handler runs.
func TestServeBoundsHeaders(t *testing.T) {
	t.Setenv("ATRIUM_ADMIN_TOKEN", admin)
	base := serve(t)
	req, _ := http.NewRequest(http.MethodGet, base+"/healthz", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 100<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KiB of headers: %d, want 431", resp.StatusCode)
	}
	if code, _ := getJSON(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("healthz: %d", code)
	}
}

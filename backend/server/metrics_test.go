package server_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestServeMetrics: with --metrics-addr the portal answers GET /metrics there, in Prometheus' format, with the
// requests it served and its own state (who leads, the database, the feed, the action queue), and not on the API's
// address.
func TestServeMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ATRIUM_ADMIN_TOKEN", admin)
	base := serve(t, "--demo", "on", "--metrics-addr", metricsAddr)
	if code, _ := getJSON(t, base+"/api/v1/services/payments-api"); code != http.StatusOK {
		t.Fatalf("demo service: %d", code)
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	text := string(b)
	for _, want := range []string{
		`atrium_http_requests_total{route="/api/v1/services/{name}",method="GET",code="200"} 1`,
		"atrium_leader 1",
		`atrium_database_up{engine="sqlite"} 1`,
		"atrium_feed_sequence ",
		"atrium_actions_runnable 0",
		`atrium_source_status{source="demo",status="ok"} 1`,
		`atrium_source_sync_age_seconds{source="demo"} `,
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q:\n%s", want, text)
		}
	}
	if resp, err := http.Get(base + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the API's address: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
}

package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/sphera/atrium/backend/api"
)

// sampleLine is one sample of Prometheus' text format: a name, labels, a value.
var sampleLine = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? ([-+0-9.eE]+|\+Inf|-Inf|NaN)$`)

// TestMetricsCountRoutesNotPaths: requests are counted and timed by the endpoint they reach — two services are one
// series — and what matches no endpoint is one series too; the scrape is Prometheus' text format.
func TestMetricsCountRoutesNotPaths(t *testing.T) {
	p := newPortal(t)
	m := api.NewMetrics()
	srv := httptest.NewServer((&api.Portal{DB: p.db, Metrics: m}).Handler())
	defer srv.Close()
	for _, path := range []string{"/api/v1/services/payments-api", "/api/v1/services/no-such-service", "/healthz",
		"/no/such/thing/1", "/no/such/thing/2"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	scrape := httptest.NewRecorder()
	m.Handler().ServeHTTP(scrape, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(scrape.Body)
	text := string(body)
	if ct := scrape.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("content type %q", ct)
	}
	for _, want := range []string{
		`atrium_http_requests_total{route="/api/v1/services/{name}",method="GET",code="200"} 1`,
		`atrium_http_requests_total{route="/api/v1/services/{name}",method="GET",code="404"} 1`,
		`atrium_http_requests_total{route="/healthz",method="GET",code="200"} 1`,
		`atrium_http_requests_total{route="unmatched",method="any",code="404"} 2`,
		`atrium_http_request_duration_seconds_count{route="/api/v1/services/{name}"} 2`,
		`atrium_http_request_duration_seconds_bucket{route="/api/v1/services/{name}",le="+Inf"} 2`,
		`atrium_http_requests_in_flight{route="/api/v1/services/{name}"} 0`,
		"# TYPE atrium_http_request_duration_seconds histogram",
		"process_cpu_seconds_total ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "payments-api") || strings.Contains(text, "no-such") {
		t.Errorf("a path made a series:\n%s", text)
	}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if !strings.HasPrefix(line, "# ") && !sampleLine.MatchString(line) {
			t.Errorf("not a sample: %q", line)
		}
	}
}

// Package apitest holds what tests of the API share: an HTTP transport that checks every request and response
// against openapi.yaml, so the Go server and the published contract (and the TypeScript types generated from it)
// cannot drift.
package apitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/sphera/atrium/backend/api"
)

var (
	once   sync.Once
	router routers.Router
	errMsg error
)

func load() (routers.Router, error) {
	once.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(api.Spec)
		if err != nil {
			errMsg = fmt.Errorf("load openapi.yaml: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			errMsg = fmt.Errorf("openapi.yaml is invalid: %w", err)
			return
		}
		doc.Servers = nil // match any host
		// JSON lines exports are checked as text; their lines are checked by the tests that read them.
		openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
		router, errMsg = legacy.NewRouter(doc)
	})
	return router, errMsg
}

// Transport wraps base (nil: http.DefaultTransport) so that every exchange is validated against the spec; a
// mismatch fails t. Paths outside the spec fail too, except those listed in allowUndocumented (prefixes).
func Transport(t testing.TB, base http.RoundTripper, allowUndocumented ...string) http.RoundTripper {
	t.Helper()
	r, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &validating{t: t, base: base, router: r, allow: allowUndocumented}
}

type validating struct {
	t      testing.TB
	base   http.RoundTripper
	router routers.Router
	allow  []string
}

func (v *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	// A request without a body stays one: replacing http.NoBody would send an empty chunked body, which the
	// server sees as a body without Content-Type.
	if req.Body != nil && req.Body != http.NoBody {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := v.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	for _, p := range v.allow {
		if strings.HasPrefix(req.URL.Path, p) {
			return resp, nil
		}
	}
	// Route on the escaped path, so that a path parameter holding "%2F" (a Go module path, a scoped npm package)
	// stays one segment, as it does for the server's mux.
	routed := req.Clone(req.Context())
	routed.URL.Path, routed.URL.RawPath = req.URL.EscapedPath(), ""
	route, params, rerr := v.router.FindRoute(routed)
	if rerr != nil {
		// Unknown paths must still answer with the Error shape; the spec has no route to check them against.
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			v.t.Errorf("%s %s is not in openapi.yaml (answered %d)", req.Method, req.URL.Path, resp.StatusCode)
		}
		return resp, nil
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))

	clone := req.Clone(req.Context())
	clone.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: clone, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	// Tests send bad requests on purpose; only requests the server accepted must match the spec.
	if resp.StatusCode < 400 {
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			v.t.Errorf("request %s %s does not match openapi.yaml: %v", req.Method, req.URL, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
		Header: resp.Header, Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		v.t.Errorf("response to %s %s (%d) does not match openapi.yaml: %v\nbody: %.500s", req.Method, req.URL,
			resp.StatusCode, err, body)
	}
	return resp, nil
}

package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

const adminToken = "atr_test_admin_token_0123456789"

type portal struct {
	t   *testing.T
	url string
	hc  *http.Client
	db  *store.DB
}

func newPortal(t *testing.T) *portal {
	t.Helper()
	ctx := context.Background()
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := demo.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := (auth.Tokens{DB: db.SQL()}).Ensure(ctx, auth.Token{Name: "admin", Subject: "admin",
		Grants: []auth.Grant{{Role: auth.RoleAdmin}}}, adminToken); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&api.Portal{DB: db}).Handler())
	t.Cleanup(srv.Close)
	return &portal{t: t, url: srv.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}
}

// get returns status and decoded JSON body.
func (p *portal) get(path, token string) (int, map[string]any) {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.url+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		p.t.Errorf("%s: content type %q", path, ct)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		p.t.Fatalf("%s: body is not a JSON object: %s", path, b)
	}
	return resp.StatusCode, m
}

func names(m map[string]any) []string {
	var out []string
	for _, it := range m["items"].([]any) {
		out = append(out, it.(map[string]any)["name"].(string))
	}
	return out
}

func TestHealthNeedsNoToken(t *testing.T) {
	p := newPortal(t)
	if code, body := p.get("/healthz", ""); code != 200 || body["status"] != "ok" {
		t.Fatalf("healthz: %d %v", code, body)
	}
}

func TestAuthentication(t *testing.T) {
	p := newPortal(t)
	for _, tok := range []string{"", "atr_wrong_token_000000000000"} {
		code, body := p.get("/api/v1/services", tok)
		if code != 401 {
			t.Errorf("token %q: status %d", tok, code)
		}
		if e, _ := body["error"].(map[string]any); e["code"] != "unauthorized" || e["message"] == "" {
			t.Errorf("401 body: %v", body)
		}
	}
}

func TestCatalogEndpoints(t *testing.T) {
	p := newPortal(t)
	code, body := p.get("/api/v1/services?limit=1000", adminToken)
	if code != 200 || body["total"].(float64) < 60 || len(names(body)) != int(body["total"].(float64)) {
		t.Fatalf("list: %d total=%v", code, body["total"])
	}
	item := body["items"].([]any)[0].(map[string]any)
	for _, f := range []string{"name", "owner", "language", "lifecycle"} {
		if _, ok := item[f]; !ok {
			t.Errorf("item lacks %s: %v", f, item)
		}
	}

	_, body = p.get("/api/v1/services?q=payment", adminToken)
	if n := names(body); len(n) == 0 || !strings.Contains(strings.Join(n, " "), "payment") {
		t.Errorf("search payment: %v", n)
	}
	_, body = p.get("/api/v1/services?owner=payments&language=Go&sort=name&order=desc", adminToken)
	n := names(body)
	if len(n) == 0 {
		t.Fatal("filter returned nothing")
	}
	for i := 1; i < len(n); i++ {
		if n[i-1] < n[i] {
			t.Errorf("not sorted descending: %v", n)
		}
	}
	for _, it := range body["items"].([]any) {
		m := it.(map[string]any)
		if m["owner"] != "payments" || m["language"] != "Go" {
			t.Errorf("filter leak: %v", m)
		}
	}

	code, body = p.get("/api/v1/services/legacy-reporting", adminToken)
	if code != 200 || len(body["findings"].([]any)) == 0 {
		t.Errorf("service page of a broken descriptor: %d %v", code, body)
	}
	code, body = p.get("/api/v1/facets", adminToken)
	if code != 200 || len(body["owners"].([]any)) < 6 {
		t.Errorf("facets: %d %v", code, body)
	}
	code, body = p.get("/api/v1/teams", adminToken)
	if code != 200 || len(body["items"].([]any)) < 6 {
		t.Errorf("teams: %d %v", code, body)
	}
}

func TestBadInputGetsJSON4xx(t *testing.T) {
	p := newPortal(t)
	tests := []struct {
		path   string
		status int
		field  string
	}{
		{"/api/v1/services?sort=color", 400, "sort"},
		{"/api/v1/services?order=sideways", 400, "order"},
		{"/api/v1/services?limit=0", 400, "limit"},
		{"/api/v1/services?limit=abc", 400, "limit"},
		{"/api/v1/services?offset=-1", 400, "offset"},
		{"/api/v1/services?colour=red", 400, "colour"},
		{"/api/v1/services?q=" + strings.Repeat("x", 201), 400, "q"},
		{"/api/v1/changes?wait=999", 400, "wait"},
		{"/api/v1/changes?cursor=nonsense", 400, ""},
		{"/api/v1/services/no-such-service", 404, ""},
		{"/api/v1/no-such-endpoint", 404, ""},
		{"/elsewhere", 404, ""},
	}
	for _, tt := range tests {
		code, body := p.get(tt.path, adminToken)
		if code != tt.status {
			t.Errorf("%s: status %d, want %d", tt.path, code, tt.status)
		}
		e, _ := body["error"].(map[string]any)
		if e == nil || e["message"] == "" {
			t.Errorf("%s: no error body: %v", tt.path, body)
			continue
		}
		if tt.field != "" {
			fields, _ := e["fields"].([]any)
			found := false
			for _, f := range fields {
				if f.(map[string]any)["field"] == tt.field {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: error does not name field %s: %v", tt.path, tt.field, e)
			}
		}
	}
}

func TestChangeFeedSecondPullIsEmpty(t *testing.T) {
	p := newPortal(t)
	code, body := p.get("/api/v1/changes?limit=1000", adminToken)
	if code != 200 || body["reset"] != true || len(body["changes"].([]any)) < 60 {
		t.Fatalf("first pull: %d reset=%v n=%d", code, body["reset"], len(body["changes"].([]any)))
	}
	cursor := body["cursor"].(string)
	_, body = p.get("/api/v1/changes?cursor="+cursor, adminToken)
	if len(body["changes"].([]any)) != 0 || body["reset"] != false {
		t.Errorf("second pull transferred %d entities", len(body["changes"].([]any)))
	}
	// Re-seeding unchanged data keeps it that way.
	if _, err := demo.Seed(context.Background(), p.db); err != nil {
		t.Fatal(err)
	}
	_, body = p.get("/api/v1/changes?cursor="+cursor, adminToken)
	if len(body["changes"].([]any)) != 0 {
		t.Errorf("after an idle re-sync the feed has %d entities", len(body["changes"].([]any)))
	}
}

package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
	"github.com/sphera/atrium/internal/sources/versions"
	"github.com/sphera/atrium/internal/sources/versions/registrytest"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

const webhookSecret = "hook-secret"

// githubPortal is a portal whose catalog comes from a fake GitHub organisation, with newest versions from fake
// registries, serving the sources, packages and webhook endpoints.
func githubPortal(t *testing.T) (*portal, *githubtest.Server, *github.Hub) {
	t.Helper()
	return githubPortalLimited(t, api.WebhookLimits{}, nil)
}

// githubPortalLimited is githubPortal with the webhook's limits set, its handler wrapped by wrap (when not nil).
func githubPortalLimited(t *testing.T, lim api.WebhookLimits, wrap func(http.Handler) http.Handler) (*portal,
	*githubtest.Server, *github.Hub) {
	t.Helper()
	ctx := context.Background()
	gh := githubtest.New(t)
	gh.AddOrg("acme")
	gh.AddRepo("acme", githubtest.Repo{Name: "checkout-web", Files: map[string]string{
		"atrium.yaml":  "name: checkout-web\nowner: payments\n",
		"package.json": `{"dependencies": {"react": "^17.0.2", "@types/node": "20.1.0"}}`}})
	gh.AddRepo("acme", githubtest.Repo{Name: "search-ui", Files: map[string]string{
		"atrium.yaml":  "name: search-ui\nowner: search\n",
		"package.json": `{"dependencies": {"react": "19.1.0"}}`}})
	gh.AddRepo("acme", githubtest.Repo{Name: "payments-api", Files: map[string]string{
		"atrium.yaml": "name: payments-api\nowner: payments\n",
		"go.mod":      "module x\n\nrequire github.com/pkg/errors v0.8.1\n"}})
	gh.AddRepo("acme", githubtest.Repo{Name: "flaky", Files: map[string]string{"atrium.yaml": "owner: x\n"}})
	gh.Break("acme", "flaky", http.StatusBadGateway)
	npm := registrytest.NewNPM(t, map[string]string{"react": "19.1.0", "@types/node": "20.1.3"})
	proxy := registrytest.NewGoProxy(t, map[string][]string{"github.com/pkg/errors": {"v0.8.1", "v0.9.1"}})

	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := demo.Seed(ctx, db); err != nil { // a store-only source next to the collector
		t.Fatal(err)
	}
	if _, err := db.DeleteSource(ctx, demo.Source); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSource(ctx, store.Source{Name: "demo", SyncedAt: time.Now(), Status: "ok", Message: "demo services"}); err != nil {
		t.Fatal(err)
	}
	vc := versions.New(db.SQL(), versions.Config{NPMRegistry: npm.URL, GoProxy: proxy.URL})
	hub, err := github.New(db, github.Config{APIURL: gh.URL, Orgs: []string{"acme"}, Token: gh.Token,
		WebhookSecret: webhookSecret, Concurrency: 2}, vc, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Wait) // background refreshes end before the database closes
	if err := hub.Collector("acme").Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := (auth.Tokens{DB: db.SQL()}).Ensure(ctx, auth.Token{Name: "admin", Subject: "admin",
		Grants: []auth.Grant{{Role: auth.RoleAdmin}}}, adminToken); err != nil {
		t.Fatal(err)
	}
	set := sources.Set{}
	for _, c := range hub.Collectors() {
		set[c.Name()] = c
	}
	p := &api.Portal{DB: db, Collectors: set, Routes: []api.Route{api.GitHubWebhookLimited(hub, nil, lim)}}
	h := p.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &portal{t: t, url: srv.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}, gh, hub
}

func (p *portal) raw(method, path string, body io.Reader, hdr map[string]string) (*http.Response, []byte) {
	p.t.Helper()
	req, _ := http.NewRequest(method, p.url+path, body)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestSourcesEndpoints(t *testing.T) {
	p, gh, _ := githubPortal(t)
	code, body := p.get("/api/v1/sources", adminToken)
	if code != 200 {
		t.Fatalf("list: %d %v", code, body)
	}
	byName := map[string]map[string]any{}
	for _, it := range body["items"].([]any) {
		m := it.(map[string]any)
		byName[m["name"].(string)] = m
	}
	g := byName["github:acme"]
	if g == nil || g["state"] != "partial" || g["total"].(float64) != 4 || g["done"].(float64) != 4 ||
		g["errors"].(float64) != 1 || g["rate_limit"] == nil || !strings.Contains(g["versions"].(string), "npm from http://127.0.0.1") {
		t.Errorf("github source: %v", g)
	}
	if d := byName["demo"]; d == nil || d["state"] != "ok" {
		t.Errorf("demo source: %v", d)
	}

	code, body = p.get("/api/v1/sources/github:acme", adminToken)
	errs, _ := body["item_errors"].([]any)
	if code != 200 || len(errs) != 1 || errs[0].(map[string]any)["item"] != "acme/flaky" ||
		!strings.Contains(errs[0].(map[string]any)["error"].(string), "502") {
		t.Errorf("detail: %d %v", code, body)
	}
	if code, _ := p.get("/api/v1/sources/nope", adminToken); code != 404 {
		t.Errorf("unknown source: %d", code)
	}

	// Trigger: 202 for a collector, 409 for a store-only source, 404 for none.
	gh.Break("acme", "flaky", 0)
	resp, b := p.raw(http.MethodPost, "/api/v1/sources/github:acme/sync", nil, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("sync: %d %s", resp.StatusCode, b)
	}
	if resp, _ := p.raw(http.MethodPost, "/api/v1/sources/demo/sync", nil, nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("sync demo: %d", resp.StatusCode)
	}
	if resp, _ := p.raw(http.MethodPost, "/api/v1/sources/github:nope/sync", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("sync unknown: %d", resp.StatusCode)
	}
}

func TestPackagesEndpoints(t *testing.T) {
	p, _, _ := githubPortal(t)
	code, body := p.get("/api/v1/packages?ecosystem=npm&sort=services&order=desc", adminToken)
	items := body["items"].([]any)
	if code != 200 || len(items) != 2 {
		t.Fatalf("list: %d %v", code, body)
	}
	react := items[0].(map[string]any)
	if react["name"] != "react" || react["latest"] != "19.1.0" || react["services"].(float64) != 2 ||
		react["major"].(float64) != 1 || len(react["versions"].([]any)) != 2 {
		t.Errorf("react row: %v", react)
	}
	// What is outdated in team payments.
	_, body = p.get("/api/v1/packages?owner=payments&outdated=true", adminToken)
	var got []string
	for _, it := range body["items"].([]any) {
		got = append(got, it.(map[string]any)["name"].(string))
	}
	if strings.Join(got, ",") != "@types/node,github.com/pkg/errors,react" {
		t.Errorf("outdated in payments: %v", got)
	}
	if code, body := p.get("/api/v1/packages?sort=bogus&outdated=maybe", adminToken); code != 400 ||
		len(body["error"].(map[string]any)["fields"].([]any)) != 2 {
		t.Errorf("bad query: %d %v", code, body)
	}

	for _, path := range []string{"/api/v1/packages/go/github.com%2Fpkg%2Ferrors", "/api/v1/packages/npm/@types%2Fnode"} {
		code, body = p.get(path, adminToken)
		uses, _ := body["uses"].([]any)
		if code != 200 || len(uses) != 1 || uses[0].(map[string]any)["behind"] == "" {
			t.Errorf("%s: %d %v", path, code, body)
		}
	}
	code, body = p.get("/api/v1/packages/npm/react", adminToken)
	if uses := body["uses"].([]any); code != 200 || len(uses) != 2 || uses[0].(map[string]any)["service"] != "checkout-web" {
		t.Errorf("react users: %v", body)
	}
	if code, _ := p.get("/api/v1/packages/npm/left-pad", adminToken); code != 404 {
		t.Errorf("unused package: %d", code)
	}

	// CSV exports.
	resp, b := p.raw(http.MethodGet, "/api/v1/packages?format=csv", nil, nil)
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), `filename="packages.csv"`) || err != nil || len(rows) != 4 ||
		rows[0][1] != "name" {
		t.Errorf("csv: %d %v %q %v", resp.StatusCode, resp.Header, b, err)
	}
	resp, b = p.raw(http.MethodGet, "/api/v1/packages/npm/react?format=csv", nil, nil)
	rows, _ = csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if resp.StatusCode != 200 || len(rows) != 3 || rows[1][2] != "checkout-web" || rows[1][7] != "major" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "package-npm-react.csv") {
		t.Errorf("package csv: %v %q", resp.Header, b)
	}
}

func TestGitHubWebhookEndpoint(t *testing.T) {
	p, gh, hub := githubPortal(t)
	gh.Push("acme", "search-ui", map[string]string{"atrium.yaml": "name: search-ui\nowner: discovery\n"})
	payload := gh.PushPayload("acme", "search-ui")
	hdr := map[string]string{"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": "d1"}

	before, _ := p.db.Changes(context.Background(), "", 1000, 0)
	gh.ResetCounts()
	hdr["X-Hub-Signature-256"] = githubtest.Sign("wrong", payload)
	resp, b := p.raw(http.MethodPost, "/api/v1/webhooks/github", strings.NewReader(string(payload)), hdr)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "signature") {
		t.Errorf("bad signature: %d %s", resp.StatusCode, b)
	}
	hub.Wait()
	after, _ := p.db.Changes(context.Background(), before.Cursor, 1000, 0)
	if gh.Counts().Requests != 0 || len(after.Changes) != 0 {
		t.Errorf("a bad delivery had effects: %d requests, %d changes", gh.Counts().Requests, len(after.Changes))
	}

	hdr["X-Hub-Signature-256"] = githubtest.Sign(webhookSecret, payload)
	resp, b = p.raw(http.MethodPost, "/api/v1/webhooks/github", strings.NewReader(string(payload)), hdr)
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusAccepted || res["handled"] != true {
		t.Fatalf("push: %d %s", resp.StatusCode, b)
	}
	hub.Wait()
	if s, _ := p.db.GetService(context.Background(), "search-ui"); s.Owner != "discovery" {
		t.Errorf("owner after push: %q", s.Owner)
	}

	// Oversized bodies are refused before anything is read into the collector.
	big := strings.NewReader(`{"x":"` + strings.Repeat("a", api.MaxWebhookBytes) + `"}`)
	hdr["X-Hub-Signature-256"] = "sha256=00"
	if resp, _ := p.raw(http.MethodPost, "/api/v1/webhooks/github", big, hdr); resp.StatusCode != http.StatusRequestEntityTooLarge &&
		resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("oversized: %d", resp.StatusCode)
	}
}

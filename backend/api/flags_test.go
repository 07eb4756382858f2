package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/store/storetest"
)

// flagPortal is a portal on loopback with a real database and one token per kind of caller.
type flagPortal struct {
	t      *testing.T
	url    string
	hc     *http.Client
	flags  *api.Flags
	tokens map[string]string
}

var flagCallers = map[string]auth.Token{
	"admin":         {Grants: []auth.Grant{{Role: auth.RoleAdmin}}},
	"payments":      {Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}},
	"developer":     {Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}},
	"prod-service":  {Scopes: []string{"flags:evaluate:production"}},
	"stage-service": {Scopes: []string{"flags:evaluate:staging"}},
}

func newFlagPortal(t *testing.T, configure func(*api.Flags)) *flagPortal {
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
	tokens := auth.Tokens{DB: db.SQL()}
	p := &flagPortal{t: t, tokens: map[string]string{}}
	for name, tok := range flagCallers {
		tok.Name, tok.Subject = name, name
		secret, _, err := tokens.Create(ctx, tok, "")
		if err != nil {
			t.Fatal(err)
		}
		p.tokens[name] = secret
	}
	p.flags = &api.Flags{Store: &flagstore.Store{DB: db.SQL()}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if configure != nil {
		configure(p.flags)
	}
	srv := httptest.NewServer((&api.Portal{DB: db, Routes: p.flags.Routes()}).Handler())
	t.Cleanup(srv.Close)
	p.url = srv.URL
	p.hc = &http.Client{Transport: apitest.Transport(t, nil)}
	return p
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("status %d, body is not a JSON object: %s", r.status, r.body)
	}
	return m
}

func (p *flagPortal) do(method, path, who, body string, header ...string) reply {
	p.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, p.url+path, rd)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+p.tokens[who])
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

const shopFlags = `{
  "$schema": "https://flagd.dev/schema/v0/flags.json",
  "metadata": {"flagSetId": "shop"},
  "$evaluators": {"staff": {"ends_with": [{"var": "email"}, "@sphera.io"]}},
  "flags": {
    "new-checkout": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
      "targeting": {"if": [{"$ref": "staff"}, "on",
        {"fractional": [{"var": "accountId"}, ["on", 20], ["off", 80]]}]},
      "metadata": {"team": "payments", "owner": "ana"}},
    "banner-text": {"state": "ENABLED", "variants": {"hello": "Hello", "hi": "Hi"}, "defaultVariant": "hello",
      "metadata": {"team": "growth"}},
    "page-size": {"state": "ENABLED", "variants": {"small": 10, "large": 50}, "defaultVariant": "small",
      "targeting": {"if": [{"sem_ver": [{"var": "appVersion"}, ">=", "2.0.0"]}, "large", null]}},
    "ratio": {"state": "ENABLED", "variants": {"low": 0.25, "high": 0.75}, "defaultVariant": "high"},
    "theme": {"state": "ENABLED", "variants": {"dark": {"bg": "#000", "fg": "#fff"}, "light": {"bg": "#fff", "fg": "#000"}},
      "defaultVariant": "light", "targeting": {"if": [{"in": [{"var": "country"}, ["NO", "SE"]]}, "dark", null]}},
    "old-promo": {"state": "DISABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
    "code-default": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": null},
    "broken-variant": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
      "targeting": {"var": "pick"}}
  }
}`

func (p *flagPortal) importShop(env string) {
	p.t.Helper()
	if r := p.do("POST", "/api/v1/flags/import?environment="+env+"&team=platform", "admin", shopFlags); r.status != 200 {
		p.t.Fatalf("import: %d %s", r.status, r.body)
	}
}

func TestFlagImportAndExport(t *testing.T) {
	p := newFlagPortal(t, nil)
	if r := p.do("POST", "/api/v1/flags/import?environment=production", "payments", shopFlags); r.status != 403 {
		t.Errorf("team owner import: %d", r.status)
	}
	if r := p.do("POST", "/api/v1/flags/import?environment=moon", "admin", shopFlags); r.status != 400 {
		t.Errorf("unknown environment: %d %s", r.status, r.body)
	}
	r := p.do("POST", "/api/v1/flags/import?environment=production", "admin", shopFlags)
	if r.status != 200 || r.json(t)["flags"] != 8.0 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	etag := r.json(t)["etag"]

	bad := strings.Replace(shopFlags, `["on", 20]`, `["on", 20.5]`, 1)
	bad = strings.Replace(bad, `"defaultVariant": "small"`, `"defaultVariant": "medium"`, 1)
	r = p.do("POST", "/api/v1/flags/import?environment=production", "admin", bad)
	if r.status != 400 {
		t.Fatalf("invalid import: %d %s", r.status, r.body)
	}
	fields := map[string]bool{}
	for _, f := range r.json(t)["error"].(map[string]any)["fields"].([]any) {
		fields[f.(map[string]any)["field"].(string)] = true
	}
	if !fields["/flags/new-checkout/targeting/if/2/fractional/1/1"] || !fields["/flags/page-size/defaultVariant"] {
		t.Errorf("problems %v", fields)
	}
	if r := p.do("POST", "/api/v1/flags/import?environment=production", "admin", `{"flags": {`); r.status != 400 ||
		!strings.Contains(string(r.body), "line 1") {
		t.Errorf("broken JSON: %d %s", r.status, r.body)
	}
	envs := p.do("GET", "/api/v1/flags/environments", "developer", "").json(t)["items"].([]any)
	for _, e := range envs {
		e := e.(map[string]any)
		if e["name"] == "production" && (e["etag"] != etag || e["flags"] != 8.0) {
			t.Errorf("rejected imports changed the set: %v (etag was %v)", e, etag)
		}
	}

	r = p.do("GET", "/api/v1/flags/export?environment=production", "developer", "")
	if r.status != 200 || r.header.Get("ETag") != etag {
		t.Fatalf("export: %d etag %q (want %v)", r.status, r.header.Get("ETag"), etag)
	}
	exported, err := flags.ParseFile(r.body)
	if err != nil {
		t.Fatal(err)
	}
	original, _ := flags.ParseFile([]byte(shopFlags))
	for key, fl := range original.Flags {
		if got := exported.Flags[key]; got == nil || string(got.Canonical()) != string(fl.Canonical()) {
			t.Errorf("exported %s differs", key)
		}
	}
	if len(exported.Evaluators) != 1 || exported.Metadata["flagSetId"] != "shop" {
		t.Errorf("exported set-level parts: %+v %+v", exported.Evaluators, exported.Metadata)
	}
	// Re-importing the export into another environment gives the same content, hence the same flags.
	if r := p.do("POST", "/api/v1/flags/import?environment=staging", "admin", string(r.body)); r.status != 200 {
		t.Errorf("re-import: %d %s", r.status, r.body)
	}
}

func TestFlagTableAndDetail(t *testing.T) {
	later := time.Now().Add(45 * 24 * time.Hour)
	p := newFlagPortal(t, func(f *api.Flags) { f.Now = func() time.Time { return later } })
	p.importShop("production")
	p.importShop("dev")
	r := p.do("GET", "/api/v1/flags?environment=production", "developer", "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	rows := map[string]map[string]any{}
	for _, it := range r.json(t)["items"].([]any) {
		row := it.(map[string]any)
		rows[row["key"].(string)] = row
	}
	if len(rows) != 8 {
		t.Fatalf("%d rows", len(rows))
	}
	nc := rows["new-checkout"]
	if nc["team"] != "payments" || nc["owner"] != "ana" || nc["rollout"] != "1 rule; fractional by accountId 20/80" ||
		nc["stale"] != false || nc["default"] != "off" {
		t.Errorf("new-checkout row %v", nc)
	}
	if rows["banner-text"]["stale"] != true || rows["old-promo"]["stale"] != true || rows["theme"]["stale"] != false {
		t.Errorf("staleness: banner %v, old-promo %v, theme %v", rows["banner-text"]["stale"], rows["old-promo"]["stale"],
			rows["theme"]["stale"])
	}
	if rows["code-default"]["default"] != nil {
		t.Errorf("null default shown as %v", rows["code-default"]["default"])
	}
	if rows["ratio"]["team"] != "platform" {
		t.Errorf("team of a flag without one: %v", rows["ratio"]["team"])
	}
	stale := p.do("GET", "/api/v1/flags?stale=true&team=growth", "developer", "").json(t)["items"].([]any)
	if len(stale) != 2 { // banner-text in dev and production
		t.Errorf("stale growth flags: %v", stale)
	}
	if r := p.do("GET", "/api/v1/flags?stale=maybe&sort=x", "developer", ""); r.status != 400 {
		t.Errorf("bad filter: %d", r.status)
	}
	d := p.do("GET", "/api/v1/flags/production/theme", "developer", "")
	if d.status != 200 || d.json(t)["definition"].(map[string]any)["defaultVariant"] != "light" {
		t.Errorf("detail: %d %s", d.status, d.body)
	}
	if r := p.do("GET", "/api/v1/flags/production/nope", "developer", ""); r.status != 404 {
		t.Errorf("missing flag: %d", r.status)
	}
	if r := p.do("GET", "/api/v1/flags/moon/theme", "developer", ""); r.status != 404 {
		t.Errorf("unknown environment: %d", r.status)
	}
}

func TestFlagWritesArePermissionChecked(t *testing.T) {
	p := newFlagPortal(t, nil)
	p.importShop("production")
	put := func(who, key, team, def string, extra string) reply {
		return p.do("PUT", "/api/v1/flags/production/"+key, who,
			`{"flag": `+def+`, "team": "`+team+`"`+extra+`}`)
	}
	onOff := `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"}`
	if r := put("payments", "pay-v2", "payments", onOff, `, "owner": "ana"`); r.status != 200 || r.json(t)["version"] != 1.0 {
		t.Fatalf("owner creates in own team: %d %s", r.status, r.body)
	}
	if r := put("payments", "grow-v2", "growth", onOff, ""); r.status != 403 {
		t.Errorf("owner creates for another team: %d", r.status)
	}
	if r := put("payments", "banner-text", "payments", onOff, ""); r.status != 403 {
		t.Errorf("owner takes over another team's flag: %d", r.status)
	}
	if r := put("developer", "pay-v2", "payments", onOff, ""); r.status != 403 {
		t.Errorf("developer writes: %d", r.status)
	}
	if r := put("payments", "ratio", "payments", onOff, ""); r.status != 403 {
		t.Errorf("owner edits a flag of team platform: %d", r.status)
	}
	if r := put("admin", "banner-text", "growth",
		`{"state": "ENABLED", "variants": {"hello": "Hello", "hi": "Hi"}, "defaultVariant": "hi"}`, ""); r.status != 200 {
		t.Errorf("admin edits: %d %s", r.status, r.body)
	}
	on := `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"}`
	if r := put("payments", "pay-v2", "payments", on, `, "version": 1, "comment": "ship it"`); r.status != 200 ||
		r.json(t)["version"] != 2.0 {
		t.Errorf("update at version 1: %d %s", r.status, r.body)
	}
	if r := put("payments", "pay-v2", "payments", onOff, `, "version": 1`); r.status != 409 {
		t.Errorf("stale version: %d %s", r.status, r.body)
	}
	// If-None-Match: * creates and never replaces.
	createOnly := func(key string) reply {
		return p.do("PUT", "/api/v1/flags/production/"+key, "payments", `{"flag": `+onOff+`, "team": "payments"}`,
			"If-None-Match", "*")
	}
	if r := createOnly("pay-v3"); r.status != 200 {
		t.Errorf("create-only of a new key: %d %s", r.status, r.body)
	}
	if r := createOnly("pay-v2"); r.status != 409 {
		t.Errorf("create-only of an existing key: %d %s", r.status, r.body)
	}
	bad := `{"state": "ENABLED", "variants": {"on": true, "off": "no"}, "defaultVariant": "off",
		"targeting": {"if": [{"$ref": "nobody"}, "onn", "off"]}}`
	r := put("payments", "pay-v2", "payments", bad, "")
	if r.status != 400 {
		t.Fatalf("invalid definition: %d %s", r.status, r.body)
	}
	got := map[string]bool{}
	for _, f := range r.json(t)["error"].(map[string]any)["fields"].([]any) {
		got[f.(map[string]any)["field"].(string)] = true
	}
	for _, want := range []string{"/flag/variants/on", "/flag/targeting/if/0/$ref", "/flag/targeting/if/1"} {
		if !got[want] {
			t.Errorf("no problem at %s: %v", want, got)
		}
	}
	if r := put("payments", "bad key!", "payments", onOff, ""); r.status != 400 {
		t.Errorf("bad key: %d", r.status)
	}
	if r := p.do("PUT", "/api/v1/flags/production/x", "payments", `{"flag": `+onOff+`}`); r.status != 400 {
		t.Errorf("missing team: %d", r.status)
	}

	h := p.do("GET", "/api/v1/flags/production/pay-v2/history", "developer", "")
	items := h.json(t)["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("history: %s", h.body)
	}
	newest := items[0].(map[string]any)
	diff := newest["diff"].([]any)
	if newest["action"] != "update" || newest["comment"] != "ship it" || newest["actor"] != "payments" ||
		len(diff) != 1 || diff[0].(map[string]any)["path"] != "/defaultVariant" {
		t.Errorf("history entry %v", newest)
	}

	if r := p.do("DELETE", "/api/v1/flags/production/banner-text", "payments", ""); r.status != 403 {
		t.Errorf("owner deletes another team's flag: %d", r.status)
	}
	if r := p.do("DELETE", "/api/v1/flags/production/pay-v2", "payments", ""); r.status != 204 {
		t.Errorf("owner deletes own flag: %d %s", r.status, r.body)
	}
	if r := p.do("GET", "/api/v1/flags/production/pay-v2", "payments", ""); r.status != 404 {
		t.Errorf("deleted flag: %d", r.status)
	}
	if h := p.do("GET", "/api/v1/flags/production/pay-v2/history", "developer", ""); len(h.json(t)["items"].([]any)) != 3 {
		t.Errorf("history after delete: %s", h.body)
	}
}

// gate holds every change for approval.
type gate struct{ submitted []flags.Change }

func (g *gate) Submit(_ context.Context, c flags.Change) (bool, *flags.Request, error) {
	g.submitted = append(g.submitted, c)
	return false, &flags.Request{ID: "req-1", Message: "waiting for a platform approver"}, nil
}

type auditLog struct {
	mu      sync.Mutex
	entries []flags.AuditEntry
}

func (a *auditLog) Record(_ context.Context, e flags.AuditEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, e)
}

func TestFlagChangesGoThroughGateAndAudit(t *testing.T) {
	g, audit := &gate{}, &auditLog{}
	p := newFlagPortal(t, func(f *api.Flags) { f.Gate, f.Audit = g, audit })
	onOff := `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"}`
	r := p.do("PUT", "/api/v1/flags/production/held", "payments", `{"flag": `+onOff+`, "team": "payments"}`)
	if r.status != 202 || r.json(t)["pending"].(map[string]any)["id"] != "req-1" {
		t.Fatalf("pending change: %d %s", r.status, r.body)
	}
	if r := p.do("GET", "/api/v1/flags/production/held", "payments", ""); r.status != 404 {
		t.Errorf("pending change applied: %d", r.status)
	}
	if len(g.submitted) != 1 || g.submitted[0].Team != "payments" || g.submitted[0].Actor != "payments" {
		t.Errorf("submitted %+v", g.submitted)
	}
	p.do("PUT", "/api/v1/flags/production/held", "payments", `{"flag": {"state": "NOPE"}, "team": "payments"}`)
	if len(audit.entries) != 2 || audit.entries[0].Outcome != "pending" || audit.entries[1].Outcome != "rejected" {
		t.Errorf("audit %+v", audit.entries)
	}
}

func TestFlagDefinitionsConditional(t *testing.T) {
	p := newFlagPortal(t, nil)
	p.importShop("production")
	r := p.do("GET", "/api/v1/flags/definitions", "prod-service", "")
	etag := r.header.Get("ETag")
	if r.status != 200 || etag == "" {
		t.Fatalf("definitions: %d etag %q", r.status, etag)
	}
	if set, err := flags.CompileJSON(r.body); err != nil || len(set.Keys()) != 8 {
		t.Fatalf("definitions do not compile: %v", err)
	}
	if r := p.do("GET", "/api/v1/flags/definitions", "prod-service", "", "If-None-Match", etag); r.status != 304 ||
		len(r.body) != 0 {
		t.Errorf("unchanged: %d %s", r.status, r.body)
	}
	if r := p.do("GET", "/api/v1/flags/definitions?environment=staging", "prod-service", ""); r.status != 403 {
		t.Errorf("other environment: %d", r.status)
	}
	if r := p.do("GET", "/api/v1/flags/definitions", "admin", ""); r.status != 400 {
		t.Errorf("admin without environment: %d", r.status)
	}
	if r := p.do("GET", "/api/v1/flags/definitions?environment=production", "developer", "", "If-None-Match",
		`W/`+etag); r.status != 304 {
		t.Errorf("weak match: %d", r.status)
	}
	p.do("PUT", "/api/v1/flags/production/ratio", "admin",
		`{"flag": {"state": "ENABLED", "variants": {"low": 0.25, "high": 0.75}, "defaultVariant": "low"}, "team": "platform"}`)
	r = p.do("GET", "/api/v1/flags/definitions", "prod-service", "", "If-None-Match", etag)
	if r.status != 200 || r.header.Get("ETag") == etag {
		t.Errorf("after a change: %d etag %q", r.status, r.header.Get("ETag"))
	}
}

func TestOFREP(t *testing.T) {
	p := newFlagPortal(t, nil)
	p.importShop("production")
	eval := func(who, key, body string, header ...string) reply {
		path := "/ofrep/v1/evaluate/flags"
		if key != "" {
			path += "/" + key
		}
		return p.do("POST", path, who, body, header...)
	}
	for _, tc := range []struct {
		key, ctx       string
		status         int
		value, variant any
		reason, code   string
	}{
		{"banner-text", `{}`, 200, "Hello", "hello", "STATIC", ""},
		{"new-checkout", `{"email": "jo@sphera.io"}`, 200, true, "on", "TARGETING_MATCH", ""},
		{"page-size", `{"appVersion": "2.1.0"}`, 200, 50.0, "large", "TARGETING_MATCH", ""},
		{"page-size", `{"appVersion": "1.0.0"}`, 200, 10.0, "small", "UNKNOWN", ""}, // DEFAULT is outside the enum
		{"theme", `{"country": "NO"}`, 200, map[string]any{"bg": "#000", "fg": "#fff"}, "dark", "TARGETING_MATCH", ""},
		{"old-promo", `{}`, 200, nil, nil, "DISABLED", ""},
		{"code-default", `{}`, 200, nil, nil, "UNKNOWN", ""},
		{"nope", `{}`, 404, nil, nil, "", "FLAG_NOT_FOUND"},
		{"broken-variant", `{"pick": "zzz"}`, 400, nil, nil, "", "GENERAL"},
		{"banner-text", `{"targetingKey": 42}`, 400, nil, nil, "", "INVALID_CONTEXT"},
	} {
		r := eval("prod-service", tc.key, `{"context": `+tc.ctx+`}`)
		m := r.json(t)
		if r.status != tc.status || !jsonEqual(m["value"], tc.value) || m["variant"] != tc.variant ||
			(tc.reason != "" && m["reason"] != tc.reason) || (tc.code != "" && m["errorCode"] != tc.code) {
			t.Errorf("%s %s: %d %s", tc.key, tc.ctx, r.status, r.body)
		}
		if m["key"] != tc.key {
			t.Errorf("%s: key %v", tc.key, m["key"])
		}
	}
	// A percentage rollout: SPLIT, sticky, about 20% on.
	on := 0
	for i := 0; i < 200; i++ {
		body := `{"context": {"targetingKey": "u", "accountId": "acct-` + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + `"}}`
		m := eval("prod-service", "new-checkout", body).json(t)
		if m["reason"] != "SPLIT" {
			t.Fatalf("rollout reason %v", m["reason"])
		}
		if m["value"] == true {
			on++
		}
	}
	if on < 20 || on > 65 {
		t.Errorf("%d of 200 accounts on, want about 40", on)
	}
	if r := eval("prod-service", "banner-text", `not json`); r.status != 400 || r.json(t)["errorCode"] != "INVALID_CONTEXT" {
		t.Errorf("malformed body: %d %s", r.status, r.body)
	}
	if r := eval("stage-service", "banner-text", `{"context": {}}`); r.status != 404 {
		t.Errorf("staging token on staging, where the flag does not exist: %d %s", r.status, r.body)
	}
	if r := p.do("POST", "/ofrep/v1/evaluate/flags/banner-text?environment=production", "stage-service", `{"context": {}}`); r.status != 403 {
		t.Errorf("staging token on production: %d", r.status)
	}
	if r := eval("", "banner-text", `{"context": {}}`); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}
	if r := eval("admin", "banner-text", `{"context": {}}`); r.status != 400 {
		t.Errorf("admin without environment: %d %s", r.status, r.body)
	}
	req, _ := http.NewRequest("POST", p.url+"/ofrep/v1/evaluate/flags/banner-text?environment=production",
		strings.NewReader(`{"context": {}}`))
	req.Header.Set("X-API-Key", p.tokens["admin"])
	req.Header.Set("Content-Type", "application/json")
	if resp, err := p.hc.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("X-API-Key: %v %v", resp.StatusCode, err)
	}

	// Bulk: every flag, an ETag over set and context, 304 when unchanged.
	r := eval("prod-service", "", `{"context": {"targetingKey": "u1", "country": "SE"}}`)
	etag := r.header.Get("ETag")
	items := r.json(t)["flags"].([]any)
	if r.status != 200 || etag == "" || len(items) != 8 || r.json(t)["metadata"].(map[string]any)["flagSetId"] != "shop" {
		t.Fatalf("bulk: %d %s", r.status, r.body)
	}
	byKey := map[string]map[string]any{}
	for _, it := range items {
		byKey[it.(map[string]any)["key"].(string)] = it.(map[string]any)
	}
	if byKey["theme"]["variant"] != "dark" || byKey["old-promo"]["reason"] != "DISABLED" ||
		byKey["code-default"]["value"] != nil || byKey["page-size"]["reason"] != "UNKNOWN" {
		t.Errorf("bulk items %v", byKey)
	}
	failed := eval("prod-service", "", `{"context": {"pick": "zzz"}}`).json(t)["flags"].([]any)
	for _, it := range failed {
		if it := it.(map[string]any); it["key"] == "broken-variant" && it["errorCode"] != "GENERAL" {
			t.Errorf("failing flag in bulk: %v", it)
		}
	}
	if r := eval("prod-service", "", `{"context": {"targetingKey": "u1", "country": "SE"}}`, "If-None-Match", etag); r.status != 304 {
		t.Errorf("bulk unchanged: %d", r.status)
	}
	if r := eval("prod-service", "", `{"context": {"targetingKey": "u2", "country": "SE"}}`, "If-None-Match", etag); r.status != 200 {
		t.Errorf("bulk with another context: %d", r.status)
	}
	p.do("DELETE", "/api/v1/flags/production/old-promo", "admin", "")
	r = eval("prod-service", "", `{"context": {"targetingKey": "u1", "country": "SE"}}`, "If-None-Match", etag)
	if r.status != 200 || len(r.json(t)["flags"].([]any)) != 7 {
		t.Errorf("bulk after a change: %d %s", r.status, r.body)
	}
	if r := eval("prod-service", "", `{"context": []}`); r.status != 400 || r.json(t)["errorCode"] != "INVALID_CONTEXT" {
		t.Errorf("bulk bad context: %d %s", r.status, r.body)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// fields lists the paths of a 400's problems with their messages.
func (r reply) fields(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	e, _ := r.json(t)["error"].(map[string]any)
	fs, _ := e["fields"].([]any)
	for _, f := range fs {
		f := f.(map[string]any)
		out[f["field"].(string)] = f["problem"].(string)
	}
	return out
}

// Flag rules that would expand past the limits are refused with the path of the rule that passes them: a chain
// of $ref deeper than flags.MaxRefDepth on import (before, such a file took hours to import: every level doubled
// the work), and a put that would take the set past flags.MaxNodes.
func TestFlagRuleLimitsAreBadRequests(t *testing.T) {
	p := newFlagPortal(t, nil)
	chain := func(depth int) string {
		ev := []string{`"e0": {"in": [{"var": "email"}, ["ops@sphera.io"]]}`}
		for i := 1; i < depth; i++ {
			ev = append(ev, fmt.Sprintf(`"e%d": {"or": [{"$ref": "e%d"}, {"$ref": "e%d"}]}`, i, i-1, i-1))
		}
		return fmt.Sprintf(`{"$evaluators": {%s}, "flags": {"chained": {"state": "ENABLED", "variants": {"on": true,
			"off": false}, "defaultVariant": "off", "targeting": {"if": [{"$ref": "e%d"}, "on", "off"]}}}}`,
			strings.Join(ev, ", "), depth-1)
	}
	if r := p.do("POST", "/api/v1/flags/import?environment=staging", "admin", chain(30)); r.status != 200 {
		t.Fatalf("a 30-level chain: %d %s", r.status, r.body)
	}
	r := p.do("POST", "/api/v1/flags/import?environment=production", "admin", chain(40))
	deepest := fmt.Sprintf("/$evaluators/e%d", flags.MaxRefDepth)
	if r.status != 400 || !strings.Contains(r.fields(t)[deepest], "at most 32 may be nested") {
		t.Fatalf("a 40-level chain: %d %s", r.status, r.body)
	}
	if r := p.do("GET", "/api/v1/flags/production/chained", "admin", ""); r.status != 404 {
		t.Errorf("the refused import stored its flag: %d", r.status)
	}

	list := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("7,", n), ",") + "]" }
	big := `{"$evaluators": {"big": {"in": [{"var": "n"}, ` + list(flags.MaxNodes-1000) + `]}}, "flags": {}}`
	if r := p.do("POST", "/api/v1/flags/import?environment=dev", "admin", big); r.status != 200 {
		t.Fatalf("a set just within the limit: %d %.300s", r.status, r.body)
	}
	put := func(n int) reply {
		return p.do("PUT", "/api/v1/flags/dev/listed", "payments", `{"team": "payments", "flag": {"state": "ENABLED",
			"variants": {"on": true, "off": false}, "defaultVariant": "off",
			"targeting": {"if": [{"in": [{"var": "n"}, `+list(n)+`]}, "on", "off"]}}}`)
	}
	if r := put(2000); r.status != 400 || !strings.Contains(r.fields(t)["/flag/targeting"], "compile to more than") {
		t.Errorf("a flag taking the set past the limit: %d %.500s", r.status, r.body)
	}
	if r := put(100); r.status != 200 {
		t.Errorf("a flag within the limit: %d %.500s", r.status, r.body)
	}
}

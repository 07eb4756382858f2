package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/store"
)

// selfService is a portal with actions configured (no worker: these tests are about the API) and tokens for a
// developer of payments, a developer of search, a team owner of payments, a platform approver and an admin.
type selfService struct {
	*portal
	tok map[string]string
}

func newSelfService(t *testing.T) *selfService {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "portal.db"))
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
	cfg := actions.Config{Environments: map[string]actions.Environment{
		"staging":    {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryDirect},
		"production": {Regions: []string{"eu-west-1", "us-east-1"}, Delivery: actions.DeliveryDirect},
	}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	tokens := auth.Tokens{DB: db.SQL()}
	s := &selfService{tok: map[string]string{}}
	for name, grants := range map[string][]auth.Grant{
		"dana":  {{Role: auth.RoleDeveloper, Team: "payments"}},
		"sam":   {{Role: auth.RoleDeveloper, Team: "search"}},
		"olga":  {{Role: auth.RoleTeamOwner, Team: "payments"}},
		"pat":   {{Role: auth.RolePlatformApprover}},
		"admin": {{Role: auth.RoleAdmin}},
	} {
		secret, _, err := tokens.Create(ctx, auth.Token{Name: name, Subject: name, Grants: grants}, "")
		if err != nil {
			t.Fatal(err)
		}
		s.tok[name] = secret
	}
	srv := httptest.NewServer((&api.Portal{DB: db, Actions: actions.NewService(db.SQL(), cfg, db)}).Handler())
	t.Cleanup(srv.Close)
	s.portal = &portal{t: t, url: srv.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}
	return s
}

// do sends a request and decodes a JSON answer into out (when not nil); it returns the status and headers.
func (p *portal) do(method, path, token string, body string, hdr map[string]string, out any) (int, http.Header) {
	p.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, p.url+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			p.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header
}

type errBody struct {
	Error struct {
		Code    string             `json:"code"`
		Message string             `json:"message"`
		Fields  []api.FieldProblem `json:"fields"`
	} `json:"error"`
}

func (e errBody) fields() string {
	var f []string
	for _, p := range e.Error.Fields {
		f = append(f, p.Field)
	}
	return strings.Join(f, ",")
}

func (p *portal) count(table string) int {
	var n int
	if err := p.db.SQL().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		p.t.Fatal(err)
	}
	return n
}

func TestTokensLifecycle(t *testing.T) {
	s := newSelfService(t)
	admin := s.tok["admin"]

	// Bad requests name their fields and store nothing.
	before := s.count("api_tokens")
	var e errBody
	if code, _ := s.do("POST", "/api/v1/tokens", admin, `{"name":"","subject":"ci","grants":[{"role":"wizard"}],"scopes":["nope"],"expires_at":"2001-01-01T00:00:00Z"}`, nil, &e); code != 400 ||
		e.fields() != "name,grants[0].role,scopes[0],expires_at" {
		t.Fatalf("bad token request: %d %+v", code, e)
	}
	if code, _ := s.do("POST", "/api/v1/tokens", admin, `{"name":"x",`, nil, &e); code != 400 {
		t.Errorf("malformed JSON: %d", code)
	}
	if code, _ := s.do("POST", "/api/v1/tokens", admin, `{"name":"`+strings.Repeat("x", 20<<10)+`"}`, nil, &e); code != 413 {
		t.Errorf("oversized: %d", code)
	}
	if code, _ := s.do("POST", "/api/v1/tokens", s.tok["pat"], `{"name":"x","subject":"x","scopes":["catalog:read"]}`, nil, &e); code != 403 || !strings.Contains(e.Error.Message, "tokens:manage") {
		t.Errorf("approver created a token: %d %s", code, e.Error.Message)
	}
	if s.count("api_tokens") != before || s.count("audit_log") != 0 {
		t.Fatal("a refused token request wrote something")
	}

	var created struct {
		Token  auth.Token `json:"token"`
		Secret string     `json:"secret"`
	}
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	code, hdr := s.do("POST", "/api/v1/tokens", admin, `{"name":"ci reader","subject":"ci","scopes":["catalog:read"],"expires_at":"`+exp.Format(time.RFC3339)+`"}`,
		map[string]string{"X-Request-Id": "req-token-1"}, &created)
	if code != 201 || !strings.HasPrefix(created.Secret, auth.TokenPrefix) || !created.Token.ExpiresAt.Equal(exp) || created.Token.CreatedBy != "admin" {
		t.Fatalf("create: %d %+v", code, created)
	}
	if hdr.Get("X-Request-Id") != "req-token-1" {
		t.Errorf("request id not echoed: %q", hdr.Get("X-Request-Id"))
	}
	if code, _ := s.get("/api/v1/services?limit=1", created.Secret); code != 200 {
		t.Errorf("new token cannot read the catalog: %d", code)
	}
	if code, _ := s.do("GET", "/api/v1/actions", created.Secret, "", nil, &e); code != 403 {
		t.Errorf("scoped token reads actions: %d", code)
	}
	var list struct{ Tokens []map[string]any }
	s.do("GET", "/api/v1/tokens", admin, "", nil, &list)
	found := false
	for _, tk := range list.Tokens {
		if tk["id"] == created.Token.ID {
			found = true
		}
		for k, v := range tk {
			if s, ok := v.(string); ok && strings.HasPrefix(s, auth.TokenPrefix) {
				t.Errorf("list shows a secret in %s", k)
			}
		}
	}
	if !found {
		t.Error("created token not listed")
	}

	var revoked auth.Token
	if code, _ := s.do("DELETE", "/api/v1/tokens/"+created.Token.ID, admin, "", nil, &revoked); code != 200 || revoked.RevokedAt.IsZero() {
		t.Fatalf("revoke: %d %+v", code, revoked)
	}
	if code, body := s.get("/api/v1/services", created.Secret); code != 401 || body["error"] == nil {
		t.Errorf("revoked token still works: %d", code)
	}
	if code, _ := s.do("DELETE", "/api/v1/tokens/"+created.Token.ID, admin, "", nil, nil); code != 200 {
		t.Errorf("second revoke: %d", code)
	}
	if code, _ := s.do("DELETE", "/api/v1/tokens/tok_nope", admin, "", nil, &e); code != 404 {
		t.Errorf("unknown token: %d", code)
	}

	var page struct {
		Events []struct {
			Action, Resource, Actor, RequestID string
		}
	}
	s.do("GET", "/api/v1/audit?resource=token/", admin, "", nil, &page)
	if len(page.Events) != 2 || page.Events[0].Action != "token.revoked" || page.Events[1].Action != "token.created" {
		t.Fatalf("audit of tokens: %+v", page.Events)
	}
	var raw []map[string]any
	var pageRaw struct{ Events []map[string]any }
	s.do("GET", "/api/v1/audit?action=token.created", admin, "", nil, &pageRaw)
	raw = pageRaw.Events
	if len(raw) != 1 || raw[0]["request_id"] != "req-token-1" || raw[0]["actor"] != "admin" {
		t.Errorf("token.created event: %v", raw)
	}
}

func TestExpiredTokenIs401(t *testing.T) {
	s := newSelfService(t)
	secret, tk, err := auth.Tokens{DB: s.db.SQL()}.Create(context.Background(), auth.Token{Name: "old", Subject: "old",
		Grants: []auth.Grant{{Role: auth.RoleAdmin}}, ExpiresAt: time.Now().Add(-time.Minute)}, "")
	if err != nil {
		t.Fatal(err)
	}
	_ = tk
	var e errBody
	if code, hdr := s.do("GET", "/api/v1/actions", secret, "", nil, &e); code != 401 || e.Error.Code != "unauthorized" ||
		!strings.Contains(e.Error.Message, "expired") || hdr.Get("WWW-Authenticate") == "" {
		t.Errorf("expired token: %d %+v", code, e)
	}
}

func TestActionRequestsOverHTTP(t *testing.T) {
	s := newSelfService(t)
	dana, pat, olga := s.tok["dana"], s.tok["pat"], s.tok["olga"]
	good := `{"kind":"sqs_queue","service":"payments-api","environment":"production","region":"eu-west-1","params":{"name":"payments-refunds","visibility_timeout_seconds":60}}`
	key := func(k string) map[string]string { return map[string]string{"Idempotency-Key": k} }

	// Bad input: 400 naming the fields (or 413), and nothing written.
	tests := []struct {
		name, body string
		hdr        map[string]string
		status     int
		fields     string
	}{
		{"no idempotency key", good, nil, 400, "Idempotency-Key"},
		{"malformed JSON", `{"kind":`, key("a"), 400, ""},
		{"wrong type", `{"kind":5}`, key("a"), 400, "kind"},
		{"unknown field", `{"kind":"sqs_queue","colour":"red"}`, key("a"), 400, ""},
		{"unknown everything", `{"kind":"lambda","service":"nope","environment":"qa","region":"mars-1","params":{}}`, key("a"), 400, "environment,kind,service"},
		{"unknown region", `{"kind":"sqs_queue","service":"payments-api","environment":"staging","region":"us-east-1","params":{"name":"q"}}`, key("a"), 400, "region"},
		{"bad queue name", `{"kind":"sqs_queue","service":"payments-api","environment":"staging","region":"eu-west-1","params":{"name":"bad name!"}}`, key("a"), 400, "params.name"},
		{"fifo without suffix", `{"kind":"sqs_queue","service":"payments-api","environment":"staging","region":"eu-west-1","params":{"name":"q","fifo":true}}`, key("a"), 400, "params.name"},
		{"topic name too long", `{"kind":"sns_topic","service":"payments-api","environment":"staging","region":"eu-west-1","params":{"name":"` + strings.Repeat("t", 257) + `"}}`, key("a"), 400, "params.name"},
		{"subscription to a queue nobody has", `{"kind":"sns_topic","service":"payments-api","environment":"staging","region":"eu-west-1","params":{"name":"t","subscribe_queue":"ghost"}}`, key("a"), 400, "params.subscribe_queue"},
		{"oversized", `{"kind":"sqs_queue","service":"` + strings.Repeat("s", 70<<10) + `"}`, key("a"), 413, ""},
		{"other team's service", `{"kind":"sqs_queue","service":"search-api","environment":"staging","region":"eu-west-1","params":{"name":"q"}}`, key("a"), 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e errBody
			code, _ := s.do("POST", "/api/v1/actions", dana, tt.body, tt.hdr, &e)
			if code != tt.status || e.Error.Code == "" {
				t.Fatalf("status %d, want %d: %+v", code, tt.status, e)
			}
			if tt.fields != "" && e.fields() != tt.fields {
				t.Errorf("fields %q, want %q (%+v)", e.fields(), tt.fields, e.Error.Fields)
			}
		})
	}
	if n := s.count("actions") + s.count("action_events") + s.count("audit_log"); n != 0 {
		t.Fatalf("refused requests wrote %d rows", n)
	}
	if code, _ := s.do("POST", "/api/v1/actions", pat, good, key("a"), nil); code != 403 {
		t.Errorf("approver requested an action: %d", code)
	}

	// A good request is stored and waits for a platform approver; the same key returns it again.
	var a actions.Action
	code, hdr := s.do("POST", "/api/v1/actions", dana, good, key("req-1"), &a)
	if code != 201 || a.State != actions.StatePendingApproval || a.Team != "payments" || hdr.Get("Location") != "/api/v1/actions/"+a.ID ||
		len(a.Approvers) != 1 || a.Approvers[0] != "platform_approver" {
		t.Fatalf("request: %d %+v", code, a)
	}
	var again actions.Action
	if code, _ := s.do("POST", "/api/v1/actions", dana, good, key("req-1"), &again); code != 200 || again.ID != a.ID {
		t.Errorf("duplicate: %d %s", code, again.ID)
	}
	var e errBody
	if code, _ := s.do("POST", "/api/v1/actions", dana, strings.Replace(good, "refunds", "other", 1), key("req-1"), &e); code != 422 || e.Error.Code != "idempotency_key_reused" {
		t.Errorf("key reuse: %d %+v", code, e)
	}
	if s.count("actions") != 1 {
		t.Fatalf("actions: %d", s.count("actions"))
	}

	// Reads.
	var list struct{ Actions []actions.Action }
	if code, _ := s.do("GET", "/api/v1/actions?mine=true&state=pending_approval", dana, "", nil, &list); code != 200 || len(list.Actions) != 1 {
		t.Errorf("mine: %d %d", code, len(list.Actions))
	}
	if s.do("GET", "/api/v1/actions?mine=true", pat, "", nil, &list); len(list.Actions) != 0 {
		t.Errorf("approver's own: %d", len(list.Actions))
	}
	if s.do("GET", "/api/v1/actions?team=search", dana, "", nil, &list); len(list.Actions) != 0 {
		t.Errorf("team filter: %d", len(list.Actions))
	}
	if code, _ := s.do("GET", "/api/v1/actions?state=done", dana, "", nil, &e); code != 400 || e.fields() != "state" {
		t.Errorf("bad state filter: %d %+v", code, e)
	}
	var one actions.Action
	if code, _ := s.do("GET", "/api/v1/actions/"+a.ID, dana, "", nil, &one); code != 200 || len(one.History) != 1 || one.History[0].Actor != "dana" {
		t.Errorf("get: %d %+v", code, one)
	}
	if code, _ := s.do("GET", "/api/v1/actions/act_missing", dana, "", nil, &e); code != 404 {
		t.Errorf("missing: %d", code)
	}
	var opts struct {
		Kinds        []string
		Environments []struct {
			Name      string
			Approvers []string
		}
	}
	s.do("GET", "/api/v1/actions/options", dana, "", nil, &opts)
	if len(opts.Kinds) != 2 || len(opts.Environments) != 2 || opts.Environments[0].Name != "production" || len(opts.Environments[1].Approvers) != 0 {
		t.Errorf("options: %+v", opts)
	}

	// Approvals: the team owner may not approve production; the approver's inbox has it.
	if code, _ := s.do("POST", "/api/v1/actions/"+a.ID+"/approve", olga, "", nil, &e); code != 403 || !strings.Contains(e.Error.Message, "platform_approver") {
		t.Errorf("team owner approved production: %d %s", code, e.Error.Message)
	}
	if s.do("GET", "/api/v1/approvals", olga, "", nil, &list); len(list.Actions) != 0 {
		t.Errorf("team owner's inbox: %d", len(list.Actions))
	}
	if s.do("GET", "/api/v1/approvals", pat, "", nil, &list); len(list.Actions) != 1 {
		t.Errorf("approver's inbox: %d", len(list.Actions))
	}
	var view struct {
		MayApprove       bool   `json:"may_approve"`
		MayApproveReason string `json:"may_approve_reason"`
	}
	for who, want := range map[string]string{"pat": "", "dana": "nobody approves their own request", "olga": "platform_approver"} {
		s.do("GET", "/api/v1/actions/"+a.ID, s.tok[who], "", nil, &view)
		if view.MayApprove != (want == "") || !strings.Contains(view.MayApproveReason, want) {
			t.Errorf("%s sees may_approve=%v %q", who, view.MayApprove, view.MayApproveReason)
		}
	}
	if code, _ := s.do("POST", "/api/v1/actions/"+a.ID+"/reject", pat, `{}`, nil, &e); code != 400 || e.fields() != "reason" {
		t.Errorf("reject without reason: %d %+v", code, e)
	}
	if code, _ := s.do("POST", "/api/v1/actions/"+a.ID+"/reject", pat, `{"reason":"use the shared refunds queue"}`, nil, &one); code != 200 ||
		one.State != actions.StateRejected || one.Reason != "use the shared refunds queue" || len(one.History) != 2 {
		t.Fatalf("reject: %d %+v", code, one)
	}
	if code, _ := s.do("POST", "/api/v1/actions/"+a.ID+"/approve", pat, "", nil, &e); code != 409 {
		t.Errorf("approve after reject: %d", code)
	}

	// Staging needs no approval.
	var st actions.Action
	if code, _ := s.do("POST", "/api/v1/actions", dana, strings.Replace(good, "production", "staging", 1), key("req-2"), &st); code != 201 || st.State != actions.StateApproved {
		t.Errorf("staging: %d %s", code, st.State)
	}

	// The audit log has requests and decisions, the refused approval too; a JSON lines export has them all.
	var page struct{ Events []map[string]any }
	if code, _ := s.do("GET", "/api/v1/audit?resource=action/"+a.ID, pat, "", nil, &page); code != 200 {
		t.Fatalf("audit: %d", code)
	}
	var verbs []string
	for _, ev := range page.Events {
		verbs = append(verbs, ev["action"].(string)+":"+ev["outcome"].(string))
	}
	if strings.Join(verbs, " ") != "action.rejected:success action.approve:denied action.requested:success" {
		t.Errorf("audit of the action: %v", verbs)
	}
	if code, _ := s.do("GET", "/api/v1/audit?since=yesterday", pat, "", nil, &e); code != 400 || e.fields() != "since" {
		t.Errorf("bad since: %d", code)
	}
	if code, _ := s.do("GET", "/api/v1/audit", dana, "", nil, &e); code != 403 {
		t.Errorf("developer read the audit log: %d", code)
	}
	for _, how := range []struct{ path, accept string }{{"/api/v1/audit?format=jsonl", ""}, {"/api/v1/audit", api.NDJSON}} {
		req, _ := http.NewRequest("GET", s.url+how.path, nil)
		req.Header.Set("Authorization", "Bearer "+s.tok["admin"])
		if how.accept != "" {
			req.Header.Set("Accept", how.accept)
		}
		resp, err := s.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Header.Get("Content-Type") != api.NDJSON {
			t.Errorf("%s: content type %q", how.path, resp.Header.Get("Content-Type"))
		}
		lines := 0
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			var ev map[string]any
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev["action"] == nil {
				t.Errorf("bad line %q", sc.Text())
			}
			lines++
		}
		if lines != 4 {
			t.Errorf("%s: %d lines, want 4", how.path, lines)
		}
	}
	// Reads are not audited.
	if n := s.count("audit_log"); n != 4 {
		t.Errorf("audit rows after reads: %d", n)
	}
}

func TestSignInMethodsNeedNoCredentials(t *testing.T) {
	s := newSelfService(t)
	var m map[string]any
	if code, _ := s.do("GET", "/api/v1/auth/methods", "", "", nil, &m); code != 200 || m["token"] != true || m["oidc"] != nil {
		t.Errorf("%d %v", code, m)
	}
}

// TestKnownQueuesOverHTTP: a topic may subscribe the queues that exist or are requested in its environment and
// region — the portal lists them — and no other (400 at params.subscribe_queue, naming those there are).
func TestKnownQueuesOverHTTP(t *testing.T) {
	s := newSelfService(t)
	dana := s.tok["dana"]
	key := func(k string) map[string]string { return map[string]string{"Idempotency-Key": k} }
	var q actions.Action
	if code, _ := s.do("POST", "/api/v1/actions", dana, `{"kind":"sqs_queue","service":"payments-api","environment":"production","region":"eu-west-1","params":{"name":"payments-refunds"}}`, key("q"), &q); code != 201 {
		t.Fatalf("queue request: %d", code)
	}
	var list struct{ Items []actions.Queue }
	if code, _ := s.do("GET", "/api/v1/actions/queues?environment=production&region=eu-west-1", dana, "", nil, &list); code != 200 ||
		len(list.Items) != 1 || list.Items[0] != (actions.Queue{Name: "payments-refunds", State: actions.QueueRequested, Service: "payments-api", Team: "payments", Action: q.ID}) {
		t.Fatalf("queues: %d %+v", code, list)
	}
	if code, _ := s.do("GET", "/api/v1/actions/queues?environment=production&region=us-east-1", dana, "", nil, &list); code != 200 || len(list.Items) != 0 {
		t.Errorf("another region's queues: %d %+v", code, list)
	}
	for query, field := range map[string]string{"environment=qa&region=eu-west-1": "environment", "environment=production": "region",
		"environment=staging&region=us-east-1": "region", "environment=staging&region=eu-west-1&x=1": "x"} {
		var e errBody
		if code, _ := s.do("GET", "/api/v1/actions/queues?"+query, dana, "", nil, &e); code != 400 || e.fields() != field {
			t.Errorf("%s: %d %+v", query, code, e)
		}
	}

	topic := func(k, queue string) (int, errBody) {
		var e errBody
		code, _ := s.do("POST", "/api/v1/actions", dana, `{"kind":"sns_topic","service":"payments-api","environment":"production","region":"eu-west-1","params":{"name":"refunds-`+k+`","subscribe_queue":"`+queue+`"}}`, key(k), &e)
		return code, e
	}
	if code, e := topic("a", "payments-refunds"); code != 201 {
		t.Errorf("subscribing the requested queue: %d %+v", code, e)
	}
	code, e := topic("b", "payments-refunded")
	if code != 400 || e.fields() != "params.subscribe_queue" || !strings.Contains(e.Error.Fields[0].Problem, "payments-refunds") {
		t.Errorf("subscribing a queue nobody has: %d %+v", code, e)
	}
	if code, e := topic("c", "payments-refunds.fifo"); code != 400 || e.fields() != "params.subscribe_queue" {
		t.Errorf("a FIFO queue for a standard topic: %d %+v", code, e)
	}
}

package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/secrets"
	"github.com/sphera/atrium/internal/secrets/vault"
	"github.com/sphera/atrium/internal/store"
)

// secretsPortal is a portal with secrets in a vault: dev revealable by the owning team's developers, staging not;
// neither needs approval; production needs a platform approver.
func secretsPortal(t *testing.T) (*portal, *actions.Worker, map[string]string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "portal.db"))
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
	anywhere := false
	none := []string{}
	cfg := &secrets.Config{Required: []string{"dev"}, Environments: map[string]secrets.Environment{
		"dev":        {Backend: "local", Regions: []string{"eu-west-1"}, DeployedOnly: &anywhere, Reveal: []string{"developer"}, Approvers: &none},
		"staging":    {Backend: "local", Regions: []string{"eu-west-1"}, Approvers: &none},
		"production": {Backend: "local", Regions: []string{"eu-west-1", "us-east-1"}},
	}}
	if ps := cfg.Check(); ps.HasErrors() {
		t.Fatal(ps)
	}
	key, err := secrets.LoadStagingKey(filepath.Join(dir, "staging.key"))
	if err != nil {
		t.Fatal(err)
	}
	k, _ := vault.NewKey()
	v, err := vault.Open(filepath.Join(dir, "vault.json"), k)
	if err != nil {
		t.Fatal(err)
	}
	acts := actions.NewService(db.SQL(), actions.Config{}, db)
	svc := &secrets.Service{Config: cfg, DB: db, Actions: acts, Staging: &secrets.Staging{DB: db.SQL(), Key: key},
		Backends: map[string]secrets.Backend{"local": v}, Agents: agent.NewQueue(db.SQL(), agent.Config{}, nil),
		Approvers: actions.Config{}.ApproversOf, Audit: audit.Log{DB: db.SQL()}}
	w := actions.NewWorker(acts.Store, map[string]actions.Executor{secrets.Delivery: &secrets.Executor{Svc: svc}},
		actions.WorkerConfig{}, nil)
	tokens := map[string]string{}
	for name, g := range map[string]auth.Grant{"dana": {Role: auth.RoleDeveloper, Team: "payments"},
		"sam": {Role: auth.RoleDeveloper, Team: "search"}, "pat": {Role: auth.RolePlatformApprover},
		"olga": {Role: auth.RoleTeamOwner, Team: "payments"}} {
		s, _, err := auth.Tokens{DB: db.SQL()}.Create(ctx, auth.Token{Name: name, Subject: name, Grants: []auth.Grant{g}}, "")
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = s
	}
	srv := httptest.NewServer((&api.Portal{DB: db, Actions: acts, Secrets: svc}).Handler())
	t.Cleanup(srv.Close)
	return &portal{t: t, url: srv.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}, w, tokens
}

func runAll(t *testing.T, w *actions.Worker) {
	t.Helper()
	for {
		worked, err := w.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !worked {
			return
		}
	}
}

// TestSecretsOverHTTP: a developer creates their team's secret (an action whose parameters hold a reference, not
// the value), another team's developer may not; the same request again is the same action; the owning team reveals
// it in dev — once, not cached, audited with the reason — and nobody reveals where the conventions do not allow. The
// value is in no answer but the reveal's, in no audit entry, and in neither the database nor its write-ahead log.
func TestSecretsOverHTTP(t *testing.T) {
	p, w, tok := secretsPortal(t)
	value := "over-http-" + strings.Repeat("q7", 8)
	body := `{"service":"checkout-web","name":"db-password","environment":"dev","value":"` + value + `"}`
	key := map[string]string{"Idempotency-Key": "k1"}

	var e errBody
	if st, _ := p.do("POST", "/api/v1/secrets", tok["sam"], body, key, &e); st != 403 || e.Error.Code != "forbidden" {
		t.Fatalf("another team's developer: %d %+v", st, e)
	}
	if st, _ := p.do("POST", "/api/v1/secrets", tok["pat"], body, key, &e); st != 403 {
		t.Fatalf("a platform approver writes no secrets: %d", st)
	}
	var a actions.Action
	raw := &bytes.Buffer{}
	st, hdr := p.do("POST", "/api/v1/secrets", tok["dana"], body, key, &a)
	if st != 201 || a.Kind != secrets.KindCreate || a.State != actions.StateApproved || a.Delivery != secrets.Delivery ||
		!strings.HasPrefix(hdr.Get("Location"), "/api/v1/actions/") {
		t.Fatalf("create: %d %+v", st, a)
	}
	if err := json.NewEncoder(raw).Encode(a); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw.String(), value) || !strings.Contains(string(a.Params), `"value_ref":"sv_`) {
		t.Fatalf("the action's parameters: %s", a.Params)
	}
	var again actions.Action
	if st, _ := p.do("POST", "/api/v1/secrets", tok["dana"], body, key, &again); st != 200 || again.ID != a.ID {
		t.Errorf("the same request again: %d %s", st, again.ID)
	}
	other := strings.Replace(body, "db-password", "api-key", 1)
	if st, _ := p.do("POST", "/api/v1/secrets", tok["dana"], other, key, &e); st != 422 || e.Error.Code != "idempotency_key_reused" {
		t.Errorf("the key for another request: %d %+v", st, e)
	}
	runAll(t, w)
	var sec catalog.Secret
	if st, _ := p.do("GET", "/api/v1/secrets/checkout-web/db-password", tok["sam"], "", nil, &sec); st != 200 ||
		len(sec.Locations) != 1 || sec.Locations[0].Version == "" || sec.CreatedBy != "dana" || sec.Team != "payments" {
		t.Fatalf("every developer sees the metadata: %d %+v", st, sec)
	}
	if sec.FullName != "payments/checkout-web/db-password" {
		t.Errorf("full name %q", sec.FullName)
	}

	reveal := func(token, env, reason string, out any) (int, http.Header) {
		return p.do("POST", "/api/v1/secrets/checkout-web/db-password/reveal", token,
			`{"environment":"`+env+`","reason":"`+reason+`"}`, nil, out)
	}
	var rv secrets.Revealed
	st, hdr = reveal(tok["dana"], "dev", "debugging INC-42", &rv)
	if st != 200 || rv.Value != value || rv.RevealSeconds != 30 || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("reveal: %d %+v %v", st, rv, hdr)
	}
	if st, _ := reveal(tok["dana"], "dev", "", &e); st != 400 || !strings.Contains(e.fields(), "reason") {
		t.Errorf("a reveal without a reason: %d %+v", st, e)
	}
	if st, _ := reveal(tok["sam"], "dev", "curious", &e); st != 403 {
		t.Errorf("another team's developer reveals: %d", st)
	}
	if st, _ := reveal(tok["olga"], "dev", "curious", &e); st != 403 || !strings.Contains(e.Error.Message, "developer") {
		t.Errorf("dev reveals to developers only, not the owner: %d %+v", st, e)
	}
	// Staging: written, never revealed.
	staging := strings.Replace(strings.Replace(body, `"dev"`, `"staging"`, 1), "checkout-web", "billing-portal", 1)
	if st, _ := p.do("POST", "/api/v1/secrets", tok["dana"], staging, map[string]string{"Idempotency-Key": "k2"}, &a); st != 201 {
		t.Fatalf("staging: %d", st)
	}
	runAll(t, w)
	if st, _ := p.do("POST", "/api/v1/secrets/billing-portal/db-password/reveal", tok["dana"],
		`{"environment":"staging","reason":"x"}`, nil, &e); st != 403 || !strings.Contains(e.Error.Message, "allow no reveal in staging") {
		t.Errorf("a reveal in staging: %d %+v", st, e)
	}

	// The audit log: the reveal with its reason, the refusals, never the value.
	events, err := audit.Log{DB: p.db.SQL()}.Query(context.Background(), audit.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var revealed, denied int
	for _, ev := range events {
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), value) {
			t.Errorf("audit entry holds the value: %s", b)
		}
		if ev.Action == "secret.revealed" && ev.Outcome == audit.Success && ev.Detail["reason"] == "debugging INC-42" {
			revealed++
		}
		if ev.Action == "secret.revealed" && ev.Outcome == audit.Denied {
			denied++
		}
	}
	if revealed != 1 || denied < 3 {
		t.Errorf("audited reveals: %d, refusals %d", revealed, denied)
	}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(p.db.Path() + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(value)) {
			t.Errorf("%s holds the value", p.db.Path()+suffix)
		}
	}
}

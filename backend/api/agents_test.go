package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/store/storetest"
)

// agentPortal is a portal whose agent queue the test holds (so it can enqueue as a job would), with tokens for the
// agents of clusters eu and us, an admin and a developer.
type agentPortal struct {
	*portal
	q   *agent.Queue
	tok map[string]string
}

func newAgentPortal(t *testing.T) *agentPortal {
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
	quiet := slog.New(slog.DiscardHandler)
	// Only a wake-up can end a long poll early: no periodic look at the database.
	q := agent.NewQueue(db.SQL(), agent.Config{Recheck: time.Hour}, quiet)
	p := &agentPortal{q: q, tok: map[string]string{}}
	tokens := auth.Tokens{DB: db.SQL()}
	for name, tok := range map[string]auth.Token{
		"admin":     {Grants: []auth.Grant{{Role: auth.RoleAdmin}}},
		"developer": {Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}},
		"agent-eu":  {Scopes: []string{"agent:work:eu"}},
		"agent-us":  {Scopes: []string{"agent:work:us"}},
	} {
		tok.Name, tok.Subject = name, name
		secret, _, err := tokens.Create(ctx, tok, "")
		if err != nil {
			t.Fatal(err)
		}
		p.tok[name] = secret
	}
	srv := httptest.NewServer((&api.Portal{DB: db, Agents: q, Log: quiet}).Handler())
	t.Cleanup(srv.Close)
	p.portal = &portal{t: t, url: srv.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}
	return p
}

func (p *agentPortal) hello(cluster, token string) (int, agent.Settings) {
	p.t.Helper()
	k, _ := agent.GenerateKey()
	var s agent.Settings
	code, _ := p.do("POST", "/api/v1/agents/"+cluster+"/hello", token,
		fmt.Sprintf(`{"agent_id":"pod-1","version":"dev","kube_version":"v1.37.2","public_key":%q}`, k.Public), nil, &s)
	return code, s
}

func deployWork(key string) agent.Work {
	return agent.Work{Kind: "deploy", IdempotencyKey: key, Payload: agent.Payload{Namespace: "apps",
		Apply: []json.RawMessage{json.RawMessage(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"hello"},"data":{"a":"b"}}`)}}}
}

// TestAgentLongPollAnswersWhenWorkIsQueued: an agent's poll that is open when a job queues work answers with it at
// once (the queue is told; it does not look at the database again), leased to the agent.
func TestAgentLongPollAnswersWhenWorkIsQueued(t *testing.T) {
	p := newAgentPortal(t)
	if code, s := p.hello("eu", p.tok["agent-eu"]); code != 200 || s.Cluster != "eu" || s.LeaseSeconds != 30 ||
		!strings.HasPrefix(s.KeyID, "x25519:") {
		t.Fatalf("hello: %d %+v", code, s)
	}
	type answer struct {
		code int
		item agent.Item
		err  error
	}
	out := make(chan answer, 1)
	polls := make(chan string, 1)
	p.q.Waiting = func(cluster string) { polls <- cluster }
	go func() {
		req, _ := http.NewRequest("GET", p.url+"/api/v1/agents/eu/work?wait=50", nil)
		req.Header.Set("Authorization", "Bearer "+p.tok["agent-eu"])
		resp, err := p.hc.Do(req)
		if err != nil {
			out <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		var it agent.Item
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == 200 {
			err = json.Unmarshal(b, &it)
		}
		out <- answer{resp.StatusCode, it, err}
	}()
	if c := <-polls; c != "eu" { // the poll found nothing and waits: only the enqueue's wake-up can answer it
		t.Fatalf("a poll of %s waits", c)
	}
	var st struct{ Items []agent.Status }
	p.do("GET", "/api/v1/agents", p.tok["admin"], "", nil, &st)
	if len(st.Items) != 1 || st.Items[0].Polling != 1 || !st.Items[0].Connected || st.Items[0].Subject != "agent-eu" ||
		st.Items[0].KeyID == "" || st.Items[0].Version != "dev" {
		t.Errorf("status while polling: %+v", st.Items)
	}
	w, err := p.q.Enqueue(context.Background(), "eu", deployWork("act_1/deploy"))
	if err != nil {
		t.Fatal(err)
	}
	a := <-out
	if a.err != nil || a.code != 200 || a.item.ID != w.ID || a.item.State != agent.StateLeased || a.item.LeaseID == "" ||
		len(a.item.Payload.Apply) != 1 {
		t.Fatalf("long poll: %+v", a)
	}
}

func TestAgentLongPollAnswers204WhenNothingComes(t *testing.T) {
	p := newAgentPortal(t)
	code, hdr := p.do("GET", "/api/v1/agents/eu/work?wait=1", p.tok["agent-eu"], "", nil, nil)
	if code != 204 || hdr.Get("Content-Type") != "" {
		t.Fatalf("empty poll: %d %v", code, hdr)
	}
	code, _ = p.do("GET", "/api/v1/agents/eu/work", p.tok["agent-eu"], "", nil, nil)
	if code != 204 {
		t.Fatalf("poll without wait: %d", code)
	}
}

// TestAgentTokenActsForItsClusterOnly: a token scoped agent:work:eu is refused everything of cluster us, and
// everything that is not agent work; a developer has no agent route.
func TestAgentTokenActsForItsClusterOnly(t *testing.T) {
	p := newAgentPortal(t)
	w, _ := p.q.Enqueue(context.Background(), "us", deployWork("us-1"))
	lease := `{"lease_id":"lse_x"}`
	result := `{"lease_id":"lse_x","result":{"objects":[]}}`
	for _, tt := range []struct {
		method, path, token, body string
		want                      int
	}{
		{"POST", "/api/v1/agents/us/hello", "agent-eu", `{"public_key":"x"}`, 403},
		{"GET", "/api/v1/agents/us/work?wait=0", "agent-eu", "", 403},
		{"POST", "/api/v1/agents/us/work/" + w.ID + "/renew", "agent-eu", lease, 403},
		{"POST", "/api/v1/agents/us/work/" + w.ID + "/result", "agent-eu", result, 403},
		// Through its own cluster's path, another cluster's item does not exist.
		{"POST", "/api/v1/agents/eu/work/" + w.ID + "/result", "agent-eu", result, 404},
		{"POST", "/api/v1/agents/eu/work/" + w.ID + "/renew", "agent-eu", lease, 404},
		{"GET", "/api/v1/agents", "agent-eu", "", 403},
		{"GET", "/api/v1/services", "agent-eu", "", 403},
		{"GET", "/api/v1/agents/eu/work", "developer", "", 403},
		{"GET", "/api/v1/agents", "developer", "", 200},
		{"GET", "/api/v1/agents/us/work", "agent-us", "", 200}, // the us agent gets it
	} {
		var e errBody
		var out any = &e
		if tt.want == 200 {
			out = nil
		}
		code, _ := p.do(tt.method, tt.path, p.tok[tt.token], tt.body, nil, out)
		if code != tt.want {
			t.Errorf("%s %s as %s: %d, want %d (%s)", tt.method, tt.path, tt.token, code, tt.want, e.Error.Message)
		}
		if code == 403 && strings.HasPrefix(tt.path, "/api/v1/agents/us") && !strings.Contains(e.Error.Message, `cluster "us"`) {
			t.Errorf("%s %s: the refusal does not name the cluster: %q", tt.method, tt.path, e.Error.Message)
		}
	}
}

// TestAgentLeaseRenewAndReport walks an item through the API: leased, renewed, reported once; a repeat of the
// report is answered with the recorded item, a report under a lost lease is refused.
func TestAgentLeaseRenewAndReport(t *testing.T) {
	p := newAgentPortal(t)
	tok := p.tok["agent-eu"]
	w, _ := p.q.Enqueue(context.Background(), "eu", deployWork("a/1"))
	var it agent.Item
	if code, _ := p.do("GET", "/api/v1/agents/eu/work?wait=0", tok, "", nil, &it); code != 200 || it.ID != w.ID {
		t.Fatalf("lease: %d %+v", code, it)
	}
	var renewed struct {
		LeaseUntil time.Time `json:"lease_until"`
	}
	if code, _ := p.do("POST", "/api/v1/agents/eu/work/"+it.ID+"/renew", tok, fmt.Sprintf(`{"lease_id":%q}`, it.LeaseID),
		nil, &renewed); code != 200 || !renewed.LeaseUntil.After(time.Now()) {
		t.Fatalf("renew: %d %+v", code, renewed)
	}
	var e errBody
	if code, _ := p.do("POST", "/api/v1/agents/eu/work/"+it.ID+"/renew", tok, `{"lease_id":"lse_other"}`, nil, &e); code != 409 ||
		e.Error.Code != "lease_lost" {
		t.Errorf("renewing another lease: %d %+v", code, e)
	}
	report := fmt.Sprintf(`{"lease_id":%q,"result":{"objects":[{"apiVersion":"v1","kind":"ConfigMap","namespace":"apps",
		"name":"hello","action":"created"}]}}`, it.LeaseID)
	var done agent.Item
	if code, _ := p.do("POST", "/api/v1/agents/eu/work/"+it.ID+"/result", tok, report, nil, &done); code != 200 ||
		done.State != agent.StateSucceeded || done.Result == nil || done.Result.Objects[0].Action != agent.ActionCreated {
		t.Fatalf("report: %d %+v", code, done)
	}
	var again agent.Item
	if code, _ := p.do("POST", "/api/v1/agents/eu/work/"+it.ID+"/result", tok, report, nil, &again); code != 200 ||
		again.UpdatedAt != done.UpdatedAt {
		t.Errorf("the same report again: %d %+v", code, again)
	}
	e = errBody{}
	if code, _ := p.do("POST", "/api/v1/agents/eu/work/"+it.ID+"/result", tok,
		`{"lease_id":"lse_stale","result":{"objects":[],"message":"late"}}`, nil, &e); code != 409 || e.Error.Code != "lease_lost" {
		t.Errorf("a stale lease's report: %d %+v", code, e)
	}
	final, _ := p.q.Get(context.Background(), it.ID)
	if final.State != agent.StateSucceeded || final.Error != "" {
		t.Errorf("stored: %+v", final)
	}
}

// TestAgentRequestsAreBounded: bodies are JSON of bounded size with known fields; parameters and names checked.
func TestAgentRequestsAreBounded(t *testing.T) {
	p := newAgentPortal(t)
	tok := p.tok["agent-eu"]
	w, _ := p.q.Enqueue(context.Background(), "eu", deployWork("b/1"))
	var it agent.Item
	p.do("GET", "/api/v1/agents/eu/work", tok, "", nil, &it)
	huge := fmt.Sprintf(`{"lease_id":%q,"result":{"objects":[],"message":%q}}`, it.LeaseID, strings.Repeat("x", agent.MaxResult+8<<10))
	for _, tt := range []struct {
		name, method, path, body string
		hdr                      map[string]string
		want                     int
		code                     string
	}{
		{"result too large", "POST", "/api/v1/agents/eu/work/" + w.ID + "/result", huge, nil, 413, "too_large"},
		{"hello not JSON", "POST", "/api/v1/agents/eu/hello", `public_key=x`, map[string]string{"Content-Type": "text/plain"}, 415, "unsupported_media_type"},
		{"hello unknown field", "POST", "/api/v1/agents/eu/hello", `{"public_key":"x","admin":true}`, nil, 400, "bad_request"},
		{"hello bad key", "POST", "/api/v1/agents/eu/hello", `{"public_key":"bm90IGEga2V5"}`, nil, 400, "bad_request"},
		{"hello too large", "POST", "/api/v1/agents/eu/hello", `{"agent_id":"` + strings.Repeat("a", 20<<10) + `"}`, nil, 413, "too_large"},
		{"wait too long", "GET", "/api/v1/agents/eu/work?wait=61", "", nil, 400, "bad_request"},
		{"unknown parameter", "GET", "/api/v1/agents/eu/work?cluster=us", "", nil, 400, "bad_request"},
		{"bad cluster name", "GET", "/api/v1/agents/EU_1/work", "", nil, 400, "bad_request"},
		{"result without lease", "POST", "/api/v1/agents/eu/work/" + w.ID + "/result", `{"result":{"objects":[]}}`, nil, 400, "bad_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var e errBody
			code, _ := p.do(tt.method, tt.path, tok, tt.body, tt.hdr, &e)
			if code != tt.want || e.Error.Code != tt.code {
				t.Errorf("%d %+v, want %d %s", code, e, tt.want, tt.code)
			}
		})
	}
	if got, _ := p.q.Get(context.Background(), w.ID); got.State != agent.StateLeased {
		t.Errorf("a refused report changed the item: %+v", got)
	}
}

// TestAgentPollsAreBoundedPerCluster: beyond the open polls a cluster may have, a poll is answered 429 with
// Retry-After rather than held.
func TestAgentPollsAreBoundedPerCluster(t *testing.T) {
	p := newAgentPortal(t)
	p.q.Config.MaxPollsPerCluster = 1
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := make(chan string, 1)
	p.q.Waiting = func(cluster string) { polls <- cluster }
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, "GET", p.url+"/api/v1/agents/eu/work?wait=60", nil)
		req.Header.Set("Authorization", "Bearer "+p.tok["agent-eu"])
		if resp, err := http.DefaultClient.Do(req); err == nil { // cancelled below: not validated
			resp.Body.Close()
		}
	}()
	<-polls
	var e errBody
	code, hdr := p.do("GET", "/api/v1/agents/eu/work?wait=1", p.tok["agent-eu"], "", nil, &e)
	if code != 429 || e.Error.Code != "too_many_polls" || hdr.Get("Retry-After") == "" {
		t.Errorf("a second poll: %d %v %+v", code, hdr.Get("Retry-After"), e)
	}
	cancel()
	<-done
}

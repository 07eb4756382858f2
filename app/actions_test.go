package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/server"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/auth"
)

// TestDesktopForwardsActions: the UI's action requests go through the local API to the portal with the user's
// token, and come back with the portal's answer.
func TestDesktopForwardsActions(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	pending := []string{"platform_approver"} // so nothing runs: this test is about forwarding
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: adminToken, Demo: "on", Log: testLog(t),
		File: server.FileConfig{Actions: actions.Config{Environments: map[string]actions.Environment{
			"staging": {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryDirect, Approvers: &pending}}}}}
	go func() { done <- server.Serve(ctx, cfg, func(a string) { ready <- a }) }()
	var portalURL string
	select {
	case a := <-ready:
		portalURL = "http://" + a
	case err := <-done:
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	// An admin makes the developer's token through the API, as the admin UI would.
	admin := &localClient{t: t, url: portalURL, hc: http.DefaultClient}
	var created struct{ Secret string }
	req, _ := http.NewRequest("POST", portalURL+"/api/v1/tokens", strings.NewReader(
		`{"name":"dana's desktop","subject":"dana","grants":[{"role":"developer","team":"payments"}]}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := admin.hc.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create token: %v %v", resp, err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	rt, err := Open(context.Background(), t.TempDir(), portalURL, created.Secret, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	}()
	c := newLocalClient(t, rt)
	var me struct {
		Subject string
		Grants  []auth.Grant
	}
	if code := c.do("GET", "/api/v1/me", "", &me); code != 200 || me.Subject != "dana" {
		t.Fatalf("me through the desktop: %d %+v", code, me)
	}
	// Demo personas are local mode's: connected to a team portal there are none to choose, the portal has no such
	// endpoint, and the user stays who their token says.
	if code := c.do("GET", "/api/v1/local/personas", "", nil); code != http.StatusNotFound {
		t.Errorf("personas with a team portal: %d", code)
	}
	if code := c.do("PUT", "/api/v1/local/persona", `{"id":"pat"}`, nil); code != http.StatusNotFound {
		t.Errorf("choosing a persona with a team portal: %d", code)
	}
	for _, m := range []string{"GET", "PUT"} {
		req, _ := http.NewRequest(m, portalURL+"/api/v1/local/persona", strings.NewReader(`{"id":"pat"}`))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s on the portal: %d", m, resp.StatusCode)
		}
	}
	if code := c.do("GET", "/api/v1/me", "", &me); code != 200 || me.Subject != "dana" {
		t.Fatalf("me after asking for a persona: %d %+v", code, me)
	}
	body := `{"kind":"sqs_queue","service":"payments-api","environment":"staging","region":"eu-west-1","params":{"name":"from-desktop"}}`
	post := func() (int, actions.Action) {
		req, _ := http.NewRequest("POST", c.url+"/api/v1/actions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "desktop-1")
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a actions.Action
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, a
	}
	code, a := post()
	if code != 201 || a.Requester != "dana" || a.State != actions.StatePendingApproval {
		t.Fatalf("forwarded request: %d %+v", code, a)
	}
	if code, again := post(); code != 200 || again.ID != a.ID {
		t.Errorf("retry through the desktop: %d %s", code, again.ID)
	}
	var got actions.Action
	if code := c.do("GET", "/api/v1/actions/"+a.ID, "", &got); code != 200 || len(got.History) != 1 {
		t.Errorf("read back: %d %+v", code, got)
	}
}

// TestLocalModeSelfServicePreview: in local mode the demo's environments preview actions, so a developer can try
// the whole flow on a laptop: the request runs without approval in dev and its result is the Terraform a pull
// request would add; production waits for a platform approver, and the local user cannot approve their own.
func TestLocalModeSelfServicePreview(t *testing.T) {
	rt, err := Open(context.Background(), t.TempDir(), "", "", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	}()
	c := newLocalClient(t, rt)
	request := func(env, key string) actions.Action {
		t.Helper()
		body := `{"kind":"sqs_queue","service":"payments-api","environment":"` + env +
			`","region":"eu-west-1","params":{"name":"payments-events"}}`
		req, _ := http.NewRequest("POST", c.url+"/api/v1/actions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a actions.Action
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 201 {
			t.Fatalf("request in %s: %d %+v", env, resp.StatusCode, a)
		}
		return a
	}
	dev := request("dev", "local-dev-1")
	var got actions.Action
	waitFor(t, "preview in dev", 15*time.Second, func() bool {
		c.do("GET", "/api/v1/actions/"+dev.ID, "", &got)
		return got.State == actions.StateSucceeded
	})
	if !strings.Contains(got.Result["terraform"], `resource "aws_sqs_queue"`) || got.Result["terraform_path"] == "" {
		t.Errorf("preview result: %+v", got.Result)
	}
	prod := request("production", "local-prod-1")
	if prod.State != actions.StatePendingApproval {
		t.Fatalf("production needs a platform approver: %+v", prod)
	}
	if code := c.do("POST", "/api/v1/actions/"+prod.ID+"/approve", `{"reason":"lgtm"}`, nil); code != http.StatusForbidden {
		t.Errorf("self-approval: status %d", code)
	}
}

// TestLocalModeTopicsSubscribeQueuesThatExist: the SNS form's queue picker offers the queues that exist in the
// region — in the demo's production, whose requests are previewed, the ones the AWS inventory holds (the drift
// engine's, as the AWS collector would feed it) — beside those requested through the portal; a region the
// inventory does not cover offers only the requested ones.
func TestLocalModeTopicsSubscribeQueuesThatExist(t *testing.T) {
	c := newLocalClient(t, openLocal(t))
	queues := func(env, region string) map[string]actions.Queue {
		t.Helper()
		var list struct{ Items []actions.Queue }
		if code := c.do("GET", "/api/v1/actions/queues?environment="+env+"&region="+region, "", &list); code != 200 {
			t.Fatalf("queues of %s/%s: status %d", env, region, code)
		}
		out := map[string]actions.Queue{}
		for _, q := range list.Items {
			out[q.Name] = q
		}
		return out
	}
	eu := queues("production", "eu-west-1")
	if q, ok := eu["payment-events"]; !ok || q.State != actions.QueueExists {
		t.Errorf("production/eu-west-1 lacks the queue that exists there (payment-events): %+v", eu)
	}
	if dev := queues("dev", "eu-west-1"); len(dev) != 0 {
		t.Errorf("dev/eu-west-1 has no inventory and no request, yet offers %+v", dev)
	}
}

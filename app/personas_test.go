package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/audit"
)

// openLocal opens a desktop in local mode on a fresh data directory.
func openLocal(t *testing.T) *Runtime {
	t.Helper()
	rt, err := Open(context.Background(), t.TempDir(), "", "", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	})
	return rt
}

func (c *localClient) actAs(id string) {
	c.t.Helper()
	var list PersonaList
	if code := c.do("PUT", "/api/v1/local/persona", `{"id":"`+id+`"}`, &list); code != 200 || list.Active != id {
		c.t.Fatalf("act as %s: %d %+v", id, code, list)
	}
}

// requestAction posts an action request with an idempotency key and answers the status and the action (or the
// error body's code in Error).
func (c *localClient) requestAction(key, body string) (int, actions.Action) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.url+"/api/v1/actions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var a actions.Action
	_ = json.NewDecoder(resp.Body).Decode(&a) // an error body decodes to an empty action
	return resp.StatusCode, a
}

// TestLocalModePersonasCompleteAnApproval: in local mode one person requests a production queue as a demo
// developer, cannot approve it as that developer, nor as an owner of the team (production needs a platform
// approver), nor request for another team's service as a developer of that other team; as the demo platform
// approver they approve it, and it runs. The portal's real policy decides each time, and the audit log names the
// personas.
func TestLocalModePersonasCompleteAnApproval(t *testing.T) {
	rt := openLocal(t)
	c := newLocalClient(t, rt)

	var list PersonaList
	if code := c.do("GET", "/api/v1/local/personas", "", &list); code != 200 || list.Active != PersonaYou {
		t.Fatalf("personas: %d %+v", code, list)
	}
	ids := map[string]persona{}
	for _, p := range list.Personas {
		ids[p.ID] = p
	}
	if len(ids) != 5 || ids[PersonaYou].Demo || !ids["pat"].Demo || !strings.HasPrefix(ids["dana"].Subject, "demo-") {
		t.Fatalf("personas: %+v", list.Personas)
	}

	c.actAs("dana")
	var me struct {
		Subject, Via string
		Permissions  []string
	}
	if code := c.do("GET", "/api/v1/me", "", &me); code != 200 || me.Subject != "demo-dana" || me.Via != ViaPersona {
		t.Fatalf("me as dana: %d %+v", code, me)
	}
	body := `{"kind":"sqs_queue","service":"payments-api","environment":"production","region":"eu-west-1","params":{"name":"payments-settlements"}}`
	code, a := c.requestAction("persona-prod-1", body)
	if code != 201 || a.Requester != "demo-dana" || a.State != actions.StatePendingApproval {
		t.Fatalf("dana's production request: %d %+v", code, a)
	}
	approve := func() int {
		return c.do("POST", "/api/v1/actions/"+a.ID+"/approve", `{"reason":"ok"}`, nil)
	}
	if code := approve(); code != http.StatusForbidden {
		t.Errorf("a developer approved: %d", code)
	}

	c.actAs("gus") // a developer of growth
	if code, _ := c.requestAction("persona-gus-1", body); code != http.StatusForbidden {
		t.Errorf("a developer of growth requested for payments: %d", code)
	}

	c.actAs("olu") // an owner of payments: staging yes, production no
	var view struct {
		MayApprove       bool   `json:"may_approve"`
		MayApproveReason string `json:"may_approve_reason"`
	}
	c.do("GET", "/api/v1/actions/"+a.ID, "", &view)
	if view.MayApprove || !strings.Contains(view.MayApproveReason, "platform_approver") {
		t.Errorf("a team owner may approve production: %+v", view)
	}
	if code := approve(); code != http.StatusForbidden {
		t.Errorf("a team owner approved production: %d", code)
	}

	c.actAs("pat")
	if code := approve(); code != 200 {
		t.Fatalf("the platform approver could not approve: %d", code)
	}
	var got actions.Action
	waitFor(t, "the approved preview", 15*time.Second, func() bool {
		c.do("GET", "/api/v1/actions/"+a.ID, "", &got)
		return got.State == actions.StateSucceeded
	})
	if len(got.Approvals) != 1 || got.Approvals[0].Approver != "demo-pat" || !strings.Contains(got.Result["terraform"], "payments-settlements") {
		t.Errorf("after approval: %+v", got)
	}

	// Staging needs an owner of the team: Olu approves Dana's request there.
	c.actAs("dana")
	code, st := c.requestAction("persona-staging-1", strings.Replace(body, "production", "staging", 1))
	if code != 201 || st.State != actions.StatePendingApproval {
		t.Fatalf("dana's staging request: %d %+v", code, st)
	}
	c.actAs("olu")
	if code := c.do("POST", "/api/v1/actions/"+st.ID+"/approve", `{}`, nil); code != 200 {
		t.Errorf("the team owner could not approve staging: %d", code)
	}

	c.actAs(PersonaYou)
	var page struct{ Events []audit.Event }
	c.do("GET", "/api/v1/audit?resource=action/"+a.ID, "", &page)
	actors := map[string]string{}
	for _, e := range page.Events {
		if e.Outcome == audit.Success {
			actors[e.Action] = e.Actor
		}
	}
	if actors["action.requested"] != "demo-dana" || actors["action.approved"] != "demo-pat" {
		t.Errorf("audit actors: %+v", actors)
	}
	denied := 0
	for _, e := range page.Events {
		if e.Action == "action.approve" && e.Outcome == audit.Denied && e.Actor == "demo-olu" {
			denied++
		}
	}
	if denied != 1 {
		t.Errorf("the team owner's refused approval is not audited under their name: %+v", page.Events)
	}
	if code := c.do("GET", "/api/v1/me", "", &me); code != 200 || me.Via != "local" {
		t.Errorf("back to the user: %+v", me)
	}
}

// TestPersonaChoiceIsChecked: an unknown persona is a 400 naming the field, and changes nothing.
func TestPersonaChoiceIsChecked(t *testing.T) {
	rt := openLocal(t)
	c := newLocalClient(t, rt)
	c.actAs("pat")
	var e struct {
		Error struct {
			Code   string
			Fields []struct{ Field, Problem string }
		}
	}
	if code := c.do("PUT", "/api/v1/local/persona", `{"id":"root"}`, &e); code != 400 || len(e.Error.Fields) != 1 || e.Error.Fields[0].Field != "id" {
		t.Fatalf("unknown persona: %d %+v", code, e)
	}
	if rt.actingAs().Subject != "demo-pat" {
		t.Errorf("a refused choice changed the persona: %+v", rt.actingAs())
	}
}

// TestPersonaNeedsTheLaunchToken: through `atrium web`, choosing a persona is a change like any other — it needs
// the launch token and this origin; without them nothing changes.
func TestPersonaNeedsTheLaunchToken(t *testing.T) {
	rt := openLocal(t)
	srv := httptest.NewUnstartedServer(nil)
	host := srv.Listener.Addr().String()
	token := "launch-token-personas-0123456789"
	srv.Config.Handler = WebHandler(rt.LocalAPI("web"), fstest.MapFS{"index.html": {Data: []byte("<html/>")}}, host, token)
	srv.Start()
	t.Cleanup(srv.Close)
	put := func(hdr map[string]string) int {
		req, _ := http.NewRequest("PUT", srv.URL+"/api/v1/local/persona", strings.NewReader(`{"id":"pat"}`))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := put(nil); code != http.StatusUnauthorized {
		t.Errorf("without the launch token: %d", code)
	}
	if code := put(map[string]string{"Authorization": "Bearer " + token, "Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"}); code != http.StatusForbidden {
		t.Errorf("from another origin: %d", code)
	}
	if got := rt.actingAs(); got.Via != "local" {
		t.Fatalf("a refused request changed the persona: %+v", got)
	}
	if code := put(map[string]string{"Authorization": "Bearer " + token}); code != 200 || rt.actingAs().Subject != "demo-pat" {
		t.Errorf("with the launch token: %d %+v", code, rt.actingAs())
	}
}

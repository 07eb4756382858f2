package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/store/storetest"
)

type failing struct{}

func (failing) Execute(ctx context.Context, a actions.Action) (actions.Outcome, error) {
	return actions.RunSteps(ctx, a, []actions.Step{
		{ID: "one", Title: "Step one", Run: func(context.Context, *actions.StepRun) (actions.Output, error) {
			return actions.Output{Values: map[string]string{"made": "yes"}, LeftBehind: "thing one"}, nil
		}},
		{ID: "two", Title: "Step two", Run: func(context.Context, *actions.StepRun) (actions.Output, error) {
			return actions.Output{}, actions.Permanentf("the second step cannot be done")
		}},
	})
}

// TestRetryCancelAndFollowOverHTTP: a failed action is retried from its failed step by its requester (not by a
// developer of another team, which is refused and audited); an unfinished one is cancelled; a long poll on the
// action answers at its next version.
func TestRetryCancelAndFollowOverHTTP(t *testing.T) {
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
	cfg := actions.Config{Environments: map[string]actions.Environment{"staging": {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryDirect}}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	svc := actions.NewService(db.SQL(), cfg, db)
	w := actions.NewWorker(svc.Store, map[string]actions.Executor{actions.DeliveryDirect: failing{}}, cfg.Worker, slog.New(slog.DiscardHandler))
	tok := map[string]string{}
	for name, grants := range map[string][]auth.Grant{
		"dana": {{Role: auth.RoleDeveloper, Team: "payments"}},
		"sam":  {{Role: auth.RoleDeveloper, Team: "search"}},
	} {
		secret, _, err := auth.Tokens{DB: db.SQL()}.Create(ctx, auth.Token{Name: name, Subject: name, Grants: grants}, "")
		if err != nil {
			t.Fatal(err)
		}
		tok[name] = secret
	}
	srv := httptest.NewServer((&api.Portal{DB: db, Actions: svc}).Handler())
	t.Cleanup(srv.Close)
	p := &portal{t: t, url: srv.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}
	request := func(key string) api.ActionView {
		var a api.ActionView
		if st, _ := p.do("POST", "/api/v1/actions", tok["dana"], `{"kind":"sqs_queue","service":"payments-api",
			"environment":"staging","region":"eu-west-1","params":{"name":"q-`+key+`"}}`, map[string]string{"Idempotency-Key": key}, &a); st != 201 {
			t.Fatalf("request: %d", st)
		}
		return a
	}

	a := request("r1")
	if ran, err := w.RunOnce(ctx); !ran || err != nil {
		t.Fatal(ran, err)
	}
	var got api.ActionView
	p.do("GET", "/api/v1/actions/"+a.ID, tok["dana"], "", nil, &got)
	if got.State != actions.StateFailed || len(got.Steps) != 2 || got.Steps[1].State != actions.StepFailed ||
		got.Steps[1].Error != "the second step cannot be done" || !got.MayRetry || got.MayCancel {
		t.Fatalf("failed action: %+v", got)
	}
	p.do("GET", "/api/v1/actions/"+a.ID, tok["sam"], "", nil, &got)
	if got.MayRetry || got.MayCancel {
		t.Errorf("sam may retry or cancel: %+v", got)
	}
	var e errBody
	if st, _ := p.do("POST", "/api/v1/actions/"+a.ID+"/retry", tok["sam"], "", nil, &e); st != 403 || !strings.Contains(e.Error.Message, "only dana") {
		t.Errorf("sam retries: %d %+v", st, e)
	}
	evs, _ := audit.Log{DB: db.SQL()}.Query(ctx, audit.Filter{Action: "action.retry", Resource: "action/" + a.ID})
	if len(evs) != 1 || evs[0].Outcome != audit.Denied || evs[0].Actor != "sam" {
		t.Errorf("the refusal is not audited: %+v", evs)
	}
	var r api.ActionView
	if st, _ := p.do("POST", "/api/v1/actions/"+a.ID+"/retry", tok["dana"], "", nil, &r); st != 200 || r.State != actions.StateApproved ||
		r.Steps[0].State != actions.StepSucceeded || r.Steps[1].State != actions.StepPending {
		t.Fatalf("retry: %d %+v", st, r)
	}
	if st, _ := p.do("POST", "/api/v1/actions/"+a.ID+"/retry", tok["dana"], "", nil, &e); st != 409 {
		t.Errorf("retry of an approved action: %d", st)
	}

	// Follow: a long poll answers at the next version; here the cancel is that change.
	b := request("r2")
	done := make(chan api.ActionView, 1)
	go func() {
		var next api.ActionView
		p.do("GET", fmt.Sprintf("/api/v1/actions/%s?wait=30&version=%d", b.ID, b.Version), tok["dana"], "", nil, &next)
		done <- next
	}()
	var c api.ActionView
	if st, _ := p.do("POST", "/api/v1/actions/"+b.ID+"/cancel", tok["sam"], `{"reason":"not mine"}`, nil, &e); st != 403 {
		t.Errorf("sam cancels: %d", st)
	}
	if st, _ := p.do("POST", "/api/v1/actions/"+b.ID+"/cancel", tok["dana"], `{"reason":"wrong queue"}`, nil, &c); st != 200 ||
		c.State != actions.StateCancelled || c.Result["left_behind"] != "nothing was created" || c.Reason != "wrong queue" {
		t.Fatalf("cancel: %d %+v", st, c)
	}
	if next := <-done; next.State != actions.StateCancelled || next.Version <= b.Version {
		t.Errorf("long poll: %+v", next)
	}
	if st, _ := p.do("POST", "/api/v1/actions/"+b.ID+"/cancel", tok["dana"], "", nil, &e); st != 409 {
		t.Errorf("cancel twice: %d", st)
	}
	if st, _ := p.do("GET", "/api/v1/actions/"+b.ID+"?wait=5", tok["dana"], "", nil, &e); st != 400 || !strings.Contains(e.fields(), "version") {
		t.Errorf("wait without version: %d %+v", st, e)
	}
	var list api.ActionList
	if st, _ := p.do("GET", "/api/v1/actions?state=cancelled", tok["dana"], "", nil, &list); st != 200 || len(list.Actions) != 1 {
		t.Errorf("list of cancelled actions: %d %+v", st, list)
	}
}

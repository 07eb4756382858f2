//go:build integration

package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

// gitHubHold sits between the portal and the GitHub fake. While holding, the first request matching method and
// path suffix is passed on — GitHub does what it asks — and its answer is kept from the portal until the portal's
// connection goes away: the portal dies not knowing whether GitHub acted.
type gitHubHold struct {
	url          string
	method, path string
	holding      atomic.Bool
	held         atomic.Bool
	reached      chan struct{}
	once         sync.Once
}

func newGitHubHold(t *testing.T, target, method, path string) *gitHubHold {
	t.Helper()
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	h := &gitHubHold{method: method, path: path, reached: make(chan struct{})}
	h.holding.Store(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.holding.Load() || r.Method != h.method || !strings.HasSuffix(r.URL.Path, h.path) || !h.held.CompareAndSwap(false, true) {
			rp.ServeHTTP(w, r)
			return
		}
		out, _ := http.NewRequest(r.Method, target+r.URL.RequestURI(), r.Body)
		out.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(out)
		if err != nil {
			t.Errorf("to GitHub: %v", err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body) // GitHub's answer is never delivered: the portal is gone by then
		resp.Body.Close()
		h.once.Do(func() { close(h.reached) })
		<-r.Context().Done() // the portal died; the answer dies with it
	})}
	go func() { _ = srv.Serve(ln) }() // ErrServerClosed when the test ends
	t.Cleanup(func() { _ = srv.Close() })
	h.url = "http://" + ln.Addr().String()
	return h
}

// TestKilledGoldenPathRunResumesAtItsStep kills the portal (SIGKILL) while GitHub carries out a step's write —
// creating the repository, clearing its marker, moving the branch to the initial commit, opening the
// infrastructure pull request — restarts it on the same data directory, and checks that the run resumes at that
// step and completes with exactly one repository, one commit on main and one pull request; then an agent's report
// finishes it.
func TestKilledGoldenPathRunResumesAtItsStep(t *testing.T) {
	bin := buildServer(t)
	for _, c := range []struct{ name, method, path, step string }{
		{"creating the repository", "POST", "/orgs/sphera/repos", "create_repository"},
		{"after the repository, clearing its marker", "PATCH", "/repos/sphera/orders", "create_repository"},
		{"moving main to the initial commit", "PATCH", "/repos/sphera/orders/git/refs/heads/main", "push_initial_commit"},
		{"opening the pull request", "POST", "/repos/sphera/infra/pulls", "open_infra_pull_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			gh := githubtest.New(t)
			gh.AddOrg("sphera")
			gh.AddRepo("sphera", githubtest.Repo{Name: "infra", Files: map[string]string{"README.md": "infra\n"}})
			hold := newGitHubHold(t, gh.URL, c.method, c.path)
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			cfg := filepath.Join(dir, "atrium.yaml")
			if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`actions:
  worker: {lease: 2s, poll: 200ms}
  github: {api_url: %s}
  environments:
    dev: {regions: [eu-west-1], delivery: direct, approvers: []}
golden_path:
  github: {org: sphera}
  infra: {repo: sphera/infra}
  environments:
    - {name: dev, regions: [eu-west-1], clusters: [{name: dev-1, region: eu-west-1}]}
  registry: registry.example.com/sphera
`, hold.url)), 0o600); err != nil {
				t.Fatal(err)
			}
			log := &syncBuffer{}
			env := "ATRIUM_GITHUB_TOKEN=" + gh.Token
			first := startPortal(t, bin, data, cfg, log, env)
			var a actions.Action
			if code := first.call(t, "POST", "/api/v1/actions", `{"kind":"service_create","environment":"dev",
				"params":{"template":"go-http-service","parameters":{"name":"orders","team":"payments","description":"Orders"}}}`,
				map[string]string{"Idempotency-Key": "crash-golden"}, &a); code != 201 {
				t.Fatalf("request: %d %+v\n%s", code, a, log)
			}
			select {
			case <-hold.reached:
			case <-time.After(60 * time.Second):
				t.Fatalf("%s %s never reached GitHub\n%s", c.method, c.path, log)
			}
			if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = first.cmd.Wait() // "signal: killed", as sent
			hold.holding.Store(false)

			second := startPortal(t, bin, data, cfg, log, env)
			a = followAction(t, second, a.ID, log, func(a actions.Action) bool {
				// Waiting for the agent: the wait step runs and the run's result so far is stored.
				return a.State.Final() || len(a.Steps) == 7 && a.Steps[6].State == actions.StepRunning && a.Result["work_id:dev-1"] != ""
			})
			if a.State != actions.StateRunning {
				t.Fatalf("after restart: %s %q %+v", a.State, a.Error, a.Steps)
			}
			// The step that was cut short ran again, the ones before it did not.
			for _, st := range a.Steps {
				want := 1
				if st.ID == c.step {
					want = 2
				}
				if st.Attempts != want {
					t.Errorf("step %s ran %d times, want %d", st.ID, st.Attempts, want)
				}
			}
			if n := gh.Counts().Writes[githubtest.KindCreateRepo]; n != 1 {
				t.Errorf("%d repository creations", n)
			}
			if h := gh.History("sphera", "orders", "main"); len(h) != 1 || h[0] != a.Result["commit_sha"] {
				t.Errorf("main: %v, commit %s", h, a.Result["commit_sha"])
			}
			if p := gh.Pulls("sphera", "infra"); len(p) != 1 || a.Result["pr_url"] == "" {
				t.Errorf("pull requests: %+v", p)
			}
			if info := gh.Info("sphera", "orders"); info.Description != "Orders" {
				t.Errorf("description %q (the marker stays only until the id is recorded)", info.Description)
			}

			// The agent of dev-1 takes the hello-world and reports it available: the run ends.
			var tok api.TokenCreated
			if code := second.call(t, "POST", "/api/v1/tokens", `{"name":"agent dev-1","subject":"agent-dev-1","scopes":["agent:work:dev-1"]}`,
				nil, &tok); code != 201 {
				t.Fatalf("agent token: %d", code)
			}
			it := agentTakes(t, second, tok.Secret)
			res := agent.Result{Objects: []agent.ObjectResult{
				{ObjectRef: agent.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "payments", Name: "orders"},
					Action: agent.ActionCreated, Rollout: &agent.Rollout{Status: agent.RolloutAvailable, Replicas: 1, Updated: 1, Available: 1}},
				{ObjectRef: agent.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: "payments", Name: "orders"},
					Action: agent.ActionCreated, URL: "http://orders.payments.svc.cluster.local:8080"}}}
			if code := agentCall(t, second, tok.Secret, "POST", "/api/v1/agents/dev-1/work/"+it.ID+"/result",
				map[string]any{"lease_id": it.LeaseID, "result": res}, nil); code != 200 {
				t.Fatalf("report: %d", code)
			}
			a = followAction(t, second, a.ID, log, func(a actions.Action) bool { return a.State.Final() })
			resumed := 0
			for _, h := range a.History {
				if strings.HasPrefix(h.Message, "resumed after an interrupted attempt") {
					resumed++
				}
			}
			if a.State != actions.StateSucceeded || a.Result["url"] != "http://orders.payments.svc.cluster.local:8080" || resumed != 1 {
				t.Errorf("%s %q, url %q, resumed %d times", a.State, a.Error, a.Result["url"], resumed)
			}
			if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := second.cmd.Wait(); err != nil {
				t.Errorf("the second portal did not stop cleanly on SIGTERM: %v", err)
			}
		})
	}
}

// followAction follows action id with the API's long poll until done says so.
func followAction(t *testing.T, p *portalProcess, id string, log *syncBuffer, done func(actions.Action) bool) actions.Action {
	t.Helper()
	var a api.ActionView
	p.call(t, "GET", "/api/v1/actions/"+id, "", nil, &a)
	deadline := time.Now().Add(60 * time.Second)
	for !done(a.Action) {
		if time.Now().After(deadline) {
			t.Fatalf("action %s: %s %q %+v\n%s", id, a.State, a.Error, a.Steps, log)
		}
		p.call(t, "GET", fmt.Sprintf("/api/v1/actions/%s?wait=10&version=%d", id, a.Version), "", nil, &a)
	}
	return a.Action
}

// agentTakes leases the next work item of dev-1 as its agent would, over the agent API.
func agentTakes(t *testing.T, p *portalProcess, token string) agent.Item {
	t.Helper()
	var it agent.Item
	if code := agentCall(t, p, token, "GET", "/api/v1/agents/dev-1/work?wait=30", nil, &it); code != 200 {
		t.Fatalf("lease: %d", code)
	}
	return it
}

// agentCall is portalProcess.call with the agent's token.
func agentCall(t *testing.T, p *portalProcess, token, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

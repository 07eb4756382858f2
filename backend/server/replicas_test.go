//go:build integration

// Two portal replicas on one PostgreSQL, checked from outside: the built `atrium` binary runs twice as `atrium serve
// --database postgres://... --addr ...`, each with a data directory of its own, and the test talks to them over
// HTTP only.

package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/direct/goawstest"
	"github.com/sphera/atrium/internal/store/pgtest"
)

var (
	atriumOnce sync.Once
	atriumBin  string
	atriumErr  error
)

// buildAtrium builds the atrium binary (without the UI: serve needs none) once per test binary.
func buildAtrium(t *testing.T) string {
	t.Helper()
	atriumOnce.Do(func() {
		dir, err := os.MkdirTemp("", "atrium-bin-")
		if err != nil {
			atriumErr = err
			return
		}
		atriumBin = filepath.Join(dir, "atrium")
		cmd := exec.Command("go", "build", "-o", atriumBin, "github.com/sphera/atrium")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			atriumErr = fmt.Errorf("build atrium: %w\n%s", err, out)
		}
	})
	if atriumErr != nil {
		t.Fatal(atriumErr)
	}
	return atriumBin
}

// replica is one `atrium serve` process.
type replica struct {
	cmd *exec.Cmd
	url string
	log *syncBuffer
}

// startReplica runs `atrium serve --database url` with a data directory of its own and waits for /healthz.
func startReplica(t *testing.T, bin, database string, extra ...string) *replica {
	t.Helper()
	return startReplicaEnv(t, bin, database, nil, extra...)
}

// startReplicaEnv is startReplica with more environment variables.
func startReplicaEnv(t *testing.T, bin, database string, env []string, extra ...string) *replica {
	t.Helper()
	addr := freeAddr(t)
	log := &syncBuffer{}
	data := t.TempDir()
	args := append([]string{"serve", "--database", database, "--addr", addr, "--data", data, "--demo", "on"},
		extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "ATRIUM_ADMIN_TOKEN=" + adminToken,
		"AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(data, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(data, "no-aws-credentials")}, env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{cmd: cmd, url: "http://" + addr, log: log}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(r.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica did not start: %v\n%s", err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// call sends method path with body (JSON) as token and returns the status and the body.
func (r *replica) call(t *testing.T, token, method, path, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, r.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// TestTwoReplicasOnOnePostgres is the contract of several replicas checked from outside: a token created through one
// is accepted by the other; a flag changed through one is read back, at its new version, from the other; the change
// feed read from either gives the same cursor and the same entities.
func TestTwoReplicasOnOnePostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	bin := buildAtrium(t)
	a := startReplica(t, bin, url)
	b := startReplica(t, bin, url)

	// A token created through one replica is accepted by the other.
	code, body := a.call(t, adminToken, "POST", "/api/v1/tokens",
		`{"name": "dana's laptop", "subject": "dana", "grants": [{"role": "developer", "team": "payments"}]}`)
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("create token through A: %d %s", code, body)
	}
	secret := decode[struct {
		Secret string `json:"secret"`
	}](t, body).Secret
	code, body = b.call(t, secret, "GET", "/api/v1/me", "")
	if me := decode[map[string]any](t, body); code != http.StatusOK || me["subject"] != "dana" {
		t.Errorf("the token through B: %d %s", code, body)
	}

	// A flag changed through one is read back, at its new version, from the other — both ways.
	type flag struct {
		Version    int             `json:"version"`
		Definition json.RawMessage `json:"definition"`
	}
	put := func(r *replica, variant string) flag {
		code, body := r.call(t, adminToken, "PUT", "/api/v1/flags/dev/replicated-banner", `{"team": "payments",
			"flag": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "`+variant+`"}}`)
		if code != http.StatusOK && code != http.StatusCreated {
			t.Fatalf("put flag through %s: %d %s", r.url, code, body)
		}
		return decode[flag](t, body)
	}
	get := func(r *replica) flag {
		code, body := r.call(t, adminToken, "GET", "/api/v1/flags/dev/replicated-banner", "")
		if code != http.StatusOK {
			t.Fatalf("get flag through %s: %d %s", r.url, code, body)
		}
		return decode[flag](t, body)
	}
	if v1 := put(a, "off"); v1.Version != 1 || get(b).Version != 1 {
		t.Errorf("version 1 written through A, B reads version %d", get(b).Version)
	}
	v2 := put(b, "on")
	if got := get(a); v2.Version != 2 || got.Version != 2 || !strings.Contains(string(got.Definition), `"defaultVariant":"on"`) {
		t.Errorf("version 2 written through B, A reads %+v", got)
	}

	// The change feed read from either replica: the same cursor and the same entities.
	feed := func(r *replica) map[string]any {
		code, body := r.call(t, adminToken, "GET", "/api/v1/changes?limit=1000", "")
		if code != http.StatusOK {
			t.Fatalf("changes from %s: %d %s", r.url, code, body)
		}
		return decode[map[string]any](t, body)
	}
	fa, fb := feed(a), feed(b)
	if fa["cursor"] != fb["cursor"] || fa["cursor"] == "" {
		t.Errorf("cursors differ: %v and %v", fa["cursor"], fb["cursor"])
	}
	ca, _ := fa["changes"].([]any)
	if len(ca) < 70 || !reflect.DeepEqual(fa["changes"], fb["changes"]) || fa["remaining"] != fb["remaining"] {
		t.Errorf("the feed differs between the replicas: %d and %v changes", len(ca), len(fb["changes"].([]any)))
	}
	// A cursor handed out by one replica is good on the other: nothing new since.
	code, body = b.call(t, adminToken, "GET", "/api/v1/changes?cursor="+fa["cursor"].(string), "")
	if next := decode[map[string]any](t, body); code != http.StatusOK || next["reset"] != false ||
		len(next["changes"].([]any)) != 0 {
		t.Errorf("A's cursor on B: %d %s", code, body)
	}
}

// TestLeadershipMovesWhenTheLeaderIsKilled: of two replicas one runs the collectors and scoring (it says so in its
// log); killed with SIGKILL, the other takes the work over by itself — and only it, once.
func TestLeadershipMovesWhenTheLeaderIsKilled(t *testing.T) {
	url := pgtest.NewDatabase(t)
	bin := buildAtrium(t)
	a := startReplica(t, bin, url)
	b := startReplica(t, bin, url)
	const leading, standing = "leading: this replica runs the work", "standing by: another replica leads"
	// Each replica says which it is once it has tried (polled: they are other processes).
	var leader, standby *replica
	deadline := time.Now().Add(30 * time.Second)
	for leader == nil {
		switch {
		case strings.Contains(a.log.String(), leading) && strings.Contains(b.log.String(), standing):
			leader, standby = a, b
		case strings.Contains(b.log.String(), leading) && strings.Contains(a.log.String(), standing):
			leader, standby = b, a
		case time.Now().After(deadline):
			t.Fatalf("no single leader:\nA:\n%s\nB:\n%s", a.log.String(), b.log.String())
		default:
			time.Sleep(50 * time.Millisecond)
		}
	}
	if strings.Count(leader.log.String(), leading) != 1 || strings.Contains(standby.log.String(), leading) {
		t.Fatalf("both lead:\nA:\n%s\nB:\n%s", a.log.String(), b.log.String())
	}
	if err := leader.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = leader.cmd.Wait() // killed: how it ended says nothing
	for deadline = time.Now().Add(60 * time.Second); !strings.Contains(standby.log.String(), leading); {
		if time.Now().After(deadline) {
			t.Fatalf("the standby did not take over from the killed leader:\n%s", standby.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The survivor serves on, its collectors' freshness included.
	if code, body := standby.call(t, adminToken, "GET", "/api/v1/sources", ""); code != http.StatusOK {
		t.Errorf("sources on the new leader: %d %s", code, body)
	}
}

// TestKillOneOfTwoReplicasDuringABurst: 200 requests for SQS queues go to two replicas (a load balancer's round
// robin, retrying a request on the other replica with the same Idempotency-Key when one does not answer); partway
// through, one replica is killed with SIGKILL. Every request is accepted once, every action succeeds exactly once —
// one action per key, one success in its history — and goaws holds exactly the 200 queues.
func TestKillOneOfTwoReplicasDuringABurst(t *testing.T) {
	const n = 200
	g := goawstest.Start(t, "eu-west-1")
	url := pgtest.NewDatabase(t)
	bin := buildAtrium(t)
	cfg := filepath.Join(t.TempDir(), "atrium.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`actions:
  worker: {lease: 2s, poll: 100ms}
  environments:
    staging:
      regions: [eu-west-1]
      delivery: direct
      approvers: []
      aws:
        endpoints: {eu-west-1: %s}
`, g.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	replicas := []*replica{startReplica(t, bin, url, "--config", cfg), startReplica(t, bin, url, "--config", cfg)}
	victim, survivor := replicas[0], replicas[1]
	var killOnce sync.Once
	var sent, retried, resumed atomic.Int32
	type accepted struct {
		key, id string
	}
	results := make(chan accepted, n)
	failures := make(chan string, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if sent.Add(1) == n/3 {
					killOnce.Do(func() { _ = victim.cmd.Process.Kill() })
				}
				key := fmt.Sprintf("burst-%03d", i)
				body := fmt.Sprintf(`{"kind":"sqs_queue","service":"payments-api","environment":"staging",`+
					`"region":"eu-west-1","params":{"name":"burst-queue-%03d"}}`, i)
				var got accepted
				for try := 0; try < 4 && got.id == ""; try++ {
					r := replicas[(i+try)%2] // round robin; the next replica on a failure
					req, _ := http.NewRequest("POST", r.url+"/api/v1/actions", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+adminToken)
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Idempotency-Key", key)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						retried.Add(1)
						continue // the killed replica: not answered, so not accepted — sent again
					}
					var a actions.Action
					derr := json.NewDecoder(resp.Body).Decode(&a)
					resp.Body.Close()
					if (resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK) && derr == nil {
						got = accepted{key, a.ID}
					}
				}
				if got.id == "" {
					failures <- key
					continue
				}
				results <- got
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(results)
	close(failures)
	for key := range failures {
		t.Errorf("request %s was never accepted", key)
	}
	ids := map[string]string{}
	for r := range results {
		if prev, ok := ids[r.key]; ok && prev != r.id {
			t.Errorf("key %s accepted as two actions: %s and %s", r.key, prev, r.id)
		}
		ids[r.key] = r.id
	}
	if len(ids) != n {
		t.Fatalf("%d requests accepted, want %d", len(ids), n)
	}
	_ = victim.cmd.Wait() // killed: how it ended says nothing

	// The survivor finishes everything, what the killed replica held included (its leases run out).
	deadline := time.Now().Add(3 * time.Minute)
	for key, id := range ids {
		for {
			code, body := survivor.call(t, adminToken, "GET", "/api/v1/actions/"+id, "")
			a := decode[actions.Action](t, body)
			if code == http.StatusOK && a.State.Final() {
				succeeded := 0
				for _, h := range a.History {
					if h.To == actions.StateSucceeded {
						succeeded++
					}
				}
				for _, h := range a.History {
					if strings.Contains(h.Message, "resumed") {
						resumed.Add(1)
					}
				}
				if a.State != actions.StateSucceeded || succeeded != 1 {
					t.Errorf("%s (%s): %s, %d successes in its history: %+v", key, id, a.State, succeeded, a.History)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s (%s) not finished: %d %s\n%s", key, id, code, body, survivor.log.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	var listed struct {
		Actions []actions.Action `json:"actions"`
	}
	code, body := survivor.call(t, adminToken, "GET", "/api/v1/actions?limit=500", "")
	if err := json.Unmarshal(body, &listed); code != http.StatusOK || err != nil || len(listed.Actions) != n {
		t.Errorf("actions stored: %d (%v), want %d", len(listed.Actions), err, n)
	}
	if retried.Load() == 0 {
		t.Error("no request met the killed replica: the fault was not injected")
	}
	t.Logf("%d requests sent again after meeting the killed replica; %d actions resumed after its leases ran out",
		retried.Load(), resumed.Load())
	queues, err := g.SQS().ListQueues(context.Background(), &sqs.ListQueuesInput{MaxResults: aws.Int32(1000)})
	if err != nil || len(queues.QueueUrls) != n {
		t.Errorf("goaws holds %d queues (%v), want %d", len(queues.QueueUrls), err, n)
	}
}

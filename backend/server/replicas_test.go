//go:build integration

// Two portal replicas on one PostgreSQL, checked from outside: the built `atrium` binary runs twice as `atrium serve
// --database postgres://... --addr ...`, each with a data directory of its own, and the test talks to them over
// HTTP only.

package server_test

import (
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
	"testing"
	"time"

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
	addr := freeAddr(t)
	log := &syncBuffer{}
	args := append([]string{"serve", "--database", database, "--addr", addr, "--data", t.TempDir(), "--demo", "on"},
		extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "ATRIUM_ADMIN_TOKEN=" + adminToken}
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

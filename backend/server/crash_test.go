//go:build integration

// The crash test builds atrium-server, runs it as a process against goaws (an SQS emulator) and waits out a lease:
// it builds with the integration tag, which `task test` sets, so that `go test ./...` stays quick and needs no
// emulator.

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/direct/goawstest"
)

const adminToken = "atr_crash_test_admin_0123456789"

// holdingProxy sits between the portal and goaws. While holding, it passes CreateQueue on to goaws — so the queue
// is created — but keeps the answer from the portal until the portal's connection goes away.
type holdingProxy struct {
	url      string
	hold     atomic.Bool
	creates  atomic.Int32
	reached  chan struct{}
	reachOne sync.Once
}

func newHoldingProxy(t *testing.T, target string) *holdingProxy {
	t.Helper()
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &holdingProxy{reached: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AmazonSQS.CreateQueue" {
			rp.ServeHTTP(w, r)
			return
		}
		p.creates.Add(1)
		if !p.hold.Load() {
			rp.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		out, _ := http.NewRequest(r.Method, target+r.URL.Path, bytes.NewReader(body))
		out.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(out)
		if err != nil {
			t.Errorf("proxy to goaws: %v", err)
			return
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Error(err)
		}
		resp.Body.Close()
		p.reachOne.Do(func() { close(p.reached) })
		<-r.Context().Done() // the portal died; its answer is lost with it
	})}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	}()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	p.url = "http://" + ln.Addr().String()
	return p
}

// portalProcess is atrium-server running as a child process.
type portalProcess struct {
	cmd *exec.Cmd
	url string
}

func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "atrium-server")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/sphera/atrium/backend/cmd/atrium-server")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build atrium-server: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

func startPortal(t *testing.T, bin, dataDir, configFile string, log io.Writer, env ...string) *portalProcess {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--addr", addr, "--data", dataDir, "--demo", "on", "--config", configFile)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "ATRIUM_ADMIN_TOKEN=" + adminToken,
		"AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(dataDir, "no-aws-config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dataDir, "no-aws-credentials")}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &portalProcess{cmd: cmd, url: "http://" + addr}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			// Only making sure it is gone: how a process killed at the end of a test ended says nothing.
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("portal did not start: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *portalProcess) call(t *testing.T, method, path, body string, hdr map[string]string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, p.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// TestKilledMidActionCompletesExactlyOnce kills the portal with SIGKILL after its CreateQueue call reached AWS
// but before the answer came back, restarts it on the same data directory, and checks that the action is resumed
// and completes exactly once: one queue, one success in the history and in the audit log.
func TestKilledMidActionCompletesExactlyOnce(t *testing.T) {
	g := goawstest.Start(t, "eu-west-1")
	proxy := newHoldingProxy(t, g.URL)
	proxy.hold.Store(true)
	bin := buildServer(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "atrium.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`actions:
  worker: {lease: 2s, poll: 200ms}
  environments:
    staging:
      regions: [eu-west-1]
      delivery: direct
      approvers: []
      aws:
        endpoints: {eu-west-1: %s}
`, proxy.url)), 0o600); err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	first := startPortal(t, bin, data, cfg, log)

	var a actions.Action
	if code := first.call(t, "POST", "/api/v1/actions", `{"kind":"sqs_queue","service":"payments-api","environment":"staging",
		"region":"eu-west-1","params":{"name":"payments-crash-test","visibility_timeout_seconds":40}}`,
		map[string]string{"Idempotency-Key": "crash-1"}, &a); code != 201 || a.State != actions.StateApproved {
		t.Fatalf("request: %d %+v", code, a)
	}
	select {
	case <-proxy.reached:
	case <-time.After(30 * time.Second):
		t.Fatalf("CreateQueue never reached goaws\n%s", log.String())
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait() // "signal: killed", as sent
	ctx := context.Background()
	queues, err := g.SQS().ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil || len(queues.QueueUrls) != 1 {
		t.Fatalf("the killed portal's CreateQueue should have created the queue: %v %v", queues, err)
	}

	proxy.hold.Store(false)
	second := startPortal(t, bin, data, cfg, log)
	deadline := time.Now().Add(30 * time.Second)
	for {
		second.call(t, "GET", "/api/v1/actions/"+a.ID, "", nil, &a)
		if a.State.Final() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("action not resumed: %+v\n%s", a, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if a.State != actions.StateSucceeded || a.Attempts != 2 || !strings.HasSuffix(a.Result["queue_url"], "/payments-crash-test") {
		t.Fatalf("after restart: %+v", a)
	}
	succeeded, resumed := 0, 0
	for _, h := range a.History {
		if h.To == actions.StateSucceeded {
			succeeded++
		}
		if strings.Contains(h.Message, "resumed") {
			resumed++
		}
	}
	if succeeded != 1 || resumed != 1 {
		t.Errorf("history: %+v", a.History)
	}
	var page struct {
		Events []struct{ Action string }
	}
	second.call(t, "GET", "/api/v1/audit?resource=action/"+a.ID, "", nil, &page)
	count := map[string]int{}
	for _, e := range page.Events {
		count[e.Action]++
	}
	if count["action.requested"] != 1 || count["action.started"] != 1 || count["action.resumed"] != 1 || count["action.succeeded"] != 1 || len(page.Events) != 4 {
		t.Errorf("audit: %v", count)
	}
	queues, _ = g.SQS().ListQueues(ctx, &sqs.ListQueuesInput{})
	if len(queues.QueueUrls) != 1 || proxy.creates.Load() != 2 {
		t.Errorf("queues %v after %d CreateQueue calls", queues.QueueUrls, proxy.creates.Load())
	}

	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.cmd.Wait(); err != nil {
		t.Errorf("the portal did not shut down cleanly on SIGTERM: %v", err)
	}
	if strings.Contains(log.String(), adminToken) {
		t.Error("the server logged the admin token")
	}
}

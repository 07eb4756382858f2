//go:build integration

// The fleet's contract from outside (issue 14), with the built binary as real processes: `atrium serve` (admin
// token in ATRIUM_ADMIN_TOKEN) and two desktops started as `atrium web --portal URL --token T --data DIR`; `atrium
// fleet push FILE` prints the version, every connected install shows it in `atrium fleet installs --json` within a
// few seconds, and `atrium kpi --json` prints {"weeks": [{"week", "active", "developers", "percent"}...]}.

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const contractAdmin = "atr_fleet_contract_admin_0123456789"

type proc struct {
	cmd *exec.Cmd
	mu  sync.Mutex
	out bytes.Buffer
}

func (p *proc) text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// start runs bin with args and env, collecting its standard output and error; it is stopped when the test ends.
func start(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...)}
	p.cmd.Env = env
	r, w := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM) // already gone is fine
		done := make(chan error, 1)
		go func() { done <- p.cmd.Wait() }()
		select {
		case err := <-done:
			t.Logf("%s exited: %v", args[0], err) // stopped by SIGTERM: a signal status is expected
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			t.Logf("%s killed: %v", args[0], <-done)
		}
		_ = w.Close()
	})
	return p
}

// await polls p's output for re until deadline (another process is being waited for).
func (p *proc) await(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(p.text()); m != nil {
			return m
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s within 30 s:\n%s", re, p.text())
	return nil
}

func TestFleetContractWithTheBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "atrium")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build atrium: %v\n%s", err, out)
	}
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "DBUS_SESSION_BUS_ADDRESS=disabled:",
		"ATRIUM_ADMIN_TOKEN=" + contractAdmin}
	portal := start(t, bin, env, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--demo", "on")
	url := "http://" + portal.await(t, regexp.MustCompile(`msg="portal listening" addr=(127\.0\.0\.1:\d+)`))[1]
	for range 2 {
		d := start(t, bin, env, "web", "--addr", "127.0.0.1:0", "--portal", url, "--token", contractAdmin, "--data", t.TempDir())
		d.await(t, regexp.MustCompile(`Atrium is running at http://127\.0\.0\.1:\d+/\?token=`))
	}
	run := func(args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--portal", url, "--token", contractAdmin)...)
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out.String(), errb.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, out.String(), errb.String()
	}

	file := filepath.Join(t.TempDir(), "fleet.json")
	if err := os.WriteFile(file, []byte(`{"settings": {"banner": {"text": "Atrium 2.0 is out", "level": "info"}, "features": {"matrix": true}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run("fleet", "push", file)
	m := regexp.MustCompile(`^pushed version (\d+) `).FindStringSubmatch(out)
	if code != 0 || m == nil || m[1] != "1" {
		t.Fatalf("push: exit %d, %q, %q", code, out, stderr)
	}
	pushed := time.Now()
	var installs []map[string]any
	for {
		code, out, stderr = run("fleet", "installs", "--json")
		if code != 0 {
			t.Fatalf("installs: exit %d %q", code, stderr)
		}
		installs = nil
		if err := json.Unmarshal([]byte(out), &installs); err != nil {
			t.Fatalf("installs --json: %v\n%s", err, out)
		}
		all := len(installs) == 2
		for _, in := range installs {
			all = all && in["config_version"] == float64(1)
		}
		if all {
			break
		}
		if time.Since(pushed) > 10*time.Second {
			t.Fatalf("not every install applied version 1 within 10 s: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("both installs reported version 1 %v after the push", time.Since(pushed).Round(time.Millisecond))
	for _, in := range installs {
		for _, k := range []string{"id", "user", "config_version", "app_version", "last_seen"} {
			if _, ok := in[k]; !ok {
				t.Errorf("install lacks %s: %v", k, in)
			}
		}
	}
	code, out, _ = run("kpi", "--json")
	var kpi struct {
		Weeks []map[string]any `json:"weeks"`
	}
	if err := json.Unmarshal([]byte(out), &kpi); code != 0 || err != nil || len(kpi.Weeks) == 0 {
		t.Fatalf("kpi --json: exit %d %v\n%s", code, err, out)
	}
	for _, k := range []string{"week", "active", "developers", "percent"} {
		if _, ok := kpi.Weeks[len(kpi.Weeks)-1][k]; !ok {
			t.Errorf("a week lacks %s: %v", k, kpi.Weeks[len(kpi.Weeks)-1])
		}
	}
	if strings.Contains(portal.text(), "level=ERROR") {
		t.Errorf("the portal logged errors:\n%s", portal.text())
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinary runs the real atrium binary, as a shell would: the command line's contract holds for the process —
// exit codes, and a read-only command writes no log line to standard error (the in-process tests of app/cmd
// cover the rest).
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "atrium")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build atrium (the UI must be built first: cd frontend && npm ci && npm run build): %v\n%s", err, out)
	}
	data := t.TempDir()
	run := func(args ...string) (code int, stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		// Off the machine's keyring, settings and log level.
		cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "DBUS_SESSION_BUS_ADDRESS=disabled:"}
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

	// A fresh data directory: the local portal seeds the demo, the replica syncs — silently.
	code, out, stderr := run("services", "--q", "pay", "--data", data)
	if code != 0 || stderr != "" || !strings.Contains(out, "payments-api") {
		t.Errorf("services --q pay: exit %d, stderr %q, stdout:\n%s", code, stderr, out)
	}
	code, out, stderr = run("service", "payments-api", "--json", "--data", data)
	var s struct {
		Name        string
		Deployments []struct{ Cluster string }
	}
	if err := json.Unmarshal([]byte(out), &s); code != 0 || stderr != "" || err != nil || s.Name != "payments-api" || len(s.Deployments) == 0 {
		t.Errorf("service payments-api --json: exit %d, stderr %q, %v, stdout:\n%s", code, stderr, err, out)
	}
	if code, out, stderr = run("--version"); code != 0 || !strings.HasPrefix(out, "atrium ") || stderr != "" {
		t.Errorf("--version: exit %d, %q, %q", code, out, stderr)
	}
	if code, _, stderr = run("servics", "--data", data); code != 2 || !strings.Contains(stderr, `did you mean "service" or "services"?`) {
		t.Errorf("servics: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr = run("service", "no-such-service", "--data", data); code != 1 || !strings.HasPrefix(stderr, "atrium: no service named") {
		t.Errorf("unknown service: exit %d, stderr %q", code, stderr)
	}
}

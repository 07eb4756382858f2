// Package kumotest runs AWS Secrets Manager emulators for Atrium's integration tests: kumo
// (github.com/sivchari/kumo v0.33.1), built from the Go module proxy by the module in bin/ — kept apart so that its
// large module graph never enters Atrium's go.mod — cached outside the repository, one process per region on
// 127.0.0.1, as a real region is one endpoint.
//
// The bin/ module builds its own main around kumo.NewServer (the in-process emulator: a free loopback port, logs
// off) rather than kumo's cmd/kumo, whose command line pulls in a client for every AWS service it emulates.
package kumotest

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/testbin"
)

// Binary returns the kumo emulator, building it from bin/ into the user's cache ($ATRIUM_TOOLS_DIR, else
// ~/.cache/atrium/tools/kumo-HASH) when this build is not there yet: about a minute on 2 cores the first time
// (see package testbin).
func Binary() (string, error) {
	mod, err := testbin.ModuleNextTo("bin")
	if err != nil {
		return "", err
	}
	p := testbin.Program{Name: "kumo", Module: mod, Files: []string{"go.mod", "go.sum", "kumo/main.go"}, Pkg: "./kumo"}
	return p.Binary()
}

// Start runs one emulator process (one region) until t ends and returns its endpoint, e.g. http://127.0.0.1:41234.
func Start(t testing.TB) string {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "KUMO_LOG_LEVEL=error")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case url, ok := <-lines:
		if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
			t.Fatalf("kumotest: the emulator printed %q, not its URL", url)
		}
		return url
	case <-time.After(30 * time.Second):
		t.Fatal("kumotest: the emulator did not start within 30 s")
	}
	return ""
}

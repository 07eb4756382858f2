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
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// moduleDir is the bin/ module next to this file.
func moduleDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("kumotest: cannot locate its own source")
	}
	dir := filepath.Join(filepath.Dir(file), "bin")
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", fmt.Errorf("kumotest: the module that builds kumo is missing (%w); tests must run from a source checkout", err)
	}
	return dir, nil
}

// Binary returns the kumo emulator, building it into the user's cache ($ATRIUM_TOOLS_DIR, else
// ~/.cache/atrium/tools/kumo-HASH) when it is not there yet: about a minute on 2 cores the first time.
func Binary() (string, error) {
	mod, err := moduleDir()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum", "kumo/main.go"} {
		b, err := os.ReadFile(filepath.Join(mod, f))
		if err != nil {
			return "", fmt.Errorf("kumotest: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	fmt.Fprintf(h, "%s/%s\n", runtime.GOOS, runtime.GOARCH)
	root := os.Getenv("ATRIUM_TOOLS_DIR")
	if root == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("kumotest: no cache directory (%w); set ATRIUM_TOOLS_DIR", err)
		}
		root = filepath.Join(c, "atrium", "tools")
	}
	dir := filepath.Join(root, "kumo-"+hex.EncodeToString(h.Sum(nil))[:16])
	bin := filepath.Join(dir, "kumo")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("kumotest: %w", err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("kumotest: no go command on PATH to build the emulator: %w", err)
	}
	// Several test binaries may build at once: each into its own file, renamed into place when complete.
	tmp := fmt.Sprintf("%s.%d.tmp", bin, os.Getpid())
	fmt.Fprintf(os.Stderr, "kumotest: building the kumo emulator into %s (about a minute the first time)\n", dir)
	cmd := exec.Command(goBin, "build", "-o", tmp, "./kumo")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("kumotest: go build of kumo failed: %v\n%s\nThe AWS Secrets Manager tests build the kumo "+
			"emulator (github.com/sivchari/kumo v0.33.1) from the Go module proxy", err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", fmt.Errorf("kumotest: %w", err)
	}
	return bin, nil
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

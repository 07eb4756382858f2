// Package kubetest runs real Kubernetes API servers for Atrium's integration tests: kube-apiserver and etcd built
// from the Go module proxy (the module in bin/, kept apart so its replace directives never touch Atrium's
// go.mod), cached outside the repository, started on loopback with TLS, static tokens and RBAC.
package kubetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Binaries are the programs a cluster runs.
type Binaries struct {
	APIServer string
	Etcd      string
}

// moduleDir is the bin/ module next to this file.
func moduleDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("kubetest: cannot locate its own source")
	}
	dir := filepath.Join(filepath.Dir(file), "bin")
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", fmt.Errorf("kubetest: the module that builds the test binaries is missing (%v); tests must run "+
			"from a source checkout (not -trimpath)", err)
	}
	return dir, nil
}

// CacheDir is where binaries built from the bin/ module of this hash live: $ATRIUM_KUBE_BIN_CACHE, else the
// user's cache directory ($XDG_CACHE_HOME or ~/.cache) under atrium/kube-HASH.
func CacheDir() (string, error) {
	mod, err := moduleDir()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum", "etcd/main.go"} {
		b, err := os.ReadFile(filepath.Join(mod, f))
		if err != nil {
			return "", fmt.Errorf("kubetest: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	fmt.Fprintf(h, "%s/%s\n", runtime.GOOS, runtime.GOARCH)
	root := os.Getenv("ATRIUM_KUBE_BIN_CACHE")
	if root == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("kubetest: no cache directory (%v); set ATRIUM_KUBE_BIN_CACHE", err)
		}
		root = filepath.Join(c, "atrium")
	}
	return filepath.Join(root, "kube-"+hex.EncodeToString(h.Sum(nil))[:16]), nil
}

// Build returns kube-apiserver and etcd, building them when the cache does not hold this version yet. The first
// build compiles Kubernetes (about 12 minutes on 2 cores); later calls take milliseconds. Concurrent callers (test
// binaries of several packages) wait for one build.
func Build() (Binaries, error) {
	mod, err := moduleDir()
	if err != nil {
		return Binaries{}, err
	}
	dir, err := CacheDir()
	if err != nil {
		return Binaries{}, err
	}
	bins := Binaries{APIServer: filepath.Join(dir, "kube-apiserver"), Etcd: filepath.Join(dir, "etcd")}
	done := filepath.Join(dir, "complete")
	if _, err := os.Stat(done); err == nil {
		return bins, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return bins, fmt.Errorf("kubetest: %w", err)
	}
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		return bins, fmt.Errorf("kubetest: lock %s: %w", dir, err)
	}
	defer unlock()
	if _, err := os.Stat(done); err == nil {
		return bins, nil // another process built them while we waited
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	for _, b := range []struct{ out, pkg string }{
		{bins.APIServer, "k8s.io/kubernetes/cmd/kube-apiserver"},
		{bins.Etcd, "./etcd"},
	} {
		fmt.Fprintf(os.Stderr, "kubetest: building %s into %s (the first build of Kubernetes takes about 12 minutes "+
			"on 2 cores; it is cached afterwards)\n", b.pkg, dir)
		start := time.Now()
		cmd := exec.Command(goBin, "build", "-o", b.out+".tmp", b.pkg)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return bins, fmt.Errorf("kubetest: go build %s failed: %v\n%s\nThe Kubernetes integration tests build "+
				"kube-apiserver and etcd from Go modules: they need the Go module proxy (GOPROXY=%s) or a module "+
				"cache that already holds k8s.io/kubernetes v1.37.2 and go.etcd.io/etcd/server/v3 v3.7.0",
				b.pkg, err, tail(string(out), 30), goEnv(goBin, "GOPROXY"))
		}
		if err := os.Rename(b.out+".tmp", b.out); err != nil {
			return bins, fmt.Errorf("kubetest: %w", err)
		}
		fmt.Fprintf(os.Stderr, "kubetest: built %s in %v\n", b.pkg, time.Since(start).Round(time.Second))
	}
	if err := os.WriteFile(done, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return bins, fmt.Errorf("kubetest: %w", err)
	}
	return bins, nil
}

func goEnv(goBin, key string) string {
	out, err := exec.Command(goBin, "env", key).Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

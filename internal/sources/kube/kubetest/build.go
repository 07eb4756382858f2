// Package kubetest runs real Kubernetes API servers for Atrium's integration tests: kube-apiserver and etcd built
// from the Go module proxy (the module in bin/, kept apart so its replace directives never touch Atrium's
// go.mod), cached outside the repository, started on loopback with TLS, static tokens and RBAC.
//
// A cluster started WithControllers also runs kube-controller-manager and kube-scheduler (from the same module)
// and kwok (the module in kwok/, whose Kubernetes libraries are older): Deployments get their ReplicaSets and
// Pods, Pods are scheduled onto a fake node, and kwok makes them Running and Ready as a kubelet would.
package kubetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/testbin"
)

// Binaries are the programs a cluster runs. The controllers' are empty unless built (SetupControllers).
type Binaries struct {
	APIServer string
	Etcd      string

	ControllerManager string
	Scheduler         string
	Kwok              string
	KwokStages        string // kwok's stage configuration (YAML), written by the kwok module's stages command
}

// HasControllers reports whether the controllers' binaries were built.
func (b Binaries) HasControllers() bool { return b.ControllerManager != "" && b.Kwok != "" }

// moduleDir is the bin/ module next to this file.
func moduleDir() (string, error) { return testbin.ModuleNextTo("bin") }

// CacheDir is where binaries built from the bin/ module of this hash live: $ATRIUM_KUBE_BIN_CACHE, else the
// user's cache directory ($XDG_CACHE_HOME or ~/.cache) under atrium/kube-HASH.
func CacheDir() (string, error) {
	mod, err := moduleDir()
	if err != nil {
		return "", err
	}
	sum, err := testbin.ContentHash(mod, []string{"go.mod", "go.sum", "etcd/main.go", "../kwok/go.mod", "../kwok/go.sum", "../kwok/stages/main.go"})
	if err != nil {
		return "", err
	}
	root, err := testbin.CacheRoot("ATRIUM_KUBE_BIN_CACHE", "atrium")
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "kube-"+sum), nil
}

// target is one program to build: its file in the cache, its package, and the module building it.
type target struct{ out, pkg, module string }

// Build returns kube-apiserver and etcd, building them when the cache does not hold this version yet. The first
// build compiles Kubernetes (about 12 minutes on 2 cores); later calls take milliseconds. Concurrent callers (test
// binaries of several packages) wait for one build.
func Build() (Binaries, error) { return build(false) }

// BuildControllers is Build with kube-controller-manager, kube-scheduler and kwok too (about 9 more minutes the
// first time).
func BuildControllers() (Binaries, error) { return build(true) }

func build(controllers bool) (Binaries, error) {
	mod, err := moduleDir()
	if err != nil {
		return Binaries{}, err
	}
	kwokMod := filepath.Join(filepath.Dir(mod), "kwok")
	dir, err := CacheDir()
	if err != nil {
		return Binaries{}, err
	}
	bins := Binaries{APIServer: filepath.Join(dir, "kube-apiserver"), Etcd: filepath.Join(dir, "etcd")}
	targets := []target{{bins.APIServer, "k8s.io/kubernetes/cmd/kube-apiserver", mod}, {bins.Etcd, "./etcd", mod}}
	if controllers {
		bins.ControllerManager = filepath.Join(dir, "kube-controller-manager")
		bins.Scheduler = filepath.Join(dir, "kube-scheduler")
		bins.Kwok = filepath.Join(dir, "kwok")
		bins.KwokStages = filepath.Join(dir, "kwok-stages.yaml")
		targets = append(targets, target{bins.ControllerManager, "k8s.io/kubernetes/cmd/kube-controller-manager", mod},
			target{bins.Scheduler, "k8s.io/kubernetes/cmd/kube-scheduler", mod},
			target{bins.Kwok, "sigs.k8s.io/kwok/cmd/kwok", kwokMod},
			target{filepath.Join(dir, "kwok-stages"), "./stages", kwokMod})
	}
	// Each program is renamed into place when built, so one that exists is complete.
	missing := func() []target {
		var out []target
		for _, t := range targets {
			if _, err := os.Stat(t.out); err != nil {
				out = append(out, t)
			}
		}
		if _, err := os.Stat(bins.KwokStages); controllers && err != nil && len(out) == 0 {
			out = append(out, target{}) // only the stages file to write
		}
		return out
	}
	if len(missing()) == 0 {
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
	// go test puts the go command that runs it first on PATH.
	goBin, err := exec.LookPath("go")
	if err != nil {
		return bins, fmt.Errorf("kubetest: no go command on PATH to build the test binaries: %w", err)
	}
	for _, b := range missing() { // again: another process may have built some while we waited
		if b.out == "" {
			continue
		}
		fmt.Fprintf(os.Stderr, "kubetest: building %s into %s (the first build of Kubernetes takes about 12 minutes "+
			"on 2 cores, its controllers and kwok about 9 more; they are cached afterwards)\n", b.pkg, dir)
		start := time.Now()
		cmd := exec.Command(goBin, "build", "-o", b.out+".tmp", b.pkg)
		cmd.Dir = b.module
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return bins, fmt.Errorf("kubetest: go build %s failed: %v\n%s\nThe Kubernetes integration tests build "+
				"kube-apiserver, etcd (and for controller tests kube-controller-manager, kube-scheduler and kwok) from "+
				"Go modules: they need the Go module proxy (GOPROXY=%s) or a module cache that already holds "+
				"k8s.io/kubernetes v1.37.2, go.etcd.io/etcd/server/v3 v3.7.0 and sigs.k8s.io/kwok v0.8.0",
				b.pkg, err, tail(string(out), 30), goEnv(goBin, "GOPROXY"))
		}
		if err := os.Rename(b.out+".tmp", b.out); err != nil {
			return bins, fmt.Errorf("kubetest: %w", err)
		}
		fmt.Fprintf(os.Stderr, "kubetest: built %s in %v\n", b.pkg, time.Since(start).Round(time.Second))
	}
	if controllers {
		if _, err := os.Stat(bins.KwokStages); err != nil {
			out, err := exec.Command(filepath.Join(dir, "kwok-stages")).Output()
			if err != nil {
				return bins, fmt.Errorf("kubetest: write kwok's stages: %w", err)
			}
			if err := os.WriteFile(bins.KwokStages+".tmp", out, 0o644); err != nil {
				return bins, fmt.Errorf("kubetest: %w", err)
			}
			if err := os.Rename(bins.KwokStages+".tmp", bins.KwokStages); err != nil {
				return bins, fmt.Errorf("kubetest: %w", err)
			}
		}
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

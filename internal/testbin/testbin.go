// Package testbin builds the programs Atrium's integration tests run (emulators such as goaws and kumo) from Go
// modules kept in the repository next to the test package that runs them — each a module of its own, so that the
// program's dependencies never enter Atrium's go.mod. A program is built from the Go module proxy once per content
// of its module, into the user's cache ($ATRIUM_TOOLS_DIR, else ~/.cache/atrium/tools), never into the
// repository; test binaries of several packages that need it at once wait for one build.
package testbin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"
)

// Program is one program built from a module in the repository.
type Program struct {
	Name   string   // the binary's name and its cache directory's prefix, e.g. "goaws"
	Module string   // the module's directory (ModuleNextTo)
	Files  []string // the module's files, relative to Module, whose content names the build: go.mod, go.sum, the main package's sources
	Pkg    string   // the package to build, relative to Module, e.g. "./goaws"
}

// ModuleNextTo returns the directory dir next to the source file of its caller (e.g. "bin"), which must hold a
// go.mod: the tests run from a source checkout.
func ModuleNextTo(dir string) (string, error) {
	_, file, _, ok := runtime.Caller(1)
	if !ok {
		return "", errors.New("testbin: cannot locate the caller's source")
	}
	mod := filepath.Join(filepath.Dir(file), dir)
	if _, err := os.Stat(filepath.Join(mod, "go.mod")); err != nil {
		return "", fmt.Errorf("testbin: the module that builds the test programs is missing (%w); tests must run from a source checkout", err)
	}
	return mod, nil
}

// ContentHash names a build by the content of files (relative to mod) and the platform: 16 hex digits.
func ContentHash(mod string, files []string) (string, error) {
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(mod, f))
		if err != nil {
			return "", fmt.Errorf("testbin: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	fmt.Fprintf(h, "%s/%s\n", runtime.GOOS, runtime.GOARCH)
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// Dir is the cache directory of this build of p: <tools>/<name>-<ContentHash of p's files>.
func (p Program) Dir() (string, error) {
	sum, err := ContentHash(p.Module, p.Files)
	if err != nil {
		return "", err
	}
	root, err := CacheRoot("ATRIUM_TOOLS_DIR", "atrium", "tools")
	if err != nil {
		return "", err
	}
	return filepath.Join(root, p.Name+"-"+sum), nil
}

// CacheRoot is the directory the environment variable env names, else the user's cache directory
// ($XDG_CACHE_HOME or ~/.cache) joined with under.
func CacheRoot(env string, under ...string) (string, error) {
	if root := os.Getenv(env); root != "" {
		return root, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("testbin: no cache directory (%w); set %s", err, env)
	}
	return filepath.Join(append([]string{c}, under...)...), nil
}

// Binary returns the path of p's binary, building it first when the cache does not hold this build. The binary
// is renamed into place when complete, so one that exists is whole.
func (p Program) Binary() (string, error) {
	dir, err := p.Dir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, p.Name)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("testbin: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("testbin: %w", err)
	}
	defer lock.Close() //nolint:errcheck // a lock file, never written: closing it loses nothing and releases the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("testbin: lock %s: %w", dir, err)
	}
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // another test binary built it while this one waited
	}
	// go test puts the go command that runs it first on PATH.
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("testbin: no go command on PATH to build %s: %w", p.Name, err)
	}
	fmt.Fprintf(os.Stderr, "testbin: building %s into %s (once per change of %s)\n", p.Name, dir, p.Module)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tmp := fmt.Sprintf("%s.%d.tmp", bin, os.Getpid())
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", tmp, p.Pkg)
	cmd.Dir = p.Module
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp) // may not exist: the build's error is the one to report
		return "", fmt.Errorf("testbin: go build of %s in %s failed: %w\n%s", p.Pkg, p.Module, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", fmt.Errorf("testbin: %w", err)
	}
	return bin, nil
}

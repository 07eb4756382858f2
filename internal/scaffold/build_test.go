package scaffold_test

import (
	"context"
	"encoding/json"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/scaffold"
	"gopkg.in/yaml.v3"
)

// write puts the plan's repository files under dir.
func write(t *testing.T, dir string, files []scaffold.File) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.Content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// requireToolchains names the variable that turns a missing toolchain (go, TypeScript, node) into a failure
// instead of a skip: `task test` sets it to "require", so the rendered services are always built there.
const requireToolchains = "ATRIUM_TEST_TOOLCHAINS"

func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv(requireToolchains) == "require" {
		t.Fatalf("%s (%s=require)", why, requireToolchains)
	}
	t.Skip(why)
}

// The rendered Go service is real: gofmt-clean, vetted, built and its own tests pass, offline (its go.mod has no
// dependencies).
func TestRenderedGoServiceBuildsAndPassesItsTests(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		missing(t, "go is not on PATH")
	}
	p, ps := get(t, registry(t), "go-http-service").Plan(context.Background(), validParams["go-http-service"], target(), nil)
	if p == nil {
		t.Fatal(ps)
	}
	for _, f := range p.Files {
		if strings.HasSuffix(f.Path, ".go") {
			if formatted, err := format.Source([]byte(f.Content)); err != nil || string(formatted) != f.Content {
				t.Errorf("%s is not gofmt-clean (CI checks it): %v", f.Path, err)
			}
		}
		if strings.HasSuffix(f.Path, ".yml") || strings.HasSuffix(f.Path, ".yaml") {
			var v any
			if err := yaml.Unmarshal([]byte(f.Content), &v); err != nil {
				t.Errorf("%s is not YAML: %v", f.Path, err)
			}
		}
	}
	dir := t.TempDir()
	write(t, dir, p.Files)
	env := []string{"GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off", "CGO_ENABLED=0"}
	run(t, dir, env, goBin, "vet", "./...")
	run(t, dir, env, goBin, "build", "-o", filepath.Join(t.TempDir(), "svc"), ".")
	run(t, dir, env, goBin, "test", "./...")
}

// tsc finds the TypeScript compiler: the UI's (frontend/node_modules, installed by `task test`), else one on PATH.
func tsc(t *testing.T) (bin, nodeModules string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", "frontend", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".bin", "tsc")); err == nil {
		if _, err := os.Stat(filepath.Join(root, "@types", "node")); err == nil {
			return filepath.Join(root, ".bin", "tsc"), root
		}
	}
	missing(t, "TypeScript is not installed: run `cd frontend && npm ci` (task test does) to type-check the rendered Node service")
	return "", ""
}

// The rendered Node service: its JSON files parse, it type-checks under its own strict tsconfig, and its
// node:test tests pass against its compiled code.
func TestRenderedNodeServiceTypeChecksAndPassesItsTests(t *testing.T) {
	p, ps := get(t, registry(t), "node-service").Plan(context.Background(), validParams["node-service"], target(), nil)
	if p == nil {
		t.Fatal(ps)
	}
	files := byPath(p.Files)
	var pkg struct {
		Name    string            `json:"name"`
		Type    string            `json:"type"`
		Scripts map[string]string `json:"scripts"`
	}
	if err := json.Unmarshal([]byte(files["package.json"]), &pkg); err != nil || pkg.Name != p.Service ||
		pkg.Scripts["build"] == "" || pkg.Scripts["test"] == "" {
		t.Errorf("package.json: %v %+v", err, pkg)
	}
	var tsconfig map[string]any
	if err := json.Unmarshal([]byte(files["tsconfig.json"]), &tsconfig); err != nil {
		t.Errorf("tsconfig.json: %v", err)
	}
	for _, f := range []string{"src/index.ts", "src/app.ts", "src/app.test.ts"} {
		if !strings.Contains(files[f], "import ") {
			t.Errorf("%s: %q", f, files[f])
		}
	}

	bin, nodeModules := tsc(t)
	dir := t.TempDir()
	write(t, dir, p.Files)
	if err := os.Symlink(nodeModules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	run(t, dir, nil, bin, "-p", "tsconfig.json")
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node is not on PATH: compiled, not run")
	}
	run(t, dir, nil, node, "--test", filepath.Join("dist", "app.test.js"))
}

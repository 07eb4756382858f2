package testbin_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sphera/atrium/internal/testbin"
)

// writeModule writes a module whose program prints greeting, and returns it as a Program.
func writeModule(t *testing.T, dir, greeting string) testbin.Program {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "hello"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod":        "module atrium.invalid/testbin-hello\n\ngo 1.22\n",
		"go.sum":        "",
		"hello/main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Print(\"" + greeting + "\") }\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return testbin.Program{Name: "hello", Module: dir, Files: []string{"go.mod", "go.sum", "hello/main.go"}, Pkg: "./hello"}
}

func run(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	return string(out)
}

// A program is built once per content of its module, into ATRIUM_TOOLS_DIR; concurrent callers get the same
// whole binary; a change to the module builds a new one beside the old.
func TestBuildsOncePerContent(t *testing.T) {
	tools := t.TempDir()
	t.Setenv("ATRIUM_TOOLS_DIR", tools)
	p := writeModule(t, t.TempDir(), "hello, one")

	var wg sync.WaitGroup
	bins := make([]string, 4)
	errs := make([]error, 4)
	for i := range bins {
		wg.Add(1)
		go func() { defer wg.Done(); bins[i], errs[i] = p.Binary() }()
	}
	wg.Wait()
	for i := range bins {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if bins[i] != bins[0] {
			t.Fatalf("callers got %s and %s", bins[0], bins[i])
		}
	}
	if !strings.HasPrefix(bins[0], tools+string(filepath.Separator)+"hello-") {
		t.Fatalf("built %s, want it under %s/hello-*", bins[0], tools)
	}
	if got := run(t, bins[0]); got != "hello, one" {
		t.Fatalf("the program printed %q", got)
	}
	left, err := filepath.Glob(filepath.Join(filepath.Dir(bins[0]), "*.tmp"))
	if err != nil || len(left) != 0 {
		t.Fatalf("temporary files left: %v %v", left, err)
	}

	// The same content again: the cached binary, not rebuilt.
	before, err := os.Stat(bins[0])
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.Binary()
	if err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(again)
	if err != nil {
		t.Fatal(err)
	}
	if again != bins[0] || !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Fatalf("the second call rebuilt or moved the binary: %s, then %s", bins[0], again)
	}

	// A change to the module: a new directory, the new program; the old build stays where it was.
	p2 := writeModule(t, p.Module, "hello, two")
	bin2, err := p2.Binary()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(bin2) == filepath.Dir(bins[0]) {
		t.Fatalf("a changed module reused %s", filepath.Dir(bin2))
	}
	if got := run(t, bin2); got != "hello, two" {
		t.Fatalf("the rebuilt program printed %q", got)
	}
	if got := run(t, bins[0]); got != "hello, one" {
		t.Fatalf("the old build now prints %q", got)
	}
}

// A module that does not compile is an error naming the build's output, and leaves no binary to be found later.
func TestBuildFailureIsReported(t *testing.T) {
	t.Setenv("ATRIUM_TOOLS_DIR", t.TempDir())
	p := writeModule(t, t.TempDir(), "x")
	if err := os.WriteFile(filepath.Join(p.Module, "hello", "main.go"), []byte("package main\n\nfunc main() { undefined() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := p.Binary()
	if err == nil || !strings.Contains(err.Error(), "undefined") {
		t.Fatalf("err = %v, want the compiler's message", err)
	}
	dir, derr := p.Dir()
	if derr != nil {
		t.Fatal(derr)
	}
	if _, serr := os.Stat(filepath.Join(dir, "hello")); !os.IsNotExist(serr) {
		t.Fatalf("a failed build left a binary: %v", serr)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// A missing module file is an error, not a build of something else.
func TestMissingModuleFile(t *testing.T) {
	t.Setenv("ATRIUM_TOOLS_DIR", t.TempDir())
	p := testbin.Program{Name: "x", Module: t.TempDir(), Files: []string{"go.mod"}, Pkg: "./x"}
	if _, err := p.Binary(); err == nil || !strings.Contains(err.Error(), "go.mod") {
		t.Fatalf("err = %v, want one naming go.mod", err)
	}
	if _, err := testbin.ModuleNextTo("no-such-dir"); err == nil {
		t.Fatal("ModuleNextTo found a module that is not there")
	}
}

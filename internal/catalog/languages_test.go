package catalog_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/catalog"
)

// The CLI (catalog.DependenciesRead) and the UI (frontend/src/lib/dependencies.ts, READ_LANGUAGES) must agree on
// whose dependencies are read, or one says "not checked" where the other says "none".
func TestDependencyLanguagesMatchTheUI(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "frontend", "src", "lib", "dependencies.ts"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const READ_LANGUAGES = new Set\(\[([^\]]*)\]\)`).FindSubmatch(src)
	if m == nil {
		t.Fatal("frontend/src/lib/dependencies.ts has no READ_LANGUAGES set: update this test with it")
	}
	var ui []string
	for _, q := range regexp.MustCompile(`'([^']*)'`).FindAllSubmatch(m[1], -1) {
		ui = append(ui, string(q[1]))
	}
	sort.Strings(ui)
	if len(ui) == 0 {
		t.Fatalf("READ_LANGUAGES is empty: %s", m[0])
	}
	for _, lang := range ui {
		if !catalog.DependenciesRead(lang) || !catalog.DependenciesRead(" "+strings.ToUpper(lang)+" ") {
			t.Errorf("the UI reads %s dependencies, DependenciesRead says no", lang)
		}
	}
	for _, lang := range []string{"Go", "TypeScript", "JavaScript", "Python", "Java", "Kotlin", "Rust", ""} {
		inUI := false
		for _, u := range ui {
			inUI = inUI || u == strings.ToLower(lang)
		}
		if catalog.DependenciesRead(lang) != inUI {
			t.Errorf("DependenciesRead(%q) = %v, the UI's list %v", lang, catalog.DependenciesRead(lang), ui)
		}
	}
}

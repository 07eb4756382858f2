package frontend

import (
	"io/fs"
	"strings"
	"testing"
)

// Whether or not the UI was built before the test, Dist has an index.html to serve: the UI, or a page that says
// how to build it.
func TestDistAlwaysHasAnIndex(t *testing.T) {
	page, err := fs.ReadFile(Dist(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	notBuiltPage := strings.Contains(string(page), "UI not built: run <code>task ui</code>")
	if notBuiltPage == Built() {
		t.Errorf("built %v, but index.html is the not-built page: %v\n%s", Built(), notBuiltPage, page)
	}
	if Built() {
		if _, err := fs.Stat(Dist(), ".gitkeep"); err != nil {
			t.Errorf("the built UI lost dist's placeholder .gitkeep (vite.config.ts puts it back): %v", err)
		}
	}
}

package server_test

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestServeDataDirWithURICharacters: `atrium serve --data` with a directory named like a URI's query and fragment
// keeps its database in exactly that directory, private to the server's user.
func TestServeDataDirWithURICharacters(t *testing.T) {
	parent := t.TempDir()
	data := filepath.Join(parent, "a#b?c%d e")
	t.Setenv("ATRIUM_ADMIN_TOKEN", admin)
	base := serve(t, "--data", data, "--demo", "on")
	if code, _ := getJSON(t, base+"/api/v1/services/payments-api"); code != http.StatusOK {
		t.Errorf("demo service: %d", code)
	}
	es, _ := os.ReadDir(parent)
	if len(es) != 1 || es[0].Name() != "a#b?c%d e" {
		t.Errorf("the data directory's parent holds %v", es)
	}
	var names []string
	es, _ = os.ReadDir(data)
	for _, e := range es {
		names = append(names, e.Name())
		if strings.HasPrefix(e.Name(), "portal.db") {
			if fi, _ := e.Info(); fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
			}
		}
	}
	if !slices.Contains(names, "portal.db") {
		t.Errorf("%s holds %v, not portal.db", data, names)
	}
}

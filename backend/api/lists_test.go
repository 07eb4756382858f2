package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/store"
)

func commaList(n int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprint("t", i)
	}
	return strings.Join(vals, ",")
}

// TestLongCommaListsAre400: a filter list longer than the store binds (SQLite's limit is 32,766 variables) is the
// caller's mistake, answered 400 naming the parameter, never a 500.
func TestLongCommaListsAre400(t *testing.T) {
	p := newPortal(t)
	tooMany, atCap := commaList(40000), commaList(store.MaxListValues)
	for _, c := range []struct{ path, param string }{
		{"/api/v1/services?owner=", "owner"},
		{"/api/v1/services?language=", "language"},
		{"/api/v1/services?lifecycle=", "lifecycle"},
		{"/api/v1/packages?owner=", "owner"},
		{"/api/v1/packages/npm/react?owner=", "owner"},
		{"/api/v1/kube/matrix?team=", "team"},
		{"/api/v1/kube/matrix?environment=", "environment"},
		{"/api/v1/kube/matrix?region=", "region"},
	} {
		code, body := p.get(c.path+tooMany, adminToken)
		e, _ := body["error"].(map[string]any)
		fields, _ := e["fields"].([]any)
		if code != http.StatusBadRequest || len(fields) != 1 || fields[0].(map[string]any)["field"] != c.param {
			t.Errorf("%s<40,000 values>: %d %v", c.path, code, body)
		}
		if code, body := p.get(c.path+atCap, adminToken); code != http.StatusOK && code != http.StatusNotFound {
			t.Errorf("%s<%d values>: %d %v", c.path, store.MaxListValues, code, body)
		}
	}
}

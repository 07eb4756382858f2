// Package registrytest runs a fake npm registry and a fake Go module proxy on 127.0.0.1, speaking their wire
// formats (npm packuments with dist-tags; the GOPROXY protocol's /@v/list and /@latest with case-encoded module
// paths), and counting requests.
package registrytest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// NPM is a fake npm registry.
type NPM struct {
	URL string
	mu  sync.Mutex
	// latest version by package name; versions lists every published one (latest included).
	latest   map[string]string
	requests map[string]int
}

// NewNPM starts a registry knowing packages (name → latest version).
func NewNPM(t testing.TB, packages map[string]string) *NPM {
	n := &NPM{latest: map[string]string{}, requests: map[string]int{}}
	for k, v := range packages {
		n.latest[k] = v
	}
	srv := httptest.NewServer(http.HandlerFunc(n.serve))
	t.Cleanup(srv.Close)
	n.URL = srv.URL
	return n
}

// Publish sets the latest version of a package.
func (n *NPM) Publish(name, version string) {
	n.mu.Lock()
	n.latest[name] = version
	n.mu.Unlock()
}

// Requests counts the packument requests per package.
func (n *NPM) Requests(name string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.requests[name]
}

// Total counts all requests.
func (n *NPM) Total() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := 0
	for _, v := range n.requests {
		t += v
	}
	return t
}

func (n *NPM) serve(w http.ResponseWriter, r *http.Request) {
	// Scoped names arrive as "@scope%2fname" (or unescaped); the raw path keeps them one segment.
	name, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/"))
	if err != nil || r.Method != http.MethodGet {
		http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
		return
	}
	n.mu.Lock()
	n.requests[name]++
	latest, ok := n.latest[name]
	n.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":"Not found"}`))
		return
	}
	abbreviated := strings.Contains(r.Header.Get("Accept"), "application/vnd.npm.install-v1+json")
	versions := map[string]any{}
	for _, v := range []string{"0.1.0", latest} {
		versions[v] = map[string]any{"name": name, "version": v,
			"dist": map[string]any{"tarball": "http://" + r.Host + "/" + name + "/-/" + name + "-" + v + ".tgz",
				"shasum": strings.Repeat("0", 40)}}
	}
	doc := map[string]any{"name": name, "dist-tags": map[string]string{"latest": latest}, "versions": versions,
		"modified": time.Now().UTC().Format(time.RFC3339)}
	ct := "application/json"
	if abbreviated {
		ct = "application/vnd.npm.install-v1+json"
	} else {
		doc["_id"] = name
		doc["time"] = map[string]string{"created": "2020-01-01T00:00:00.000Z"}
	}
	writeJSON(w, ct, doc)
}

// writeJSON answers v as JSON of content type ct. A value that does not encode is a bug in this fake: it answers
// 500, so the test using it fails instead of reading a truncated body.
func writeJSON(w http.ResponseWriter, ct string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Write(append(b, '\n'))
}

// GoProxy is a fake Go module proxy.
type GoProxy struct {
	URL string
	mu  sync.Mutex
	// versions by module path; noLatest lists modules whose /@latest answers 404 (to exercise /@v/list).
	versions map[string][]string
	noLatest map[string]bool
	requests map[string]int
}

// NewGoProxy starts a proxy knowing modules (path → versions, in any order).
func NewGoProxy(t testing.TB, modules map[string][]string) *GoProxy {
	g := &GoProxy{versions: map[string][]string{}, noLatest: map[string]bool{}, requests: map[string]int{}}
	for k, v := range modules {
		g.versions[k] = v
	}
	srv := httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

// NoLatest makes /@latest of mod answer 404, as proxies do for modules with only pre-releases or none cached.
func (g *GoProxy) NoLatest(mod string) {
	g.mu.Lock()
	g.noLatest[mod] = true
	g.mu.Unlock()
}

// Publish adds a version of mod.
func (g *GoProxy) Publish(mod, version string) {
	g.mu.Lock()
	g.versions[mod] = append(g.versions[mod], version)
	g.mu.Unlock()
}

// Requests counts requests per module path (decoded), all endpoints together.
func (g *GoProxy) Requests(mod string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.requests[mod]
}

func (g *GoProxy) serve(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	var escaped, what string
	switch {
	case strings.HasSuffix(p, "/@v/list"):
		escaped, what = strings.TrimSuffix(p, "/@v/list"), "list"
	case strings.HasSuffix(p, "/@latest"):
		escaped, what = strings.TrimSuffix(p, "/@latest"), "latest"
	default:
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	mod, err := module.UnescapePath(escaped)
	if err != nil {
		http.Error(w, "bad module path: "+err.Error(), http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	g.requests[mod]++
	vs, ok := g.versions[mod]
	noLatest := g.noLatest[mod]
	g.mu.Unlock()
	if !ok {
		http.Error(w, "not found: module "+mod+": no matching versions", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if what == "list" {
		w.Write([]byte(strings.Join(vs, "\n") + "\n"))
		return
	}
	if noLatest || len(vs) == 0 {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	// Highest release, as a proxy resolves @latest.
	best := ""
	for _, v := range vs {
		if best == "" || semver.Compare(v, best) > 0 {
			best = v
		}
	}
	writeJSON(w, "application/json", map[string]string{"Version": best, "Time": "2024-01-02T03:04:05Z"})
}

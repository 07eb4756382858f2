package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/sphera/atrium/backend/api"
)

// LoopbackOnly rejects listen addresses that are not on the loopback interface.
func LoopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w (want host:port, e.g. 127.0.0.1:7788)", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q is not a loopback address: `atrium web` serves your catalog and acts "+
			"with your credentials, so it listens on 127.0.0.1 or ::1 only", addr)
	}
	return nil
}

// contentSecurityPolicy lets the page load only its own scripts, styles and images and talk only to its own origin;
// nothing may frame it and it submits no forms. The built UI (frontend/dist) has no inline script or style.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// WebHandler serves the UI and the local API to a browser. It guards against other local users and web pages:
//
//   - only the Host names of its own address are accepted (DNS rebinding);
//   - API calls (/api/, /ofrep/) need the per-launch token in an Authorization: Bearer header, which only the page
//     sets (it reads the token from the launch URL and keeps it in its own origin's sessionStorage). No cookie is
//     set or read: cookies are per host, not per port, so a page on another port of 127.0.0.1 would get them;
//   - changes must come from this origin with JSON bodies (api.SameOriginJSON), so a page of another origin cannot
//     forge one even with a credential the browser attached;
//   - the page and its assets need no token (they hold no data) and are only read; no directory is listed.
func WebHandler(local http.Handler, ui fs.FS, addr, token string) http.Handler {
	_, port, _ := net.SplitHostPort(addr)
	allowed := map[string]bool{addr: true, "localhost:" + port: true, "127.0.0.1:" + port: true, "[::1]:" + port: true}
	valid := func(t string) bool { return t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 }
	files := uiFiles(ui)
	guarded := api.SameOriginJSON(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/healthz":
			local.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/ofrep/"):
			if !valid(api.BearerToken(r)) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="atrium-web"`)
				api.WriteError(w, r, nil, api.Errorf(http.StatusUnauthorized, "unauthorized",
					"missing or wrong launch token (send it as Authorization: Bearer): open the URL that `atrium web` "+
						"printed (it ends in ?token=...)"))
				return
			}
			local.ServeHTTP(w, r)
		default:
			files.ServeHTTP(w, r)
		}
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed[r.Host] {
			api.WriteError(w, r, nil, api.Errorf(http.StatusForbidden, "forbidden_host",
				"host %q is not this server's address; open the URL atrium web printed", r.Host))
			return
		}
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		// The launch URL holds the token until the page's script drops it: never pass it on in a Referer.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		guarded.ServeHTTP(w, r)
	})
}

// uiFiles serves the built UI: its files, index.html for / and for any path that is no file (the single-page app
// routes on the fragment), and never a directory listing.
func uiFiles(ui fs.FS) http.Handler {
	files := http.FileServerFS(ui)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			api.WriteError(w, r, nil, api.Errorf(http.StatusMethodNotAllowed, "method_not_allowed",
				"%s %s: the UI's files are only read (GET)", r.Method, r.URL.Path))
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		st, err := fs.Stat(ui, name)
		switch {
		case r.URL.Path == "/" || err != nil:
			http.ServeFileFS(w, r, ui, "index.html")
		case st.IsDir():
			api.WriteError(w, r, nil, api.Errorf(http.StatusNotFound, "not_found", "no file %s", r.URL.Path))
		default:
			files.ServeHTTP(w, r)
		}
	})
}

// NewLaunchToken makes the per-launch token of `atrium web`.
func NewLaunchToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// ServeWeb serves the UI and local API on addr (loopback only) until ctx ends. ready receives the URL to open.
func (rt *Runtime) ServeWeb(ctx context.Context, addr string, ui fs.FS, ready func(url string)) error {
	if err := LoopbackOnly(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	actual := ln.Addr().String()
	if host, _, _ := net.SplitHostPort(addr); host == "localhost" {
		_, port, _ := net.SplitHostPort(actual)
		actual = "localhost:" + port
	}
	token := NewLaunchToken()
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{
		Handler:           api.LogRequests(rt.Log, WebHandler(rt.LocalAPI("web"), ui, actual, token)),
		BaseContext:       func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: 10 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	url := "http://" + actual + "/?token=" + token
	if ready != nil {
		ready(url)
	}
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	cancelBase()
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

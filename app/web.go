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

const tokenCookie = "atrium_token"

// LoopbackOnly rejects listen addresses that are not on the loopback interface.
func LoopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %v (want host:port, e.g. 127.0.0.1:7788)", addr, err)
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

// WebHandler serves the UI and the local API to a browser. It guards against other local users and web pages:
// only the Host names of its own address are accepted (DNS rebinding), and API calls need the per-launch token
// (Authorization: Bearer, ?token=, or the cookie set when the printed URL is opened).
func WebHandler(local http.Handler, ui fs.FS, addr, token string) http.Handler {
	_, port, _ := net.SplitHostPort(addr)
	allowed := map[string]bool{addr: true, "localhost:" + port: true, "127.0.0.1:" + port: true, "[::1]:" + port: true}
	files := http.FileServerFS(ui)
	valid := func(t string) bool { return t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed[r.Host] {
			api.WriteError(w, r, nil, api.Errorf(http.StatusForbidden, "forbidden_host",
				"host %q is not this server's address; open the URL atrium web printed", r.Host))
			return
		}
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.URL.Path == "/healthz" {
			local.ServeHTTP(w, r)
			return
		}
		presented := api.BearerToken(r)
		if presented == "" {
			presented = r.URL.Query().Get("token")
		}
		if presented == "" {
			if c, err := r.Cookie(tokenCookie); err == nil {
				presented = c.Value
			}
		}
		if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/ofrep/") {
			if !valid(presented) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="atrium-web"`)
				api.WriteError(w, r, nil, api.Errorf(http.StatusUnauthorized, "unauthorized",
					"missing or wrong launch token: open the URL that `atrium web` printed (it ends in ?token=...)"))
				return
			}
			local.ServeHTTP(w, r)
			return
		}
		// The page: opening the printed URL stores the token in a cookie and drops it from the address bar.
		if t := r.URL.Query().Get("token"); t != "" {
			if !valid(t) {
				api.WriteError(w, r, nil, api.Errorf(http.StatusUnauthorized, "unauthorized",
					"wrong launch token: open the URL that `atrium web` printed most recently"))
				return
			}
			http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: t, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteStrictMode})
			q := r.URL.Query()
			q.Del("token")
			target := r.URL.Path
			if len(q) > 0 {
				target += "?" + q.Encode()
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		if _, err := fs.Stat(ui, strings.TrimPrefix(path.Clean(r.URL.Path), "/")); err != nil || r.URL.Path == "/" {
			// Unknown paths are the single-page app's; it routes on the fragment.
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/"
			files.ServeHTTP(w, r2)
			return
		}
		files.ServeHTTP(w, r)
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

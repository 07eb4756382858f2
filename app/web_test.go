package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
)

// webServer is `atrium web`'s handler on a real loopback listener, in front of a local API that counts the
// requests reaching it: what the guards let through is what could change something.
type webServer struct {
	t       *testing.T
	base    string // http://127.0.0.1:PORT
	host    string // 127.0.0.1:PORT
	token   string
	reached atomic.Int32
}

func newWebServer(t *testing.T) *webServer {
	t.Helper()
	s := &webServer{t: t, token: "launch-token-0123456789abcdef"}
	local := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.reached.Add(1)
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	})
	ui := fstest.MapFS{
		"index.html":          {Data: []byte("<html>atrium</html>")},
		"assets/app.js":       {Data: []byte("console.log('atrium')")},
		"assets/index.css":    {Data: []byte("body{}")},
		"assets/img/logo.svg": {Data: []byte("<svg/>")},
	}
	srv := httptest.NewUnstartedServer(nil)
	s.host = srv.Listener.Addr().String()
	srv.Config.Handler = WebHandler(local, ui, s.host, s.token)
	srv.Start()
	t.Cleanup(srv.Close)
	s.base = srv.URL
	return s
}

// send makes a request as a browser or a script would; hdr may hold Cookie, Origin, Sec-Fetch-Site, Content-Type.
func (s *webServer) send(method, path, body string, hdr map[string]string) (*http.Response, string) {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	// No redirects followed: a 303 to set a cookie is an answer to look at.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (s *webServer) bearer() string { return "Bearer " + s.token }

// errorCode reads the code of an API error body, or "" when the body is not one.
func errorCode(body string) string {
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal([]byte(body), &e) // a body that is not an API error has no code: ""
	return e.Error.Code
}

// A page of another port of 127.0.0.1 shares the host's cookies; the API must not take a credential a browser
// attaches by itself, and no response may set one.
func TestWebAPIAuthenticatesByHeaderOnly(t *testing.T) {
	s := newWebServer(t)
	tests := []struct {
		name   string
		path   string
		hdr    map[string]string
		status int
	}{
		{"cookie", "/api/v1/services", map[string]string{"Cookie": "atrium_token=" + s.token}, 401},
		{"cookie on OFREP", "/ofrep/v1/evaluate/flags", map[string]string{"Cookie": "atrium_token=" + s.token}, 401},
		{"token in the query", "/api/v1/services?token=" + s.token, nil, 401},
		{"no token", "/api/v1/services", nil, 401},
		{"wrong bearer", "/api/v1/services", map[string]string{"Authorization": "Bearer nope"}, 401},
		{"bearer", "/api/v1/services", map[string]string{"Authorization": s.bearer()}, 200},
		{"bearer on OFREP", "/ofrep/v1/evaluate/flags", map[string]string{"Authorization": s.bearer()}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.reached.Load()
			resp, body := s.send("GET", tt.path, "", tt.hdr)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status == 401 {
				if errorCode(body) != "unauthorized" || !strings.Contains(body, "Authorization") {
					t.Errorf("401 body does not say how to authenticate: %s", body)
				}
				if s.reached.Load() != before {
					t.Error("the local API was reached without the header token")
				}
			}
		})
	}
}

func TestWebNeverSetsCookies(t *testing.T) {
	s := newWebServer(t)
	for _, path := range []string{"/?token=" + s.token, "/?token=wrong", "/", "/assets/app.js", "/healthz", "/api/v1/services"} {
		resp, body := s.send("GET", path, "", map[string]string{"Authorization": s.bearer()})
		if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
			t.Errorf("GET %s sets cookies %q", path, c)
		}
		if strings.HasPrefix(path, "/?") && (resp.StatusCode != 200 || body != "<html>atrium</html>") {
			// The page reads the launch token from its own URL; the server serves it like any other page.
			t.Errorf("GET %s: %d %q, want the page", path, resp.StatusCode, body)
		}
	}
}

// The headers of a request a browser makes: a script of this page (same-origin), a page of another port of
// 127.0.0.1 (same-site), of another site (cross-site), or of a sandboxed frame (Origin null).
func TestWebRefusesCrossOriginChanges(t *testing.T) {
	s := newWebServer(t)
	self := "http://" + s.host
	json := map[string]string{"Content-Type": "application/json"}
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{"Authorization": s.bearer()}
		for k, v := range json {
			h[k] = v
		}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	refused := []struct {
		name string
		hdr  map[string]string
	}{
		{"another port's Origin", map[string]string{"Origin": "http://127.0.0.1:9999"}},
		{"another host's Origin", map[string]string{"Origin": "https://evil.example"}},
		{"Origin null", map[string]string{"Origin": "null"}},
		{"localhost on another port", map[string]string{"Origin": "http://localhost:1"}},
		{"Sec-Fetch-Site same-site", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:9999"}},
		{"Sec-Fetch-Site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"Sec-Fetch-Site same-site, own Origin claimed", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": self}},
	}
	for _, method := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		for _, tt := range refused {
			t.Run(method+" "+tt.name, func(t *testing.T) {
				before := s.reached.Load()
				resp, body := s.send(method, "/api/v1/actions/a1/approve", `{}`, with(tt.hdr))
				if resp.StatusCode != 403 || errorCode(body) != "cross_origin" {
					t.Fatalf("status %d, want 403 cross_origin: %s", resp.StatusCode, body)
				}
				if !strings.Contains(body, "another origin") {
					t.Errorf("message does not say why: %s", body)
				}
				if s.reached.Load() != before {
					t.Error("the local API was reached")
				}
			})
		}
	}
	// What the page itself and scripts send is accepted.
	accepted := []struct {
		name string
		hdr  map[string]string
	}{
		{"same-origin fetch", map[string]string{"Origin": self, "Sec-Fetch-Site": "same-origin"}},
		{"same-origin fetch of an older browser", map[string]string{"Origin": self}},
		{"script (no Origin, no Sec-Fetch-Site)", nil},
	}
	for _, tt := range accepted {
		t.Run("accepts "+tt.name, func(t *testing.T) {
			before := s.reached.Load()
			resp, body := s.send("POST", "/api/v1/actions/a1/approve", `{}`, with(tt.hdr))
			if resp.StatusCode != 200 || s.reached.Load() != before+1 {
				t.Fatalf("status %d (local API reached %d times): %s", resp.StatusCode, s.reached.Load()-before, body)
			}
		})
	}
	// Reads are not changes: a cross-site GET is answered as any other (it needs the header token all the same).
	if resp, _ := s.send("GET", "/api/v1/services", "", map[string]string{"Authorization": s.bearer(),
		"Sec-Fetch-Site": "cross-site", "Origin": "http://127.0.0.1:9999"}); resp.StatusCode != 200 {
		t.Errorf("cross-site GET with the token: %d", resp.StatusCode)
	}
}

// A page of another origin can send text/plain, form-urlencoded and multipart bodies without asking (no CORS
// preflight); only JSON bodies are taken.
func TestWebTakesOnlyJSONBodies(t *testing.T) {
	s := newWebServer(t)
	refused := []struct{ name, contentType, body string }{
		{"text/plain", "text/plain", `{"reason":"looks fine"}`},
		{"text/plain with charset", "text/plain;charset=UTF-8", `{"flags":{}}`},
		{"form", "application/x-www-form-urlencoded", `{"flags":{}}=`},
		{"multipart", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n{}\r\n--x--\r\n"},
		{"no content type", "", `{"flags":{}}`},
		{"json lookalike", "application/jsonp", `{}`},
		{"malformed", "application/json; =", `{}`},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			before := s.reached.Load()
			hdr := map[string]string{"Authorization": s.bearer()}
			if tt.contentType != "" {
				hdr["Content-Type"] = tt.contentType
			}
			resp, body := s.send("POST", "/api/v1/flags/import?environment=production", tt.body, hdr)
			if resp.StatusCode != 415 || errorCode(body) != "unsupported_media_type" || !strings.Contains(body, "application/json") {
				t.Fatalf("status %d, want 415 naming application/json: %s", resp.StatusCode, body)
			}
			if s.reached.Load() != before {
				t.Error("the local API was reached")
			}
		})
	}
	for _, tt := range []struct{ name, method, contentType, body string }{
		{"JSON", "POST", "application/json", `{"flags":{}}`},
		{"JSON with charset", "PUT", "application/json; charset=utf-8", `{"portal_url":""}`},
		{"no body, no content type", "DELETE", "", ""},
		{"no body, JSON content type", "POST", "application/json", ""},
	} {
		t.Run("accepts "+tt.name, func(t *testing.T) {
			hdr := map[string]string{"Authorization": s.bearer(), "Origin": "http://" + s.host, "Sec-Fetch-Site": "same-origin"}
			if tt.contentType != "" {
				hdr["Content-Type"] = tt.contentType
			}
			if resp, body := s.send(tt.method, "/api/v1/flags/import?environment=production", tt.body, hdr); resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
		})
	}
}

// The page and its assets need no token (they hold no data), but nothing lists a directory.
func TestWebServesFilesNeverListings(t *testing.T) {
	s := newWebServer(t)
	for _, tt := range []struct {
		path   string
		status int
		want   string
	}{
		{"/", 200, "<html>atrium</html>"},
		{"/#/flags", 200, "<html>atrium</html>"},
		{"/some/app/route", 200, "<html>atrium</html>"},
		{"/assets/app.js", 200, "console.log('atrium')"},
		{"/assets/", 404, ""},
		{"/assets", 404, ""},
		{"/assets/img/", 404, ""},
		{"/assets/./img", 404, ""},
	} {
		resp, body := s.send("GET", tt.path, "", nil)
		if resp.StatusCode != tt.status || (tt.want != "" && body != tt.want) {
			t.Errorf("GET %s: %d %.80q, want %d %q", tt.path, resp.StatusCode, body, tt.status, tt.want)
		}
		if strings.Contains(body, "app.js") || strings.Contains(body, "index.css") || strings.Contains(body, "logo.svg") {
			t.Errorf("GET %s lists files: %s", tt.path, body)
		}
	}
	// Files are read, never written.
	for _, method := range []string{"POST", "PUT", "DELETE"} {
		resp, body := s.send(method, "/assets/app.js", `{}`, map[string]string{"Content-Type": "application/json"})
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /assets/app.js: %d %s", method, resp.StatusCode, body)
		}
	}
}

// The launch URL carries the token until the page's script removes it; no request the page makes may pass it on
// in a Referer, and the page may not be framed or load anything but its own files.
func TestWebSecurityHeaders(t *testing.T) {
	s := newWebServer(t)
	for _, path := range []string{"/?token=" + s.token, "/assets/app.js", "/api/v1/services", "/api/v1/nope"} {
		resp, _ := s.send("GET", path, "", map[string]string{"Authorization": s.bearer()})
		for k, want := range map[string]string{
			"Referrer-Policy":        "no-referrer",
			"X-Frame-Options":        "DENY",
			"X-Content-Type-Options": "nosniff",
		} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("GET %s: %s %q, want %q", path, k, got, want)
			}
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "form-action 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("GET %s: Content-Security-Policy %q lacks %q", path, csp, d)
			}
		}
	}
}

// The desktop window's asset server has no port: only pages inside the window reach it. Should the window ever
// show a page of another origin (a link followed inside it), that page gets the same refusals as in a browser.
func TestDesktopAssetServerRefusesCrossOriginChanges(t *testing.T) {
	var reached atomic.Int32
	local := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		io.WriteString(w, `{"ok":true}`)
	})
	assets := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>atrium</html>") })
	srv := httptest.NewServer(AssetMiddleware(local)(assets))
	defer srv.Close()
	send := func(method, path, body string, hdr map[string]string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Host = "wails" // the window's requests are wails://wails/...
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tt := range []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"page of another origin", map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"}, 403},
		{"cross-site", map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}, 403},
		{"form post", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415},
		{"text/plain", map[string]string{"Content-Type": "text/plain"}, 415},
		{"the window's own fetch", map[string]string{"Origin": "wails://wails", "Content-Type": "application/json"}, 200},
		{"the window's fetch, no Origin", map[string]string{"Content-Type": "application/json"}, 200},
	} {
		before := reached.Load()
		code, body := send("POST", "/api/v1/actions/a1/approve", `{}`, tt.hdr)
		if code != tt.status {
			t.Errorf("%s: %d, want %d: %s", tt.name, code, tt.status, body)
		}
		if got := reached.Load() - before; (tt.status == 200) != (got == 1) {
			t.Errorf("%s: local API reached %d times", tt.name, got)
		}
	}
	// No token is needed in the window, and its pages are served by Wails.
	if code, body := send("GET", "/api/v1/services", "", nil); code != 200 {
		t.Errorf("GET the API: %d %s", code, body)
	}
	if code, body := send("GET", "/", "", nil); code != 200 || body != "<html>atrium</html>" {
		t.Errorf("GET /: %d %s", code, body)
	}
}

// A change the page makes in remote mode is forwarded to the team portal, which guards itself the same way: the
// page's Origin (atrium web's address, not the portal's) must not reach it, or the portal would refuse the
// change as cross-origin. Browsers without Sec-Fetch-Site send only the Origin.
func TestWebForwardsThePagesChangesToThePortal(t *testing.T) {
	addr, stop := runPortal(t, "127.0.0.1:0", t.TempDir())
	defer stop()
	rt, err := Open(context.Background(), t.TempDir(), "http://"+addr, adminToken, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	}()
	const token = "launch-token-forward"
	srv := httptest.NewUnstartedServer(nil)
	host := srv.Listener.Addr().String()
	srv.Config.Handler = WebHandler(rt.LocalAPI("web"), fstest.MapFS{"index.html": {Data: []byte("<html/>")}}, host, token)
	srv.Start()
	defer srv.Close()
	for _, hdr := range []map[string]string{
		{"Origin": "http://" + host},
		{"Origin": "http://" + host, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Referer": "http://" + host + "/"},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/tokens", strings.NewReader(`{"name":"ci","subject":"ci-bot","grants":[{"role":"developer","team":"payments"}]}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("create a token through atrium web (%v): %d %s", hdr, resp.StatusCode, b)
		}
	}
}

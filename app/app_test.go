package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sphera/atrium/app/replica"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/backend/server"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
)

const adminToken = "atr_integration_admin_0123456789"

func testLog(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// runPortal starts `atrium serve` in-process on addr and returns its address and a stop function that waits for
// it to be down.
func runPortal(t *testing.T, addr, dataDir string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Serve(ctx, server.Config{Addr: addr, DataDir: dataDir, AdminToken: adminToken, Demo: "on",
			Log: testLog(t)}, func(a string) { ready <- a })
	}()
	select {
	case a := <-ready:
		return a, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("portal: %v", err)
			}
		}
	case err := <-done:
		t.Fatalf("portal did not start: %v", err)
	}
	return "", nil
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// localClient calls a runtime's local API over loopback, validating every exchange against openapi.yaml.
type localClient struct {
	t   *testing.T
	url string
	hc  *http.Client
}

func newLocalClient(t *testing.T, rt *Runtime) *localClient {
	srv := httptest.NewServer(rt.LocalAPI("test"))
	t.Cleanup(srv.Close)
	return &localClient{t: t, url: srv.URL, hc: &http.Client{Transport: apitest.Transport(t, nil)}}
}

func (c *localClient) do(method, path string, body string, out any) int {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func (c *localClient) search(q string) []string {
	var page store.ServicePage
	if code := c.do("GET", "/api/v1/services?limit=1000&q="+q, "", &page); code != 200 {
		c.t.Fatalf("search %q: status %d", q, code)
	}
	var out []string
	for _, r := range page.Items {
		out = append(out, r.Name)
	}
	return out
}

func (c *localClient) status() syncStatus {
	var st syncStatus
	c.do("GET", "/api/v1/sync/status", "", &st)
	return st
}

func TestDesktopReplicaAgainstPortal(t *testing.T) {
	ctx := context.Background()
	portalDir := t.TempDir()
	addr, stop := runPortal(t, "127.0.0.1:0", portalDir)
	portalURL := "http://" + addr

	rt, err := Open(ctx, t.TempDir(), portalURL, adminToken, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	}()
	c := newLocalClient(t, rt)
	waitFor(t, "first sync", 15*time.Second, func() bool { return c.status().State == replica.StateUpToDate })
	st := c.status()
	if st.Mode != ModeRemote || st.PortalURL != portalURL || st.Services < 60 || st.Total != st.Done || st.Done < 60 {
		t.Fatalf("status after first sync: %+v", st)
	}
	if got := c.search("ledger"); len(got) == 0 {
		t.Fatal("search on the replica found nothing")
	}

	// The portal goes away: the desktop says offline and keeps answering from its replica.
	stop()
	waitFor(t, "offline state", 15*time.Second, func() bool { return c.status().State == replica.StateOffline })
	st = c.status()
	if st.AsOf.IsZero() || st.Message == "" {
		t.Errorf("offline status must carry data time and reason: %+v", st)
	}
	if got := c.search("ledger"); len(got) == 0 {
		t.Fatal("offline search found nothing")
	}
	// Writes are not queued silently while offline. (Sent unvalidated: the endpoint is the portal's business.)
	var e struct {
		Error struct {
			Code, Message string
			Sent          *bool
		} `json:"error"`
	}
	raw := &localClient{t: t, url: c.url, hc: http.DefaultClient}
	if code := raw.do("POST", "/api/v1/actions", `{"kind":"sqs"}`, &e); code != http.StatusBadGateway ||
		e.Error.Code != "portal_unreachable" || !strings.Contains(e.Error.Message, "not sent") ||
		e.Error.Sent == nil || *e.Error.Sent {
		t.Errorf("forward while offline: %d %+v", code, e)
	}

	// Meanwhile the catalog changes on the portal (a collector wrote while the server was down).
	pdb, err := store.Open(filepath.Join(portalDir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pdb.PutServices(ctx, []catalog.Service{{Name: "brand-new-service", Owner: "platform",
		Description: "Arrived while the portal was down", Lifecycle: "experimental", Type: "service",
		Language: "Go", Source: "manual"}}); err != nil {
		t.Fatal(err)
	}
	if err := pdb.Close(); err != nil {
		t.Fatal(err)
	}

	// The portal comes back on the same address: the desktop catches up by itself.
	_, stop = runPortal(t, addr, portalDir)
	defer stop()
	waitFor(t, "catch-up", 20*time.Second, func() bool {
		got := c.search("brand")
		return len(got) == 1 && got[0] == "brand-new-service"
	})
	waitFor(t, "up to date", 5*time.Second, func() bool { return c.status().State == replica.StateUpToDate })
}

func TestLocalModeAndSettings(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rt, err := Open(ctx, dir, "", "", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	}()
	c := newLocalClient(t, rt)
	waitFor(t, "local sync", 15*time.Second, func() bool { return c.status().State == replica.StateUpToDate })
	st := c.status()
	if st.Mode != ModeLocal || st.Services < 60 || st.Origin != ModeLocal {
		t.Fatalf("local mode: %+v", st)
	}
	// The data version moves only with the data: an idle long poll does not change it.
	if st2 := c.status(); st2.DataVersion != st.DataVersion {
		t.Errorf("data version moved without a change: %q → %q", st.DataVersion, st2.DataVersion)
	}
	// Endpoints the replica does not answer reach the in-process portal as the local user.
	var b store.Batch
	if code := c.do("GET", "/api/v1/changes?limit=5", "", &b); code != 200 || len(b.Changes) != 5 {
		t.Errorf("forward to in-process portal: %d %d", code, len(b.Changes))
	}

	var sv settingsView
	if code := c.do("PUT", "/api/v1/settings", `{"portal_url": "ftp://nope"}`, nil); code != 400 {
		t.Errorf("bad portal URL accepted: %d", code)
	}
	if code := c.do("PUT", "/api/v1/settings", `{"portal_url": 5}`, nil); code != 400 {
		t.Errorf("wrong type accepted: %d", code)
	}
	if code := c.do("PUT", "/api/v1/settings", `{"portal_url": "http://127.0.0.1:1", "token": "atr_x_0123456789abcdef"}`, &sv); code != 200 ||
		sv.Mode != ModeRemote || !sv.TokenSet {
		t.Fatalf("switch to remote: %d %+v", code, sv)
	}
	waitFor(t, "offline against a dead portal", 10*time.Second, func() bool { return c.status().State == replica.StateOffline })
	if st := c.status(); st.Origin != ModeLocal || st.DataVersion == "" {
		t.Errorf("the status must say the data shown still comes from local mode: %+v", st)
	}
	if n := len(c.search("pay")); n == 0 {
		t.Error("replica lost its data when the portal changed")
	}
	// Settings persist: a new runtime on the same directory connects to the saved portal.
	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	rt2, err := Open(ctx, dir, "", "", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt2.Close(); err != nil {
			t.Error(err)
		}
	}()
	if st := rt2.State(); st.Mode != ModeRemote || st.Portal != "http://127.0.0.1:1" {
		t.Errorf("saved settings not used: %s %s", st.Mode, st.Portal)
	}
	if tok, _ := rt2.tokens.Get("http://127.0.0.1:1"); tok != "atr_x_0123456789abcdef" {
		t.Error("token not stored")
	}
}

func TestCorruptReplicaIsReportedNotWiped(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "replica.db")
	if err := os.WriteFile(path, []byte("definitely not sqlite"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), dir, "", "", testLog(t))
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("want an error naming %s, got %v", path, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "definitely not sqlite" {
		t.Error("file was changed")
	}
}

func TestWebHandlerGuards(t *testing.T) {
	local := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"ok":true}`) })
	ui := fstest.MapFS{"index.html": {Data: []byte("<html>atrium</html>")}, "assets/app.js": {Data: []byte("js")}}
	const addr, token = "127.0.0.1:7788", "launchtoken"
	h := WebHandler(local, ui, addr, token)
	do := func(host, path string, hdr map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "http://"+host+path, nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	tests := []struct {
		name, host, path string
		hdr              map[string]string
		status           int
	}{
		{"rebinding host", "evil.example:7788", "/api/v1/services?token=" + token, nil, 403},
		{"other port", "127.0.0.1:9999", "/", nil, 403},
		{"no token", addr, "/api/v1/services", nil, 401},
		{"wrong token", addr, "/api/v1/services?token=nope", nil, 401},
		{"query token is not a credential", addr, "/api/v1/services?token=" + token, nil, 401},
		{"OFREP needs the token too", addr, "/ofrep/v1/evaluate/flags", nil, 401},
		{"OFREP with the token", addr, "/ofrep/v1/evaluate/flags", map[string]string{"Authorization": "Bearer " + token}, 200},
		{"bearer", "localhost:7788", "/api/v1/services", map[string]string{"Authorization": "Bearer " + token}, 200},
		{"cookie is not a credential", addr, "/api/v1/services", map[string]string{"Cookie": "atrium_token=" + token}, 401},
		{"health", addr, "/healthz", nil, 200},
		{"page", addr, "/", nil, 200},
		{"asset", addr, "/assets/app.js", nil, 200},
		{"spa fallback", addr, "/whatever", nil, 200},
		{"launch URL serves the page", addr, "/?token=" + token, nil, 200},
	}
	for _, tt := range tests {
		w := do(tt.host, tt.path, tt.hdr)
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, w.Code, tt.status, w.Body)
		}
		if tt.status >= 400 && !strings.Contains(w.Header().Get("Content-Type"), "json") {
			t.Errorf("%s: error is not JSON", tt.name)
		}
	}
	for _, a := range []string{"0.0.0.0:7788", "192.168.1.5:80", ":7788", "example.com:80"} {
		if LoopbackOnly(a) == nil {
			t.Errorf("%s accepted as loopback", a)
		}
	}
	for _, a := range []string{"127.0.0.1:0", "[::1]:7788", "localhost:1"} {
		if err := LoopbackOnly(a); err != nil {
			t.Errorf("%s refused: %v", a, err)
		}
	}
}

// The desktop's pages are gated by flags in its portal, read through OpenFeature with Atrium's provider: the demo
// portal turns the newest page (off by default in code) on, and a flag changed in the portal reaches the desktop.
func TestUIFeaturesComeFromThePortalsFlags(t *testing.T) {
	rt, err := Open(context.Background(), t.TempDir(), "", "", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	}()
	c := newLocalClient(t, rt)
	type view struct {
		Provider string
		Features map[string]struct {
			Enabled bool
			Reason  string
		}
	}
	var v view
	waitFor(t, "provider ready", 10*time.Second, func() bool {
		c.do("GET", "/api/v1/ui/features", "", &v)
		return v.Provider == "READY"
	})
	m := v.Features["atrium-ui-matrix-page"]
	if !m.Enabled || m.Reason != "SPLIT" {
		t.Errorf("matrix page: %+v (the demo rolls it out to 100%% of users)", m)
	}
	if f := v.Features["atrium-ui-flags-page"]; !f.Enabled || f.Reason != "STATIC" {
		t.Errorf("flags page: %+v", f)
	}
	// An admin turns the flags page off in the portal (through the desktop, which forwards the write). A change to
	// production waits for a platform approver, in local mode too: the demo's platform approver approves it.
	body := `{"team":"platform","flag":{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off"}}`
	var held struct{ Pending struct{ ID string } }
	if code := c.do("PUT", "/api/v1/flags/production/atrium-ui-flags-page", body, &held); code != 202 || held.Pending.ID == "" {
		t.Fatalf("turn the flag off: %d %+v", code, held)
	}
	c.actAs("pat")
	if code := c.do("POST", "/api/v1/actions/"+held.Pending.ID+"/approve", `{}`, nil); code != 200 {
		t.Fatalf("approve the change: %d", code)
	}
	var a struct{ State string }
	waitFor(t, "the approved change", 15*time.Second, func() bool {
		c.do("GET", "/api/v1/actions/"+held.Pending.ID, "", &a)
		return a.State == "succeeded"
	})
	rt.mu.Lock()
	p := rt.features.provider
	rt.mu.Unlock()
	if err := p.Refresh(context.Background()); err != nil { // the provider polls every 30 s; don't wait for it
		t.Fatal(err)
	}
	c.do("GET", "/api/v1/ui/features", "", &v)
	if f := v.Features["atrium-ui-flags-page"]; f.Enabled {
		t.Errorf("flags page still on after the portal turned it off: %+v", f)
	}
}

// OpenFeature clients on the developer's machine can evaluate through the desktop: OFREP reaches the portal (here
// local mode's in-process one), and the demo's old, fully rolled-out flags show as stale.
func TestOFREPAndStaleFlagsThroughTheDesktop(t *testing.T) {
	rt, err := Open(context.Background(), t.TempDir(), "", "", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	}()
	c := newLocalClient(t, rt)
	var eval struct {
		Key     string
		Value   any
		Reason  string
		Variant string
	}
	ctx := `{"context":{"targetingKey":"u1","email":"ana@sphera.example"}}`
	if code := c.do("POST", "/ofrep/v1/evaluate/flags/search-ranking-model?environment=production", ctx, &eval); code != 200 ||
		eval.Value != "learned-v3" || eval.Reason != "TARGETING_MATCH" {
		t.Fatalf("OFREP through the desktop: %d %+v", code, eval)
	}
	var list struct {
		Items []struct {
			Key   string
			Stale bool
		}
	}
	if code := c.do("GET", "/api/v1/flags?environment=production&stale=true", "", &list); code != 200 {
		t.Fatalf("stale flags: %d", code)
	}
	stale := map[string]bool{}
	for _, f := range list.Items {
		stale[f.Key] = f.Stale
	}
	if !stale["notification-digest"] || !stale["legacy-sso-fallback"] || stale["new-checkout-flow"] {
		t.Errorf("stale demo flags: %v", stale)
	}
	var src struct {
		Items []struct {
			Name     string
			Services int
			Syncable bool
		}
	}
	c.do("GET", "/api/v1/sources", "", &src)
	if len(src.Items) != 1 || src.Items[0].Name != "demo" || src.Items[0].Services < 60 || src.Items[0].Syncable {
		t.Errorf("demo source: %+v", src.Items)
	}
}

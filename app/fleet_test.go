package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/fleet"
	"github.com/sphera/atrium/internal/store"
)

// portalCall sends a request to a portal with the admin token and decodes the answer.
func portalCall(t *testing.T, base, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode
}

func push(t *testing.T, base string, doc string) api.FleetVersion {
	t.Helper()
	var v api.FleetVersion
	if code := portalCall(t, base, http.MethodPost, "/api/v1/fleet/config", map[string]json.RawMessage{"config": json.RawMessage(doc)}, &v); code != 201 {
		t.Fatalf("push: %d %+v", code, v)
	}
	return v
}

func (c *localClient) effective() fleetEffective {
	var e fleetEffective
	if code := c.do("GET", "/api/v1/fleet/effective", "", &e); code != 200 {
		c.t.Fatalf("effective: %d", code)
	}
	return e
}

func installsOf(t *testing.T, base string) fleet.InstallList {
	var l fleet.InstallList
	portalCall(t, base, http.MethodGet, "/api/v1/fleet/installs", nil, &l)
	return l
}

func TestFleetConfigurationAppliesLiveAndIsReported(t *testing.T) {
	ctx := context.Background()
	addr, stop := runPortal(t, "127.0.0.1:0", t.TempDir())
	defer stop()
	base := "http://" + addr
	dir := t.TempDir()
	rt, err := Open(ctx, dir, base, adminToken, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	}()
	lc := newLocalClient(t, rt)
	// First connect pins the portal's key.
	var key api.FleetKey
	portalCall(t, base, http.MethodGet, "/api/v1/fleet/key", nil, &key)
	waitFor(t, "the key pinned", 10*time.Second, func() bool { e := lc.effective(); return e.Key != nil })
	if e := lc.effective(); e.Key.KeyID != key.KeyID || e.Version != 0 {
		t.Fatalf("pinned %+v", e.Key)
	}
	id, err := os.ReadFile(filepath.Join(dir, installIDFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{installIDFile, fleetStateFile} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}

	rev := lc.status().FleetRevision
	v := push(t, base, `{"settings": {"banner": {"text": "Maintenance Friday 18:00", "level": "warning"},
		"features": {"matrix": true}, "landing_page": "scorecards", "sync": {"long_poll_seconds": 7},
		"min_app_version": "99.0.0", "links": [{"title": "Docs", "url": "https://docs.example.com", "kind": "docs"}]},
		"defaults": ["landing_page"]}`)
	// The long poll is woken by the push: applied within seconds, no restart.
	waitFor(t, "the pushed configuration applied", 10*time.Second, func() bool { return lc.effective().Version == v.Version })
	e := lc.effective()
	if e.Banner == nil || e.Banner.Text != "Maintenance Friday 18:00" || e.LandingPage != "scorecards" ||
		len(e.Links) != 1 || !e.UpdateRequired || e.Refused != nil || lc.status().FleetRevision == rev {
		t.Fatalf("effective %+v", e)
	}
	// The loop is tuned right after the configuration is applied (the two are not one step).
	waitFor(t, "the sync timings applied", 10*time.Second, func() bool { w, _ := rt.State().Loop.Timings(); return w == 7*time.Second })
	var features struct {
		Features map[string]featureView `json:"features"`
	}
	lc.do("GET", "/api/v1/ui/features", "", &features)
	if f := features.Features["atrium-ui-matrix-page"]; !f.Enabled || f.Reason != ReasonFleet {
		t.Errorf("matrix page %+v", f)
	}
	// The install reports the version it applied and its app version on the same feed requests.
	waitFor(t, "the install's report", 10*time.Second, func() bool {
		l := installsOf(t, base)
		return len(l.Items) == 1 && l.Items[0].ConfigVersion == v.Version
	})
	in := installsOf(t, base).Items[0]
	if in.ID != strings.TrimSpace(string(id)) || in.User != "admin" || in.AppVersion != api.Version || !in.BelowMinimum ||
		!strings.Contains(in.OS, "/") {
		t.Errorf("install %+v", in)
	}

	// The user's own choices: the landing page is a default (theirs wins); the matrix page is enforced.
	var pe fleetEffective
	if code := lc.do("PUT", "/api/v1/preferences", `{"landing_page": "flags", "features": {"matrix": false, "packages": false}}`, &pe); code != 200 {
		t.Fatalf("preferences: %d", code)
	}
	if pe.LandingPage != "flags" || !pe.Features["matrix"] || pe.Features["packages"] || pe.From["landing_page"] != fleet.FromUser {
		t.Errorf("with preferences %+v", pe)
	}
	lc.do("GET", "/api/v1/ui/features", "", &features)
	if f := features.Features["atrium-ui-packages-page"]; f.Enabled || f.Reason != ReasonFleetUser {
		t.Errorf("packages page %+v", f)
	}
	var bad struct {
		Error struct{ Fields []api.FieldProblem }
	}
	if code := lc.do("PUT", "/api/v1/preferences", `{"landing_page": "home", "features": {"billing": true}}`, &bad); code != 400 ||
		len(bad.Error.Fields) != 2 || bad.Error.Fields[0].Field != "landing_page" {
		t.Errorf("bad preferences: %d %+v", code, bad)
	}

	// Usage events go to the portal in a batch: the KPI counts the admin among those outside the directory.
	web := newLocalClientFor(t, rt, "web")
	if code := web.do("POST", "/api/v1/usage/events", `{"kind": "page.view", "page": "flag:production/checkout"}`, nil); code != 204 {
		t.Fatalf("usage: %d", code)
	}
	if code := lc.do("POST", "/api/v1/usage/events", `{"kind": "Page View!", "page": "x"}`, &bad); code != 400 || bad.Error.Fields[0].Field != "kind" {
		t.Errorf("bad usage event: %d %+v", code, bad)
	}
	if err := rt.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := rt.outbox.Len(ctx); n != 0 {
		t.Errorf("outbox holds %d after a flush", n)
	}
	var a fleet.Adoption
	portalCall(t, base, http.MethodGet, "/api/v1/kpi/adoption?weeks=1", nil, &a)
	if a.OtherActive != 1 {
		t.Errorf("adoption %+v", a)
	}

	// Closed (a laptop asleep) while two more versions are pushed: reopened, the install keeps its id, its pin and
	// its last good configuration before any sync, then applies the newest version when it reconnects.
	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	push(t, base, `{"settings": {"banner": {"text": "missed while offline"}}}`)
	newest := push(t, base, `{"settings": {"banner": {"text": "back online", "level": "info"}, "landing_page": "catalog"}, "defaults": ["landing_page"]}`)
	rt, err = Open(ctx, dir, base, "", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	if e := rt.FleetEffective(); e.Version != v.Version || e.LandingPage != "flags" {
		t.Errorf("after a restart: %+v", e)
	}
	lc = newLocalClient(t, rt)
	waitFor(t, "the newest version applied after reconnecting", 10*time.Second, func() bool { return lc.effective().Version == newest.Version })
	if e := lc.effective(); e.Banner == nil || e.Banner.Text != "back online" || e.LandingPage != "flags" {
		t.Errorf("after reconnecting: %+v", e)
	}
	waitFor(t, "the install's report of the newest version", 10*time.Second, func() bool {
		l := installsOf(t, base)
		return len(l.Items) == 1 && l.Items[0].ConfigVersion == newest.Version && l.Items[0].ID == strings.TrimSpace(string(id))
	})
}

func TestFeaturePagesAreTheDesktopsFlags(t *testing.T) {
	var keys []string
	for _, uf := range uiFeatures {
		keys = append(keys, uf.Key)
	}
	for page, key := range fleet.FeaturePages {
		if !slices.Contains(keys, key) {
			t.Errorf("fleet page %s names flag %s, which gates no page", page, key)
		}
	}
	if len(fleet.FeaturePages) != len(uiFeatures) {
		t.Errorf("%d fleet pages, %d flagged pages", len(fleet.FeaturePages), len(uiFeatures))
	}
}

// feedTamperer stands between a desktop and its portal and rewrites what the change feed carries.
type feedTamperer struct {
	mu      sync.Mutex
	rewrite func(b *store.Batch)
}

func (f *feedTamperer) set(fn func(b *store.Batch)) {
	f.mu.Lock()
	f.rewrite = fn
	f.mu.Unlock()
}

func newTamperer(t *testing.T, portal string) (*feedTamperer, string) {
	f := &feedTamperer{}
	u, _ := url.Parse(portal)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		f.mu.Lock()
		fn := f.rewrite
		f.mu.Unlock()
		if resp.Request.URL.Path != "/api/v1/changes" || resp.StatusCode != 200 || fn == nil {
			return nil
		}
		var b store.Batch
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			return err
		}
		fn(&b)
		out, _ := json.Marshal(b)
		resp.Body = io.NopCloser(bytes.NewReader(out))
		resp.ContentLength = int64(len(out))
		resp.Header.Del("Content-Length")
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func withFleet(b *store.Batch, c catalog.FleetConfig) {
	for i := range b.Changes {
		if b.Changes[i].Kind == store.KindFleet {
			b.Changes[i].Fleet = &c
			return
		}
	}
	b.Changes = append(b.Changes, store.Change{Seq: 1 << 40, Kind: store.KindFleet, ID: store.FleetConfigID, Fleet: &c})
}

func TestFleetRefusesTamperedReplayedUnappliableAndRekeyedConfigurations(t *testing.T) {
	ctx := context.Background()
	portalDir := t.TempDir()
	addr, stop := runPortal(t, "127.0.0.1:0", portalDir)
	defer stop()
	base := "http://" + addr
	proxy, proxyURL := newTamperer(t, base)
	rt, err := Open(ctx, t.TempDir(), proxyURL, adminToken, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	}()
	lc := newLocalClient(t, rt)
	// The proxy keeps a copy of version 1 as it was signed, to replay it later.
	var v1Signed catalog.FleetConfig
	proxy.set(func(b *store.Batch) {
		for _, c := range b.Changes {
			if c.Fleet != nil && c.Fleet.Version == 1 {
				v1Signed = *c.Fleet
			}
		}
	})
	v1 := push(t, base, `{"settings": {"banner": {"text": "one"}}}`)
	waitFor(t, "v1 applied", 10*time.Second, func() bool { return lc.effective().Version == v1.Version })
	proxy.set(nil)
	if v1Signed.Version != 1 {
		t.Fatal("the proxy did not see version 1")
	}

	refused := func(what, reason string, push func() int64) {
		t.Helper()
		version := push()
		waitFor(t, what+" refused", 10*time.Second, func() bool {
			r := lc.effective().Refused
			return r != nil && r.Version == version && r.Reason == reason
		})
		if e := lc.effective(); e.Version != v1.Version || e.Banner.Text != "one" {
			t.Fatalf("%s: the last good configuration did not stay: %+v", what, e)
		}
		// Reported to the portal with the install.
		waitFor(t, what+" reported", 10*time.Second, func() bool {
			l := installsOf(t, base)
			return len(l.Items) == 1 && strings.Contains(l.Items[0].ConfigError, reason) && !l.Items[0].LatestConfig
		})
	}

	// Altered on the way: the signature fails.
	refused("a tampered configuration", fleet.RefusedSignature, func() int64 {
		proxy.set(func(b *store.Batch) {
			for _, c := range b.Changes {
				if c.Fleet != nil {
					c.Fleet.Content = bytes.Replace(c.Fleet.Content, []byte("two"), []byte("pwned"), 1)
				}
			}
		})
		return push(t, base, `{"settings": {"banner": {"text": "two"}}}`).Version
	})
	// An older signed configuration replayed in place of the newest.
	proxy.set(nil)
	v3 := push(t, base, `{"settings": {"banner": {"text": "three"}}}`)
	waitFor(t, "v3 applied", 10*time.Second, func() bool { return lc.effective().Version == v3.Version })
	proxy.set(func(b *store.Batch) { withFleet(b, v1Signed) })
	push(t, base, `{"settings": {"banner": {"text": "four"}}}`)
	waitFor(t, "the replay refused", 10*time.Second, func() bool {
		r := lc.effective().Refused
		return r != nil && r.Reason == fleet.RefusedReplay && r.Version == v1.Version
	})
	if e := lc.effective(); e.Version != v3.Version {
		t.Fatalf("after the replay: v%d", e.Version)
	}

	// Signed by the portal's own key, with a setting this install cannot apply (a newer portal's): refused whole,
	// the setting named.
	key, _, err := fleet.LoadOrCreateKey(filepath.Join(portalDir, fleet.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	proxy.set(func(b *store.Batch) {
		withFleet(b, key.Sign(10, []byte(`{"schema":1,"settings":{"banner":{"level":"info","text":"five"},"wallpaper":"blue"}}`)))
	})
	push(t, base, `{"settings": {"banner": {"text": "five"}}}`)
	waitFor(t, "the unappliable configuration refused", 10*time.Second, func() bool {
		r := lc.effective().Refused
		return r != nil && r.Reason == fleet.RefusedInvalid && len(r.Fields) == 1 && r.Fields[0].Field == "/settings/wallpaper"
	})
	if e := lc.effective(); e.Version != v3.Version || e.Banner.Text != "three" {
		t.Fatalf("half applied? %+v", e)
	}

	// The portal presents another key (a rotation — or someone in the middle): refused until the user trusts it.
	other := fleet.GenerateSigner()
	proxy.set(func(b *store.Batch) {
		b.FleetKey = other.PublicKey()
		withFleet(b, other.Sign(11, []byte(`{"schema":1,"settings":{"banner":{"level":"info","text":"rotated"}}}`)))
	})
	push(t, base, `{"settings": {"banner": {"text": "six"}}}`)
	waitFor(t, "the changed key refused", 10*time.Second, func() bool {
		e := lc.effective()
		return e.Key != nil && e.Key.OfferedKeyID == other.KeyID() && e.Refused != nil && e.Refused.Reason == fleet.RefusedKey
	})
	if e := lc.effective(); e.Version != v3.Version {
		t.Fatalf("applied under an untrusted key: v%d", e.Version)
	}
	var conflict struct{ Error struct{ Code string } }
	if code := lc.do("POST", "/api/v1/fleet/trust", `{"key_id": "0000000000000000"}`, &conflict); code != 409 {
		t.Errorf("trusting another key: %d %+v", code, conflict)
	}
	var after fleetEffective
	if code := lc.do("POST", "/api/v1/fleet/trust", `{"key_id": "`+other.KeyID()+`"}`, &after); code != 200 {
		t.Fatalf("trust: %d", code)
	}
	if after.Version != 11 || after.Banner.Text != "rotated" || after.Key.KeyID != other.KeyID() || after.Refused != nil {
		t.Errorf("after trusting: %+v", after)
	}
}

func newLocalClientFor(t *testing.T, rt *Runtime, client string) *localClient {
	srv := httptest.NewServer(rt.LocalAPI(client))
	t.Cleanup(srv.Close)
	return &localClient{t: t, url: srv.URL, hc: http.DefaultClient}
}

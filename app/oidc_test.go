package app

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/app/replica"
	"github.com/sphera/atrium/backend/server"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/auth/oidctest"
)

// A developer signs in to a team portal with single sign-on from the desktop: the identity provider's
// authorization-code flow with PKCE and a loopback redirect, then the ID token is the desktop's portal token.
func TestDesktopSingleSignOn(t *testing.T) {
	idp := oidctest.New(t, "atrium-desktop", map[string]any{"sub": "u-42", "email": "dana@sphera.example",
		"groups": []string{"payments-devs"}})
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: adminToken, Demo: "on", Log: testLog(t),
		File: server.FileConfig{OIDC: &auth.OIDCConfig{Issuer: idp.URL, Audience: "atrium-desktop",
			SubjectClaim: "email", Grants: map[string][]string{"payments-devs": {"developer@payments"}}}}}
	go func() { done <- server.Serve(ctx, cfg, func(a string) { ready <- a }) }()
	var portalURL string
	select {
	case a := <-ready:
		portalURL = "http://" + a
	case err := <-done:
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	rt, err := Open(context.Background(), t.TempDir(), portalURL, "", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	}()
	c := newLocalClient(t, rt)
	waitFor(t, "the portal refuses the desktop without a token", 10*time.Second, func() bool {
		return c.status().State == replica.StateError
	})

	var start struct {
		AuthURL     string `json:"auth_url"`
		RedirectURI string `json:"redirect_uri"`
	}
	if code := c.do("POST", "/api/v1/auth/oidc/start", "", &start); code != 200 {
		t.Fatalf("start: %d", code)
	}
	if !strings.HasPrefix(start.RedirectURI, "http://127.0.0.1:") || !strings.Contains(start.AuthURL, "code_challenge_method=S256") {
		t.Fatalf("start: %+v", start)
	}
	// The "browser": follows the provider's redirect back to the desktop's loopback listener.
	resp, err := http.Get(start.AuthURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Signed in to Atrium") {
		t.Fatalf("callback page: %d %s", resp.StatusCode, page)
	}
	var st struct{ State, Subject string }
	c.do("GET", "/api/v1/auth/oidc/status", "", &st)
	if st.State != "signed_in" || st.Subject != "u-42" {
		t.Fatalf("status: %+v", st)
	}
	var me struct {
		Subject string
		Via     string
		Grants  []auth.Grant
	}
	if code := c.do("GET", "/api/v1/me", "", &me); code != 200 || me.Subject != "dana@sphera.example" || me.Via != "oidc" ||
		len(me.Grants) != 1 || me.Grants[0].Team != "payments" {
		t.Fatalf("me after sign-in: %d %+v", code, me)
	}
	waitFor(t, "sync with the ID token", 10*time.Second, func() bool { return c.status().State == replica.StateUpToDate })
	if idp.Exchanges != 1 {
		t.Errorf("code exchanges: %d", idp.Exchanges)
	}
	// The loopback listener is gone: a replayed redirect reaches nothing.
	if resp, err := http.Get(start.RedirectURI + "?code=x&state=y"); err == nil {
		resp.Body.Close()
		t.Errorf("loopback listener still answers after sign-in: %d", resp.StatusCode)
	}
}

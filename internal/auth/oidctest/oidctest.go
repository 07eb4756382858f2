// Package oidctest is an OpenID provider on loopback for tests: discovery, JWKS, and the authorization-code flow
// with PKCE (RFC 7636) that a desktop app uses with a loopback redirect (RFC 8252). The user is signed in
// without a login page: the authorization endpoint redirects straight back with a code.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Provider is the test OpenID provider.
type Provider struct {
	URL      string
	ClientID string
	// Claims are added to every ID token (sub, email, groups, ...).
	Claims map[string]any
	// TTL of ID tokens (default one hour).
	TTL time.Duration

	signer jose.Signer
	key    *rsa.PrivateKey
	mu     sync.Mutex
	codes  map[string]grant
	// Exchanges counts successful code exchanges.
	Exchanges int
}

type grant struct {
	challenge, redirect string
	expires             time.Time
}

// New starts a provider for clientID; it stops when the test ends.
func New(t testing.TB, clientID string, claims map[string]any) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{ClientID: clientID, Claims: claims, key: key, codes: map[string]grant{}, TTL: time.Hour}
	p.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"issuer": p.URL, "jwks_uri": p.URL + "/keys",
			"authorization_endpoint": p.URL + "/authorize", "token_endpoint": p.URL + "/token",
			"response_types_supported": []string{"code"}, "code_challenge_methods_supported": []string{"S256"},
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// authorize checks the request the way a real provider does and redirects back with a code.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != p.ClientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		http.Error(w, "PKCE with S256 required", http.StatusBadRequest)
		return
	case err != nil || redirect.Scheme != "http" || redirect.Hostname() != "127.0.0.1":
		http.Error(w, "redirect_uri must be a loopback http URL (RFC 8252)", http.StatusBadRequest)
		return
	}
	b := make([]byte, 16)
	rand.Read(b)
	code := hex.EncodeToString(b)
	p.mu.Lock()
	p.codes[code] = grant{challenge: q.Get("code_challenge"), redirect: redirect.String(), expires: time.Now().Add(time.Minute)}
	p.mu.Unlock()
	back := redirect.Query()
	back.Set("code", code)
	back.Set("state", q.Get("state"))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token exchanges a code (once) for an ID token, checking the PKCE verifier and redirect URI.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	fail := func(code, desc string) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
	}
	if r.Form.Get("grant_type") != "authorization_code" || r.Form.Get("client_id") != p.ClientID {
		fail("invalid_request", "grant_type authorization_code and this client_id required")
		return
	}
	p.mu.Lock()
	g, ok := p.codes[r.Form.Get("code")]
	delete(p.codes, r.Form.Get("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
	switch {
	case !ok || time.Now().After(g.expires):
		fail("invalid_grant", "unknown, used or expired code")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		fail("invalid_grant", "PKCE verifier does not match the challenge")
		return
	case r.Form.Get("redirect_uri") != g.redirect:
		fail("invalid_grant", "redirect_uri differs from the authorization request")
		return
	}
	claims := map[string]any{"iss": p.URL, "aud": p.ClientID, "iat": time.Now().Unix(),
		"exp": time.Now().Add(p.TTL).Unix()}
	for k, v := range p.Claims {
		claims[k] = v
	}
	idToken, err := jwt.Signed(p.signer).Claims(claims).Serialize()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p.mu.Lock()
	p.Exchanges++
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": "opaque-" + idToken[:8], "token_type": "Bearer",
		"expires_in": int(p.TTL.Seconds()), "id_token": idToken})
}

// writeJSON answers v as JSON with status. A value that does not encode is a bug in this fake: it answers 500, so
// the test using it fails instead of reading a truncated body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

package api_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/store/storetest"
)

// issuer is a minimal OpenID provider on loopback: discovery document and JWKS, and a signer for its tokens.
type issuer struct {
	url    string
	key    *rsa.PrivateKey
	signer jose.Signer
	down   bool
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		if is.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if err := json.NewEncoder(w).Encode(map[string]any{"issuer": is.url, "jwks_uri": is.url + "/keys",
			"authorization_endpoint": is.url + "/auth", "token_endpoint": is.url + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"}}); err != nil {
			t.Error(err)
		}
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		if err := json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1",
			Algorithm: "RS256", Use: "sig"}}}); err != nil {
			t.Error(err)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	is.url = srv.URL
	is.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func (is *issuer) token(t *testing.T, signer jose.Signer, claims map[string]any) string {
	t.Helper()
	if signer == nil {
		signer = is.signer
	}
	base := map[string]any{"iss": is.url, "aud": "atrium", "sub": "u-123", "email": "dana@sphera.example",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	raw, err := jwt.Signed(signer).Claims(base).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestOIDCBearerTokens(t *testing.T) {
	ctx := context.Background()
	is := newIssuer(t)
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	if _, err := (auth.Tokens{DB: db.SQL()}).Ensure(ctx, auth.Token{Name: "admin", Subject: "admin",
		Grants: []auth.Grant{{Role: auth.RoleAdmin}}}, adminToken); err != nil {
		t.Fatal(err)
	}
	o, err := auth.NewOIDC(auth.OIDCConfig{Issuer: is.url, Audience: "atrium", SubjectClaim: "email",
		Grants: map[string][]string{"payments-devs": {"developer@payments"}, "platform": {"platform_approver"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&api.Portal{DB: db, OIDC: o}).Handler())
	defer srv.Close()
	p := &portal{t: t, url: srv.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}

	var me struct {
		Subject, Via string
		Grants       []auth.Grant
		Permissions  []string
	}
	tok := is.token(t, nil, map[string]any{"groups": []string{"payments-devs", "platform", "unmapped"}})
	if code, _ := p.do("GET", "/api/v1/me", tok, "", nil, &me); code != 200 || me.Subject != "dana@sphera.example" || me.Via != "oidc" ||
		len(me.Grants) != 2 || me.Grants[0] != (auth.Grant{Role: "developer", Team: "payments"}) {
		t.Fatalf("me: %d %+v", code, me)
	}
	if !strings.Contains(strings.Join(me.Permissions, " "), "actions:request@payments") {
		t.Errorf("permissions: %v", me.Permissions)
	}
	// The mapped roles decide, as for tokens: a developer may not manage tokens.
	var e errBody
	if code, _ := p.do("GET", "/api/v1/tokens", tok, "", nil, &e); code != 403 || !strings.Contains(e.Error.Message, "tokens:manage") {
		t.Errorf("oidc developer lists tokens: %d %+v", code, e)
	}
	// A user in no mapped group is authenticated but may do nothing beyond /me.
	bare := is.token(t, nil, map[string]any{"groups": "nobody"})
	if code, _ := p.do("GET", "/api/v1/me", bare, "", nil, &me); code != 200 || len(me.Grants) != 0 {
		t.Errorf("unmapped user: %d %+v", code, me)
	}
	if code, _ := p.do("GET", "/api/v1/services", bare, "", nil, &e); code != 403 {
		t.Errorf("unmapped user reads the catalog: %d", code)
	}

	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	forger, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: otherKey}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	bad := []struct{ name, token, want string }{
		{"expired", is.token(t, nil, map[string]any{"exp": time.Now().Add(-time.Minute).Unix()}), "expired"},
		{"wrong audience", is.token(t, nil, map[string]any{"aud": "someone-else"}), "invalid"},
		{"wrong issuer", is.token(t, nil, map[string]any{"iss": "https://evil.example"}), "invalid"},
		{"forged signature", is.token(t, forger, nil), "invalid"},
		{"no subject claim", is.token(t, nil, map[string]any{"email": nil}), "invalid"},
		{"garbage", "aaaaaaaaaa.bbbbbbbbbbbb.cccccccccc", "invalid"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var e errBody
			code, hdr := p.do("GET", "/api/v1/me", tt.token, "", nil, &e)
			if code != 401 || e.Error.Code != "unauthorized" || !strings.Contains(e.Error.Message, tt.want) || hdr.Get("WWW-Authenticate") == "" {
				t.Errorf("%d %+v", code, e)
			}
			if strings.Contains(e.Error.Message, tt.token) {
				t.Error("the error repeats the token")
			}
		})
	}
	// API tokens keep working next to OIDC.
	if code, _ := p.do("GET", "/api/v1/tokens", adminToken, "", nil, nil); code != 200 {
		t.Errorf("admin token: %d", code)
	}
	var m map[string]any
	p.do("GET", "/api/v1/auth/methods", "", "", nil, &m)
	if o, _ := m["oidc"].(map[string]any); o["issuer"] != is.url || o["audience"] != "atrium" {
		t.Errorf("sign-in methods: %v", m)
	}
}

func TestOIDCIssuerDownIs503NotUnauthorized(t *testing.T) {
	is := newIssuer(t)
	is.down = true
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	o, _ := auth.NewOIDC(auth.OIDCConfig{Issuer: is.url, Audience: "atrium"}, nil)
	srv := httptest.NewServer((&api.Portal{DB: db, OIDC: o}).Handler())
	defer srv.Close()
	p := &portal{t: t, url: srv.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}
	var e errBody
	if code, _ := p.do("GET", "/api/v1/me", is.token(t, nil, nil), "", nil, &e); code != 503 || e.Error.Code != "identity_provider_unreachable" {
		t.Errorf("%d %+v", code, e)
	}
}

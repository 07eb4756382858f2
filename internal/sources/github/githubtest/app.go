package githubtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// GitHub Apps. An App — an id and the public half of an RSA key pair — is installed on an organisation. It
// authenticates as itself with an RS256 JWT signed by its private key and trades that for an installation token
// (POST /app/installations/{id}/access_tokens). The rest of the fake accepts that token like Token, for the
// installation's organisation only, until it expires.

type installation struct {
	app int64
	org string
}

type installToken struct {
	org     string
	expires time.Time
}

// NewAppKey generates an RSA key pair for a test App and returns it with the private key's PEM encoding in the
// form GitHub hands out (PKCS #1, "RSA PRIVATE KEY").
func NewAppKey(t testing.TB) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// AddApp registers a GitHub App: its id and its public key.
func (s *Server) AddApp(id int64, key *rsa.PublicKey) {
	s.mu.Lock()
	s.apps[id] = key
	s.mu.Unlock()
}

// Install installs App app on organisation org and returns the installation's id.
func (s *Server) Install(app int64, org string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apps[app] == nil {
		panic("githubtest: no App " + strconv.FormatInt(app, 10))
	}
	if _, ok := s.orgs[strings.ToLower(org)]; !ok {
		panic("githubtest: no organisation " + org)
	}
	s.nextID++
	s.installs[s.nextID] = &installation{app: app, org: org}
	return s.nextID
}

// SetInstallationTokenTTL sets the lifetime of the installation tokens minted from now on (GitHub's: one hour).
// Their expires_at is in whole seconds, and from that second on the fake refuses them with 401 Bad credentials.
func (s *Server) SetInstallationTokenTTL(d time.Duration) {
	s.mu.Lock()
	s.tokenTTL = d
	s.mu.Unlock()
}

// visibleTo reports whether a request path is about organisation org (or about no organisation): an installation
// token sees its own account's repositories only. s.mu is held.
func (s *Server) visibleTo(p, org string) bool {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	if len(parts) < 2 {
		return true
	}
	switch parts[0] {
	case "orgs", "repos":
		return strings.EqualFold(parts[1], org)
	case "repositories":
		id, _ := strconv.ParseInt(parts[1], 10, 64)
		if r, ok := s.repos[id]; ok {
			return strings.EqualFold(r.org, org)
		}
	}
	return true
}

// GitHub's answers to a JWT it does not accept (401).
const (
	jwtUndecodable = "A JSON web token could not be decoded"
	jwtBadIat      = "'Issued at' claim ('iat') must be an Integer representing a time in the past"
	jwtBadExp      = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	jwtExpTooFar   = "'Expiration time' claim ('exp') is too far in the future"
)

// verifyJWT checks an App's JWT as GitHub does and returns the App's id, or why the JWT is refused: a compact JWS
// signed RS256 with the key of the App its iss claim names, iat an integer time not in the future, exp an integer
// time in the future at most ten minutes after iat and after now. s.mu is held.
func (s *Server) verifyJWT(auth string, now time.Time) (int64, string) {
	f := strings.Fields(auth)
	if len(f) != 2 || !strings.EqualFold(f[0], "bearer") {
		return 0, jwtUndecodable
	}
	parts := strings.Split(f[1], ".")
	if len(parts) != 3 {
		return 0, jwtUndecodable
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	var hdr struct {
		Alg string `json:"alg"`
	}
	var claims map[string]json.RawMessage
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &hdr) != nil || json.Unmarshal(cb, &claims) != nil ||
		hdr.Alg != "RS256" {
		return 0, jwtUndecodable
	}
	app, err := strconv.ParseInt(strings.Trim(string(claims["iss"]), `"`), 10, 64) // a number or a numeric string
	key := s.apps[app]
	if err != nil || key == nil {
		return 0, jwtUndecodable
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig) != nil {
		return 0, jwtUndecodable
	}
	integer := func(name string) (int64, bool) {
		n, err := strconv.ParseInt(string(claims[name]), 10, 64)
		return n, err == nil
	}
	iat, ok := integer("iat")
	if !ok || iat > now.Unix() {
		return 0, jwtBadIat
	}
	exp, ok := integer("exp")
	if !ok || exp <= now.Unix() {
		return 0, jwtBadExp
	}
	if exp-iat > 600 || exp-now.Unix() > 600 {
		return 0, jwtExpTooFar
	}
	return app, ""
}

func (s *Server) createInstallationToken(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app, why := s.verifyJWT(req.Header.Get("Authorization"), s.Now())
	if why != "" {
		s.counts.Rejected++
		problem(w, http.StatusUnauthorized, why, docsBase)
		return
	}
	id, _ := strconv.ParseInt(req.PathValue("id"), 10, 64)
	in := s.installs[id]
	if in == nil || in.app != app {
		problem(w, http.StatusNotFound, "Not Found",
			"https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app")
		return
	}
	token := "ghs_" + randHex(18)
	expires := s.Now().Add(s.tokenTTL).Truncate(time.Second)
	s.tokens[token] = &installToken{org: in.org, expires: expires}
	s.counts.Tokens++
	writeJSON(w, http.StatusCreated, map[string]any{"token": token, "expires_at": ts(expires),
		"permissions":          map[string]string{"contents": "write", "metadata": "read", "pull_requests": "write"},
		"repository_selection": "all"})
}

package githubtest_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v60/github"

	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

const appID = 4242

func appServer(t *testing.T) (*githubtest.Server, *rsa.PrivateKey, []byte, int64) {
	s := githubtest.New(t)
	s.AddOrg("acme")
	s.AddOrg("other")
	s.AddRepo("acme", githubtest.Repo{Name: "api", Files: map[string]string{"README.md": "hi\n"}})
	s.AddRepo("other", githubtest.Repo{Name: "secret", Files: map[string]string{"README.md": "no\n"}})
	key, pemKey := githubtest.NewAppKey(t)
	s.AddApp(appID, &key.PublicKey)
	inst := s.Install(appID, "acme")
	return s, key, pemKey, inst
}

func installationClient(t *testing.T, s *githubtest.Server, pemKey []byte, inst int64) (*gh.Client, *ghinstallation.Transport) {
	t.Helper()
	itr, err := ghinstallation.New(http.DefaultTransport, appID, inst, pemKey)
	if err != nil {
		t.Fatal(err)
	}
	itr.BaseURL = s.URL
	c := gh.NewClient(&http.Client{Transport: itr})
	c.BaseURL, _ = url.Parse(s.URL + "/")
	return c, itr
}

func TestAppInstallationTokens(t *testing.T) {
	ctx := context.Background()
	s, _, pemKey, inst := appServer(t)
	c, itr := installationClient(t, s, pemKey, inst)

	for range 2 {
		repos, _, err := c.Repositories.ListByOrg(ctx, "acme", nil)
		if err != nil || len(repos) != 1 || repos[0].GetName() != "api" {
			t.Fatalf("list with an installation token: %v %v", repos, err)
		}
	}
	if cnt := s.Counts(); cnt.Tokens != 1 || cnt.ByKind[githubtest.KindApp] != 1 || cnt.Rejected != 0 {
		t.Errorf("one token for both requests: %+v", cnt)
	}
	expires, _, err := itr.Expiry()
	if d := time.Until(expires); err != nil || d < 59*time.Minute || d > time.Hour {
		t.Errorf("token expires in %v (%v), want an hour", d, err)
	}
	perms, _ := itr.Permissions()
	if perms.GetContents() == "" || perms.GetMetadata() != "read" {
		t.Errorf("permissions: %+v", perms)
	}
	// An installation sees its own organisation only.
	if _, _, err := c.Repositories.Get(ctx, "other", "secret"); status(err) != http.StatusNotFound {
		t.Errorf("another organisation's repository: %v", err)
	}
	if _, _, err := c.Repositories.ListByOrg(ctx, "other", nil); status(err) != http.StatusNotFound {
		t.Errorf("another organisation: %v", err)
	}
}

func TestInstallationTokensExpire(t *testing.T) {
	ctx := context.Background()
	s, _, pemKey, inst := appServer(t)
	clock := githubtest.NewClock(time.Now())
	s.SetClock(clock.Now)
	s.SetInstallationTokenTTL(2 * time.Second)
	_, itr := installationClient(t, s, pemKey, inst)
	tok, err := itr.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	expires, _, _ := itr.Expiry()
	if want := clock.Now().Add(2 * time.Second).Truncate(time.Second); !expires.Equal(want) {
		t.Errorf("expires_at %v, want %v (whole seconds)", expires, want)
	}
	get := func(tok string) int {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/repos/acme/api", nil)
		req.Header.Set("Authorization", "token "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get(tok); st != http.StatusOK {
		t.Fatalf("fresh token: %d", st)
	}
	clock.Advance(expires.Sub(clock.Now()) - time.Millisecond)
	if st := get(tok); st != http.StatusOK {
		t.Fatalf("token a moment before its expiry: %d", st)
	}
	clock.Advance(time.Millisecond)
	if st := get(tok); st != http.StatusUnauthorized {
		t.Errorf("expired token: %d", st)
	}
	// ghinstallation renews a token within a minute of its expiry, so a 2s token is renewed on every use.
	fresh, err := itr.Token(ctx)
	if err != nil || fresh == tok || get(fresh) != http.StatusOK {
		t.Errorf("renewed token: %v", err)
	}
}

// jwt builds an App's JWT: a header naming alg and the claims (raw JSON values), signed with key using
// RSASSA-PKCS1-v1_5 and SHA-256 whatever alg says.
func jwt(key *rsa.PrivateKey, alg string, claims map[string]string) string {
	enc := base64.RawURLEncoding.EncodeToString
	var parts []string
	for k, v := range claims {
		parts = append(parts, fmt.Sprintf("%q:%s", k, v))
	}
	head := enc([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + enc([]byte("{"+strings.Join(parts, ",")+"}"))
	digest := sha256.Sum256([]byte(head))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	return head + "." + enc(sig)
}

func TestAppJWTIsCheckedLikeGitHub(t *testing.T) {
	s, key, _, inst := appServer(t)
	otherKey, _ := githubtest.NewAppKey(t)
	s.AddApp(appID+1, &otherKey.PublicKey)
	otherInst := s.Install(appID+1, "acme")

	now := time.Now().Unix()
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	good := map[string]string{"iss": `"` + num(appID) + `"`, "iat": num(now - 60), "exp": num(now + 540)}
	with := func(kv ...string) map[string]string {
		c := map[string]string{}
		for a, b := range good {
			c[a] = b
		}
		for i := 0; i < len(kv); i += 2 {
			c[kv[i]] = kv[i+1]
		}
		return c
	}
	post := func(auth string, installation int64) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/app/installations/%d/access_tokens", s.URL, installation), nil)
		req.Header.Set("Authorization", auth)
		req.Header.Set("Accept", "application/vnd.github+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body
	}
	st, body := post("Bearer "+jwt(key, "RS256", good), inst)
	if st != http.StatusCreated || !strings.HasPrefix(fmt.Sprint(body["token"]), "ghs_") || body["repository_selection"] != "all" {
		t.Fatalf("good JWT: %d %v", st, body)
	}
	if at, err := time.Parse(time.RFC3339, fmt.Sprint(body["expires_at"])); err != nil || time.Until(at) < 59*time.Minute {
		t.Errorf("expires_at %v: %v", body["expires_at"], err)
	}
	if st, _ := post("Bearer "+jwt(key, "RS256", with("iss", num(appID))), inst); st != http.StatusCreated {
		t.Errorf("numeric iss: %d", st)
	}

	for _, c := range []struct {
		name, auth string
		status     int
		message    string
	}{
		{"signed with another key", "Bearer " + jwt(otherKey, "RS256", good), 401, "A JSON web token could not be decoded"},
		{"unknown App", "Bearer " + jwt(key, "RS256", with("iss", `"999"`)), 401, "A JSON web token could not be decoded"},
		{"not RS256", "Bearer " + jwt(key, "HS256", good), 401, "A JSON web token could not be decoded"},
		{"not a JWT", "Bearer " + s.Token, 401, "A JSON web token could not be decoded"},
		{"token scheme", "token " + jwt(key, "RS256", good), 401, "A JSON web token could not be decoded"},
		{"issued in the future", "Bearer " + jwt(key, "RS256", with("iat", num(now+120))), 401, "'Issued at' claim ('iat') must be an Integer"},
		{"fractional iat", "Bearer " + jwt(key, "RS256", with("iat", num(now-60)+".5")), 401, "'Issued at' claim ('iat') must be an Integer"},
		{"expired", "Bearer " + jwt(key, "RS256", with("exp", num(now-1))), 401, "'Expiration time' claim ('exp') must be a numeric value"},
		{"lives over ten minutes", "Bearer " + jwt(key, "RS256", with("exp", num(now+660))), 401, "'Expiration time' claim ('exp') is too far in the future"},
		{"window over ten minutes", "Bearer " + jwt(key, "RS256", with("iat", num(now-120), "exp", num(now+500))), 401, "too far in the future"},
		{"another App's installation", "Bearer " + jwt(key, "RS256", good), 404, "Not Found"},
	} {
		inst := inst
		if c.name == "another App's installation" {
			inst = otherInst
		}
		st, body := post(c.auth, inst)
		if st != c.status || !strings.Contains(fmt.Sprint(body["message"]), c.message) {
			t.Errorf("%s: %d %v", c.name, st, body)
		}
	}
	if cnt := s.Counts(); cnt.Tokens != 2 || cnt.Points != 0 {
		t.Errorf("App requests spend no installation points: %+v", cnt)
	}
}

package github_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

// post sends a delivery with the given content type and signature header.
func post(t *testing.T, target, event, contentType, sig string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", event+"-"+contentType)
	req.Header.Set("X-Hub-Signature-256", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestWebhookContentTypesAndOtherEvents: GitHub may be set to send form-encoded payloads; events Atrium does not
// use are verified as they stream by and answered without being kept; requests that cannot be deliveries are
// refused from their headers.
func TestWebhookContentTypesAndOtherEvents(t *testing.T) {
	gh := githubtest.New(t)
	seedOrg(gh, 1)
	e := newEnv(t, gh, nil)
	e.sync()
	target := webhookServer(t, e.hub)

	gh.Push(org, "svc-000", map[string]string{"atrium.yaml": atrium("svc-000", "search")})
	form := []byte("payload=" + url.QueryEscape(string(gh.PushPayload(org, "svc-000"))))
	if code, body := post(t, target, "push", "application/x-www-form-urlencoded", githubtest.Sign("s3cret", form),
		form); code != http.StatusAccepted {
		t.Errorf("form-encoded push: %d %s", code, body)
	}
	e.hub.Wait()
	if s := e.service("svc-000"); s.Owner != "search" {
		t.Errorf("owner after a form-encoded push: %q", s.Owner)
	}

	issue := []byte(`{"action": "opened", "issue": {"number": 1}}`)
	if code, body := post(t, target, "issues", "application/json", githubtest.Sign("s3cret", issue), issue); code != http.StatusOK ||
		!strings.Contains(body, "needs no action") {
		t.Errorf("an event not used: %d %s", code, body)
	}
	if code, _ := post(t, target, "issues", "application/json", githubtest.Sign("wrong", issue), issue); code != http.StatusUnauthorized {
		t.Errorf("an event not used, badly signed: %d", code)
	}
	for name, c := range map[string]struct{ ct, sig string }{
		"malformed signature": {"application/json", "sha256=zz"},
		"sha1 only":           {"application/json", "sha1=" + strings.Repeat("0", 40)},
		"other content type":  {"text/plain", githubtest.Sign("s3cret", issue)},
	} {
		want := http.StatusUnauthorized
		if name == "other content type" {
			want = http.StatusBadRequest
		}
		if code, body := post(t, target, "push", c.ct, c.sig, issue); code != want {
			t.Errorf("%s: %d %s, want %d", name, code, body, want)
		}
	}
}

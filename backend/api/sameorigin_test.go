package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

// What a page of another origin can make a browser send to the portal: a form (text/plain, urlencoded,
// multipart) or a fetch marked with its Origin and Sec-Fetch-Site. Whatever credential the browser might attach,
// the portal refuses them before authenticating, and nothing changes.
func TestPortalRefusesCrossOriginChanges(t *testing.T) {
	s := newSelfService(t)
	dana, pat := s.tok["dana"], s.tok["pat"]
	good := `{"kind":"sqs_queue","service":"payments-api","environment":"production","region":"eu-west-1","params":{"name":"payments-refunds"}}`
	var a actions.Action
	if code, _ := s.do("POST", "/api/v1/actions", dana, good, map[string]string{"Idempotency-Key": "k1"}, &a); code != 201 {
		t.Fatalf("request: %d", code)
	}
	approve := "/api/v1/actions/" + a.ID + "/approve"
	for _, tt := range []struct {
		name   string
		body   string
		hdr    map[string]string
		status int
		code   string
	}{
		{"form of another port", `{"reason":"ok"}`, map[string]string{"Content-Type": "text/plain", "Origin": "http://127.0.0.1:1"}, 403, "cross_origin"},
		{"fetch of another site", `{}`, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403, "cross_origin"},
		{"fetch of the same site", `{}`, map[string]string{"Sec-Fetch-Site": "same-site"}, 403, "cross_origin"},
		{"sandboxed frame", `{}`, map[string]string{"Origin": "null"}, 403, "cross_origin"},
		{"text/plain without Origin", `{"reason":"ok"}`, map[string]string{"Content-Type": "text/plain"}, 415, "unsupported_media_type"},
		{"urlencoded", `reason=ok`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"multipart", "--b\r\n\r\n{}\r\n--b--\r\n", map[string]string{"Content-Type": "multipart/form-data; boundary=b"}, 415, "unsupported_media_type"},
		{"body without a type", `{}`, map[string]string{"Content-Type": ""}, 415, "unsupported_media_type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var e errBody
			code, _ := s.do("POST", approve, pat, tt.body, tt.hdr, &e)
			if code != tt.status || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Fatalf("status %d %+v, want %d %s", code, e, tt.status, tt.code)
			}
		})
	}
	var got actions.Action
	if s.do("GET", "/api/v1/actions/"+a.ID, dana, "", nil, &got); got.State != actions.StatePendingApproval {
		t.Fatalf("after refused approvals the action is %s", got.State)
	}
	if n := s.count("action_approvals"); n != 0 {
		t.Fatalf("%d approvals stored", n)
	}
	// The portal's own pages (if any) and non-browser clients: accepted.
	if code, _ := s.do("POST", approve, pat, `{"reason":"fine"}`, map[string]string{"Origin": s.url, "Sec-Fetch-Site": "same-origin"}, &got); code != 200 ||
		got.State == actions.StatePendingApproval {
		t.Fatalf("same-origin approval: %d %s", code, got.State)
	}
}

func TestPortalFlagImportTakesOnlyJSON(t *testing.T) {
	p := newFlagPortal(t, nil)
	p.importShop("production")
	etag := p.do("GET", "/api/v1/flags/export?environment=production", "admin", "").header.Get("ETag")
	for _, tt := range []struct {
		name   string
		header []string
		status int
	}{
		{"text/plain", []string{"Content-Type", "text/plain"}, 415},
		{"urlencoded", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415},
		{"another origin", []string{"Origin", "http://127.0.0.1:1"}, 403},
		{"cross-site", []string{"Sec-Fetch-Site", "cross-site"}, 403},
	} {
		r := p.do("POST", "/api/v1/flags/import?environment=production", "admin", `{"flags":{}}`, tt.header...)
		if r.status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, r.status, r.body, tt.status)
		}
	}
	if r := p.do("GET", "/api/v1/flags/export?environment=production", "admin", ""); r.header.Get("ETag") != etag ||
		!strings.Contains(string(r.body), "new-checkout") {
		t.Fatalf("refused imports changed production's flags: %s", r.body)
	}
}

// GitHub may deliver webhooks form-encoded; they carry no browser credential (a signature of the body
// authenticates them), so the JSON rule does not apply to them.
func TestGitHubWebhookMayBeFormEncoded(t *testing.T) {
	p, gh, hub := githubPortal(t)
	gh.Push("acme", "search-ui", map[string]string{"atrium.yaml": "name: search-ui\nowner: discovery\n"})
	form := "payload=" + url.QueryEscape(string(gh.PushPayload("acme", "search-ui")))
	resp, b := p.raw(http.MethodPost, "/api/v1/webhooks/github", strings.NewReader(form), map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "X-GitHub-Event": "push", "X-GitHub-Delivery": "d-form",
		"X-Hub-Signature-256": githubtest.Sign(webhookSecret, []byte(form)),
	})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("form-encoded push: %d %s", resp.StatusCode, b)
	}
	hub.Wait()
}

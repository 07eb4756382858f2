package github

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// Webhook errors; the API maps them to statuses.
var (
	// ErrBadSignature: the delivery is not signed with the configured secret (or not signed at all).
	ErrBadSignature = errors.New("webhook signature does not match the configured secret")
	// ErrNoSecret: no webhook secret is configured, so no delivery can be trusted.
	ErrNoSecret = errors.New("no GitHub webhook secret is configured (ATRIUM_GITHUB_WEBHOOK_SECRET); deliveries are refused")
	// ErrBadDelivery: the request is not a delivery that can be read (content type, delivery id, a body cut short).
	ErrBadDelivery = errors.New("webhook delivery not understood")
)

// MaxPayloadBytes is the largest delivery body read: GitHub caps webhook payloads at 25 MB.
const MaxPayloadBytes = 25 << 20

// DeliveryRetention is how long verified deliveries are remembered to act on each once. A delivery replayed
// later is acted on again; what a push or repository event does is refresh from GitHub's API, bounded by the
// next full sync.
const DeliveryRetention = 7 * 24 * time.Hour

// WebhookResult says what a delivery led to.
type WebhookResult struct {
	Event    string `json:"event"`
	Delivery string `json:"delivery,omitempty"`
	Handled  bool   `json:"handled"` // false: valid, but nothing to do (another branch, an organisation not synced)
	Detail   string `json:"detail"`
}

// CheckWebhook looks at a delivery's headers only — a secret is configured, X-Hub-Signature-256 is present and
// well formed, the content type is one GitHub sends — so that a request that cannot be a valid delivery is refused
// before its body is read. VerifyWebhook checks the same.
func (h *Hub) CheckWebhook(r *http.Request) error {
	if h.cfg.WebhookSecret == "" {
		return ErrNoSecret
	}
	sig := r.Header.Get(gh.SHA256SignatureHeader)
	if sig == "" {
		return fmt.Errorf("%w: the %s header is missing", ErrBadSignature, gh.SHA256SignatureHeader)
	}
	if _, err := signature(sig); err != nil {
		return err
	}
	if _, err := contentType(r); err != nil {
		return err
	}
	if id := gh.DeliveryID(r); len(id) > 100 {
		return fmt.Errorf("%w: the X-GitHub-Delivery header is longer than 100 bytes", ErrBadDelivery)
	}
	return nil
}

// signature decodes an X-Hub-Signature-256 value, "sha256=" and 64 hex digits.
func signature(v string) ([]byte, error) {
	hexSum, ok := strings.CutPrefix(v, "sha256=")
	sum, err := hex.DecodeString(hexSum)
	if !ok || err != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("%w: the %s header is not sha256= and 64 hex digits", ErrBadSignature,
			gh.SHA256SignatureHeader)
	}
	return sum, nil
}

const formContent = "application/x-www-form-urlencoded"

func contentType(r *http.Request) (string, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (ct != "application/json" && ct != formContent) {
		return "", fmt.Errorf("%w: Content-Type %q; GitHub sends application/json or %s", ErrBadDelivery,
			r.Header.Get("Content-Type"), formContent)
	}
	return ct, nil
}

// Delivery is a delivery whose signature has been verified, not yet acted on.
type Delivery struct {
	Event   string
	ID      string // X-GitHub-Delivery
	digest  string // hex HMAC of the body: the delivery's identity when replayed under another id
	payload []byte // push and repository events only
}

// ReceiveWebhook verifies a GitHub delivery and acts on it (VerifyWebhook, then ActOnWebhook). The caller limits
// the body's size and the time to read it.
func (h *Hub) ReceiveWebhook(r *http.Request) (WebhookResult, error) {
	d, err := h.VerifyWebhook(r)
	if err != nil {
		return WebhookResult{Event: gh.WebHookType(r), Delivery: gh.DeliveryID(r)}, err
	}
	return h.ActOnWebhook(r.Context(), d)
}

// VerifyWebhook reads a delivery's body and checks its X-Hub-Signature-256, an HMAC of the body with the configured
// secret: the part of a delivery done for anyone who can reach the endpoint. The caller limits the body's size
// and the time to read it. The HMAC is computed as the body streams in; only push and repository bodies are kept
// (in one allocation of the Content-Length), every other event is verified and dropped as it is read.
func (h *Hub) VerifyWebhook(r *http.Request) (*Delivery, error) {
	if err := h.CheckWebhook(r); err != nil {
		return nil, err
	}
	d := &Delivery{Event: gh.WebHookType(r), ID: gh.DeliveryID(r)}
	want, _ := signature(r.Header.Get(gh.SHA256SignatureHeader))
	ct, _ := contentType(r)
	if r.ContentLength > MaxPayloadBytes {
		return nil, &http.MaxBytesError{Limit: MaxPayloadBytes}
	}
	mac := hmac.New(sha256.New, []byte(h.cfg.WebhookSecret))
	var body []byte
	var err error
	if d.Event == "push" || d.Event == "repository" {
		body, err = readBody(io.TeeReader(r.Body, mac), r.ContentLength)
	} else { // GitHub sends every event the hook subscribes to; these need no body
		_, err = io.Copy(mac, r.Body)
	}
	if err != nil {
		//nolint:errorlint // the cause is part of the contract: the API answers a *http.MaxBytesError with 413
		return nil, fmt.Errorf("%w: reading the body: %w", ErrBadDelivery, err)
	}
	sum := mac.Sum(nil)
	if !hmac.Equal(sum, want) {
		return nil, fmt.Errorf("%w (payload signature check failed)", ErrBadSignature)
	}
	d.digest = hex.EncodeToString(sum)
	d.payload = body
	if body != nil && ct == formContent {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("%w: form body: %v", ErrBadDelivery, err)
		}
		d.payload = []byte(form.Get("payload"))
	}
	return d, nil
}

// ActOnWebhook acts on a verified delivery: a push to a repository's default branch refreshes that repository, a
// push to the ref of a templates repository syncs its templates, and repository events (created, renamed,
// archived, unarchived, deleted, transferred, edited) update or remove the repository. The work runs in the
// background (Wait waits for it); the answer comes at once, as GitHub expects within ten seconds.
//
// A push or repository delivery is recorded first, and one already recorded within DeliveryRetention — by its
// X-GitHub-Delivery id, or by its body under any id — is answered "duplicate delivery, ignored" and not acted on
// again. GitHub's "Redeliver" reuses the id, so redelivering a delivery that arrived is such a no-op too.
func (h *Hub) ActOnWebhook(ctx context.Context, d *Delivery) (WebhookResult, error) {
	res := WebhookResult{Event: d.Event, Delivery: d.ID}
	switch {
	case d.Event == "ping":
		res.Handled, res.Detail = true, "pong"
		return res, nil
	case d.payload == nil:
		res.Detail = fmt.Sprintf("event %q needs no action", d.Event)
		return res, nil
	}
	event, err := gh.ParseWebHook(d.Event, d.payload)
	if err != nil {
		res.Detail = fmt.Sprintf("event %q ignored: %v", d.Event, err)
		return res, nil
	}
	fresh, err := h.store.RecordDelivery(ctx, "github", d.ID, d.digest, d.Event, time.Now(), DeliveryRetention)
	if err != nil {
		return res, err
	}
	if !fresh {
		res.Detail = "duplicate delivery, ignored"
		return res, nil
	}
	switch ev := event.(type) {
	case *gh.PushEvent:
		res.Handled, res.Detail = h.onPush(ev)
	case *gh.RepositoryEvent:
		res.Handled, res.Detail = h.onRepository(ev)
	}
	return res, nil
}

// readBody reads a body of n bytes into one allocation of that size (n < 0: not known, and the caller bounds it).
func readBody(r io.Reader, n int64) ([]byte, error) {
	if n < 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// onPush refreshes a templates repository pushed to at its ref, and the repository in its organisation's catalog.
func (h *Hub) onPush(ev *gh.PushEvent) (bool, string) {
	tmplHandled, tmplDetail := h.onTemplatesPush(ev)
	handled, detail := h.onCatalogPush(ev)
	switch {
	case tmplHandled && handled:
		return true, tmplDetail + "; " + detail
	case tmplHandled:
		return true, tmplDetail
	}
	return handled, detail
}

// onTemplatesPush syncs the templates repositories whose ref the push moved. The sync asks GitHub for the ref's
// commit rather than taking the payload's: deliveries may be acted on out of order, the ref's answer is the latest.
func (h *Hub) onTemplatesPush(ev *gh.PushEvent) (bool, string) {
	m := metaFromPush(ev.GetRepo())
	var details []string
	for _, t := range h.templates {
		if !t.pushedTo(m, ev.GetRef()) {
			continue
		}
		if ev.GetDeleted() || strings.Trim(ev.GetAfter(), "0") == "" {
			details = append(details, fmt.Sprintf("templates of %s: ref deleted, the last good set is kept", t.repo.FullName()))
			continue
		}
		details = append(details, fmt.Sprintf("refreshing the templates of %s at %s", t.repo.FullName(), ev.GetAfter()))
		h.background(t.Sync)
	}
	return len(details) > 0, strings.Join(details, "; ")
}

// pushedTo reports whether a push of ref to the repository m moved the ref the source reads.
func (t *TemplateSource) pushedTo(m repoMeta, ref string) bool {
	if !strings.EqualFold(m.Owner, t.repo.Owner) || !strings.EqualFold(m.Name, t.repo.Name) {
		return false
	}
	if t.repo.Ref == "" {
		return ref == "refs/heads/"+m.DefaultBranch
	}
	return ref == "refs/heads/"+t.repo.Ref || ref == "refs/tags/"+t.repo.Ref || ref == t.repo.Ref
}

func (h *Hub) onCatalogPush(ev *gh.PushEvent) (bool, string) {
	repo := ev.GetRepo()
	m := metaFromPush(repo)
	c := h.Collector(m.Owner)
	switch {
	case c == nil:
		return false, fmt.Sprintf("organisation %q is not synced here", m.Owner)
	case ev.GetRef() != "refs/heads/"+m.DefaultBranch:
		return false, fmt.Sprintf("push to %s, not the default branch %s", ev.GetRef(), m.DefaultBranch)
	case ev.GetDeleted() || strings.Trim(ev.GetAfter(), "0") == "":
		return false, "branch deleted"
	case m.Archived && !h.cfg.IncludeArchived:
		return false, "repository is archived"
	}
	after := ev.GetAfter()
	h.background(func(ctx context.Context) error { return c.refreshOne(ctx, m, after) })
	return true, fmt.Sprintf("refreshing %s at %s", m.fullName(), after)
}

func (h *Hub) onRepository(ev *gh.RepositoryEvent) (bool, string) {
	repo := ev.GetRepo()
	m := metaFromRepo(repo)
	action := ev.GetAction()
	// A repository that left an organisation (transferred, or renamed owner) is forgotten there.
	for _, c := range h.Collectors() {
		if !strings.EqualFold(c.org, m.Owner) {
			id := m.ID
			h.background(func(ctx context.Context) error {
				if row, err := c.loadRow(ctx, id); err != nil || row == nil {
					return err
				}
				return c.remove(ctx, id)
			})
		}
	}
	c := h.Collector(m.Owner)
	if c == nil {
		return false, fmt.Sprintf("organisation %q is not synced here", m.Owner)
	}
	if action == "deleted" || (m.Archived && !h.cfg.IncludeArchived) {
		h.background(func(ctx context.Context) error { return c.remove(ctx, m.ID) })
		return true, fmt.Sprintf("removing %s (%s)", m.fullName(), action)
	}
	h.background(func(ctx context.Context) error { return c.refreshOne(ctx, m, "") })
	return true, fmt.Sprintf("refreshing %s (%s)", m.fullName(), action)
}

// background runs webhook work under the hub's context, logging failures (they are also recorded on the
// repository's row).
func (h *Hub) background(fn func(ctx context.Context) error) {
	h.ctxMu.Lock()
	ctx := h.ctx
	h.ctxMu.Unlock()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		if err := fn(ctx); err != nil {
			h.log.Warn("github webhook refresh failed", "err", err)
		}
	}()
}

// Wait blocks until background webhook work has finished (tests, shutdown).
func (h *Hub) Wait() { h.wg.Wait() }

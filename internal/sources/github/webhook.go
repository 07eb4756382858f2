package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// Webhook errors; the API maps them to statuses.
var (
	// ErrBadSignature: the delivery is not signed with the configured secret (or not signed at all).
	ErrBadSignature = errors.New("webhook signature does not match the configured secret")
	// ErrNoSecret: no webhook secret is configured, so no delivery can be trusted.
	ErrNoSecret = errors.New("no GitHub webhook secret is configured (ATRIUM_GITHUB_WEBHOOK_SECRET); deliveries are refused")
)

// WebhookResult says what a delivery led to.
type WebhookResult struct {
	Event    string `json:"event"`
	Delivery string `json:"delivery,omitempty"`
	Handled  bool   `json:"handled"` // false: valid, but nothing to do (another branch, an organisation not synced)
	Detail   string `json:"detail"`
}

// ReceiveWebhook verifies a GitHub delivery (X-Hub-Signature-256 with the configured secret, through go-github's
// ValidatePayload) and acts on it: a push to a repository's default branch refreshes that repository; repository
// events (created, renamed, archived, unarchived, deleted, transferred, edited) update or remove it. The work runs in
// the background; the answer comes at once, as GitHub expects within ten seconds. The caller limits the body size.
// Nothing changes unless the signature is valid.
func (h *Hub) ReceiveWebhook(r *http.Request) (WebhookResult, error) {
	res := WebhookResult{Event: gh.WebHookType(r), Delivery: gh.DeliveryID(r)}
	if h.cfg.WebhookSecret == "" {
		return res, ErrNoSecret
	}
	if r.Header.Get(gh.SHA256SignatureHeader) == "" {
		return res, fmt.Errorf("%w: the %s header is missing", ErrBadSignature, gh.SHA256SignatureHeader)
	}
	payload, err := gh.ValidatePayload(r, []byte(h.cfg.WebhookSecret))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return res, err
		}
		return res, fmt.Errorf("%w (%v)", ErrBadSignature, err)
	}
	event, err := gh.ParseWebHook(res.Event, payload)
	if err != nil {
		res.Detail = fmt.Sprintf("event %q ignored: %v", res.Event, err)
		return res, nil
	}
	switch ev := event.(type) {
	case *gh.PingEvent:
		res.Handled, res.Detail = true, "pong"
	case *gh.PushEvent:
		res.Handled, res.Detail = h.onPush(ev)
	case *gh.RepositoryEvent:
		res.Handled, res.Detail = h.onRepository(ev)
	default:
		res.Detail = fmt.Sprintf("event %q needs no action", res.Event)
	}
	return res, nil
}

func (h *Hub) onPush(ev *gh.PushEvent) (bool, string) {
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

package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/sphera/atrium/internal/sources/github"
)

// WebhookReceiver verifies and acts on a webhook delivery (the GitHub collector's hub).
type WebhookReceiver interface {
	// CheckWebhook refuses, from the headers alone, a request that cannot be a valid delivery.
	CheckWebhook(r *http.Request) error
	// VerifyWebhook reads the body and verifies its signature.
	VerifyWebhook(r *http.Request) (*github.Delivery, error)
	// ActOnWebhook acts on a verified delivery, once.
	ActOnWebhook(ctx context.Context, d *github.Delivery) (github.WebhookResult, error)
}

// MaxWebhookBytes bounds a delivery's body; GitHub caps payloads at 25 MB.
const MaxWebhookBytes = github.MaxPayloadBytes

// WebhookLimits bound what deliveries may cost before their signature is checked: anyone who can reach the
// portal can post to its webhook endpoint, and a body must be read whole before its signature can be verified.
// Zero fields take the defaults.
type WebhookLimits struct {
	// MaxBytes is the largest body (default MaxWebhookBytes). A larger Content-Length is answered 413 before a byte
	// of the body is read; a body without one (chunked) is cut off there.
	MaxBytes int64
	// MaxInFlight is how many bodies may be read at once (default 8); MaxInFlightBytes bounds the sum of their
	// sizes (default 64 MiB, at least MaxBytes; a body of unknown size counts as MaxBytes). A delivery over either
	// bound is answered 503 with Retry-After at once, unread. Together they bound the memory deliveries take.
	MaxInFlight      int
	MaxInFlightBytes int64
	// ReadTimeout is the time an admitted body has to arrive (default 10 s, GitHub's own delivery timeout), so
	// that a body trickling in does not hold its place.
	ReadTimeout time.Duration
}

func (l WebhookLimits) withDefaults() WebhookLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = MaxWebhookBytes
	}
	if l.MaxInFlight <= 0 {
		l.MaxInFlight = 8
	}
	if l.MaxInFlightBytes <= 0 {
		l.MaxInFlightBytes = 64 << 20
	}
	l.MaxInFlightBytes = max(l.MaxInFlightBytes, l.MaxBytes)
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = 10 * time.Second
	}
	return l
}

// admission counts the bodies being read and their declared sizes; it never waits.
type admission struct {
	mu              sync.Mutex
	n, maxN         int
	bytes, maxBytes int64
}

func (a *admission) acquire(size int64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n >= a.maxN || a.bytes+size > a.maxBytes {
		return false
	}
	a.n++
	a.bytes += size
	return true
}

func (a *admission) release(size int64) {
	a.mu.Lock()
	a.n--
	a.bytes -= size
	a.mu.Unlock()
}

// deadlineBody lifts the body's read deadline once the body has been read (or failed), so that the deadline
// cannot cut the connection while the handler is still answering.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// GitHubWebhookPattern is the route of GitHub's webhook deliveries. They may be form-encoded, so the portal
// exempts it from SameOriginJSON's JSON rule; the signature of the body authenticates them.
const GitHubWebhookPattern = "POST /api/v1/webhooks/github"

// GitHubWebhook is POST /api/v1/webhooks/github with the default WebhookLimits.
func GitHubWebhook(recv WebhookReceiver, log *slog.Logger) Route {
	return GitHubWebhookLimited(recv, log, WebhookLimits{})
}

// GitHubWebhookLimited is POST /api/v1/webhooks/github, a Public route: it authenticates deliveries by their
// X-Hub-Signature-256. Before reading a body it checks the headers (401 unsigned, 400 not a delivery), the
// Content-Length (413) and the bodies already being read (503 with Retry-After); the body then has
// lim.ReadTimeout to arrive (408). Bad signatures answer 401 and change nothing; accepted work answers 202, a
// valid delivery with nothing to do (or one already received) 200.
func GitHubWebhookLimited(recv WebhookReceiver, log *slog.Logger, lim WebhookLimits) Route {
	lim = lim.withDefaults()
	gate := &admission{maxN: lim.MaxInFlight, maxBytes: lim.MaxInFlightBytes}
	return Route{GitHubWebhookPattern, Public, func(w http.ResponseWriter, r *http.Request) {
		if err := recv.CheckWebhook(r); err != nil {
			writeWebhookError(w, r, log, lim, err)
			return
		}
		if r.ContentLength > lim.MaxBytes {
			writeWebhookError(w, r, log, lim, &http.MaxBytesError{Limit: lim.MaxBytes})
			return
		}
		size := r.ContentLength
		if size < 0 {
			size = lim.MaxBytes
		}
		if !gate.acquire(size) {
			w.Header().Set("Connection", "close")
			w.Header().Set("Retry-After", "5")
			WriteError(w, r, log, Errorf(http.StatusServiceUnavailable, "busy",
				"too many webhook deliveries are being received at once; retry in a few seconds"))
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(lim.ReadTimeout)); err == nil {
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		} else if log != nil {
			log.Debug("webhook body read without a deadline", "err", err)
		}
		r.Body = http.MaxBytesReader(w, r.Body, lim.MaxBytes)
		// The place bounds unauthenticated bodies; a verified delivery (GitHub's) gives it up before being acted
		// on, so a burst of genuine deliveries waiting on the database does not turn the next ones away.
		d, err := func() (*github.Delivery, error) {
			defer gate.release(size)
			return recv.VerifyWebhook(r)
		}()
		if err != nil {
			writeWebhookError(w, r, log, lim, err)
			return
		}
		res, err := recv.ActOnWebhook(r.Context(), d)
		switch {
		case err != nil:
			writeWebhookError(w, r, log, lim, err)
		case res.Handled:
			WriteJSON(w, http.StatusAccepted, res)
		default:
			WriteJSON(w, http.StatusOK, res)
		}
	}}
}

func writeWebhookError(w http.ResponseWriter, r *http.Request, log *slog.Logger, lim WebhookLimits, err error) {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, github.ErrBadSignature), errors.Is(err, github.ErrNoSecret):
		err = Errorf(http.StatusUnauthorized, "unauthorized", "%v", err)
	case errors.As(err, &mbe):
		w.Header().Set("Connection", "close")
		err = Errorf(http.StatusRequestEntityTooLarge, "too_large", "webhook body is larger than %d bytes", lim.MaxBytes)
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.Header().Set("Connection", "close")
		err = Errorf(http.StatusRequestTimeout, "timeout", "webhook body did not arrive within %s", lim.ReadTimeout)
	case errors.Is(err, github.ErrBadDelivery):
		w.Header().Set("Connection", "close") // the body may be left unread
		err = BadRequest(err.Error())
	}
	WriteError(w, r, log, err)
}

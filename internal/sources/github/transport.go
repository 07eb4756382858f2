package github

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sphera/atrium/internal/sources"
)

// Transport sits under the go-github client and makes every call cheap and polite:
//
//   - conditional requests: a GET that may repeat carries the ETag of its last 200 (kept in SQLite) as
//     If-None-Match; GitHub's 304 costs no rate limit and the stored answer is replayed to go-github as a 200;
//   - rate limits: it reads X-RateLimit-Remaining/Reset from every answer, paces requests as the budget runs low,
//     holds them back when only the reserve is left, and on a secondary limit (403/429 with Retry-After) waits as
//     told and repeats the request;
//   - bounded concurrency: at most Concurrency requests are in flight.
type Transport struct {
	Base http.RoundTripper // nil: http.DefaultTransport
	// DB keeps ETags and bodies; nil disables conditional requests.
	DB *sql.DB
	// Reserve is the number of points never spent: below it requests wait for the reset.
	Reserve int
	// SecondaryWait is how long to wait after a secondary limit that names no Retry-After (GitHub: "at least one
	// minute").
	SecondaryWait time.Duration
	// MaxRetries bounds how often one request is repeated after rate-limit answers.
	MaxRetries int
	// Clock times the rate-limit waits; the zero Clock is the real one.
	Clock Clock

	sem     chan struct{}
	limiter limiter
}

// NewTransport builds a Transport allowing concurrency requests in flight.
func NewTransport(base http.RoundTripper, db *sql.DB, concurrency int) *Transport {
	if concurrency <= 0 {
		concurrency = 8
	}
	return &Transport{Base: base, DB: db, Reserve: 50, SecondaryWait: time.Minute, MaxRetries: 5,
		sem: make(chan struct{}, concurrency)}
}

// counters are attached to a request's context by a sync, so that concurrent syncs of several organisations each
// count their own requests.
type counters struct {
	total, notModified, list, content, retried atomic.Int64
}

func (c *counters) snapshot() *sources.Requests {
	return &sources.Requests{Total: int(c.total.Load()), NotModified: int(c.notModified.Load()),
		List: int(c.list.Load()), Content: int(c.content.Load()), Retried: int(c.retried.Load())}
}

type countersKey struct{}

func withCounters(ctx context.Context, c *counters) context.Context {
	return context.WithValue(ctx, countersKey{}, c)
}

func countersFrom(ctx context.Context) *counters {
	if c, ok := ctx.Value(countersKey{}).(*counters); ok {
		return c
	}
	return &counters{}
}

// immutable reports whether a path names an object addressed by its SHA (blobs, trees): its content never changes,
// so the collector caches it by SHA and the HTTP cache need not hold it too.
func immutable(path string) bool {
	return strings.Contains(path, "/git/blobs/") || strings.Contains(path, "/git/trees/")
}

// cached is one stored answer.
type cached struct {
	etag   string
	header http.Header
	body   []byte
}

// replayed headers of a cached answer; rate-limit headers always come from the live 304.
var replayed = []string{"Content-Type", "Link"}

func cacheKey(req *http.Request) string {
	return "GET " + req.Header.Get("Accept") + " " + req.URL.String()
}

func (t *Transport) lookup(ctx context.Context, key string) (*cached, error) {
	var c cached
	var hdr string
	err := t.DB.QueryRowContext(ctx, `SELECT etag, header, body FROM github_http_cache WHERE key = ?`, key).
		Scan(&c.etag, &hdr, &c.body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(hdr), &c.header)
	return &c, nil
}

func (t *Transport) store(ctx context.Context, key, etag string, h http.Header, body []byte) error {
	keep := http.Header{}
	for _, k := range replayed {
		if v := h.Values(k); len(v) > 0 {
			keep[k] = v
		}
	}
	hdr, _ := json.Marshal(keep)
	_, err := t.DB.ExecContext(ctx, `INSERT INTO github_http_cache(key, etag, header, body, stored_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET etag = excluded.etag, header = excluded.header, body = excluded.body,
		stored_at = excluded.stored_at`, key, etag, string(hdr), body, time.Now().UnixMilli())
	return err
}

// RateLimit reports the budget as the last answer gave it; nil before any answer.
func (t *Transport) RateLimit() *sources.RateLimit { return t.limiter.snapshot() }

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-t.sem }()

	cnt := countersFrom(ctx)
	cacheable := t.DB != nil && req.Method == http.MethodGet && req.Header.Get("If-None-Match") == "" &&
		!immutable(req.URL.Path)
	var entry *cached
	key := ""
	if cacheable {
		key = cacheKey(req)
		var err error
		if entry, err = t.lookup(ctx, key); err != nil {
			return nil, fmt.Errorf("read GitHub answer cache: %w", err)
		}
		if entry != nil {
			req = req.Clone(ctx)
			req.Header.Set("If-None-Match", entry.etag)
		}
	}
	switch {
	case strings.HasSuffix(req.URL.Path, "/repos") && strings.Contains(req.URL.Path, "/orgs/"):
		cnt.list.Add(1)
	case strings.Contains(req.URL.Path, "/commits/"), immutable(req.URL.Path):
		cnt.content.Add(1)
	}
	retriable := req.Method == http.MethodGet || req.Method == http.MethodHead
	for attempt := 0; ; attempt++ {
		if err := t.limiter.wait(ctx, t.Reserve, t.Clock); err != nil {
			return nil, err
		}
		cnt.total.Add(1)
		resp, err := base.RoundTrip(req)
		if err != nil {
			t.limiter.done(nil)
			return nil, err
		}
		t.limiter.done(resp.Header)
		if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(body))
			wait, why := t.rateLimitWait(resp, body)
			if wait > 0 && retriable && attempt < t.MaxRetries {
				cnt.retried.Add(1)
				t.limiter.pause(t.Clock.now().Add(wait), why)
				continue
			}
			return resp, nil
		}
		if resp.StatusCode == http.StatusNotModified && entry != nil {
			resp.Body.Close()
			cnt.notModified.Add(1)
			h := resp.Header.Clone()
			for k, v := range entry.header {
				h[k] = v
			}
			h.Set("ETag", entry.etag)
			return &http.Response{Status: "200 OK", StatusCode: http.StatusOK, Proto: resp.Proto,
				ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor, Header: h,
				Body: io.NopCloser(bytes.NewReader(entry.body)), ContentLength: int64(len(entry.body)), Request: req}, nil
		}
		if cacheable && resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "" {
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return nil, err
			}
			resp.Body = io.NopCloser(bytes.NewReader(body))
			if err := t.store(ctx, key, resp.Header.Get("ETag"), resp.Header, body); err != nil {
				return nil, fmt.Errorf("write GitHub answer cache: %w", err)
			}
		}
		return resp, nil
	}
}

// rateLimitWait says how long to wait before repeating a request refused with 403/429, and why; 0 when the refusal
// is not about rate limits (a real permission problem).
func (t *Transport) rateLimitWait(resp *http.Response, body []byte) (time.Duration, string) {
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
			return max(time.Duration(n)*time.Second, 10*time.Millisecond), "secondary rate limit: waiting as GitHub asked (Retry-After)"
		}
		if at, err := http.ParseTime(s); err == nil {
			return max(at.Sub(t.Clock.now()), 10*time.Millisecond), "secondary rate limit: waiting as GitHub asked (Retry-After)"
		}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if n, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(n, 0).Sub(t.Clock.now())+time.Second, 10*time.Millisecond), "rate limit exhausted: waiting for its reset"
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests || bytes.Contains(bytes.ToLower(body), []byte("secondary rate limit")) {
		return t.SecondaryWait, "secondary rate limit: waiting before trying again"
	}
	return 0, ""
}

// limiter tracks the primary budget from response headers and holds requests back when it runs low or while a
// secondary limit is in force.
type limiter struct {
	mu         sync.Mutex
	known      bool
	limit      int
	remaining  int
	reset      time.Time
	pauseUntil time.Time
	why        string
	nextAt     time.Time // pacing: the earliest start of the next request
	pending    int       // requests sent whose answer has not been counted yet
	waiting    atomic.Int32
}

func (l *limiter) pause(until time.Time, why string) {
	l.mu.Lock()
	if until.After(l.pauseUntil) {
		l.pauseUntil, l.why = until, why
	}
	l.mu.Unlock()
}

// wait blocks until a request may be sent: not during a secondary-limit pause, not with only reserve points left
// before the reset (counting requests already in flight), and spaced out so that the remaining points last until the
// reset once fewer than a tenth of the limit remain. A nil return must be followed by done.
func (l *limiter) wait(ctx context.Context, reserve int, clock Clock) error {
	paced := false
	for {
		l.mu.Lock()
		now := clock.now()
		keep := min(reserve, l.limit/10)
		left := l.remaining - l.pending
		var until time.Time
		switch {
		case now.Before(l.pauseUntil):
			until = l.pauseUntil
		case l.known && left <= keep && now.Before(l.reset):
			until, l.why = l.reset.Add(time.Second), "rate limit nearly spent: waiting for its reset"
		case !paced && l.known && left < l.limit/10 && now.Before(l.reset):
			spacing := l.reset.Sub(now) / time.Duration(max(left-keep, 1))
			start := l.nextAt
			if start.Before(now) {
				start = now
			}
			l.nextAt = start.Add(spacing)
			l.mu.Unlock()
			if err := clock.sleep(ctx, start.Sub(now)); err != nil {
				return err
			}
			paced = true
			continue
		}
		if until.IsZero() {
			l.pending++
			l.why = ""
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		l.waiting.Add(1)
		err := clock.sleep(ctx, until.Sub(now))
		l.waiting.Add(-1)
		if err != nil {
			return err
		}
	}
}

// done ends a request admitted by wait, recording the budget its answer reports (h may be nil after a failure).
func (l *limiter) done(h http.Header) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending--
	if h == nil {
		return
	}
	rem, err1 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	lim, err2 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	rs, err3 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return
	}
	reset := time.Unix(rs, 0)
	// Answers arrive out of order; within one window the lowest count is the latest truth.
	if !l.known || reset.After(l.reset) || rem < l.remaining {
		l.remaining = rem
	}
	if !l.known || reset.After(l.reset) {
		l.reset = reset
	}
	l.limit, l.known = lim, true
}

func (l *limiter) snapshot() *sources.RateLimit {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.known {
		return nil
	}
	rl := &sources.RateLimit{Limit: l.limit, Remaining: l.remaining, Reset: l.reset.UTC()}
	if l.waiting.Load() > 0 {
		rl.Waiting = l.why
	}
	return rl
}

// Clock is the time of the rate-limit waits: Now (nil: time.Now) and Sleep (nil: a timer that ctx ends early).
// Tests pass one whose Sleep moves its Now, so that waiting out a limit takes no real time.
type Clock struct {
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

func (c Clock) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c Clock) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep == nil {
		return sleep(ctx, d)
	}
	return c.Sleep(ctx, d)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

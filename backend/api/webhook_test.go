package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

// probe wraps the portal's handler and watches webhook bodies, by X-GitHub-Delivery id: how many bytes the
// handler read, when it first read, and when the handler returned.
type probe struct {
	mu      sync.Mutex
	read    map[string]int64
	reading chan string
	done    chan string
}

func newProbe() *probe {
	return &probe{read: map[string]int64{}, reading: make(chan string, 1000), done: make(chan string, 1000)}
}

func (p *probe) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-GitHub-Delivery")
		r.Body = &probedBody{ReadCloser: r.Body, p: p, id: id}
		h.ServeHTTP(w, r)
		p.done <- id
	})
}

func (p *probe) bytesRead(id string) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.read[id]
}

// await waits for ids on ch (in any order); the deadline only guards against a hang.
func await(t *testing.T, what string, ch <-chan string, ids ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	guard := time.After(10 * time.Second)
	for len(want) > 0 {
		select {
		case id := <-ch:
			delete(want, id)
		case <-guard:
			t.Fatalf("timed out waiting for %s of %v", what, want)
		}
	}
}

type probedBody struct {
	io.ReadCloser
	p       *probe
	id      string
	started bool
}

func (b *probedBody) Read(buf []byte) (int, error) {
	if !b.started {
		b.started = true
		b.p.reading <- b.id
	}
	n, err := b.ReadCloser.Read(buf)
	b.p.mu.Lock()
	b.p.read[b.id] += int64(n)
	b.p.mu.Unlock()
	return n, err
}

// wellFormedSig passes the header checks; it is not the body's signature.
var wellFormedSig = "sha256=" + strings.Repeat("0", 64)

// rawDelivery sends a push delivery's headers on a new connection, claiming contentLength bytes of body
// (< 0: chunked), followed by only the bytes of sent. The connection is the caller's to write more, read the
// answer (readReply) or close.
func rawDelivery(t *testing.T, base, id, sig string, contentLength int64, sent []byte) net.Conn {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) { // a test may hang up itself
			t.Error(err)
		}
	})
	length := fmt.Sprintf("Content-Length: %d", contentLength)
	if contentLength < 0 {
		length = "Transfer-Encoding: chunked"
	}
	if _, err := fmt.Fprintf(c, "POST /api/v1/webhooks/github HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"X-GitHub-Event: push\r\nX-GitHub-Delivery: %s\r\nX-Hub-Signature-256: %s\r\n%s\r\n\r\n",
		u.Host, id, sig, length); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(sent); err != nil {
		t.Fatal(err)
	}
	return c
}

// readReply reads the answer on c; the deadline only guards against a hang (the answers tested come at once).
func readReply(t *testing.T, c net.Conn) (*http.Response, string) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestWebhookOversizedBodyRefusedUnread(t *testing.T) {
	t.Run("content-length", func(t *testing.T) {
		pr := newProbe()
		p, _, _ := githubPortalLimited(t, api.WebhookLimits{}, pr.wrap)
		// 26 MiB claimed, 64 KiB sent: a handler that reads would wait for the rest; this one must answer now.
		c := rawDelivery(t, p.url, "big", wellFormedSig, 26<<20, make([]byte, 64<<10))
		resp, body := readReply(t, c)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than") ||
			!resp.Close {
			t.Errorf("26 MiB Content-Length: %d close=%v %s", resp.StatusCode, resp.Close, body)
		}
		await(t, "the handler", pr.done, "big")
		if n := pr.bytesRead("big"); n != 0 {
			t.Errorf("the handler read %d bytes of a body it refused by its Content-Length", n)
		}
	})
	t.Run("chunked", func(t *testing.T) {
		pr := newProbe()
		lim := api.WebhookLimits{MaxBytes: 1 << 20}
		p, _, _ := githubPortalLimited(t, lim, pr.wrap)
		c := rawDelivery(t, p.url, "chunked", wellFormedSig, -1, nil)
		go func() { // 4 MiB in 64 KiB chunks; writes fail once the portal hangs up
			chunk := fmt.Appendf(nil, "%x\r\n%s\r\n", 64<<10, strings.Repeat("a", 64<<10))
			for range 64 {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
			_, _ = c.Write([]byte("0\r\n\r\n")) // fails once the portal hung up, as the chunks may
		}()
		resp, body := readReply(t, c)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked body over the limit: %d %s", resp.StatusCode, body)
		}
		await(t, "the handler", pr.done, "chunked")
		if n := pr.bytesRead("chunked"); n > lim.MaxBytes+1 {
			t.Errorf("the handler read %d bytes of a chunked body, limit %d", n, lim.MaxBytes)
		}
	})
}

func TestWebhookConcurrentBodiesAreBounded(t *testing.T) {
	t.Run("count", func(t *testing.T) {
		pr := newProbe()
		p, gh, _ := githubPortalLimited(t, api.WebhookLimits{MaxInFlight: 2, ReadTimeout: time.Minute}, pr.wrap)
		// Two deliveries whose bodies never finish hold both places.
		held1 := rawDelivery(t, p.url, "held-1", wellFormedSig, 4096, []byte(`{"ref":`))
		rawDelivery(t, p.url, "held-2", wellFormedSig, 4096, []byte(`{"ref":`))
		await(t, "the held bodies to be read", pr.reading, "held-1", "held-2")

		payload := gh.PushPayload("acme", "search-ui")
		third := rawDelivery(t, p.url, "third", githubtest.Sign(webhookSecret, payload), int64(len(payload)), payload)
		resp, body := readReply(t, third)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("a third body while two are read: %d Retry-After=%q %s", resp.StatusCode,
				resp.Header.Get("Retry-After"), body)
		}
		await(t, "the third handler", pr.done, "third")
		if n := pr.bytesRead("third"); n != 0 {
			t.Errorf("the refused body was read: %d bytes", n)
		}

		// A held delivery ends (its sender hangs up): its place is free again.
		if err := held1.Close(); err != nil {
			t.Fatal(err)
		}
		await(t, "the first held handler", pr.done, "held-1")
		resp, err := githubtest.DeliverID(p.url+"/api/v1/webhooks/github", webhookSecret, "push", "fourth", payload)
		if err != nil || resp.StatusCode != http.StatusAccepted {
			t.Errorf("a delivery once a place is free: %v %v", resp.StatusCode, err)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		pr := newProbe()
		lim := api.WebhookLimits{MaxBytes: 1 << 20, MaxInFlightBytes: 1 << 20, ReadTimeout: time.Minute}
		p, _, _ := githubPortalLimited(t, lim, pr.wrap)
		rawDelivery(t, p.url, "large", wellFormedSig, 768<<10, []byte(`{"ref":`))
		await(t, "the large body to be read", pr.reading, "large")
		resp, _ := readReply(t, rawDelivery(t, p.url, "second-large", wellFormedSig, 512<<10, []byte(`{`)))
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("768 KiB + 512 KiB over a 1 MiB budget: %d", resp.StatusCode)
		}
		resp, _ = readReply(t, rawDelivery(t, p.url, "small", wellFormedSig, 2, []byte(`{}`)))
		if resp.StatusCode != http.StatusUnauthorized { // admitted, read, and its signature is wrong
			t.Errorf("a small body within the budget: %d", resp.StatusCode)
		}
	})
}

func TestWebhookSlowBodyTimesOut(t *testing.T) {
	pr := newProbe()
	p, gh, _ := githubPortalLimited(t, api.WebhookLimits{MaxInFlight: 1, ReadTimeout: 100 * time.Millisecond}, pr.wrap)
	slow := rawDelivery(t, p.url, "slow", wellFormedSig, 4096, []byte(`{"ref":`))
	resp, body := readReply(t, slow) // the portal's read deadline ends it
	if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
		t.Fatalf("a body that never arrives: %d close=%v %s", resp.StatusCode, resp.Close, body)
	}
	await(t, "the slow handler", pr.done, "slow")
	payload := gh.PushPayload("acme", "search-ui")
	resp, err := githubtest.DeliverID(p.url+"/api/v1/webhooks/github", webhookSecret, "push", "next", payload)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Errorf("the slow body's place was not freed: %v %v", resp.StatusCode, err)
	}
}

func TestWebhookReplayedDeliveryActsOnce(t *testing.T) {
	p, gh, hub := githubPortal(t)
	ctx := context.Background()
	gh.Push("acme", "search-ui", map[string]string{"atrium.yaml": "name: search-ui\nowner: discovery\n"})
	payload := gh.PushPayload("acme", "search-ui")
	deliver := func(id, sig string) (int, map[string]any) {
		t.Helper()
		resp, b := p.raw(http.MethodPost, "/api/v1/webhooks/github", strings.NewReader(string(payload)),
			map[string]string{"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": id,
				"X-Hub-Signature-256": sig})
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		hub.Wait()
		return resp.StatusCode, m
	}
	before, _ := p.db.Changes(ctx, "", 1000, 0)

	// A badly signed copy is refused and not remembered: the genuine delivery is still acted on.
	if code, _ := deliver("d-1", githubtest.Sign("wrong", payload)); code != http.StatusUnauthorized {
		t.Fatalf("bad signature: %d", code)
	}
	gh.ResetCounts()
	if code, m := deliver("d-1", githubtest.Sign(webhookSecret, payload)); code != http.StatusAccepted {
		t.Fatalf("delivery: %d %v", code, m)
	}
	if c := gh.Counts(); c.ByKind[githubtest.KindTree] != 1 {
		t.Fatalf("the delivery did not refresh the repository: %+v", c)
	}
	if s, _ := p.db.GetService(ctx, "search-ui"); s.Owner != "discovery" {
		t.Fatalf("owner after push: %q", s.Owner)
	}
	first, _ := p.db.Changes(ctx, before.Cursor, 1000, 0)

	// GitHub's Redeliver (same id), and the body replayed under another id: answered, not acted on.
	for _, id := range []string{"d-1", "d-replayed"} {
		gh.ResetCounts()
		code, m := deliver(id, githubtest.Sign(webhookSecret, payload))
		if code != http.StatusOK || m["detail"] != "duplicate delivery, ignored" || m["handled"] != false {
			t.Errorf("delivery %s again: %d %v", id, code, m)
		}
		if c := gh.Counts(); c.Requests != 0 {
			t.Errorf("delivery %s again reached GitHub: %+v", id, c)
		}
	}
	if after, _ := p.db.Changes(ctx, first.Cursor, 1000, 0); len(after.Changes) != 0 {
		t.Errorf("a replayed delivery changed the catalog: %+v", after.Changes)
	}
}

// TestWebhookRejectedBodiesDoNotAllocate: the finding — 40 parallel 26 MB posts took the portal from 93 MB to
// 2 GB — replayed against the guard: 40 bodies over the size limit, and 40 bodies within it while every place is
// taken, must cost the process kilobytes each, not their size.
func TestWebhookRejectedBodiesDoNotAllocate(t *testing.T) {
	pr := newProbe()
	p, _, _ := githubPortalLimited(t, api.WebhookLimits{MaxInFlight: 2, ReadTimeout: time.Minute}, pr.wrap)
	sent := make([]byte, 64<<10)
	flood := func(name string, contentLength int64, want int) uint64 {
		t.Helper()
		var conns []net.Conn
		for i := range 40 {
			conns = append(conns, rawDelivery(t, p.url, fmt.Sprintf("%s-%d", name, i), wellFormedSig, contentLength, sent))
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var wg sync.WaitGroup
		codes := make([]int, len(conns))
		for i, c := range conns {
			wg.Go(func() {
				if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
					t.Fatal(err)
				}
				if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
					codes[i] = resp.StatusCode
					resp.Body.Close()
				}
			})
		}
		wg.Wait()
		runtime.ReadMemStats(&after)
		for i, code := range codes {
			if code != want {
				t.Errorf("%s %d: %d, want %d", name, i, code, want)
			}
		}
		return after.TotalAlloc - before.TotalAlloc
	}

	over := flood("over", 26<<20, http.StatusRequestEntityTooLarge)
	// Both places taken by bodies that never finish; 40 more within the size limit find no place.
	rawDelivery(t, p.url, "hold-1", wellFormedSig, 1<<20, []byte(`{`))
	rawDelivery(t, p.url, "hold-2", wellFormedSig, 1<<20, []byte(`{`))
	await(t, "the held bodies", pr.reading, "hold-1", "hold-2")
	busy := flood("busy", 20<<20, http.StatusServiceUnavailable)
	t.Logf("allocated per refused 26 MiB delivery: %d KiB; per 20 MiB delivery refused as busy: %d KiB",
		over/40>>10, busy/40>>10)
	const bound = 40 * 256 << 10 // 256 KiB a delivery, against 20-26 MiB if the bodies were read
	if over > bound || busy > bound {
		t.Errorf("40 refused deliveries allocated %d and %d bytes; want under %d each", over, busy, bound)
	}
}

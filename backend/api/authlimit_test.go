package api_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

// clock is a settable time for the limiter.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// logBuffer collects log lines written by the server's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

type limitedPortal struct {
	t       *testing.T
	url     string
	hc      *http.Client
	db      *store.DB
	clock   *clock
	log     *logBuffer
	secrets map[string]string
}

func newLimitedPortal(t *testing.T, limiter *api.AuthLimiter) *limitedPortal {
	t.Helper()
	ctx := context.Background()
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	p := &limitedPortal{t: t, db: db, clock: &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, log: &logBuffer{},
		secrets: map[string]string{}}
	tokens := auth.Tokens{DB: db.SQL()}
	admin := []auth.Grant{{Role: auth.RoleAdmin}}
	for name, tok := range map[string]auth.Token{
		"admin":   {Grants: admin},
		"expired": {Grants: admin, ExpiresAt: time.Now().Add(-time.Hour)},
	} {
		tok.Name, tok.Subject = name, name
		secret, _, err := tokens.Create(ctx, tok, "")
		if err != nil {
			t.Fatal(err)
		}
		p.secrets[name] = secret
	}
	limiter.Now, limiter.Log = p.clock.Now, slog.New(slog.NewTextHandler(p.log, nil))
	srv := httptest.NewServer((&api.Portal{DB: db, AuthLimiter: limiter}).Handler())
	t.Cleanup(srv.Close)
	p.url, p.hc = srv.URL, &http.Client{Transport: apitest.Transport(t, nil)}
	return p
}

// me asks GET /api/v1/me with token (none when "") and the given X-Forwarded-For (none when ""); it returns the
// status and the Retry-After header.
func (p *limitedPortal) me(token, forwardedFor string) (int, string) {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.url+"/api/v1/me", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

func (p *limitedPortal) warnings() int { return strings.Count(p.log.String(), "level=WARN") }

func TestFailedAuthenticationsAreLimitedPerClient(t *testing.T) {
	p := newLimitedPortal(t, &api.AuthLimiter{Failures: 3, Window: time.Minute})
	admin := p.secrets["admin"]
	var guesses []string
	guess := func(forwardedFor string) (int, string) {
		g := auth.NewSecret()
		guesses = append(guesses, g)
		return p.me(g, forwardedFor)
	}

	// Successful requests and requests without credentials or with an expired token are not failures.
	for range 30 {
		if code, _ := p.me(admin, ""); code != 200 {
			t.Fatalf("valid token: %d", code)
		}
		if code, _ := p.me("", ""); code != 401 {
			t.Fatalf("no token: %d", code)
		}
		if code, _ := p.me(p.secrets["expired"], ""); code != 401 {
			t.Fatalf("expired token: %d", code)
		}
	}

	// Three guesses are answered 401; the fourth, 429 — whatever X-Forwarded-For says, since nobody is a trusted
	// proxy here.
	for i, xff := range []string{"", "198.51.100.1", "198.51.100.2"} {
		if i == 2 && p.warnings() != 0 {
			t.Fatalf("warned before the limit: %s", p.log)
		}
		if code, _ := guess(xff); code != 401 {
			t.Fatalf("guess %d: %d", i+1, code)
		}
	}
	code, retry := guess("198.51.100.3")
	if code != 429 || retry != "20" { // 3 failures per minute refill one every 20 s
		t.Fatalf("fourth guess: %d, Retry-After %q", code, retry)
	}
	// A limited client is refused before its token is looked up: a valid one too, and no credentials at all.
	if code, retry := p.me(admin, ""); code != 429 || retry != "20" {
		t.Errorf("valid token from a limited client: %d %q", code, retry)
	}
	if code, _ := p.me("", ""); code != 429 {
		t.Errorf("no token from a limited client: %d", code)
	}
	p.clock.Advance(5 * time.Second)
	if _, retry := p.me(admin, ""); retry != "15" {
		t.Errorf("Retry-After after 5 s: %q", retry)
	}

	// After Retry-After, one more failure is allowed (a valid token goes through as ever).
	p.clock.Advance(15 * time.Second)
	if code, _ := p.me(admin, ""); code != 200 {
		t.Errorf("valid token after Retry-After: %d", code)
	}
	if code, _ := guess(""); code != 401 {
		t.Errorf("guess after Retry-After: %d", code)
	}
	if code, _ := guess(""); code != 429 {
		t.Errorf("second guess after Retry-After: %d", code)
	}
	// Logged at warn once per window, naming the client and never a token.
	if n := p.warnings(); n != 1 {
		t.Errorf("%d warnings in one window, want 1:\n%s", n, p.log)
	}
	p.clock.Advance(time.Minute)
	for range 3 {
		guess("")
	}
	if code, _ := guess(""); code != 429 {
		t.Errorf("guess in the next window: %d", code)
	}
	logged := p.log.String()
	if n := p.warnings(); n != 2 || !strings.Contains(logged, "client=127.0.0.1") {
		t.Errorf("%d warnings in two windows, want 2:\n%s", n, logged)
	}
	for _, g := range append(guesses, admin) {
		if strings.Contains(logged, g) || strings.Contains(logged, g[len(auth.TokenPrefix):]) {
			t.Fatalf("the log holds a presented token:\n%s", logged)
		}
	}
}

// TestAuthLimiterBehindTrustedProxy: behind a trusted proxy each client in X-Forwarded-For has its own bucket (a
// client cannot escape its own by prepending addresses), and the limiter forgets the least recently failing
// client when it tracks MaxClients.
func TestAuthLimiterBehindTrustedProxy(t *testing.T) {
	p := newLimitedPortal(t, &api.AuthLimiter{Failures: 2, Window: time.Minute, MaxClients: 3,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	bad := auth.NewSecret()
	for _, step := range []struct {
		name, forwardedFor, token string
		want                      int
	}{
		{"A fails", "203.0.113.1", bad, 401},
		{"A fails again", "203.0.113.1", bad, 401},
		{"A is limited", "203.0.113.1", bad, 429},
		{"A cannot escape by prepending an address", "198.51.100.9, 203.0.113.1", bad, 429},
		{"A through a second trusted proxy", "203.0.113.1, 127.0.0.2", p.secrets["admin"], 429},
		{"B is another client", "203.0.113.2", bad, 401},
		{"B with a valid token", "203.0.113.2", p.secrets["admin"], 200},
		{"an IPv6 client", "2001:db8::1", bad, 401},
		{"another address of its /64", "2001:db8::2", bad, 401},
		{"the /64 is one client", "2001:db8::3", bad, 429},
		// A (limited), B and the /64 are tracked; C arriving evicts the least recent failure: A's.
		{"C fails", "203.0.113.3", bad, 401},
		{"A is forgotten", "203.0.113.1", bad, 401},
	} {
		if code, _ := p.me(step.token, step.forwardedFor); code != step.want {
			t.Errorf("%s: %d, want %d", step.name, code, step.want)
		}
	}
}

// BenchmarkAuthLimiterLimited is what every authenticated request pays: one check of a client that has not
// failed, from many goroutines, with the limiter full of other clients.
func BenchmarkAuthLimiterLimited(b *testing.B) {
	l := &api.AuthLimiter{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for i := range api.DefaultAuthMaxClients {
		l.Failed(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String())
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, limited := l.Limited("192.0.2.1"); limited {
				b.Fatal("limited")
			}
		}
	})
}

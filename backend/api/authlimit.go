package api

import (
	lru "container/list"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Defaults of an AuthLimiter.
const (
	DefaultAuthFailures   = 20
	DefaultAuthWindow     = time.Minute
	DefaultAuthMaxClients = 10000
)

// AuthLimiter limits failed authentications per client, so that guessing tokens (or a misconfigured client
// retrying a revoked one in a loop) costs the portal nothing: each client has a bucket of Failures that refills
// over Window; a failed authentication takes one, and a client whose bucket is empty is answered 429 with
// Retry-After before its credentials are even looked up — whatever they are. Successful authentications take
// nothing and cost one map lookup. Expired tokens and requests without credentials are not counted: neither is
// a guess.
//
// A client is the remote IP address of the connection (an IPv6 address by its /64, which one host usually holds
// whole). Behind a reverse proxy every request comes from the proxy: list it in TrustedProxies and the client is
// the nearest address in X-Forwarded-For that is not a trusted proxy. X-Forwarded-For is never read from
// anyone else, since a client can write whatever it likes there.
//
// At most MaxClients are tracked; when a new one arrives the one that failed least recently is forgotten. The zero
// value is ready to use with the defaults.
type AuthLimiter struct {
	Failures       int              // a client's burst of failures; 0: DefaultAuthFailures
	Window         time.Duration    // the bucket refills in Window (Failures per Window sustained); 0: one minute
	MaxClients     int              // clients tracked at most; 0: DefaultAuthMaxClients
	TrustedProxies []netip.Prefix   // reverse proxies whose X-Forwarded-For names the client
	Now            func() time.Time // nil: time.Now
	Log            *slog.Logger     // warnings about limited clients; nil: slog.Default()
	mu             sync.Mutex       // guards what follows
	clients        map[string]*lru.Element
	order          lru.List // of *failures, most recent failure first
}

// failures is one client's bucket.
type failures struct {
	client string
	left   float64   // failures the client may still make
	at     time.Time // when left was computed
	warned time.Time // when the client's limiting was last logged
}

func (l *AuthLimiter) settings() (burst float64, window time.Duration, maxClients int) {
	burst, window, maxClients = DefaultAuthFailures, DefaultAuthWindow, DefaultAuthMaxClients
	if l.Failures > 0 {
		burst = float64(l.Failures)
	}
	if l.Window > 0 {
		window = l.Window
	}
	if l.MaxClients > 0 {
		maxClients = l.MaxClients
	}
	return burst, window, maxClients
}

func (l *AuthLimiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// refill brings f's bucket to now.
func (f *failures) refill(now time.Time, burst float64, window time.Duration) {
	if d := now.Sub(f.at); d > 0 {
		f.left = min(burst, f.left+burst*float64(d)/float64(window))
		f.at = now
	}
}

// Client is the key r's client is counted under: its address, or the address a trusted proxy forwarded for.
func (l *AuthLimiter) Client(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr // not an IP connection: count the peer as it is named
	}
	ip := ap.Addr().Unmap()
	if l.trusted(ip) {
		ip = l.forwardedFor(r, ip)
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

func (l *AuthLimiter) trusted(ip netip.Addr) bool {
	for _, p := range l.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// forwardedFor walks X-Forwarded-For from the nearest hop back, past trusted proxies, to the first address that is
// not one: the client as the outermost trusted proxy saw it. A malformed entry stops the walk at the last good hop.
func (l *AuthLimiter) forwardedFor(r *http.Request, peer netip.Addr) netip.Addr {
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		ip, err := netip.ParseAddr(h)
		if err != nil {
			ap, perr := netip.ParseAddrPort(h)
			if perr != nil {
				return peer
			}
			ip = ap.Addr()
		}
		ip = ip.Unmap()
		if !l.trusted(ip) {
			return ip
		}
		peer = ip
	}
	return peer
}

// Limited reports whether client has used up its failures, and how long until it may try again.
func (l *AuthLimiter) Limited(client string) (time.Duration, bool) {
	burst, window, _ := l.settings()
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.clients[client]
	if !ok {
		return 0, false
	}
	f := e.Value.(*failures)
	f.refill(now, burst, window)
	if f.left >= 1 {
		return 0, false
	}
	return time.Duration(math.Ceil((1 - f.left) * float64(window) / burst)), true
}

// Failed counts a failed authentication of client; when that uses up its failures it is logged at warn level,
// once per window.
func (l *AuthLimiter) Failed(client string) {
	burst, window, maxClients := l.settings()
	now := l.now()
	l.mu.Lock()
	if l.clients == nil {
		l.clients = map[string]*lru.Element{}
	}
	e, ok := l.clients[client]
	if ok {
		l.order.MoveToFront(e)
	} else {
		for l.order.Len() >= maxClients {
			oldest := l.order.Back()
			delete(l.clients, oldest.Value.(*failures).client)
			l.order.Remove(oldest)
		}
		e = l.order.PushFront(&failures{client: client, left: burst, at: now})
		l.clients[client] = e
	}
	f := e.Value.(*failures)
	f.refill(now, burst, window)
	f.left = max(0, f.left-1)
	warn := f.left < 1 && (f.warned.IsZero() || now.Sub(f.warned) >= window)
	if warn {
		f.warned = now
	}
	l.mu.Unlock()
	if warn {
		log := l.Log
		if log == nil {
			log = slog.Default()
		}
		log.Warn("repeated failed authentications: refusing this client's requests until its failures refill",
			"client", client, "failures", int(burst), "window", window.String())
	}
}

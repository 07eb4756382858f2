package api

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Metrics counts the requests a portal answers — by route (the endpoint's pattern, never the path a client sent,
// so that the series stay few), method and status — and how long they took, and serves them with whatever the
// portal adds at scrape time (Collect) in Prometheus' text exposition format (version 0.0.4).
type Metrics struct {
	// Collect, when set, adds the portal's own samples (database, feed, queue, collectors) to every scrape.
	Collect func(ctx context.Context, e *Exposition)

	mu       sync.Mutex
	requests map[requestKey]uint64
	latency  map[string]*histogram // by route
	inFlight map[string]*atomic.Int64
}

type requestKey struct{ route, method, code string }

// latencyBuckets bound request durations in seconds; long polls of the change feed and of agents wait up to a
// minute.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

// NewMetrics returns empty counters.
func NewMetrics() *Metrics {
	return &Metrics{requests: map[requestKey]uint64{}, latency: map[string]*histogram{},
		inFlight: map[string]*atomic.Int64{}}
}

// observe records one answered request.
func (m *Metrics) observe(route, method string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{route, method, strconv.Itoa(status)}]++
	h := m.latency[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets)+1)}
		m.latency[route] = h
	}
	s := d.Seconds()
	i := sort.SearchFloat64s(latencyBuckets, s)
	h.counts[i]++
	h.sum += s
	h.n++
}

func (m *Metrics) gauge(route string) *atomic.Int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.inFlight[route]
	if g == nil {
		g = &atomic.Int64{}
		m.inFlight[route] = g
	}
	return g
}

// instrument wraps the portal's handler; route names the pattern a request matches ("" when none).
func (m *Metrics) instrument(route func(r *http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, method := route(r), r.Method
		if rt == "" {
			rt, method = "unmatched", "any" // what clients make up is not a series
		} else if m, p, ok := strings.Cut(rt, " "); ok {
			rt, method = p, m
		}
		g := m.gauge(rt)
		g.Add(1)
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			g.Add(-1)
			m.observe(rt, method, sw.status, time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		e := &Exposition{}
		m.write(e)
		if m.Collect != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			m.Collect(ctx, e)
			cancel()
		}
		processMetrics(e)
		_, _ = io.WriteString(w, e.String()) // the client went away: nobody to tell
	})
}

func (m *Metrics) write(e *Exposition) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return a.route+" "+a.method+" "+a.code < b.route+" "+b.method+" "+b.code
	})
	e.Family("atrium_http_requests_total", "counter", "Requests answered, by route, method and status.")
	for _, k := range keys {
		e.Sample("atrium_http_requests_total", float64(m.requests[k]), "route", k.route, "method", k.method, "code", k.code)
	}
	routes := make([]string, 0, len(m.latency))
	for r := range m.latency {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	e.Family("atrium_http_request_duration_seconds", "histogram",
		"How long requests took, by route (long polls included: they wait up to a minute).")
	for _, r := range routes {
		h := m.latency[r]
		var cum uint64
		for i, b := range latencyBuckets {
			cum += h.counts[i]
			e.Sample("atrium_http_request_duration_seconds_bucket", float64(cum), "route", r, "le", formatFloat(b))
		}
		e.Sample("atrium_http_request_duration_seconds_bucket", float64(h.n), "route", r, "le", "+Inf")
		e.Sample("atrium_http_request_duration_seconds_sum", h.sum, "route", r)
		e.Sample("atrium_http_request_duration_seconds_count", float64(h.n), "route", r)
	}
	routes = routes[:0]
	for r := range m.inFlight {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	e.Family("atrium_http_requests_in_flight", "gauge",
		"Requests being answered now, by route: on /api/v1/changes, the desktops' waiting long polls.")
	for _, r := range routes {
		e.Sample("atrium_http_requests_in_flight", float64(m.inFlight[r].Load()), "route", r)
	}
}

// processMetrics adds the process's CPU time, resident memory and goroutines, under Prometheus' usual names.
func processMetrics(e *Exposition) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cpu := float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
		e.Family("process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.")
		e.Sample("process_cpu_seconds_total", cpu)
	}
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if pages, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				e.Family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
				e.Sample("process_resident_memory_bytes", float64(pages*int64(os.Getpagesize())))
			}
		}
	}
}

// Exposition is a scrape being written, in Prometheus' text format.
type Exposition struct{ b strings.Builder }

// Family starts a metric family: its help and type ("counter", "gauge", "histogram").
func (e *Exposition) Family(name, typ, help string) {
	fmt.Fprintf(&e.b, "# HELP %s %s\n# TYPE %s %s\n", name, strings.ReplaceAll(help, "\n", " "), name, typ)
}

// Sample writes one sample; labels are name, value pairs.
func (e *Exposition) Sample(name string, v float64, labels ...string) {
	e.b.WriteString(name)
	if len(labels) > 0 {
		e.b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				e.b.WriteByte(',')
			}
			e.b.WriteString(labels[i])
			e.b.WriteString(`="`)
			e.b.WriteString(labelEscaper.Replace(labels[i+1]))
			e.b.WriteByte('"')
		}
		e.b.WriteByte('}')
	}
	e.b.WriteByte(' ')
	e.b.WriteString(formatFloat(v))
	e.b.WriteByte('\n')
}

// String is the scrape as written.
func (e *Exposition) String() string { return e.b.String() }

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

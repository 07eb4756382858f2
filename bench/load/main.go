// Command load measures a portal the way a company uses it: desktops long-polling the change feed all day,
// people searching the catalog, and writes that change it. It runs the same load against one SQLite portal and
// against two replicas on one PostgreSQL, side by side, each an `atrium serve` process on loopback, and prints a
// Markdown report (bench/RESULTS.md keeps one):
//
//   - latency (p50, p99) and errors of each endpoint, measured by the client;
//   - how long a catalog change takes to reach every desktop (from the write's request to the last desktop
//     receiving it in a change batch; p50 and p99 over the writes);
//   - each portal's CPU and resident memory (its /metrics), and PostgreSQL's CPU;
//   - where it saturates: the search rate is then doubled every step, with the desktops and writes still on, until
//     searches' p99 passes a second, errors appear, or the client cannot send at the rate asked.
//
// The writes are admins' claims of Kubernetes workloads (POST /api/v1/kube/claims): each maps an unmapped workload
// to a service, which gains a deployment — a real catalog change, through the API, that every desktop receives.
//
//	go run ./bench/load                          # 1,000 desktops, 200 searches/s, 20 writes/s, 60 s per engine
//	go run ./bench/load -desktops 200 -duration 20s -engines postgres
//
// It needs PostgreSQL's binaries (Debian's postgresql package), as the tests do, and builds the atrium binary
// unless -bin names one.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/pgtest"
	"github.com/sphera/atrium/internal/synthetic"
)

const adminToken = "atr_load_bench_admin_0123456789"

type options struct {
	bin         string
	desktops    int
	searches    float64
	writes      float64
	duration    time.Duration
	services    int
	engines     []string
	ramp        bool
	rampStep    time.Duration
	maxSearches float64
}

func main() {
	var o options
	var engines string
	flag.StringVar(&o.bin, "bin", "", "the atrium binary (default: build it)")
	flag.IntVar(&o.desktops, "desktops", 1000, "desktops long-polling the change feed")
	flag.Float64Var(&o.searches, "searches", 200, "catalog searches per second")
	flag.Float64Var(&o.writes, "writes", 20, "catalog writes per second")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "how long the load runs on each engine")
	flag.IntVar(&o.services, "services", 2000, "services in the catalog")
	flag.StringVar(&engines, "engines", "sqlite,postgres", "sqlite, postgres or both, in that order")
	flag.BoolVar(&o.ramp, "ramp", true, "after the run, double the search rate until the portal saturates")
	flag.DurationVar(&o.rampStep, "ramp-step", 10*time.Second, "how long each step of the ramp lasts")
	flag.Float64Var(&o.maxSearches, "max-searches", 6400, "the ramp stops at this search rate")
	flag.BoolVar(&keepLogs, "keep", false, "keep the portals' directories and logs")
	flag.Parse()
	o.engines = strings.Split(engines, ",")
	log.SetFlags(log.Ltime)
	if o.bin == "" {
		bin, err := build()
		if err != nil {
			log.Fatal(err)
		}
		o.bin = bin
	}
	var results []result
	for _, e := range o.engines {
		r, err := run(o, e)
		if err != nil {
			log.Fatalf("%s: %v", e, err)
		}
		results = append(results, r)
	}
	var b strings.Builder
	report(&b, o, results)
	if _, err := os.Stdout.WriteString(b.String()); err != nil {
		log.Fatal(err)
	}
}

func build() (string, error) {
	dir, err := os.MkdirTemp("", "atrium-load-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "atrium")
	log.Printf("building %s", bin)
	cmd := exec.Command("go", "build", "-o", bin, "github.com/sphera/atrium")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build atrium: %w\n%s", err, out)
	}
	return bin, nil
}

// portal is one `atrium serve` process.
type portal struct {
	cmd       *exec.Cmd
	url       string
	metrics   string
	cpuStart  float64
	waitStart float64
	rssMax    float64
}

// system is what one engine's run talks to.
type system struct {
	portals []*portal
	pg      *pgtest.Server
	dir     string
}

func (s *system) close() {
	for _, p := range s.portals {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		_ = p.cmd.Wait()
	}
	if s.pg != nil {
		_ = s.pg.Close()
	}
	if keepLogs {
		log.Printf("portals' logs kept in %s", s.dir)
		return
	}
	_ = os.RemoveAll(s.dir)
}

// keepLogs keeps the portals' directories (their logs) after a run.
var keepLogs bool

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close() //nolint:errcheck // only its address was wanted
	return ln.Addr().String(), nil
}

// seed writes the catalog and the unmapped workloads the writes will claim.
func seed(ctx context.Context, db *store.DB, o options) ([]string, error) {
	teams, svcs, _ := synthetic.Catalog(o.services, 5, 60, 1)
	if _, err := db.PutTeams(ctx, teams); err != nil {
		return nil, err
	}
	if _, err := db.ReplaceSource(ctx, "synthetic", svcs); err != nil {
		return nil, err
	}
	if err := db.PutSource(ctx, store.Source{Name: "synthetic", SyncedAt: time.Now(), Status: "ok"}); err != nil {
		return nil, err
	}
	n := int(o.writes*(o.duration.Seconds()+float64(rampSteps(o))*o.rampStep.Seconds())) + 100
	ws := make([]catalog.Workload, n)
	for i := range ws {
		ws[i] = catalog.Workload{CreatedAt: time.Now(), Deployment: catalog.Deployment{Cluster: "bench-eu",
			Namespace: "bench", Kind: "Deployment", Name: fmt.Sprintf("w-%d", i), Region: "eu-west-1",
			Environment: "production", Image: "registry.example/w:1", Version: "1", Ready: 1, Desired: 1}}
	}
	if _, err := db.ReplaceClusterWorkloads(ctx, "bench-eu", ws); err != nil {
		return nil, err
	}
	names := make([]string, len(svcs))
	for i, s := range svcs {
		names[i] = s.Name
	}
	return names, nil
}

func rampSteps(o options) int {
	if !o.ramp {
		return 0
	}
	return int(math.Ceil(math.Log2(o.maxSearches/o.searches))) + 1
}

// start brings one engine's portals up on a seeded database.
func start(o options, engine string) (*system, []string, error) {
	ctx := context.Background()
	s := &system{}
	var err error
	if s.dir, err = os.MkdirTemp("", "atrium-load-"+engine+"-"); err != nil {
		return nil, nil, err
	}
	var names []string
	var args [][]string
	switch engine {
	case "sqlite":
		db, err := store.Open(filepath.Join(s.dir, "portal.db"))
		if err != nil {
			return s, nil, err
		}
		names, err = seed(ctx, db, o)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return s, nil, err
		}
		args = append(args, []string{"--data", s.dir})
	case "postgres":
		if s.pg, err = pgtest.Start(); err != nil {
			return s, nil, err
		}
		url, err := s.pg.CreateDatabase(ctx, "load")
		if err != nil {
			return s, nil, err
		}
		db, err := store.OpenPostgres(ctx, url)
		if err != nil {
			return s, nil, err
		}
		names, err = seed(ctx, db, o)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return s, nil, err
		}
		for i := range 2 {
			data := filepath.Join(s.dir, fmt.Sprint("replica-", i))
			args = append(args, []string{"--data", data, "--database", url})
		}
	default:
		return s, nil, fmt.Errorf("unknown engine %q", engine)
	}
	for i, a := range args {
		addr, err := freeAddr()
		if err != nil {
			return s, nil, err
		}
		maddr, err := freeAddr()
		if err != nil {
			return s, nil, err
		}
		logf, err := os.Create(filepath.Join(s.dir, fmt.Sprintf("portal-%d.log", i)))
		if err != nil {
			return s, nil, err
		}
		cmd := exec.Command(o.bin, append([]string{"serve", "--addr", addr, "--metrics-addr", maddr, "--demo", "off"}, a...)...)
		cmd.Env = append(os.Environ(), "ATRIUM_ADMIN_TOKEN="+adminToken)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			return s, nil, err
		}
		_ = logf.Close() // the child holds its own descriptor
		s.portals = append(s.portals, &portal{cmd: cmd, url: "http://" + addr, metrics: "http://" + maddr + "/metrics"})
	}
	for _, p := range s.portals {
		deadline := time.Now().Add(2 * time.Minute)
		for {
			resp, err := http.Get(p.url + "/healthz")
			if err == nil {
				resp.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				return s, nil, fmt.Errorf("portal %s did not start (log in %s)", p.url, s.dir)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return s, names, nil
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConns: 0, MaxIdleConnsPerHost: 4096,
	IdleConnTimeout: 90 * time.Second, DisableCompression: true}, Timeout: 2 * time.Minute}

// pollErr is the last error a desktop met, for the log.
var pollErr atomic.Value

func getBody(ctx context.Context, url string) ([]byte, int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}

func get(ctx context.Context, url string, out any) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
}

type batch struct {
	Cursor    string `json:"cursor"`
	Remaining int    `json:"remaining"`
	Changes   []struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
	} `json:"changes"`
}

// scanBatch reads what a simulated desktop needs of a batch — its cursor and the services it changes — without
// decoding the documents: the client shares the machine with the portals it measures, and decoding a thousand
// desktops' batches would measure the client. (Fields in the order the portal writes them: seq, kind, id.)
func scanBatch(body []byte) (cursor string, services []string) {
	if i := bytes.Index(body, []byte(`"cursor":"`)); i >= 0 {
		rest := body[i+len(`"cursor":"`):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			cursor = string(rest[:j])
		}
	}
	marker := []byte(`"kind":"service","id":"`)
	for rest := body; ; {
		i := bytes.Index(rest, marker)
		if i < 0 {
			break
		}
		rest = rest[i+len(marker):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			break
		}
		services = append(services, string(rest[:j]))
		rest = rest[j:]
	}
	return cursor, services
}

// settle reads the feed to its head and waits until it stays there (the portal scores the catalog at start).
func settle(ctx context.Context, url string) (string, error) {
	cursor := ""
	quiet := 0
	for quiet < 3 {
		var b batch
		code, err := get(ctx, url+"/api/v1/changes?limit=1000&cursor="+cursor, &b)
		if err != nil {
			return "", fmt.Errorf("read the feed: %w", err)
		}
		if code != http.StatusOK {
			return "", fmt.Errorf("read the feed: status %d", code)
		}
		cursor = b.Cursor
		switch {
		case b.Remaining > 0:
		case len(b.Changes) == 0:
			quiet++
			time.Sleep(time.Second)
		default:
			quiet = 0
		}
	}
	return cursor, nil
}

// samples are latencies of one endpoint, with its errors.
type samples struct {
	mu     sync.Mutex
	d      []time.Duration
	errors int
}

func (s *samples) add(d time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok {
		s.d = append(s.d, d)
	} else {
		s.errors++
	}
}

func (s *samples) stats() (n, errs int, p50, p99 time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.d), s.errors, percentile(s.d, 0.50), percentile(s.d, 0.99)
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	c := append([]time.Duration(nil), d...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	return c[min(len(c)-1, int(math.Ceil(p*float64(len(c))))-1)]
}

// write is one catalog change and who received it.
type write struct {
	sent time.Time
	seen int
	last time.Duration
}

// propagation tracks every write until every desktop received it.
type propagation struct {
	mu     sync.Mutex
	writes map[string]*write // by service
}

func (p *propagation) sent(svc string, at time.Time) {
	p.mu.Lock()
	p.writes[svc] = &write{sent: at}
	p.mu.Unlock()
}

func (p *propagation) received(svc string, at time.Time) {
	p.mu.Lock()
	if w := p.writes[svc]; w != nil {
		w.seen++
		w.last = at.Sub(w.sent)
	}
	p.mu.Unlock()
}

type step struct {
	rate         float64 // searches per second asked
	achieved     float64
	n, errs      int
	p50, p99     time.Duration
	writeErrs    int
	saturatedWhy string
}

type result struct {
	engine                     string
	replicas                   int
	search, writes, polls      *samples
	changes                    int // batches received by desktops
	propP50, propP99, propMax  time.Duration
	propagated, writesSent     int
	cpu                        float64 // portal CPU seconds per second, all replicas
	rss                        float64 // bytes, the largest replica
	pgCPU                      float64 // PostgreSQL's CPU seconds per second
	clientCPU                  float64 // this load generator's CPU seconds per second
	poolWait                   float64 // seconds queries waited for a database connection, all replicas
	elapsed                    time.Duration
	ramp                       []step
	saturatesAt, sustainedRate float64
}

// run measures one engine.
func run(o options, engine string) (result, error) {
	r := result{engine: engine, search: &samples{}, writes: &samples{}, polls: &samples{}}
	log.Printf("%s: starting (%d services)", engine, o.services)
	sys, names, err := start(o, engine)
	if sys != nil {
		defer sys.close()
	}
	if err != nil {
		return r, err
	}
	r.replicas = len(sys.portals)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	head, err := settle(ctx, sys.portals[0].url)
	if err != nil {
		return r, err
	}
	log.Printf("%s: %d portal(s) up, feed settled at %s; %d desktops connecting", engine, len(sys.portals), head, o.desktops)

	prop := &propagation{writes: map[string]*write{}}
	var changes atomic.Int64
	var desktops sync.WaitGroup
	dctx, stopDesktops := context.WithCancel(ctx)
	defer stopDesktops()
	for i := range o.desktops {
		desktops.Add(1)
		go func() {
			defer desktops.Done()
			desktop(dctx, sys.portals[i%len(sys.portals)].url, head, prop, r.polls, &changes)
		}()
	}
	time.Sleep(3 * time.Second) // the desktops' first long polls are waiting

	queries := searchQueries(names)
	var next atomic.Int64
	pgStart, clientStart := pgCPU(sys.pg), selfCPU()
	for _, p := range sys.portals {
		m := scrapeAll(p)
		p.cpuStart, p.waitStart = m["process_cpu_seconds_total"], m["atrium_db_connection_wait_seconds_total"]
	}
	sampler, stopSampler := context.WithCancel(ctx)
	sampled := make(chan struct{})
	go func() { defer close(sampled); sampleRSS(sampler, sys.portals) }()
	start := time.Now()
	log.Printf("%s: load for %s: %.0f searches/s, %.0f writes/s", engine, o.duration, o.searches, o.writes)
	loadFor(ctx, o.duration, o.searches, o.writes, sys, queries, names, &next, prop, r.search, r.writes)
	r.elapsed = time.Since(start)
	stopSampler()
	<-sampled
	for _, p := range sys.portals {
		m := scrapeAll(p)
		r.cpu += (m["process_cpu_seconds_total"] - p.cpuStart) / r.elapsed.Seconds()
		r.poolWait += m["atrium_db_connection_wait_seconds_total"] - p.waitStart
		r.rss = max(r.rss, p.rssMax)
	}
	r.pgCPU = (pgCPU(sys.pg) - pgStart) / r.elapsed.Seconds()
	r.clientCPU = (selfCPU() - clientStart) / r.elapsed.Seconds()
	// Let the last writes reach everyone.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && !allSeen(prop, o.desktops) {
		time.Sleep(100 * time.Millisecond)
	}
	r.propP50, r.propP99, r.propMax, r.propagated, r.writesSent = propagationStats(prop, o.desktops)
	r.changes = int(changes.Load())
	log.Printf("%s: done; search p99 %s, change to all desktops p99 %s", engine, r.search.p99(), r.propP99)
	if e, ok := pollErr.Load().(string); ok {
		log.Printf("%s: a desktop's last error: %s", engine, e)
	}

	if o.ramp {
		r.sustainedRate = o.searches
		for rate := o.searches * 2; rate <= o.maxSearches; rate *= 2 {
			st := step{rate: rate}
			s, w := &samples{}, &samples{}
			t0 := time.Now()
			sent := loadFor(ctx, o.rampStep, rate, o.writes, sys, queries, names, &next, prop, s, w)
			st.achieved = float64(sent) / time.Since(t0).Seconds()
			st.n, st.errs, st.p50, st.p99 = s.stats()
			_, st.writeErrs, _, _ = w.stats()
			switch {
			case st.errs > 0 || st.writeErrs > 0:
				st.saturatedWhy = fmt.Sprintf("%d search and %d write errors", st.errs, st.writeErrs)
			case st.p99 > time.Second:
				st.saturatedWhy = "search p99 above 1 s"
			case st.achieved < 0.9*rate:
				st.saturatedWhy = fmt.Sprintf("only %.0f/s could be sent", st.achieved)
			}
			log.Printf("%s: ramp %.0f searches/s: p50 %s p99 %s errors %d %s", engine, rate, st.p50, st.p99, st.errs,
				st.saturatedWhy)
			r.ramp = append(r.ramp, st)
			if st.saturatedWhy != "" {
				r.saturatesAt = rate
				break
			}
			r.sustainedRate = rate
		}
	}
	stopDesktops()
	desktops.Wait()
	return r, nil
}

func (s *samples) p99() time.Duration { _, _, _, p := s.stats(); return p }

func allSeen(p *propagation, desktops int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.writes {
		if w.seen < desktops {
			return false
		}
	}
	return true
}

func propagationStats(p *propagation, desktops int) (p50, p99, maxd time.Duration, complete, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var all []time.Duration
	for _, w := range p.writes {
		total++
		if w.seen >= desktops {
			complete++
			all = append(all, w.last)
			maxd = max(maxd, w.last)
		}
	}
	return percentile(all, 0.5), percentile(all, 0.99), maxd, complete, total
}

// desktop long-polls the feed of one replica from cursor until ctx ends, as a desktop's sync loop does.
func desktop(ctx context.Context, base, cursor string, prop *propagation, polls *samples, changes *atomic.Int64) {
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		t0 := time.Now()
		body, code, err := getBody(ctx, base+"/api/v1/changes?wait=30&limit=500&cursor="+cursor)
		if ctx.Err() != nil {
			return
		}
		next, services := scanBatch(body)
		if err != nil || code != http.StatusOK || next == "" {
			polls.add(0, false)
			if err != nil {
				pollErr.Store(err.Error())
			} else {
				pollErr.Store(fmt.Sprintf("status %d: %.200s", code, body))
			}
			time.Sleep(backoff)
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 200 * time.Millisecond
		polls.add(time.Since(t0), true)
		now := time.Now()
		for _, id := range services {
			prop.received(id, now)
		}
		if next != cursor {
			changes.Add(1)
		}
		cursor = next
	}
}

// searchQueries are what people type: prefixes of the words in services' names, one to three words.
func searchQueries(names []string) []string {
	r := rand.New(rand.NewPCG(7, 11))
	var qs []string
	for range 2000 {
		words := strings.Split(names[r.IntN(len(names))], "-")
		var q []string
		for _, w := range words[:1+r.IntN(min(2, len(words)))] {
			if _, err := strconv.Atoi(w); err == nil {
				continue
			}
			q = append(q, w[:min(len(w), 2+r.IntN(4))])
		}
		if len(q) > 0 {
			qs = append(qs, strings.Join(q, " "))
		}
	}
	return qs
}

// loadFor sends searches and writes at their rates (open loop: a slow answer does not slow the sending) for d, and
// returns how many searches it sent.
func loadFor(ctx context.Context, d time.Duration, searches, writes float64, sys *system, queries, names []string,
	next *atomic.Int64, prop *propagation, ss, ws *samples) int {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	var sent atomic.Int64
	var inFlight atomic.Int64
	tick := func(rate float64, fn func(i int64)) {
		defer wg.Done()
		interval := time.Duration(float64(time.Second) / rate)
		t0 := time.Now()
		for i := int64(0); ; i++ {
			at := t0.Add(time.Duration(i) * interval)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(at)):
			}
			wg.Add(1)
			go func() { defer wg.Done(); fn(i) }()
		}
	}
	wg.Add(2)
	go tick(searches, func(i int64) {
		sent.Add(1)
		if inFlight.Add(1) > 2000 { // the portal stopped answering: counted, not piled up
			inFlight.Add(-1)
			ss.add(0, false)
			return
		}
		defer inFlight.Add(-1)
		p := sys.portals[int(i)%len(sys.portals)]
		q := queries[int(i)%len(queries)]
		t0 := time.Now()
		code, err := get(context.WithoutCancel(ctx), p.url+"/api/v1/services?limit=50&q="+urlEscape(q), nil)
		ss.add(time.Since(t0), err == nil && code == http.StatusOK)
	})
	go tick(writes, func(int64) {
		k := next.Add(1) - 1
		svc := names[int(k)%len(names)]
		p := sys.portals[int(k)%len(sys.portals)]
		body := fmt.Sprintf(`{"cluster":"bench-eu","namespace":"bench","kind":"Deployment","name":"w-%d","service":%q}`, k, svc)
		req, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, p.url+"/api/v1/kube/claims",
			strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		prop.sent(svc, t0)
		resp, err := client.Do(req)
		ok := err == nil && resp.StatusCode == http.StatusCreated
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		ws.add(time.Since(t0), ok)
	})
	wg.Wait()
	return int(sent.Load())
}

func urlEscape(s string) string { return strings.ReplaceAll(s, " ", "+") }

// scrape reads a portal's CPU seconds and resident memory from its /metrics.
func scrape(p *portal) (cpu, rss float64) {
	m := scrapeAll(p)
	return m["process_cpu_seconds_total"], m["process_resident_memory_bytes"]
}

// scrapeAll reads a portal's unlabelled samples from its /metrics.
func scrapeAll(p *portal) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get(p.metrics)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			out[name] = f
		}
	}
	return out
}

func sampleRSS(ctx context.Context, ps []*portal) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		for _, p := range ps {
			if _, rss := scrape(p); rss > p.rssMax {
				p.rssMax = rss
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// selfCPU is this process's CPU seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// pgCPU sums the CPU seconds of the PostgreSQL server's processes (the postmaster and its children).
func pgCPU(pg *pgtest.Server) float64 {
	if pg == nil {
		return 0
	}
	root := pg.Pid()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	ticks := 100.0 // USER_HZ on Linux
	total := 0.0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command (which may hold spaces) in parentheses.
		rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
		f := strings.Fields(rest)
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		if pid != root && ppid != root {
			continue
		}
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		total += (ut + st) / ticks
	}
	return total
}

func report(w *strings.Builder, o options, rs []result) {
	fmt.Fprintf(w, "Load: %d desktops long-polling the change feed (30 s waits), %.0f catalog searches/s and %.0f "+
		"catalog writes/s (workload claims) for %s, on a catalog of %d services; client and servers on one machine.\n\n",
		o.desktops, o.searches, o.writes, o.duration, o.services)
	fmt.Fprintln(w, "| | "+strings.Join(names(rs), " | ")+" |")
	fmt.Fprintln(w, "| --- |"+strings.Repeat(" --- |", len(rs)))
	row := func(label string, f func(r result) string) {
		var cells []string
		for _, r := range rs {
			cells = append(cells, f(r))
		}
		fmt.Fprintf(w, "| %s | %s |\n", label, strings.Join(cells, " | "))
	}
	row("search `GET /api/v1/services?q=` p50 / p99", func(r result) string {
		n, _, p50, p99 := r.search.stats()
		return fmt.Sprintf("%s / %s (%d requests)", ms(p50), ms(p99), n)
	})
	row("write `POST /api/v1/kube/claims` p50 / p99", func(r result) string {
		n, _, p50, p99 := r.writes.stats()
		return fmt.Sprintf("%s / %s (%d requests)", ms(p50), ms(p99), n)
	})
	row("long poll `GET /api/v1/changes?wait=30` answered", func(r result) string {
		n, _, _, _ := r.polls.stats()
		return fmt.Sprintf("%d (%d with changes)", n, r.changes)
	})
	row("errors (search / write / long poll)", func(r result) string {
		_, se, _, _ := r.search.stats()
		_, we, _, _ := r.writes.stats()
		_, pe, _, _ := r.polls.stats()
		return fmt.Sprintf("%d / %d / %d", se, we, pe)
	})
	row("a change reaches all desktops: p50 / p99 / max", func(r result) string {
		return fmt.Sprintf("%s / %s / %s (%d of %d writes reached all)", ms(r.propP50), ms(r.propP99), ms(r.propMax),
			r.propagated, r.writesSent)
	})
	row("portal CPU (all replicas)", func(r result) string { return fmt.Sprintf("%.2f cores", r.cpu) })
	row("PostgreSQL CPU", func(r result) string {
		if r.engine != "postgres" {
			return "—"
		}
		return fmt.Sprintf("%.2f cores", r.pgCPU)
	})
	row("portal RSS (largest replica, peak)", func(r result) string { return fmt.Sprintf("%.0f MiB", r.rss/(1<<20)) })
	row("time queries waited for a database connection", func(r result) string {
		return fmt.Sprintf("%.1f s in %s", r.poolWait, r.elapsed.Round(time.Second))
	})
	row("load generator CPU (the desktops' side)", func(r result) string { return fmt.Sprintf("%.2f cores", r.clientCPU) })
	if o.ramp {
		row("searches/s sustained (desktops and writes on)", func(r result) string {
			if r.saturatesAt == 0 {
				return fmt.Sprintf("≥ %.0f (the ramp's end)", r.sustainedRate)
			}
			why := ""
			for _, s := range r.ramp {
				if s.saturatedWhy != "" {
					why = s.saturatedWhy
				}
			}
			return fmt.Sprintf("%.0f; at %.0f: %s", r.sustainedRate, r.saturatesAt, why)
		})
		fmt.Fprintln(w)
		for _, r := range rs {
			fmt.Fprintf(w, "Ramp, %s: ", r.engine)
			var parts []string
			for _, s := range r.ramp {
				parts = append(parts, fmt.Sprintf("%.0f/s → p50 %s p99 %s, %d errors", s.rate, ms(s.p50), ms(s.p99), s.errs))
			}
			fmt.Fprintln(w, strings.Join(parts, "; ")+".")
			fmt.Fprintln(w)
		}
	}
}

func names(rs []result) []string {
	var out []string
	for _, r := range rs {
		if r.engine == "postgres" {
			out = append(out, fmt.Sprintf("PostgreSQL, %d replicas", r.replicas))
		} else {
			out = append(out, "SQLite, one portal")
		}
	}
	return out
}

func ms(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

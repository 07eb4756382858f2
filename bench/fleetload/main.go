// Command fleetload is the fleet configuration's load test (bench/RESULTS.md, issue 14): it starts a portal
// (atrium-server, as its own process so that its memory and CPU can be read), connects N simulated desktop installs
// to it — goroutines speaking the real change-feed long poll with the install's headers, each checking and
// applying configurations with the desktop's own code (fleet.Install: pin, verify, parse) — then pushes
// configurations and measures how long until every install applied each one (on the installs' side) and until the
// portal's installs list shows all of them on it, and samples the portal's RSS and CPU while they stay connected.
//
// With -poll D the installs poll every D without long polling instead: the side-by-side baseline.
//
//	go build -o build/bin/atrium-server ./backend/cmd/atrium-server   # or: task build:server
//	go run ./bench/fleetload -server build/bin/atrium-server -installs 1000 -pushes 5
//	go run ./bench/fleetload -server build/bin/atrium-server -installs 1000 -pushes 5 -poll 5s
//
// task bench:fleet runs both and the KPI's benchmarks.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/fleet"
	"github.com/sphera/atrium/internal/store"
)

const adminToken = "atr_fleetload_admin_0123456789abcdef"

func main() {
	server := flag.String("server", "", "path of the atrium-server binary (task build:server builds build/bin/atrium-server)")
	installs := flag.Int("installs", 1000, "simulated installs")
	pushes := flag.Int("pushes", 5, "configurations pushed, one after the other")
	wait := flag.Int("wait", 30, "long-poll seconds each install asks for")
	poll := flag.Duration("poll", 0, "poll every D instead of long polling (the baseline)")
	idle := flag.Duration("idle", 30*time.Second, "how long to sample the portal while every install stays connected")
	catchup := flag.Int("catchup", 50, "installs making their first sync (the whole catalog) at once, as desktops starting through a morning would")
	flag.Parse()
	if *server == "" {
		log.Fatal("-server is required")
	}
	if err := run(*server, *installs, *pushes, *wait, *poll, *idle, *catchup); err != nil {
		log.Fatal(err)
	}
}

// portal is the atrium-server process.
type portal struct {
	cmd *exec.Cmd
	url string
}

func startPortal(bin string) (*portal, error) {
	dir, err := os.MkdirTemp("", "fleetload-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--data", dir, "--demo", "on")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "ATRIUM_ADMIN_TOKEN=" + adminToken}
	r, w := io.Pipe()
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`msg="portal listening" addr=(127\.0\.0\.1:\d+)`)
		buf := make([]byte, 64<<10)
		var seen bytes.Buffer
		found := false
		for {
			n, err := r.Read(buf)
			if !found {
				seen.Write(buf[:n])
				if m := re.FindSubmatch(seen.Bytes()); m != nil {
					addr <- string(m[1])
					found = true
				}
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case a := <-addr:
		return &portal{cmd: cmd, url: "http://" + a}, nil
	case <-time.After(60 * time.Second):
		return nil, errors.New("the portal did not start within 60 s")
	}
}

func (p *portal) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM) // gone already is fine
	_ = p.cmd.Wait()
}

// usage is the portal process's resident memory and CPU time so far.
func (p *portal) usage() (rssMiB float64, cpu time.Duration, err error) {
	pid := p.cmd.Process.Pid
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			rssMiB = float64(kb) / 1024
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command name (which may hold spaces, inside parentheses): utime and stime are 14 and 15.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return rssMiB, time.Duration(utime+stime) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

// install is one simulated desktop.
type install struct {
	id      string
	inst    *fleet.Install
	cursor  string
	ready   atomic.Bool
	applied sync.Map // version → time applied
}

func (in *install) run(ctx context.Context, hc *http.Client, base string, wait int, poll time.Duration, errs *atomic.Int64,
	first chan struct{}) {
	first <- struct{}{} // a slot for the first sync
	released := false
	for ctx.Err() == nil {
		if in.ready.Load() && !released {
			<-first
			released = true
		}
		w := wait
		if poll > 0 || !in.ready.Load() {
			w = 0
		}
		b, err := in.changes(ctx, hc, base, w)
		if err != nil {
			if ctx.Err() == nil {
				errs.Add(1)
				time.Sleep(200 * time.Millisecond)
			}
			continue
		}
		var cfg *store.Change
		for i := range b.Changes {
			if b.Changes[i].Kind == store.KindFleet && b.Changes[i].Fleet != nil {
				cfg = &b.Changes[i]
			}
		}
		if cfg != nil {
			in.inst.Offer(b.FleetKey, cfg.Fleet)
		} else {
			in.inst.Offer(b.FleetKey, nil)
		}
		if _, v := in.inst.Applied(); v > 0 {
			in.applied.LoadOrStore(v, time.Now())
		}
		in.cursor = b.Cursor
		if b.Remaining == 0 {
			in.ready.Store(true)
		}
		if poll > 0 && in.ready.Load() {
			select {
			case <-ctx.Done():
			case <-time.After(poll):
			}
		}
	}
}

func (in *install) changes(ctx context.Context, hc *http.Client, base string, wait int) (store.Batch, error) {
	u := fmt.Sprintf("%s/api/v1/changes?limit=500&wait=%d&cursor=%s", base, wait, in.cursor)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return store.Batch{}, err
	}
	_, v := in.inst.Applied()
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set(api.HeaderInstall, in.id)
	req.Header.Set(api.HeaderAppVersion, "1.0.0")
	req.Header.Set(api.HeaderOS, runtime.GOOS+"/"+runtime.GOARCH)
	req.Header.Set(api.HeaderConfigVersion, strconv.FormatInt(v, 10))
	resp, err := hc.Do(req)
	if err != nil {
		return store.Batch{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return store.Batch{}, fmt.Errorf("changes: %d %s", resp.StatusCode, b)
	}
	var b store.Batch
	err = json.NewDecoder(resp.Body).Decode(&b)
	return b, err
}

func call(ctx context.Context, base, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func run(bin string, n, pushes, wait int, poll, idle time.Duration, catchup int) error {
	p, err := startPortal(bin)
	if err != nil {
		return err
	}
	defer p.stop()
	rss0, _, err := p.usage()
	if err != nil {
		return err
	}
	mode := fmt.Sprintf("long poll (wait=%ds)", wait)
	if poll > 0 {
		mode = fmt.Sprintf("polling every %v (baseline)", poll)
	}
	fmt.Printf("portal %s (pid %d), %d installs (%d first syncs at once), %s; GOMAXPROCS %d here; portal RSS at start %.1f MiB\n",
		p.url, p.cmd.Process.Pid, n, catchup, mode, runtime.GOMAXPROCS(0), rss0)

	tr := &http.Transport{MaxIdleConns: n + 10, MaxIdleConnsPerHost: n + 10, IdleConnTimeout: 5 * time.Minute,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext}
	hc := &http.Client{Transport: tr, Timeout: time.Duration(wait+30) * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errs atomic.Int64
	first := make(chan struct{}, max(catchup, 1))
	ins := make([]*install, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range ins {
		ins[i] = &install{id: fmt.Sprintf("ins_load%08d", i), inst: fleet.NewInstall(fleet.InstallState{})}
		wg.Add(1)
		go func() { defer wg.Done(); ins[i].run(ctx, hc, p.url, wait, poll, &errs, first) }()
	}
	for {
		ready := 0
		for _, in := range ins {
			if in.ready.Load() {
				ready++
			}
		}
		if ready == n {
			break
		}
		if time.Since(start) > 5*time.Minute {
			return fmt.Errorf("only %d of %d installs caught up in 5 minutes (%d errors)", ready, n, errs.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("all %d installs caught up with the feed in %v (%d request errors)\n", n, time.Since(start).Round(time.Millisecond), errs.Load())

	// Steady state: every install connected and waiting; the portal's memory and CPU.
	time.Sleep(2 * time.Second)
	rss1, cpu1, err := p.usage()
	if err != nil {
		return err
	}
	t1 := time.Now()
	time.Sleep(idle)
	rss2, cpu2, err := p.usage()
	if err != nil {
		return err
	}
	fmt.Printf("connected and idle for %v: portal RSS %.1f → %.1f MiB, CPU %.1f%% of one core (%v over %v)\n",
		idle.Round(time.Second), rss1, rss2, 100*float64(cpu2-cpu1)/float64(time.Since(t1)), (cpu2 - cpu1).Round(time.Millisecond),
		time.Since(t1).Round(time.Second))

	var worst time.Duration
	for k := 1; k <= pushes; k++ {
		_, cpuA, _ := p.usage()
		doc := map[string]any{"settings": map[string]any{"banner": map[string]any{"text": fmt.Sprintf("push %d", k), "level": "info"},
			"features": map[string]any{"matrix": k%2 == 0}}}
		t0 := time.Now()
		var v api.FleetVersion
		if err := call(ctx, p.url, http.MethodPost, "/api/v1/fleet/config", map[string]any{"config": doc}, &v); err != nil {
			return err
		}
		pushed := time.Since(t0)
		// On the installs' side: until each applied the version.
		var lat []time.Duration
		deadline := t0.Add(60 * time.Second)
		for {
			lat = lat[:0]
			for _, in := range ins {
				if at, ok := in.applied.Load(v.Version); ok {
					lat = append(lat, at.(time.Time).Sub(t0))
				}
			}
			if len(lat) == n || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		applied := len(lat)
		// On the portal's side: until its installs list shows every install on the version.
		var reported time.Duration
		for time.Now().Before(deadline) {
			var l fleet.InstallList
			if err := call(ctx, p.url, http.MethodGet, "/api/v1/fleet/installs?filter=stale_config", nil, &l); err != nil {
				return err
			}
			if l.Counts["all"] >= n && l.Counts[fleet.FilterStaleConfig] == 0 {
				reported = time.Since(t0)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		_, cpuB, _ := p.usage()
		fmt.Printf("push %d (version %d): POST answered in %v; applied by %d/%d installs: p50 %v p95 %v p99 %v p100 %v; "+
			"the portal lists all on it after %v; portal CPU for the push %v\n", k, v.Version, pushed.Round(time.Millisecond),
			applied, n, pct(lat, .5).Round(time.Millisecond), pct(lat, .95).Round(time.Millisecond),
			pct(lat, .99).Round(time.Millisecond), pct(lat, 1).Round(time.Millisecond), reported.Round(time.Millisecond),
			(cpuB - cpuA).Round(time.Millisecond))
		if applied < n {
			return fmt.Errorf("push %d: only %d of %d installs applied it within 60 s", k, applied, n)
		}
		worst = max(worst, pct(lat, 1))
		time.Sleep(time.Second)
	}
	rss3, _, _ := p.usage()
	fmt.Printf("worst p100 over %d pushes: %v; portal RSS at the end %.1f MiB; request errors %d\n", pushes,
		worst.Round(time.Millisecond), rss3, errs.Load())
	cancel()
	wg.Wait()
	tr.CloseIdleConnections()
	return nil
}

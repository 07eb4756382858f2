package cmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/sphera/atrium/app"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/backend/cli"
	"github.com/sphera/atrium/backend/server"
	"github.com/sphera/atrium/internal/catalog"
)

// TestMain keeps the tests off the machine's keyring (tokens given with --token are stored) and off the user's
// portal settings.
func TestMain(m *testing.M) {
	keyring.MockInit()
	for _, k := range []string{"ATRIUM_PORTAL", "ATRIUM_PORTAL_TOKEN", "ATRIUM_DATA", "ATRIUM_LOG", "ATRIUM_CONFIG", "ATRIUM_PPROF"} {
		if err := os.Unsetenv(k); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

var ui = fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>Atrium</title>")}}

type result struct {
	code        int
	out, stderr string
}

// atriumRun runs the command tree in-process, as the atrium binary would with args.
func atriumRun(t *testing.T, args ...string) result {
	t.Helper()
	root := New(ui)
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	code := cli.Run(context.Background(), root, args)
	return result{code, out.String(), errb.String()}
}

// demoData is a data directory whose local portal and replica hold the demo catalog.
func demoData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if r := atriumRun(t, "services", "--data", dir, "--limit", "1"); r.code != 0 {
		t.Fatalf("first run: %+v", r)
	}
	return dir
}

// apiGet answers path from the local API of a read-only runtime on dir, over loopback, checked against
// openapi.yaml: what the UI would get.
func apiGet(t *testing.T, dir, path string) any {
	t.Helper()
	rt, err := app.OpenReadOnly(context.Background(), dir, "", "", cli.NewLogger(io.Discard, true))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	}()
	srv := httptest.NewServer(rt.LocalAPI("test"))
	defer srv.Close()
	resp, err := (&http.Client{Transport: apitest.Transport(t, nil)}).Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	return v
}

// TestContract is issue #17's contract of the command line, run in-process against a local-mode data directory.
func TestContract(t *testing.T) {
	dir := demoData(t)
	t.Run("service NAME --json prints the service as the API returns it", func(t *testing.T) {
		r := atriumRun(t, "service", "payments-api", "--json", "--data", dir)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("%+v", r)
		}
		var got any
		if err := json.Unmarshal([]byte(r.out), &got); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, r.out)
		}
		if want := apiGet(t, dir, "/api/v1/services/payments-api"); !reflect.DeepEqual(got, want) {
			t.Errorf("CLI JSON differs from the API's:\ncli: %v\napi: %v", got, want)
		}
	})
	t.Run("services --json prints the API's page", func(t *testing.T) {
		r := atriumRun(t, "services", "--q", "pay", "--owner", "payments", "--json", "--data", dir)
		var got any
		if err := json.Unmarshal([]byte(r.out), &got); r.code != 0 || err != nil {
			t.Fatalf("%+v %v", r, err)
		}
		if want := apiGet(t, dir, "/api/v1/services?q=pay&owner=payments&limit=1000"); !reflect.DeepEqual(got, want) {
			t.Errorf("CLI JSON differs from the API's:\ncli: %v\napi: %v", got, want)
		}
	})
	t.Run("--help lists the subcommands", func(t *testing.T) {
		r := atriumRun(t, "--help")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("%+v", r)
		}
		for _, c := range []string{"web", "serve", "services", "service", "version", "completion", "help"} {
			if !regexp.MustCompile(`(?m)^  ` + c + ` +\S`).MatchString(r.out) {
				t.Errorf("help does not list %q:\n%s", c, r.out)
			}
		}
	})
	t.Run("--version and version print the version", func(t *testing.T) {
		for _, args := range [][]string{{"--version"}, {"version"}} {
			if r := atriumRun(t, args...); r.code != 0 || r.out != "atrium "+cli.Version()+"\n" || r.stderr != "" {
				t.Errorf("%v: %+v", args, r)
			}
		}
	})
	// The commands that only read write nothing to standard error, and the portal they open runs no worker.
	for _, args := range [][]string{
		{"services", "--q", "pay"},
		{"services", "pay", "--json"},
		{"search", "checkout"},
		{"service", "payments-api"},
		{"service", "payments-api", "--json"},
	} {
		t.Run(strings.Join(args, " ")+" writes no log lines", func(t *testing.T) {
			r := atriumRun(t, append(args, "--data", dir)...)
			if r.code != 0 || r.stderr != "" || r.out == "" {
				t.Errorf("%+v", r)
			}
			t.Setenv("ATRIUM_LOG", "debug")
			r = atriumRun(t, append(args, "--data", dir)...)
			if r.code != 0 || !strings.Contains(r.stderr, `msg=connected mode=local`) {
				t.Fatalf("with ATRIUM_LOG=debug, the log should show: %+v", r)
			}
			// Run returns after the runtime closed, which waits for the portal's goroutines: a worker, had one
			// started, would have logged this.
			if strings.Contains(r.stderr, "action worker started") {
				t.Errorf("a read-only command started the action worker:\n%s", r.stderr)
			}
		})
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	dir := demoData(t)
	for _, args := range [][]string{
		{"service", "payments-api", "--json", "--data", dir},
		{"service", "--json", "payments-api", "--data", dir},
		{"--data", dir, "service", "payments-api", "--json"},
		{"service", "payments-api", "--data=" + dir, "--json=true"},
		{"-data", dir, "service", "payments-api", "-json"}, // as Go's flag package read them
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := atriumRun(t, args...)
			var s catalog.Service
			if err := json.Unmarshal([]byte(r.out), &s); r.code != 0 || err != nil || s.Name != "payments-api" {
				t.Errorf("%+v %v", r, err)
			}
		})
	}
	for _, args := range [][]string{
		{"services", "checkout", "--owner", "payments", "--data", dir},
		{"services", "--data", dir, "--q", "checkout", "--owner=payments"},
		{"services", "-q", "checkout", "-owner", "payments", "-data", dir},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := atriumRun(t, args...)
			if r.code != 0 || !strings.Contains(r.out, "checkout-web") || strings.Contains(r.out, "checkout-api ") {
				t.Errorf("%+v", r)
			}
		})
	}
}

// TestServiceShowsWhatTheServicePageShows: the human output of `atrium service NAME` carries the facts of the
// service page: owner, repository, language, every deployment (cluster, environment, region, image, health),
// every finding, every link — not only dependencies.
func TestServiceShowsWhatTheServicePageShows(t *testing.T) {
	dir := demoData(t)
	// One service with deployments and links, and one with findings.
	var page struct{ Items []struct{ Name string } }
	all := atriumRun(t, "services", "--json", "--data", dir)
	if err := json.Unmarshal([]byte(all.out), &page); err != nil {
		t.Fatal(err)
	}
	names := []string{"payments-api"}
	for _, it := range page.Items {
		var s catalog.Service
		if err := json.Unmarshal([]byte(atriumRun(t, "service", it.Name, "--json", "--data", dir).out), &s); err != nil {
			t.Fatal(err)
		}
		if len(s.Findings) > 0 {
			names = append(names, s.Name)
			break
		}
	}
	if len(names) != 2 {
		t.Fatal("the demo catalog has no service with findings")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			var s catalog.Service
			if err := json.Unmarshal([]byte(atriumRun(t, "service", name, "--json", "--data", dir).out), &s); err != nil {
				t.Fatal(err)
			}
			r := atriumRun(t, "service", name, "--data", dir)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("%+v", r)
			}
			want := []string{s.Name, s.Owner, s.Language, s.Lifecycle, s.Repository.URL, "deployments:", "findings:", "links:"}
			for _, d := range s.Deployments {
				want = append(want, d.Cluster, d.Environment, d.Region, d.Image, d.Health)
			}
			for _, f := range s.Findings {
				want = append(want, f.Summary)
			}
			for _, l := range s.Links {
				want = append(want, l.Title, l.URL)
			}
			for _, d := range s.Dependencies {
				want = append(want, d.Name)
			}
			for _, w := range want {
				if !strings.Contains(r.out, w) {
					t.Errorf("output lacks %q:\n%s", w, r.out)
				}
			}
			if name == "payments-api" && (len(s.Deployments) == 0 || len(s.Links) == 0) {
				t.Errorf("payments-api should have deployments and links in the demo: %+v", s)
			}
		})
	}
}

func TestDidYouMean(t *testing.T) {
	dir := demoData(t)
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"servics"}, cli.ExitUsage, `atrium: unknown command "servics" — did you mean "service" or "services"? (see 'atrium --help')`},
		{[]string{"sevre", "--addr", "x"}, cli.ExitUsage, `atrium: unknown command "sevre" — did you mean "score" or "serve"? (see 'atrium --help')`},
		{[]string{"service", "paymnets-api", "--data", dir}, cli.ExitError, `atrium: no service named "paymnets-api" — did you mean payments-api?`},
		{[]string{"service", "ledger", "--data", dir}, cli.ExitError, `atrium: no service named "ledger" — did you mean ledger-service`},
		{[]string{"service", "zzzzzzzzzz", "--data", dir}, cli.ExitError, `atrium: no service named "zzzzzzzzzz" (atrium services lists them)`},
		{[]string{"service", "--data", dir}, cli.ExitUsage, `atrium: usage: atrium service NAME (see 'atrium service --help')`},
		{[]string{"services", "--bogus"}, cli.ExitUsage, `atrium: unknown flag: --bogus (see 'atrium services --help')`},
		{[]string{"web", "--addr", "0.0.0.0:7788", "--data", dir}, cli.ExitUsage, "is not a loopback address"},
		{[]string{"serve", "--portal", "http://example.com"}, cli.ExitUsage, "--portal is the desktop's flag"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := atriumRun(t, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) || strings.Count(r.stderr, "\n") != 1 || r.out != "" {
				t.Errorf("got exit %d, stdout %q, stderr %q; want exit %d and one line with %q", r.code, r.out, r.stderr, tc.code, tc.stderr)
			}
		})
	}
}

// TestErrorsKeepSecrets: a portal URL carrying credentials or a token is refused without repeating them.
func TestErrorsKeepSecrets(t *testing.T) {
	for _, portal := range []string{
		"https://dana:hunter2@atrium.example.com",
		"https://atrium.example.com/?token=hunter2",
		"https://atrium.example.com/#hunter2",
		"ftp://dana:hunter2@atrium.example.com",
		"https://atrium.example.com/%zzhunter2",
	} {
		t.Run(portal, func(t *testing.T) {
			r := atriumRun(t, "services", "--portal", portal, "--data", t.TempDir())
			if r.code != cli.ExitError || !strings.HasPrefix(r.stderr, "atrium: portal URL") || strings.Contains(r.stderr, "hunter2") {
				t.Errorf("exit %d, stderr %q", r.code, r.stderr)
			}
		})
	}
}

func TestCompletion(t *testing.T) {
	dir := demoData(t)
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if r := atriumRun(t, "completion", shell); r.code != 0 || !strings.Contains(r.out, "atrium") || r.stderr != "" {
			t.Errorf("completion %s: exit %d, stderr %q", shell, r.code, r.stderr)
		}
	}
	complete := func(args ...string) []string {
		t.Helper()
		r := atriumRun(t, append([]string{"__complete"}, args...)...)
		if r.code != 0 {
			t.Fatalf("__complete %v: %+v", args, r)
		}
		lines := strings.Split(strings.TrimSpace(r.out), "\n")
		return lines[:len(lines)-1] // the last line is the directive
	}
	if got := complete("--data", dir, "service", "payments-"); !reflect.DeepEqual(got, []string{"payments-api", "payments-sdk-js"}) {
		t.Errorf("service payments-<TAB>: %q", got)
	}
	if got := complete("service", "ledg", "--data", dir); len(got) != 0 {
		t.Errorf("the last word is --data's value, not a name: %q", got)
	}
	if got := complete("service", "--data", dir, "ledg"); !reflect.DeepEqual(got, []string{"ledger-service"}) {
		t.Errorf("service ledg<TAB>: %q", got)
	}
	if got := complete("service", "payments-api", "--data", dir, ""); len(got) != 0 {
		t.Errorf("service takes one name: %q", got)
	}
	if got := complete("services", "--sort", ""); !reflect.DeepEqual(got, []string{"name", "owner", "language", "lifecycle",
		"repository", "synced_at", "signals"}) {
		t.Errorf("services --sort <TAB>: %q", got)
	}
	if got := complete("services", "--order", ""); !reflect.DeepEqual(got, []string{"asc", "desc"}) {
		t.Errorf("services --order <TAB>: %q", got)
	}
	if got := complete("serv"); !reflect.DeepEqual(got, []string{"serve\tRun the portal API server",
		"service\tShow one service: owner, repository, deployments, findings, dependencies, links",
		"services\tList and search services"}) {
		t.Errorf("serv<TAB>: %q", got)
	}
	// Completion reads the replica only: it makes no data directory and starts no portal.
	fresh := filepath.Join(t.TempDir(), "none")
	if got := complete("--data", fresh, "service", ""); len(got) != 0 {
		t.Errorf("no replica, yet names: %q", got)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("completion created the data directory: %v", err)
	}
}

// TestPortalUnreachable: a team portal that cannot be reached is said once, on standard error; the replica of its
// last sync answers, and with no replica there is nothing to answer with.
func TestPortalUnreachable(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	const admin = "atr_cli_admin_token_0123456789abc"
	go func() {
		done <- server.Serve(ctx, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: admin, Demo: "on",
			Log: cli.NewLogger(io.Discard, true)}, func(a string) { ready <- a })
	}()
	var portal string
	select {
	case a := <-ready:
		portal = "http://" + a
	case err := <-done:
		t.Fatal(err)
	}
	dir := t.TempDir()
	if r := atriumRun(t, "services", "--q", "pay", "--portal", portal, "--token", admin, "--data", dir); r.code != 0 ||
		r.stderr != "" || !strings.Contains(r.out, "payments-api") {
		t.Fatalf("from the portal: %+v", r)
	}
	// The runtime's client shares http.DefaultTransport, which may hold a connection it dialed and never used; a
	// process would have closed it on exit, and the portal's shutdown waits 5 s for such a connection.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The portal is remembered (settings) with its token (keyring): no flags needed.
	r := atriumRun(t, "service", "payments-api", "--data", dir)
	if r.code != 0 || !strings.Contains(r.out, "payments-api") ||
		!regexp.MustCompile(`^atrium: offline: .* — showing data as of \S+\n$`).MatchString(r.stderr) {
		t.Errorf("offline: %+v", r)
	}
	r = atriumRun(t, "services", "--portal", portal, "--data", t.TempDir())
	if r.code != cli.ExitError || !strings.HasPrefix(r.stderr, "atrium: no catalog yet: the replica has never synced: portal unreachable: "+portal) {
		t.Errorf("never synced: %+v", r)
	}
}

// lineReader collects what a command writes while the test waits for a line matching a pattern.
type lineReader struct {
	lines chan string
	mu    sync.Mutex
	all   strings.Builder
}

func newLineReader(r io.Reader) *lineReader {
	l := &lineReader{lines: make(chan string, 100)}
	go func() {
		defer close(l.lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			l.mu.Lock()
			l.all.WriteString(sc.Text() + "\n")
			l.mu.Unlock()
			select {
			case l.lines <- sc.Text():
			default: // nobody waits any more: keep draining
			}
		}
	}()
	return l
}

func (l *lineReader) await(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case s, ok := <-l.lines:
			if !ok {
				t.Fatalf("output ended without %s", re)
			}
			if m := re.FindStringSubmatch(s); m != nil {
				return m
			}
		case <-timeout:
			t.Fatalf("no line matching %s", re)
		}
	}
}

func (l *lineReader) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.String()
}

// running starts atrium with args until the test stops it; it returns readers of standard output and error, and
// a stop function returning the exit code.
func running(t *testing.T, args ...string) (out, stderr *lineReader, stop func() int) {
	t.Helper()
	root := New(ui)
	or, ow := io.Pipe()
	er, ew := io.Pipe()
	root.SetOut(ow)
	root.SetErr(ew)
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() {
		code <- cli.Run(ctx, root, args)
		_ = ow.Close() // a pipe's Close always returns nil
		_ = ew.Close()
	}()
	out, stderr = newLineReader(or), newLineReader(er)
	return out, stderr, func() int { cancel(); return <-code }
}

// TestLongRunningCommands: the window falls back to serving the browser UI without a display, `atrium web`
// serves it, and `atrium serve` serves the portal with its documented flags — all log from INFO up.
func TestLongRunningCommands(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	urlRE := regexp.MustCompile(`^Atrium is running at (http://127\.0\.0\.1:\d+)/\?token=(\S+)$`)
	for _, args := range [][]string{{"--addr", "127.0.0.1:0"}, {"web", "--addr", "127.0.0.1:0"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, stderr, stop := running(t, append(args, "--data", t.TempDir())...)
			m := out.await(t, urlRE)
			req, _ := http.NewRequest("GET", m[1]+"/api/v1/services?q=pay", nil)
			req.Header.Set("Authorization", "Bearer "+m[2])
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("the served API: %v %v", resp, err)
			}
			resp.Body.Close()
			if code := stop(); code != 0 {
				t.Errorf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stderr.String(), "level=INFO msg=connected") {
				t.Errorf("a long-running command logs at INFO:\n%s", stderr)
			}
			if len(args) == 2 && !strings.Contains(stderr.String(), "atrium: no display") {
				t.Errorf("the window's fallback is not said:\n%s", stderr)
			}
		})
	}
	t.Run("serve", func(t *testing.T) {
		dir := t.TempDir()
		config := filepath.Join(dir, "atrium.yaml")
		if err := os.WriteFile(config, []byte("flags:\n  approvers:\n    prod: [platform_approver]\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("ATRIUM_ADMIN_TOKEN", "atr_cli_serve_admin_0123456789abcd")
		_, stderr, stop := running(t, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo", "on", "--config", config,
			"--flag-environments", "dev,prod", "--trusted-proxies", "10.0.0.0/8", "--flag-stale-days", "10")
		m := stderr.await(t, regexp.MustCompile(`msg="portal listening" addr=(127\.0\.0\.1:\d+)`))
		req, _ := http.NewRequest("GET", "http://"+m[1]+"/api/v1/flags/environments", nil)
		req.Header.Set("Authorization", "Bearer atr_cli_serve_admin_0123456789abcd")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("flag environments: %v %v", resp, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"prod"`) || strings.Contains(string(b), `"staging"`) {
			t.Errorf("--flag-environments dev,prod not applied: %s", b)
		}
		if code := stop(); code != 0 {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("serve --help", func(t *testing.T) {
		r := atriumRun(t, "serve", "--help")
		for _, f := range []string{"--addr", "--data", "--demo", "--config", "--kube-clusters", "--flag-environments",
			"--flag-stale-days", "--trusted-proxies"} {
			if !strings.Contains(r.out, f+" ") {
				t.Errorf("serve --help lacks %s", f)
			}
		}
		if strings.Contains(r.out, "--portal") || strings.Contains(r.out, "--token") {
			t.Errorf("serve --help shows the desktop's flags:\n%s", r.out)
		}
		if r := atriumRun(t, "--help"); !strings.Contains(r.out, "--portal") {
			t.Errorf("hiding them for serve hid them for good:\n%s", r.out)
		}
	})
}

// TestProfiles: $ATRIUM_PPROF serves Go's profiles on a loopback address for as long as the command runs, and an
// address off the loopback interface is refused before anything starts.
func TestProfiles(t *testing.T) {
	t.Setenv("ATRIUM_PPROF", "0.0.0.0:0")
	if r := atriumRun(t, "web", "--addr", "127.0.0.1:0", "--data", t.TempDir()); r.code != 1 || !strings.Contains(r.stderr, "$ATRIUM_PPROF") {
		t.Errorf("a profile address off loopback: %+v", r)
	}
	t.Setenv("ATRIUM_PPROF", "127.0.0.1:0")
	out, stderr, stop := running(t, "web", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	m := stderr.await(t, regexp.MustCompile(`msg="profiles served" addr=(127\.0\.0\.1:\d+)`))
	out.await(t, regexp.MustCompile(`^Atrium is running at`))
	resp, err := http.Get("http://" + m[1] + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "# HeapInuse = ") {
		t.Errorf("the heap profile: %d %.200s", resp.StatusCode, b)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestScoreAndGateContract(t *testing.T) {
	dir := demoData(t)
	page := apiGet(t, dir, "/api/v1/scorecards?below=true&limit=1").(map[string]any)
	below := page["items"].([]any)[0].(map[string]any)["service"].(string)
	page = apiGet(t, dir, "/api/v1/scorecards?below=false&limit=1").(map[string]any)
	above := page["items"].([]any)[0].(map[string]any)["service"].(string)

	t.Run("score SERVICE --json prints the scorecard as the API returns it", func(t *testing.T) {
		r := atriumRun(t, "score", below, "--json", "--data", dir)
		var got any
		if err := json.Unmarshal([]byte(r.out), &got); r.code != 0 || r.stderr != "" || err != nil {
			t.Fatalf("%+v %v", r, err)
		}
		if want := apiGet(t, dir, "/api/v1/services/"+below+"/scorecard"); !reflect.DeepEqual(got, want) {
			t.Errorf("CLI JSON differs from the API's:\ncli: %v\napi: %v", got, want)
		}
	})
	t.Run("score SERVICE says what fails and how to fix it", func(t *testing.T) {
		r := atriumRun(t, "score", below, "--data", dir)
		if r.code != 0 || !strings.Contains(r.out, "below: production deploys are refused") ||
			!strings.Contains(r.out, "failed") || !strings.Contains(r.out, "to fix ") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("gate refuses a service below the threshold: exit 1, failing rules printed", func(t *testing.T) {
		r := atriumRun(t, "gate", below, "--env", "production", "--data", dir)
		if r.code != cli.ExitError || !strings.Contains(r.out, "refused") || !strings.Contains(r.out, "failing rules:") ||
			!strings.Contains(r.stderr, "atrium: "+below+" may not be deployed to production") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("gate allows a service at or above the threshold: exit 0", func(t *testing.T) {
		r := atriumRun(t, "gate", above, "--env", "production", "--data", dir, "--json")
		var d map[string]any
		if err := json.Unmarshal([]byte(r.out), &d); r.code != 0 || err != nil || d["allowed"] != true {
			t.Fatalf("%+v %v", r, err)
		}
		for _, k := range []string{"allowed", "score", "threshold", "failing"} {
			if _, ok := d[k]; !ok {
				t.Errorf("the answer lacks %q: %v", k, d)
			}
		}
	})
	t.Run("gate without --env is a usage error", func(t *testing.T) {
		if r := atriumRun(t, "gate", above, "--data", dir); r.code != cli.ExitUsage {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("gate of an unknown service fails naming it", func(t *testing.T) {
		if r := atriumRun(t, "gate", "no-such-service", "--env", "production", "--data", dir); r.code != cli.ExitError ||
			!strings.Contains(r.stderr, "no-such-service") {
			t.Fatalf("%+v", r)
		}
	})
}

// A service whose language Atrium does not read the dependencies of says so: "not checked", never "none" or 0
// outdated, as the catalog's signals cell does. A Go service without outdated dependencies still says 0.
func TestDependenciesNotCheckedAreNotNone(t *testing.T) {
	dir := demoData(t)
	r := atriumRun(t, "services", "--data", dir)
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	var checked, unchecked int
	for _, line := range strings.Split(r.out, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[0] == "SERVICE" {
			continue
		}
		lang := f[2]
		notChecked := strings.HasSuffix(line, "not checked")
		switch {
		case catalog.DependenciesRead(lang) && notChecked:
			t.Errorf("a %s service reads as not checked: %q", lang, line)
		case !catalog.DependenciesRead(lang) && !notChecked:
			t.Errorf("a %s service claims a count of outdated dependencies: %q", lang, line)
		case notChecked:
			unchecked++
		default:
			checked++
		}
	}
	if checked == 0 || unchecked == 0 {
		t.Fatalf("the demo should list services of both kinds (checked %d, not checked %d):\n%s", checked, unchecked, r.out)
	}

	py := atriumRun(t, "service", "fraud-scorer", "--data", dir)
	if py.code != 0 || !strings.Contains(py.out, "dependencies: not checked") || strings.Contains(py.out, "dependencies: none") {
		t.Errorf("fraud-scorer (Python):\n%+v", py)
	}
	goSvc := atriumRun(t, "service", "payments-api", "--data", dir)
	if goSvc.code != 0 || strings.Contains(goSvc.out, "not checked") {
		t.Errorf("payments-api (Go):\n%+v", goSvc)
	}
}

// A wrong value of services' --sort, --order or --limit is a wrong command line (exit 2, saying what is allowed),
// found before the portal is asked; every --sort the CLI offers, the API takes.
func TestServicesFlagsAreChecked(t *testing.T) {
	dir := demoData(t)
	for _, args := range [][]string{{"--sort", "bogus"}, {"--order", "up"}, {"--limit", "0"}, {"--limit", "1001"}} {
		r := atriumRun(t, append([]string{"services", "--data", dir}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, args[0]) || !strings.Contains(r.stderr, "must be") || r.out != "" {
			t.Errorf("services %v: %+v", args, r)
		}
	}
	for _, s := range serviceSorts {
		for _, o := range []string{"asc", "desc"} {
			if r := atriumRun(t, "services", "--data", dir, "--sort", s, "--order", o, "--limit", "3"); r.code != 0 || !strings.Contains(r.out, "3 of ") {
				t.Errorf("services --sort %s --order %s: %+v", s, o, r)
			}
		}
	}
}

// Filter values match the catalog's without regard to case, as the README's `--language go` example expects.
func TestServicesFiltersIgnoreCase(t *testing.T) {
	dir := demoData(t)
	count := func(args ...string) string {
		t.Helper()
		r := atriumRun(t, append([]string{"services", "--data", dir}, args...)...)
		lines := strings.Split(strings.TrimSpace(r.out), "\n")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("services %v: %+v", args, r)
		}
		return lines[len(lines)-1]
	}
	for _, c := range [][2][]string{
		{{"--language", "Go"}, {"--language", "go"}},
		{{"--language", "Go,Python"}, {"--language", " GO , python"}},
		{{"--owner", "payments", "--lifecycle", "production"}, {"--owner", "Payments", "--lifecycle", "PRODUCTION"}},
	} {
		exact, folded := count(c[0]...), count(c[1]...)
		if exact != folded || strings.HasPrefix(exact, "0 of") {
			t.Errorf("%v: %q, %v: %q", c[0], exact, c[1], folded)
		}
	}
	if got := count("--language", "cobol"); got != "0 of 0 services" {
		t.Errorf("an unknown language: %q", got)
	}
}

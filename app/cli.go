// Package app is Atrium's desktop shell and command line: the Wails window, the browser mode, the local API in
// front of the SQLite replica, and the subcommands of the atrium binary.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/sphera/atrium/app/replica"
	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/backend/server"
)

const usage = `Atrium — the developer portal.

Usage:
  atrium [flags]              open the desktop window (local mode on a demo catalog unless a portal is set)
  atrium web [flags]          serve the same UI to a browser on 127.0.0.1 (prints the URL to open)
  atrium serve [flags]        run the portal API server
  atrium services [flags]     list services (--json for JSON)
  atrium service NAME         show one service (--json for JSON)
  atrium agent [flags]        run a cluster's agent: apply the portal's work to the cluster (docs/agent.md)
  atrium version

Run "atrium COMMAND -h" for a command's flags.
`

// Main runs the atrium command line with args (without the program name) and returns the exit code.
func Main(args []string, ui fs.FS) int {
	log := newLogger(os.Stderr)
	cmd := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd {
	case "":
		err = runDesktop(ctx, args, ui, log)
	case "web":
		err = runWeb(ctx, args, ui, log)
	case "serve":
		err = runServe(ctx, args, log)
	case "services", "search":
		err = runServices(ctx, args, log, os.Stdout)
	case "service":
		err = runService(ctx, args, log, os.Stdout)
	case "agent":
		err = runAgent(ctx, args, log)
	case "version":
		fmt.Println("atrium", versionString())
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "atrium: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "atrium:", err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if strings.EqualFold(os.Getenv("ATRIUM_LOG"), "debug") {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// clientFlags are the flags of commands that open the desktop runtime.
type clientFlags struct {
	data, portal, token string
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.data, "data", DefaultDataDir(), "directory of the replica, settings and (local mode) the portal database")
	fs.StringVar(&c.portal, "portal", os.Getenv("ATRIUM_PORTAL"), "URL of a team portal (default: the saved setting, else local mode)")
	fs.StringVar(&c.token, "token", "", "portal API token, stored for next time (default: $ATRIUM_PORTAL_TOKEN or the stored one)")
}

func (c *clientFlags) open(ctx context.Context, log *slog.Logger) (*Runtime, error) {
	tok := c.token
	if tok == "" {
		tok = os.Getenv("ATRIUM_PORTAL_TOKEN")
	}
	return Open(ctx, c.data, c.portal, tok, log)
}

func runDesktop(ctx context.Context, args []string, ui fs.FS, log *slog.Logger) error {
	fset := flag.NewFlagSet("atrium", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fset)
	addr := fset.String("addr", "127.0.0.1:0", "where to serve the UI when no window can be opened")
	if err := fset.Parse(args); err != nil {
		return err
	}
	rt, err := cf.open(ctx, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	err = rt.RunDesktop(ctx, ui)
	if !errors.Is(err, ErrNoDesktop) {
		return err
	}
	if HasDisplay() {
		fmt.Fprintln(os.Stderr, "atrium: this binary was built without the desktop window (go build -tags desktop,production,webkit2_41); serving the UI to a browser instead.")
	} else {
		fmt.Fprintln(os.Stderr, "atrium: no display (DISPLAY/WAYLAND_DISPLAY unset); serving the UI to a browser instead.")
	}
	return rt.ServeWeb(ctx, *addr, ui, printURL)
}

func printURL(url string) {
	fmt.Printf("Atrium is running at %s\n(open that URL in a browser; press Ctrl+C to stop)\n", url)
}

func runWeb(ctx context.Context, args []string, ui fs.FS, log *slog.Logger) error {
	fset := flag.NewFlagSet("atrium web", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fset)
	addr := fset.String("addr", "127.0.0.1:7788", "loopback address to listen on (port 0 picks a free one)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if err := LoopbackOnly(*addr); err != nil {
		return err
	}
	rt, err := cf.open(ctx, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	return rt.ServeWeb(ctx, *addr, ui, printURL)
}

func runServe(ctx context.Context, args []string, log *slog.Logger) error {
	fset := flag.NewFlagSet("atrium serve", flag.ContinueOnError)
	cfg := server.Config{Log: log}
	cfg.RegisterFlags(fset)
	if err := fset.Parse(args); err != nil {
		return err
	}
	if err := cfg.FromEnv(); err != nil {
		return err
	}
	return server.Serve(ctx, cfg, nil)
}

// cliClient opens the runtime and returns a client of its local API, after the replica's first sync (or after it
// turned out to be offline, in which case the replica's data is used as it is).
func cliClient(ctx context.Context, cf *clientFlags, log *slog.Logger) (*client.Client, *Runtime, error) {
	rt, err := cf.open(ctx, log)
	if err != nil {
		return nil, nil, err
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		_, _, loop, _ := rt.State()
		st := loop.Status()
		if st.State != replica.StateSyncing {
			if st.State != replica.StateUpToDate {
				fmt.Fprintf(os.Stderr, "atrium: %s: %s — showing data as of %s\n", st.State, st.Message, st.AsOf.Format(time.RFC3339))
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := client.New("http://atrium.local", "")
	c.HTTP.Transport = inProcess{h: rt.LocalAPI("cli"), p: localPrincipal()}
	return c, rt, nil
}

func runServices(ctx context.Context, args []string, log *slog.Logger, out io.Writer) error {
	fset := flag.NewFlagSet("atrium services", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fset)
	var q client.ServiceQuery
	fset.StringVar(&q.Q, "q", "", "search text")
	fset.StringVar(&q.Owner, "owner", "", "owner team(s), comma-separated")
	fset.StringVar(&q.Language, "language", "", "language(s), comma-separated")
	fset.StringVar(&q.Lifecycle, "lifecycle", "", "lifecycle(s), comma-separated")
	fset.StringVar(&q.Sort, "sort", "", "name, owner, language, lifecycle, repository or synced_at")
	fset.IntVar(&q.Limit, "limit", 1000, "at most this many")
	asJSON := fset.Bool("json", false, "print JSON")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if q.Q == "" && fset.NArg() > 0 {
		q.Q = strings.Join(fset.Args(), " ")
	}
	c, rt, err := cliClient(ctx, &cf, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	page, err := c.Services(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(page)
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tOWNER\tLANGUAGE\tLIFECYCLE\tFINDINGS\tOUTDATED")
	for _, s := range page.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", s.Name, s.Owner, s.Language, s.Lifecycle, s.Findings, s.Outdated)
	}
	tw.Flush()
	fmt.Fprintf(out, "%d of %d services\n", len(page.Items), page.Total)
	return nil
}

func runService(ctx context.Context, args []string, log *slog.Logger, out io.Writer) error {
	fset := flag.NewFlagSet("atrium service", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fset)
	asJSON := fset.Bool("json", false, "print JSON")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if fset.NArg() != 1 {
		return errors.New("usage: atrium service NAME")
	}
	c, rt, err := cliClient(ctx, &cf, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	s, err := c.Service(ctx, fset.Arg(0))
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	fmt.Fprintf(out, "%s — %s\nowner %s · %s · %s · %s\nrepository %s\n", s.Name, s.Description, s.Owner, s.Language,
		s.Lifecycle, s.Type, s.Repository.URL)
	if len(s.Dependencies) > 0 {
		fmt.Fprintln(out, "\ndependencies:")
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		for _, d := range s.Dependencies {
			behind := d.Behind()
			if behind != "" {
				behind = "(" + behind + " behind " + d.Latest + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", d.Ecosystem, d.Name, d.Version, behind)
		}
		tw.Flush()
	}
	for _, f := range s.Findings {
		fmt.Fprintf(out, "\n[%s] %s\n  %s\n", f.Severity, f.Summary, f.Detail)
	}
	return nil
}

func versionString() string {
	return api.Version
}

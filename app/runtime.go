// Package app is the desktop side of Atrium: a Runtime holds the local replica of the catalog, keeps it in sync with
// a portal (a team's, or one running in-process on a demo catalog in local mode), and serves the UI to the Wails
// window or, with `atrium web`, to a browser on loopback.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/sphera/atrium/app/replica"
	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/backend/server"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/fleet"
	"github.com/sphera/atrium/internal/store"
)

// Modes of a desktop.
const (
	ModeLocal  = "local"  // the portal runs in this process on a demo catalog
	ModeRemote = "remote" // a team portal
)

// Settings are what a user sets in the Settings page; they persist in settings.json of the data directory.
type Settings struct {
	PortalURL string `json:"portal_url"`
}

// Runtime is a running desktop: its replica, the sync loop, and the portal it talks to (in-process or remote).
// Connect switches portals without a restart.
type Runtime struct {
	DataDir string
	Log     *slog.Logger
	Replica *store.DB

	mu       sync.Mutex
	mode     string
	portal   string // URL in remote mode
	tokens   TokenStore
	loop     *replica.Loop
	stopLoop context.CancelFunc
	loopDone chan struct{}
	forward  http.Handler
	local    *server.Server // in local mode
	features *features      // the UI's own flags, from the current portal; nil when readOnly
	signin   signIn         // single sign-on in progress
	readOnly bool           // see OpenReadOnly
	client   *client.Client // the portal's client (usage events go through it)
	fleet    *fleetAgent    // the fleet configuration (fleet.go)
	outbox   *fleet.Outbox  // usage events waiting for the portal (usage.go)
	stopUse  context.CancelFunc
	useDone  chan struct{}
	persona  string // the demo persona the UI acts as in local mode ("" or PersonaYou: the OS user)
}

// DefaultDataDir is where a desktop keeps its replica and settings when --data is not given.
func DefaultDataDir() string {
	if d := os.Getenv("ATRIUM_DATA"); d != "" {
		return d
	}
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
		if x := os.Getenv("XDG_DATA_HOME"); x != "" {
			return filepath.Join(x, "atrium")
		}
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, ".local", "share", "atrium")
		}
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "Atrium")
	}
	return ".atrium"
}

// Open opens the replica in dataDir and connects: to portalURL when given (token may be empty to use the stored
// one), else to the portal of the saved settings, else to an in-process portal in local mode.
func Open(ctx context.Context, dataDir, portalURL, token string, log *slog.Logger) (*Runtime, error) {
	return open(ctx, dataDir, portalURL, token, log, false)
}

// OpenReadOnly is Open for a command that only reads (atrium services, atrium service): in local mode the
// in-process portal runs no action worker, so a command that answers and exits never starts, or cuts short, the
// work of an action — runnable actions wait in portal.db for the next window or `atrium web`. The UI's feature
// flags are not evaluated either.
func OpenReadOnly(ctx context.Context, dataDir, portalURL, token string, log *slog.Logger) (*Runtime, error) {
	return open(ctx, dataDir, portalURL, token, log, true)
}

func open(ctx context.Context, dataDir, portalURL, token string, log *slog.Logger, readOnly bool) (*Runtime, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dataDir, err)
	}
	db, err := store.Open(filepath.Join(dataDir, "replica.db"))
	if err != nil {
		return nil, err
	}
	rt := &Runtime{DataDir: dataDir, Log: log, Replica: db, tokens: NewTokenStore(dataDir, log), readOnly: readOnly,
		outbox: &fleet.Outbox{DB: db.SQL()}}
	if rt.fleet, err = newFleetAgent(rt); err != nil {
		_ = db.Close() // the fleet state's error is the one to report
		return nil, err
	}
	if portalURL == "" {
		s, err := rt.loadSettings()
		if err != nil {
			_ = db.Close() // the settings error is the one to report
			return nil, err
		}
		portalURL = s.PortalURL
	}
	if err := rt.Connect(ctx, portalURL, token); err != nil {
		_ = rt.Close() // the connect error is the one to report
		return nil, err
	}
	if !readOnly {
		uctx, cancel := context.WithCancel(context.Background())
		rt.stopUse, rt.useDone = cancel, make(chan struct{})
		go func() { defer close(rt.useDone); rt.runUsage(uctx) }()
	}
	return rt, nil
}

func (rt *Runtime) settingsPath() string { return filepath.Join(rt.DataDir, "settings.json") }

func (rt *Runtime) loadSettings() (Settings, error) {
	var s Settings
	b, err := os.ReadFile(rt.settingsPath())
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read settings %s: %w", rt.settingsPath(), err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("settings file %s is not valid JSON (%w); fix or delete it", rt.settingsPath(), err)
	}
	return s, nil
}

func (rt *Runtime) saveSettings(s Settings) error {
	b, _ := json.MarshalIndent(s, "", "  ")
	tmp := rt.settingsPath() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	return os.Rename(tmp, rt.settingsPath())
}

// ValidatePortalURL checks a portal URL from a user. Its errors never repeat credentials, a query or a fragment:
// they may hold a token, and errors end up in terminals and logs.
func ValidatePortalURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return "", fmt.Errorf("portal URL does not parse (%w): it must be an http:// or https:// URL with a host", err)
	}
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("portal URL %q must be an http:// or https:// URL with a host", shown)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("portal URL %q must not carry a query, fragment or credentials (not shown here)", shown)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Connect points the desktop at portalURL with token ("" keeps the stored token), or at an in-process portal
// when portalURL is "". The replica keeps its data until the new portal's first batch replaces it.
func (rt *Runtime) Connect(ctx context.Context, portalURL, token string) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var c *client.Client
	var forward http.Handler
	var local *server.Server
	mode := ModeLocal
	if portalURL != "" {
		u, err := ValidatePortalURL(portalURL)
		if err != nil {
			return err
		}
		portalURL, mode = u, ModeRemote
		if token != "" {
			if err := rt.tokens.Set(portalURL, token); err != nil {
				return err
			}
		} else {
			token, _ = rt.tokens.Get(portalURL)
		}
		c = client.New(portalURL, token)
		forward = newForwarder(portalURL, token, rt.Log)
	} else {
		if rt.local != nil {
			local = rt.local
		} else {
			var err error
			local, err = server.OpenLocal(ctx, filepath.Join(rt.DataDir, "portal.db"), rt.Log,
				server.LocalOptions{NoWorker: rt.readOnly, User: localPrincipal().Subject, VaultKey: rt.vaultKey()})
			if err != nil {
				return err
			}
		}
		me := localPrincipal()
		h := local.Handler()
		// The UI's requests reach the portal as the demo persona chosen now (personas.go); the sync loop and the
		// CLI below stay the OS user.
		forward = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), rt.actingAs())))
		})
		c = client.New("http://atrium.local", "")
		c.HTTP = &http.Client{Transport: inProcess{h: h, p: me}}
	}
	if err := rt.saveSettings(Settings{PortalURL: portalURL}); err != nil {
		return err
	}
	rt.stopLocked()
	if mode == ModeRemote && rt.local != nil {
		if err := rt.local.Close(); err != nil {
			// The switch goes on: the in-process portal is stopped either way, only its database did not close
			// cleanly (SQLite recovers it on the next open).
			rt.Log.Warn("close the local portal", "err", err)
		}
		local = nil
	}
	rt.mode, rt.portal, rt.forward, rt.local = mode, portalURL, forward, local
	rt.persona = "" // a new connection starts as the user: a persona never outlives the portal it was chosen for
	rt.features.close()
	rt.features = nil
	if !rt.readOnly {
		rt.features = newFeatures(c.BaseURL, c.Token, c.HTTP, localPrincipal().Subject, rt)
	}
	origin := portalURL
	if mode == ModeLocal {
		origin = ModeLocal
	}
	loopLog := rt.Log
	if rt.readOnly {
		// The command reports the sync's outcome itself (AwaitSync); the loop's warnings would say it twice.
		loopLog = slog.New(errorsUnlessDebug{rt.Log.Handler()})
	}
	loop := replica.New(rt.Replica, c, origin, loopLog)
	rt.client = c
	rt.fleet.attach(origin, loop, c)
	lctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	rt.loop, rt.stopLoop, rt.loopDone = loop, cancel, done
	go func() { defer close(done); loop.Run(lctx) }()
	rt.Log.Info("connected", "mode", mode, "portal", portalURL)
	return nil
}

// stopLocked stops the sync loop and waits for it; rt.mu is held.
func (rt *Runtime) stopLocked() {
	if rt.stopLoop != nil {
		rt.stopLoop()
		<-rt.loopDone
		rt.stopLoop = nil
	}
}

// Close stops syncing and closes the databases.
func (rt *Runtime) Close() error {
	if rt.stopUse != nil {
		rt.stopUse()
		<-rt.useDone
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.stopLocked()
	rt.features.close()
	rt.signin.mu.Lock()
	if rt.signin.stop != nil {
		rt.signin.stop()
	}
	rt.signin.mu.Unlock()
	var err error
	if rt.local != nil {
		err = rt.local.Close()
	}
	return errors.Join(err, rt.Replica.Close())
}

// State is what a runtime is connected to, at one moment: Connect replaces all of it at once.
type State struct {
	Mode    string        // ModeLocal or ModeRemote
	Portal  string        // the portal's URL in remote mode
	Loop    *replica.Loop // the sync loop filling the replica
	Forward http.Handler  // where requests the replica cannot answer go: the portal
}

// State reports what the runtime is connected to now.
func (rt *Runtime) State() State {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return State{Mode: rt.mode, Portal: rt.portal, Loop: rt.loop, Forward: rt.forward}
}

// localPrincipal is the OS user, admin of the in-process portal in local mode.
func localPrincipal() auth.Principal {
	name := "local-user"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return auth.Principal{Subject: name, Via: "local", Grants: []auth.Grant{{Role: auth.RoleAdmin}}}
}

// inProcess is an http.RoundTripper that calls a handler directly, as the principal p: local mode's sync loop
// talks to its in-process portal through it, with no socket.
type inProcess struct {
	h http.Handler
	p auth.Principal
}

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	w := newBufferedResponse()
	t.h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), t.p)))
	return w.result(r), nil
}

// newForwarder proxies requests the replica cannot answer to the portal, with the user's portal token in place of
// whatever credentials the UI sent to the local API. When the portal cannot be reached, the caller is told
// plainly whether the request was sent.
func newForwarder(portalURL, token string, log *slog.Logger) http.Handler {
	target, _ := url.Parse(portalURL)
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Del("Cookie")
			pr.Out.Header.Del("Authorization")
			// The local API has checked where the request came from (api.SameOriginJSON); to the portal it is the
			// desktop's own request, so the browser's view of origins (the page's, not the portal's) stays here.
			for _, h := range []string{"Origin", "Referer", "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User"} {
				pr.Out.Header.Del(h)
			}
			if token != "" {
				pr.Out.Header.Set("Authorization", "Bearer "+token)
			}
			q := pr.Out.URL.Query()
			if q.Has("token") {
				q.Del("token")
				pr.Out.URL.RawQuery = q.Encode()
			}
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Warn("forward to portal failed", "method", r.Method, "path", r.URL.Path, "err", err)
			writeForwardError(w, r, portalURL, err)
		},
	}
}

// Client is a client of the local API served in-process — the API the UI calls, without a socket — naming itself
// name in usage events ("cli").
func (rt *Runtime) Client(name string) *client.Client {
	c := client.New("http://atrium.local", "")
	c.HTTP.Transport = inProcess{h: rt.LocalAPI(name), p: localPrincipal()}
	return c
}

// AwaitSync waits until the replica's first sync since Open or Connect has settled — caught up, or the portal
// found unreachable — or until ctx ends, and returns the sync status then.
func (rt *Runtime) AwaitSync(ctx context.Context) replica.Status {
	loop := rt.State().Loop
	select {
	case <-loop.Settled():
	case <-ctx.Done():
	}
	return loop.Status()
}

// ReplicaServiceNames lists up to limit names of services in the replica of dataDir that start with prefix,
// connecting to no portal: for shell completion, which must answer at once. A data directory without a replica
// has none.
func ReplicaServiceNames(ctx context.Context, dataDir, prefix string, limit int) ([]string, error) {
	path := filepath.Join(dataDir, "replica.db")
	if _, err := os.Stat(path); err != nil {
		return nil, nil
	}
	db, err := store.Open(path)
	if err != nil {
		return nil, err
	}
	defer db.Close() //nolint:errcheck // only read here: closing loses nothing
	return db.ServiceNames(ctx, prefix, limit)
}

// errorsUnlessDebug passes only errors to its handler, unless that handler takes debug records: then everything.
type errorsUnlessDebug struct{ slog.Handler }

func (h errorsUnlessDebug) Enabled(ctx context.Context, l slog.Level) bool {
	return h.Handler.Enabled(ctx, l) && (l >= slog.LevelError || h.Handler.Enabled(ctx, slog.LevelDebug))
}

func (h errorsUnlessDebug) WithAttrs(as []slog.Attr) slog.Handler {
	return errorsUnlessDebug{h.Handler.WithAttrs(as)}
}

func (h errorsUnlessDebug) WithGroup(name string) slog.Handler {
	return errorsUnlessDebug{h.Handler.WithGroup(name)}
}

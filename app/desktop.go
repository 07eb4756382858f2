package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/sphera/atrium/backend/api"
	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"
)

// ErrNoDesktop means this process cannot open a window: the binary was built without Wails' desktop tags, or
// there is no display. Callers fall back to serving the UI to a browser.
var ErrNoDesktop = errors.New("no desktop window available")

// HasDisplay reports whether a window could be shown (on Linux, an X11 or Wayland display is set).
func HasDisplay() bool {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// RunDesktop opens the Atrium window and blocks until it is closed. The UI's fetches of /api/... reach the local
// API through Wails' asset server, in-process: no port is opened and no token is needed.
func (rt *Runtime) RunDesktop(ctx context.Context, ui fs.FS) error {
	if !HasDisplay() {
		return ErrNoDesktop
	}
	local := rt.LocalAPI("desktop")
	bound := &OS{log: rt}
	err := wails.Run(&options.App{
		Title:     "Atrium",
		Width:     1320,
		Height:    860,
		MinWidth:  900,
		MinHeight: 560,
		AssetServer: &assetserver.Options{
			Assets:     ui,
			Middleware: AssetMiddleware(local),
		},
		BackgroundColour: &options.RGBA{R: 248, G: 249, B: 251, A: 255},
		Linux: &linux.Options{
			ProgramName: "atrium",
			// Software rendering works everywhere, including virtual displays; the UI is text and tables.
			WebviewGpuPolicy: linux.WebviewGpuPolicyNever,
		},
		OnStartup: func(ctx context.Context) {
			bound.ctx = ctx
			rt.Log.Info("desktop window started")
		},
		// Bindings are for what only the OS can do; everything else goes through the HTTP API.
		Bind: []interface{}{bound},
	})
	if err != nil && strings.Contains(err.Error(), "build tags") {
		return ErrNoDesktop
	}
	return err
}

// AssetMiddleware routes the window's requests: the API (/api/, /ofrep/, /healthz) to the local API, everything
// else to Wails' asset handler (the embedded UI and Wails' runtime scripts).
//
// The window needs no token: its asset server listens on no port, and only pages loaded in this web view can reach
// its wails:// origin — other programs, and browser tabs, cannot. A page of another origin could only reach it if
// the window itself navigated to that page (the UI opens external links in the system browser); api.SameOriginJSON
// refuses the changes such a page could forge, as it does for `atrium web`. WebKitGTK passes the asset server
// neither Origin nor Sec-Fetch-Site (nor a body length: the UI labels every change as JSON), so on Linux the JSON
// rule is what refuses a form such a page would post; where a web view sends those headers, both rules apply.
func AssetMiddleware(local http.Handler) func(next http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return api.SameOriginJSON(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/ofrep/") || r.URL.Path == "/healthz" {
				local.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		}))
	}
}

// OS is bound into the desktop window (window.go.app.OS): operations a web view cannot do itself.
type OS struct {
	ctx context.Context
	log *Runtime
}

// SaveFile asks the user where to save content (a CSV or JSON-lines export) with the system's save dialog and
// writes it there. It returns the path written, or "" when the user cancelled.
func (o *OS) SaveFile(suggestedName, content string) (string, error) {
	path, err := wruntime.SaveFileDialog(o.ctx, wruntime.SaveDialogOptions{
		DefaultFilename: filepath.Base(suggestedName), Title: "Save " + filepath.Base(suggestedName),
		CanCreateDirectories: true,
	})
	if err != nil || path == "" {
		return "", err
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return "", fmt.Errorf("save %s: %w", path, err)
	}
	o.log.Log.Info("export saved", "path", path, "bytes", len(content))
	return path, nil
}

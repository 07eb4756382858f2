package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/fleet"
	"github.com/sphera/atrium/internal/problem"
)

// LocalAPI is the desktop's API: reads from the replica, local endpoints (sync status, settings, usage), and
// everything else forwarded to the portal. The UI talks only to it.
//
// client names who the handler serves — "desktop" (the Wails window), "web" (atrium web) or "cli" — and goes into
// the usage events it logs.
func (rt *Runtime) LocalAPI(client string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", api.Health)
	api.Mount(mux, (&api.Catalog{DB: rt.Replica, Log: rt.Log}).Routes())
	api.Mount(mux, (&api.Kube{DB: rt.Replica, Log: rt.Log}).ReadRoutes())       // the matrix, offline too
	api.Mount(mux, (&api.Scorecards{DB: rt.Replica, Log: rt.Log}).ReadRoutes()) // scorecards and trends, offline too
	// Secrets' metadata, offline too; writes and reveals go to the portal, and nothing of a reveal is kept here.
	api.Mount(mux, (&api.Secrets{DB: rt.Replica, Log: rt.Log}).ReadRoutes())
	api.Mount(mux, (&api.Drift{DB: rt.Replica, Log: rt.Log}).ReadRoutes()) // drift items, offline too
	mux.HandleFunc("GET /api/v1/sync/status", rt.syncStatus)
	mux.HandleFunc("GET /api/v1/settings", rt.getSettings)
	mux.HandleFunc("PUT /api/v1/settings", rt.putSettings)
	mux.HandleFunc("POST /api/v1/usage/events", func(w http.ResponseWriter, r *http.Request) { rt.usageEvent(w, r, client) })
	mux.HandleFunc("GET /api/v1/ui/features", rt.uiFeatures)
	mux.HandleFunc("GET /api/v1/fleet/effective", rt.fleetEffective)
	mux.HandleFunc("POST /api/v1/fleet/trust", rt.trustFleetKey)
	mux.HandleFunc("PUT /api/v1/preferences", rt.putPreferences)
	mux.HandleFunc("GET /api/v1/local/personas", rt.getPersonas)
	mux.HandleFunc("PUT /api/v1/local/persona", rt.putPersona)
	mux.HandleFunc("POST /api/v1/auth/oidc/start", rt.oidcStart)
	mux.HandleFunc("GET /api/v1/auth/oidc/status", rt.oidcStatus)
	forward := func(w http.ResponseWriter, r *http.Request) {
		rt.State().Forward.ServeHTTP(w, r)
		// The desktop's own pages follow flags in its portal; after a flag change made here, read them again
		// at once rather than at the provider's next poll.
		if r.Method != http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/flags") {
			rt.refreshFeatures()
		}
	}
	mux.HandleFunc("/api/", forward)
	mux.HandleFunc("/ofrep/", forward) // OpenFeature clients on this machine may evaluate through the desktop
	mux.HandleFunc("/", api.NotFoundHandler)
	return api.Recover(rt.Log, mux)
}

type syncStatus struct {
	Mode        string    `json:"mode"`
	PortalURL   string    `json:"portal_url,omitempty"`
	State       string    `json:"state"`
	Done        int       `json:"done"`
	Total       int       `json:"total"`
	AsOf        time.Time `json:"as_of,omitzero"`
	Message     string    `json:"message,omitempty"`
	Services    int       `json:"services"`
	Origin      string    `json:"origin,omitempty"`
	DataVersion string    `json:"data_version"`
	// FleetRevision changes with the install's fleet configuration: the UI reloads it then (no restart).
	FleetRevision string `json:"fleet_revision"`
}

func (rt *Runtime) syncStatus(w http.ResponseWriter, r *http.Request) {
	state := rt.State()
	st := state.Loop.Status()
	n, err := rt.Replica.CountServices(r.Context())
	if err != nil {
		api.WriteError(w, r, rt.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, syncStatus{Mode: state.Mode, PortalURL: state.Portal, State: st.State, Done: st.Done,
		Total: st.Total, AsOf: st.AsOf, Message: st.Message, Services: n, Origin: st.Origin, DataVersion: st.DataVersion,
		FleetRevision: rt.fleet.revision()})
}

type settingsView struct {
	PortalURL  string `json:"portal_url"`
	TokenSet   bool   `json:"token_set"`
	TokenStore string `json:"token_store"`
	Mode       string `json:"mode"`
}

func (rt *Runtime) settingsView() settingsView {
	st := rt.State()
	tok, _ := rt.tokens.Get(st.Portal)
	return settingsView{PortalURL: st.Portal, TokenSet: st.Portal != "" && tok != "", TokenStore: rt.tokens.Where(),
		Mode: st.Mode}
}

func (rt *Runtime) getSettings(w http.ResponseWriter, r *http.Request) {
	api.WriteJSON(w, http.StatusOK, rt.settingsView())
}

func (rt *Runtime) putSettings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		PortalURL string `json:"portal_url"`
		Token     string `json:"token"`
	}
	if err := api.DecodeJSON(w, r, 16<<10, &in); err != nil {
		api.WriteError(w, r, rt.Log, err)
		return
	}
	if in.PortalURL != "" {
		if _, err := ValidatePortalURL(in.PortalURL); err != nil {
			api.WriteError(w, r, rt.Log, api.BadRequest("invalid settings",
				problem.At("portal_url", err.Error())))
			return
		}
	}
	if err := rt.Connect(context.WithoutCancel(r.Context()), in.PortalURL, in.Token); err != nil {
		api.WriteError(w, r, rt.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, rt.settingsView())
}

func (rt *Runtime) usageEvent(w http.ResponseWriter, r *http.Request, client string) {
	var ev struct {
		Kind  string `json:"kind"`
		Page  string `json:"page"`
		Count int    `json:"count"`
	}
	if err := api.DecodeJSON(w, r, 4<<10, &ev); err != nil {
		api.WriteError(w, r, rt.Log, err)
		return
	}
	// The client is this handler's own (desktop, web, cli): only what the UI sent is checked.
	if ps := fleet.CheckEvents([]fleet.Event{{At: time.Now(), Kind: ev.Kind, Page: ev.Page, Client: "desktop", Count: 1}}); len(ps) > 0 {
		for i := range ps {
			ps[i].Path = strings.TrimPrefix(ps[i].Path, "events/0/")
		}
		api.WriteError(w, r, rt.Log, api.BadRequest("invalid usage event", ps...))
		return
	}
	rt.Log.Info("ui event", "kind", ev.Kind, "page", ev.Page, "count", ev.Count, "client", client)
	// Forwarded to the portal for the adoption KPI: the kind and the page's route only (docs/fleet.md).
	rt.RecordUsage(r.Context(), ev.Kind, ev.Page, client)
	w.WriteHeader(http.StatusNoContent)
}

// writeForwardError tells the UI the portal could not be reached, and whether the request went out at all.
func writeForwardError(w http.ResponseWriter, r *http.Request, portal string, err error) {
	body := map[string]any{"code": "portal_unreachable"}
	sent := "it may have been received: check before retrying"
	var op *net.OpError
	if errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial") {
		sent = "the request was not sent"
		body["sent"] = false
	}
	body["message"] = "The portal at " + portal + " could not be reached (" + shortErr(err) + "); " + sent + ". Nothing was queued."
	api.WriteJSON(w, http.StatusBadGateway, map[string]any{"error": body})
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i < len(s)-2 {
		return s[i+2:]
	}
	return s
}

// bufferedResponse is an http.ResponseWriter collecting a whole response, for the in-process transport.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse { return &bufferedResponse{header: http.Header{}} }

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) result(r *http.Request) *http.Response {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return &http.Response{
		Status: http.StatusText(b.status), StatusCode: b.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: b.header, Body: io.NopCloser(&b.body), ContentLength: int64(b.body.Len()), Request: r,
	}
}

package api

import (
	_ "embed"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/golden"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/drift"
	"github.com/sphera/atrium/internal/fleet"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/scorecard"
	"github.com/sphera/atrium/internal/secrets"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/store"
)

// Spec is the OpenAPI description of this API.
//
//go:embed openapi.yaml
var Spec []byte

// Version is the build's version, reported by /healthz.
var Version = "dev"

// Route is one endpoint and the permission a caller needs to reach it. The portal checks it in one place, before
// the handler runs; a handler whose resource belongs to a team checks the team-scoped permission with Authorize.
type Route struct {
	Pattern string            // http.ServeMux pattern, e.g. "GET /api/v1/services/{name}"
	Perm    policy.Permission // Public for endpoints that need no credentials or authenticate themselves
	Handler http.HandlerFunc
}

// Pseudo-permissions of routes open to more than a role.
const (
	// Public marks a route that needs no principal: health, sign-in, webhooks verified by signature.
	Public policy.Permission = "public"
	// Authenticated marks a route open to every authenticated caller, whatever their roles (GET /me).
	Authenticated policy.Permission = "authenticated"
)

// Mount registers routes on mux without any checks: for the desktop's local API, which has one user.
func Mount(mux *http.ServeMux, routes []Route) {
	for _, rt := range routes {
		mux.HandleFunc(rt.Pattern, rt.Handler)
	}
}

// Portal is the portal API: every endpoint, behind authentication and the policy.
type Portal struct {
	DB     *store.DB
	Log    *slog.Logger
	Tokens auth.Tokens
	// OIDC, when set, verifies bearer JWTs from the identity provider; API tokens work either way.
	OIDC *auth.OIDC
	// Actions serves self-service actions; nil: a service with no environments (every request is refused).
	Actions *actions.Service
	// Collectors are the running collectors, reported and triggered through /api/v1/sources.
	Collectors sources.Set
	// Agents is the work queue of cluster agents; nil: one on DB with the defaults. One per process: its long
	// polls are woken by work enqueued through it.
	Agents *agent.Queue
	// Secrets writes and reveals secrets; nil: the metadata is served, writes and reveals answer not_configured.
	Secrets *secrets.Service
	// Drift acknowledges and fixes drift; nil: items are served, the rest answers not_configured.
	Drift *drift.Service
	// Golden is the golden path (templates, target, checker); nil: the templates endpoints answer not_configured.
	Golden *golden.Requests
	// Gates answers the deploy gate, admission reviews and rule tries, and keeps gate exceptions; nil: one on DB
	// with scorecards off (everything allowed).
	Gates *Gates
	// Fleet serves the fleet configuration, installs, usage and the KPI, and signs what the feed carries to
	// desktops; nil: one on DB with a key kept nowhere (tests; a server passes the key of its data directory).
	Fleet *Fleet
	// Routes adds endpoints (collectors' webhooks, flags) to the built-in ones.
	Routes []Route
	// AuthLimiter limits failed authentications per client; nil: one with the defaults.
	AuthLimiter *AuthLimiter
	// Refused, when set, hears of every authenticated request the route-level check refuses (with the route's
	// pattern and the reason) before it is answered 403: where refusals worth keeping are audited (Flags.Refused).
	Refused func(r *http.Request, pattern string, p auth.Principal, reason string)
}

// Handler builds the portal's HTTP handler: refuse cross-origin changes and non-JSON bodies (SameOriginJSON) →
// authenticate → authorise the route → handler. A route without a
// permission is a programming error and panics at start, so nothing is reachable by omission.
func (p *Portal) Handler() http.Handler {
	if p.Log == nil {
		p.Log = slog.Default()
	}
	if p.AuthLimiter == nil {
		p.AuthLimiter = &AuthLimiter{Log: p.Log}
	}
	routes := p.AllRoutes()
	mux := http.NewServeMux()
	perms := map[string]policy.Permission{}
	for _, rt := range routes {
		if rt.Perm == "" {
			panic("api: route " + rt.Pattern + " has no permission")
		}
		perms[rt.Pattern] = rt.Perm
		mux.HandleFunc(rt.Pattern, rt.Handler)
	}
	mux.HandleFunc("/", NotFoundHandler)
	authorized := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		perm, known := perms[pattern]
		if !known { // 404 and 405 answers need no credentials
			mux.ServeHTTP(w, r)
			return
		}
		if perm == Public {
			mux.ServeHTTP(w, r)
			return
		}
		pr, ok := auth.FromContext(r.Context())
		if !ok {
			client := p.AuthLimiter.Client(r)
			if wait, limited := p.AuthLimiter.Limited(client); limited {
				secs := int(math.Ceil(wait.Seconds()))
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				WriteError(w, r, p.Log, Errorf(http.StatusTooManyRequests, "too_many_failures",
					"too many failed sign-ins from your address: try again in %d seconds", secs))
				return
			}
			var err error
			pr, err = p.authenticate(r)
			if errors.Is(err, auth.ErrBadToken) { // a guess, or a revoked token: expired ones and none are not
				p.AuthLimiter.Failed(client)
			}
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="atrium"`)
				if errors.Is(err, auth.ErrNoCredentials) || errors.Is(err, auth.ErrBadToken) || errors.Is(err, auth.ErrExpiredToken) {
					err = Errorf(http.StatusUnauthorized, "unauthorized", "%v", err)
				}
				WriteError(w, r, p.Log, err)
				return
			}
			r = r.WithContext(auth.WithPrincipal(r.Context(), pr))
		}
		if perm != Authenticated {
			// On any team, in any environment: a handler whose resource has a team or an environment decides
			// again with them (AuthorizeIn).
			if d := policy.DecideIn(pr, perm, "", policy.AnyEnvironment); !d.Allow {
				if p.Refused != nil {
					p.Refused(r, pattern, pr, d.Reason)
				}
				WriteError(w, r, p.Log, Errorf(http.StatusForbidden, "forbidden", "%s", d.Reason))
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
	// Browsers may reach a portal too (a developer's, on their own machine): changes forged by pages of other
	// origins are refused before any credential is looked at.
	guarded := SameOriginJSON(authorized, GitHubWebhookPattern)
	return Recover(p.Log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rid := r.Header.Get("X-Request-Id")
		if !validRequestID(rid) {
			rid = audit.NewRequestID()
		}
		w.Header().Set("X-Request-Id", rid)
		guarded.ServeHTTP(w, r.WithContext(audit.WithRequestID(r.Context(), rid)))
	}))
}

// authenticate finds the caller of a network request: a bearer JWT is verified with OIDC when configured,
// anything else is looked up as an API token. This is the only place credentials are checked.
func (p *Portal) authenticate(r *http.Request) (auth.Principal, error) {
	bearer := RequestToken(r) // OFREP clients may send X-API-Key instead of a bearer token
	if p.OIDC != nil && auth.LooksLikeJWT(bearer) {
		return p.OIDC.Authenticate(r.Context(), bearer)
	}
	return p.Tokens.Authenticate(r.Context(), bearer)
}

// validRequestID accepts a caller's X-Request-Id when it is short and plain, so it can be logged and audited.
func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// signInMethods tells a client how it may sign in to this portal; it needs no credentials.
func (p *Portal) signInMethods(w http.ResponseWriter, r *http.Request) {
	body := SignInMethods{Token: true}
	if p.OIDC != nil {
		c := p.OIDC.Config()
		body.OIDC = &OIDCIssuer{Issuer: c.Issuer, Audience: c.Audience}
	}
	WriteJSON(w, http.StatusOK, body)
}

// AllRoutes lists every endpoint of the portal with its permission.
func (p *Portal) AllRoutes() []Route {
	if p.Tokens.DB == nil {
		p.Tokens = auth.Tokens{DB: p.DB.SQL()}
	}
	if p.Actions == nil {
		p.Actions = actions.NewService(p.DB.SQL(), actions.Config{}, p.DB)
	}
	if p.Agents == nil {
		p.Agents = agent.NewQueue(p.DB.SQL(), agent.Config{}, p.Log)
	}
	routes := []Route{
		{"GET /healthz", Public, Health},
		{"GET /api/v1/openapi.yaml", Authenticated, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/yaml")
			w.Write(Spec)
		}},
		{"GET /api/v1/me", Authenticated, Me},
		{"GET /api/v1/auth/methods", Public, p.signInMethods},
	}
	routes = append(routes, (&Catalog{DB: p.DB, Log: p.Log}).Routes()...)
	if p.Fleet == nil {
		p.Fleet = NewFleet(p.DB, fleet.GenerateSigner(), 0, p.Log)
	}
	if p.Fleet.Log == nil {
		p.Fleet.Log = p.Log
	}
	routes = append(routes, (&Feed{DB: p.DB, Log: p.Log, Fleet: p.Fleet}).Routes()...)
	routes = append(routes, p.Fleet.Routes()...)
	trail := audit.Log{DB: p.DB.SQL()}
	routes = append(routes, (&Tokens{Tokens: p.Tokens, Log: p.Log}).Routes()...)
	routes = append(routes, (&Audit{Trail: trail, Log: p.Log}).Routes()...)
	routes = append(routes, (&Actions{Svc: p.Actions, Audit: trail, Log: p.Log}).Routes()...)
	routes = append(routes, (&Sources{DB: p.DB, Collectors: p.Collectors, Log: p.Log}).Routes()...)
	routes = append(routes, (&Kube{DB: p.DB, Log: p.Log}).Routes()...)
	routes = append(routes, (&Agents{Queue: p.Agents, Log: p.Log}).Routes()...)
	routes = append(routes, (&Templates{Golden: p.Golden, Log: p.Log}).Routes()...)
	routes = append(routes, (&Scorecards{DB: p.DB, Log: p.Log}).ReadRoutes()...)
	if p.Gates == nil {
		p.Gates = &Gates{DB: p.DB, Gate: &scorecard.Gate{DB: p.DB, Exceptions: &scorecard.Exceptions{DB: p.DB}}}
	}
	if p.Gates.Log == nil {
		p.Gates.Log = p.Log
	}
	routes = append(routes, p.Gates.Routes()...)
	routes = append(routes, (&Secrets{DB: p.DB, Svc: p.Secrets, Log: p.Log}).Routes()...)
	routes = append(routes, (&Drift{DB: p.DB, Svc: p.Drift, Log: p.Log}).Routes()...)
	return append(routes, p.Routes...)
}

// Authorize checks a team-scoped permission on a resource inside a handler; the error is a 403 with the reason.
// For a permission that acts in an environment, use AuthorizeIn: without one, only tokens whose scopes allow the
// permission in every environment pass.
func Authorize(r *http.Request, perm policy.Permission, team string) error {
	return AuthorizeIn(r, perm, team, "")
}

// AuthorizeIn checks perm on a resource of team in environment env (policy.DecideIn): a token scoped to
// "flags:write:dev" may write flags of dev and of no other environment.
func AuthorizeIn(r *http.Request, perm policy.Permission, team, env string) error {
	pr, ok := auth.FromContext(r.Context())
	if !ok {
		return Errorf(http.StatusUnauthorized, "unauthorized", "%v", auth.ErrNoCredentials)
	}
	if d := policy.DecideIn(pr, perm, team, env); !d.Allow {
		return Errorf(http.StatusForbidden, "forbidden", "%s", d.Reason)
	}
	return nil
}

// Me answers who the caller is and what they may do.
func Me(w http.ResponseWriter, r *http.Request) {
	pr, _ := auth.FromContext(r.Context())
	grants := pr.Grants
	if grants == nil {
		grants = []auth.Grant{}
	}
	scopes := pr.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	WriteJSON(w, http.StatusOK, Caller{Subject: pr.Subject, Via: pr.Via, Grants: grants, Scopes: scopes,
		Permissions: policy.Permissions(pr)})
}

// Health answers liveness probes.
func Health(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, HealthStatus{Status: "ok", Version: Version})
}

// RequestToken reads the caller's token: an Authorization: Bearer header, or else an X-API-Key header (which
// OFREP providers may send instead).
func RequestToken(r *http.Request) string {
	if t := BearerToken(r); t != "" {
		return t
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key"))
}

// BearerToken reads the token of an Authorization: Bearer header.
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// Recover turns a handler panic into a logged 500 with a JSON body instead of a dropped connection.
func Recover(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // net/http compares with == too: only the sentinel itself aborts quietly
					panic(v)
				}
				log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				WriteError(w, r, nil, Errorf(http.StatusInternalServerError, "internal", "internal error; the server log has details"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// LogRequests logs each request's method, path (never its query, which may hold a token), status and duration.
func LogRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "ms", time.Since(start).Milliseconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

// Flush lets long-poll and streaming handlers flush through the wrapper.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

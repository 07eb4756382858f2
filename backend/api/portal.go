package api

import (
	_ "embed"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/store"
)

// Spec is the OpenAPI description of this API.
//
//go:embed openapi.yaml
var Spec []byte

// Version is the build's version, reported by /healthz.
var Version = "dev"

// Portal is the portal API: every endpoint, behind authentication.
type Portal struct {
	DB     *store.DB
	Log    *slog.Logger
	Tokens auth.Tokens
	// Mount, when set, registers further endpoints (collectors' webhooks, actions, flags) on the same mux; they are
	// behind the same authentication unless listed in Public.
	Mount []func(mux *http.ServeMux)
	// Public lists path prefixes that authenticate themselves (webhooks verify signatures).
	Public []string
}

// Handler builds the portal's HTTP handler.
func (p *Portal) Handler() http.Handler {
	if p.Log == nil {
		p.Log = slog.Default()
	}
	if p.Tokens.DB == nil {
		p.Tokens = auth.Tokens{DB: p.DB.SQL()}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", Health)
	mux.HandleFunc("GET /api/v1/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(Spec)
	})
	(&Catalog{DB: p.DB, Log: p.Log}).Register(mux)
	(&Feed{DB: p.DB, Log: p.Log}).Register(mux)
	for _, m := range p.Mount {
		m(mux)
	}
	mux.HandleFunc("/api/", NotFoundHandler)
	mux.HandleFunc("/", NotFoundHandler)
	return Recover(p.Log, p.authenticate(mux))
}

// Health answers liveness probes.
func Health(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": Version})
}

func (p *Portal) public(path string) bool {
	if path == "/healthz" || path == "/api/v1/openapi.yaml" {
		return true
	}
	for _, pre := range p.Public {
		if strings.HasPrefix(path, pre) {
			return true
		}
	}
	return false
}

// authenticate puts the caller's principal in the request context or answers 401. A principal already in the
// context was put there in-process (local mode) and is trusted.
func (p *Portal) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.public(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if _, ok := auth.FromContext(r.Context()); ok {
			next.ServeHTTP(w, r)
			return
		}
		secret := BearerToken(r)
		pr, err := p.Tokens.Authenticate(r.Context(), secret)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="atrium"`)
			if errors.Is(err, auth.ErrNoCredentials) || errors.Is(err, auth.ErrBadToken) || errors.Is(err, auth.ErrExpiredToken) {
				WriteError(w, r, p.Log, Errorf(http.StatusUnauthorized, "unauthorized", "%v", err))
				return
			}
			WriteError(w, r, p.Log, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), pr)))
	})
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
				if v == http.ErrAbortHandler {
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

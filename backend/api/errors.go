// Package api is Atrium's HTTP API: JSON under /api/v1, described by openapi.yaml in this directory. The portal
// server mounts all of it; a desktop's local API mounts the read endpoints over its replica.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/sphera/atrium/internal/agent"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/drift"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/scorecard"
	"github.com/sphera/atrium/internal/secrets"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/store"
)

// Sentinel errors that handlers return; WriteError maps them to statuses in this one place.
var (
	ErrBadRequest   = errors.New("bad request")
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrConflict     = errors.New("conflict")
	ErrTooLarge     = errors.New("request body too large")
	ErrUnavailable  = errors.New("unavailable")
	// ErrCrossOrigin refuses a change a browser sent from a page of another origin (SameOriginJSON).
	ErrCrossOrigin = errors.New("cross-origin request refused")
	// ErrNotJSON refuses a request body that is not application/json (SameOriginJSON).
	ErrNotJSON = errors.New("unsupported media type")
)

// FieldProblem is how an error body names one problem of the request: where (a query parameter, a body field such
// as grants[0].role, or a JSON Pointer into the body such as /flag/defaultVariant) and what is wrong. Handlers and
// the domain report problem.Problem; fieldProblems is the one mapping to this wire shape.
type FieldProblem struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

// fieldProblems maps problems to the error body's fields.
func fieldProblems(ps []problem.Problem) []FieldProblem {
	if len(ps) == 0 {
		return nil
	}
	out := make([]FieldProblem, len(ps))
	for i, p := range ps {
		what := p.Summary
		if p.Detail != "" {
			what += ": " + p.Detail
		}
		out[i] = FieldProblem{Field: p.Path, Problem: what}
	}
	return out
}

// Error is the body of every error response.
type Error struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Fields  []FieldProblem `json:"fields,omitempty"`
	status  int
}

func (e *Error) Error() string { return e.Message }

// BadRequest builds a 400 naming every problem of the request.
func BadRequest(msg string, ps ...problem.Problem) *Error {
	return &Error{Code: "bad_request", Message: msg, Fields: fieldProblems(ps), status: http.StatusBadRequest}
}

// refusal is the message of an input refused for its problems: what the error that carries them says before the
// list ("invalid action request: nothing was stored: %w" says "invalid action request: nothing was stored"). The
// list itself goes into the fields.
func refusal(err error, ps problem.Problems) string {
	if msg, ok := strings.CutSuffix(err.Error(), ": "+ps.Error()); ok && msg != "" {
		return msg
	}
	return fmt.Sprintf("invalid request: %d problem(s)", len(ps))
}

// Errorf builds an error with an explicit status and code.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), status: status}
}

// statusClientClosed answers a request its client cancelled (nginx's 499): logged, never read.
const statusClientClosed = 499

// WriteError answers err as JSON with the status its kind calls for: problem.Problems anywhere in it make a 400
// naming each. Unexpected errors are logged and answered with a generic 500 so that internals (paths, SQL) do not
// leak to clients.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *Error
	var ps problem.Problems
	switch {
	case errors.As(err, &e):
	case errors.As(err, &ps):
		e = BadRequest(refusal(err, ps), ps...)
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, sources.ErrNotFound), errors.Is(err, actions.ErrNotFound),
		errors.Is(err, auth.ErrTokenNotFound), errors.Is(err, flagstore.ErrNotFound), errors.Is(err, agent.ErrNotFound),
		errors.Is(err, scorecard.ErrNotFound), errors.Is(err, store.ErrNoFleetConfig):
		e = &Error{Code: "not_found", Message: err.Error(), status: http.StatusNotFound}
	case errors.Is(err, secrets.ErrForbidden), errors.Is(err, drift.ErrForbidden):
		e = &Error{Code: "forbidden", Message: err.Error(), status: http.StatusForbidden}
	case errors.Is(err, drift.ErrNoFix):
		e = &Error{Code: "fix_unavailable", Message: err.Error(), status: http.StatusConflict}
	case errors.Is(err, secrets.ErrNotRevealable):
		e = &Error{Code: "not_revealable", Message: err.Error(), status: http.StatusConflict}
	case errors.Is(err, secrets.ErrNotConfigured):
		e = &Error{Code: "not_configured", Message: err.Error() + ": an admin sets the secrets section of the portal's configuration (docs/secrets.md)",
			status: http.StatusNotFound}
	case errors.Is(err, secrets.ErrNoValue):
		e = &Error{Code: "not_found", Message: err.Error(), status: http.StatusNotFound}
	case errors.Is(err, secrets.ErrRefused):
		e = &Error{Code: "backend_refused", Message: err.Error(), status: http.StatusBadGateway}
	case errors.Is(err, actions.ErrForbidden):
		e = &Error{Code: "forbidden", Message: err.Error(), status: http.StatusForbidden}
	case errors.Is(err, agent.ErrLeaseLost):
		e = &Error{Code: "lease_lost", Message: err.Error(), status: http.StatusConflict}
	case errors.Is(err, agent.ErrInvalid):
		e = &Error{Code: "bad_request", Message: err.Error(), status: http.StatusBadRequest}
	case errors.Is(err, agent.ErrIdempotencyConflict):
		e = &Error{Code: "idempotency_key_reused", Message: err.Error(), status: http.StatusUnprocessableEntity}
	case errors.Is(err, agent.ErrBusy):
		e = &Error{Code: "too_many_polls", Message: err.Error() + "; try again shortly", status: http.StatusTooManyRequests}
	case errors.Is(err, agent.ErrNoAgent):
		e = &Error{Code: "no_agent", Message: err.Error(), status: http.StatusConflict}
	case errors.Is(err, actions.ErrIdempotencyConflict):
		e = &Error{Code: "idempotency_key_reused", Message: err.Error() + "; use a new Idempotency-Key for a new request",
			status: http.StatusUnprocessableEntity}
	case errors.Is(err, actions.ErrConflict), errors.Is(err, flagstore.ErrConflict), errors.Is(err, store.ErrFleetConflict):
		e = &Error{Code: "conflict", Message: err.Error(), status: http.StatusConflict}
	case errors.Is(err, auth.ErrIdentityProvider):
		e = &Error{Code: "identity_provider_unreachable", status: http.StatusServiceUnavailable,
			Message: "the identity provider cannot be reached to check your sign-in; try again shortly"}
	case errors.Is(err, store.ErrBadCursor), errors.Is(err, store.ErrTooManyValues), errors.Is(err, ErrBadRequest):
		e = &Error{Code: "bad_request", Message: err.Error(), status: http.StatusBadRequest}
	case errors.Is(err, ErrUnauthorized):
		e = &Error{Code: "unauthorized", Message: err.Error(), status: http.StatusUnauthorized}
	case errors.Is(err, ErrForbidden):
		e = &Error{Code: "forbidden", Message: err.Error(), status: http.StatusForbidden}
	case errors.Is(err, ErrConflict), errors.Is(err, sources.ErrNotSyncable):
		e = &Error{Code: "conflict", Message: err.Error(), status: http.StatusConflict}
	case errors.Is(err, ErrTooLarge):
		e = &Error{Code: "too_large", Message: err.Error(), status: http.StatusRequestEntityTooLarge}
	case errors.Is(err, ErrCrossOrigin):
		e = &Error{Code: "cross_origin", Message: err.Error(), status: http.StatusForbidden}
	case errors.Is(err, ErrNotJSON):
		e = &Error{Code: "unsupported_media_type", Message: err.Error(), status: http.StatusUnsupportedMediaType}
	case errors.Is(err, ErrUnavailable):
		e = &Error{Code: "unavailable", Message: err.Error(), status: http.StatusServiceUnavailable}
	case storageError(err) != nil:
		// The operator's problem, said plainly: which file, and what to do. The message is the store's own,
		// never the context the error gathered on its way (which may name queries).
		se := storageError(err)
		if log != nil {
			log.Error("database cannot serve", "path", r.URL.Path, "err", err)
		}
		e = &Error{Code: "database_unusable", Message: se.Error(), status: http.StatusServiceUnavailable}
		if errors.Is(se, store.ErrDiskFull) {
			e.Code, e.status = "storage_full", http.StatusInsufficientStorage
		}
	case errors.Is(err, store.ErrUnusable):
		if log != nil {
			log.Error("database unusable", "path", r.URL.Path, "err", err)
		}
		e = &Error{Code: "database_unusable", Message: err.Error(), status: http.StatusServiceUnavailable}
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away (closed the connection, stopped its sync loop): nothing failed here, and nobody
		// reads the answer.
		if log != nil {
			log.Debug("request cancelled by its client", "method", r.Method, "path", r.URL.Path)
		}
		e = &Error{Code: "cancelled", Message: "the client cancelled the request", status: statusClientClosed}
	default:
		if log != nil {
			log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		e = &Error{Code: "internal", Message: "internal error; the server log has details", status: http.StatusInternalServerError}
	}
	status := e.status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	WriteJSON(w, status, struct {
		Error *Error `json:"error"`
	}{e})
}

// WriteJSON writes v as the JSON body with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// DecodeJSON reads a JSON request body of at most maxBytes into v, rejecting unknown fields, trailing data and
// oversized bodies with errors that say which.
func DecodeJSON(w http.ResponseWriter, r *http.Request, maxBytes int64, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var ute *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &mbe):
			return &Error{Code: "too_large", status: http.StatusRequestEntityTooLarge,
				Message: fmt.Sprintf("request body is larger than %d bytes", maxBytes)}
		case errors.As(err, &ute):
			return BadRequest("request body has a value of the wrong type",
				problem.At(ute.Field, "must be "+ute.Type.String()))
		case errors.As(err, &se):
			return BadRequest(fmt.Sprintf("request body is not valid JSON (at byte %d): %v", se.Offset, err))
		default:
			return BadRequest("request body is not valid JSON: " + err.Error())
		}
	}
	// Only white space may follow the value: Decode stops after it, and More does not see a stray '}' or ']'.
	switch _, err := dec.Token(); {
	case err == io.EOF:
		return nil
	case errors.As(err, new(*http.MaxBytesError)):
		return &Error{Code: "too_large", status: http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("request body is larger than %d bytes", maxBytes)}
	default:
		return BadRequest("request body has data after the JSON value")
	}
}

// NotFoundHandler answers unknown API paths with a JSON 404.
func NotFoundHandler(w http.ResponseWriter, r *http.Request) {
	WriteError(w, r, nil, Errorf(http.StatusNotFound, "not_found", "no API endpoint %s %s", r.Method, r.URL.Path))
}

// storageError finds a store failure that an operator must fix (disk full, corruption, permissions), or nil.
func storageError(err error) *store.StorageError {
	var se *store.StorageError
	if errors.As(err, &se) {
		return se
	}
	return nil
}

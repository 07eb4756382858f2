package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/store"
)

// Problems of an input, however the domain wrapped them, are answered in one way: 400, the message the wrapping
// gave, and one {"field", "problem"} per problem.
func TestProblemsAreBadRequests(t *testing.T) {
	two := problem.Problems{
		problem.At("params.name", "required"),
		{Severity: problem.Warning, Summary: "region is deprecated", Detail: "use eu-west-2", Path: "region"},
	}
	for _, tc := range []struct {
		name    string
		err     error
		message string
		fields  []api.FieldProblem
	}{
		{"wrapped with what was refused", fmt.Errorf("invalid action request: nothing was stored: %w", two),
			"invalid action request: nothing was stored",
			[]api.FieldProblem{{"params.name", "required"}, {"region", "region is deprecated: use eu-west-2"}}},
		{"wrapped twice", fmt.Errorf("submit: %w", flags.Invalid(problem.Problems{problem.At("/flag/state", "must be \"ENABLED\" or \"DISABLED\"")})),
			"submit: invalid flag definition: 1 problem(s); nothing was stored",
			[]api.FieldProblem{{"/flag/state", `must be "ENABLED" or "DISABLED"`}}},
		{"bare", two.Err(), "invalid request: 2 problem(s)",
			[]api.FieldProblem{{"params.name", "required"}, {"region", "region is deprecated: use eu-west-2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			api.WriteError(w, httptest.NewRequest("POST", "/api/v1/x", nil), nil, tc.err)
			var body struct{ Error api.Error }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if w.Code != http.StatusBadRequest || body.Error.Code != "bad_request" || body.Error.Message != tc.message {
				t.Errorf("%d %+v, want 400 %q", w.Code, body.Error, tc.message)
			}
			if fmt.Sprint(body.Error.Fields) != fmt.Sprint(tc.fields) {
				t.Errorf("fields %+v, want %+v", body.Error.Fields, tc.fields)
			}
		})
	}
	// Warnings alone refuse nothing: there is no error to answer.
	if err := (problem.Problems{two[1]}).Err(); err != nil || errors.As(err, new(problem.Problems)) {
		t.Errorf("warnings as an error: %v", err)
	}
}

// TestTemporaryFailuresSayWhenToComeBack: a portal too busy to read the change feed in time, or whose database
// server cannot be reached, answers 503 with Retry-After: the desktop tries again later, having lost nothing.
func TestTemporaryFailuresSayWhenToComeBack(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code string
	}{
		{fmt.Errorf("read changes: %w", fmt.Errorf("%w: reading the change feed took longer than a minute", store.ErrBusy)), "busy"},
		{fmt.Errorf("list: %w", &store.StorageError{Path: "postgres://portal@db/atrium", Kind: store.ErrUnavailable,
			Reason: "PostgreSQL cannot be reached (connection refused)", Advice: "Check the server"}), "database_unavailable"},
	} {
		w := httptest.NewRecorder()
		api.WriteError(w, httptest.NewRequest("GET", "/api/v1/changes", nil), nil, tc.err)
		var body struct{ Error api.Error }
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if w.Code != http.StatusServiceUnavailable || body.Error.Code != tc.code || w.Header().Get("Retry-After") == "" {
			t.Errorf("%v: %d %+v %q", tc.err, w.Code, body.Error, w.Header().Get("Retry-After"))
		}
	}
}

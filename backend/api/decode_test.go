package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/auth"
)

func TestDecodeJSONRefusesTrailingData(t *testing.T) {
	for _, c := range []struct {
		body string
		ok   bool
	}{
		{`{"a": 1}`, true},
		{"{\"a\": 1}\n", true},
		{"{} \r\n\t ", true},
		{`{}}`, false},
		{`{}]`, false},
		{`{} {}`, false},
		{`{}x`, false},
		{`{}null`, false},
		{`{}"s"`, false},
		{`{"a": 1}{"a": 2}`, false},
	} {
		t.Run(c.body, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
			var v struct{ A int }
			err := api.DecodeJSON(httptest.NewRecorder(), r, 1<<10, &v)
			if c.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			var e *api.Error
			if !c.ok && (err == nil || !strings.Contains(err.Error(), "after the JSON value")) {
				t.Errorf("accepted, or not as trailing data: %v", err)
			} else if !c.ok && (!asError(err, &e) || e.Code != "bad_request") {
				t.Errorf("not a 400: %v", err)
			}
		})
	}

	// Through an endpoint: nothing is created from a body with trailing data.
	p := newPortal(t)
	resp, b := p.raw(http.MethodPost, "/api/v1/tokens",
		strings.NewReader(`{"name": "ci", "subject": "ci", "scopes": ["catalog:read"]}}`),
		map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "after the JSON value") {
		t.Errorf("token with trailing data: %d %s", resp.StatusCode, b)
	}
	if n, _ := (auth.Tokens{DB: p.db.SQL()}).Count(context.Background()); n != 1 {
		t.Errorf("%d tokens, want only the admin's", n)
	}
}

func asError(err error, e **api.Error) bool {
	*e = nil
	return errors.As(err, e)
}

package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/audit"
)

// Flag changes land in the portal's audit log: applied ones with the change (same transaction), refused ones as
// denied decisions.
func TestFlagChangesAreAudited(t *testing.T) {
	ctx := context.Background()
	const token = "atr_flag_audit_admin_0123456789"
	s, err := Open(ctx, Config{DataDir: t.TempDir(), AdminToken: token, Demo: "off",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	put := func(body string) int {
		req, _ := http.NewRequest("PUT", srv.URL+"/api/v1/flags/dev/new-checkout", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := `{"team":"payments","flag":{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off"}}`
	if code := put(good); code != 200 {
		t.Fatalf("put: %d", code)
	}
	bad := `{"team":"payments","flag":{"state":"ENABLED","variants":{"on":true},"defaultVariant":"missing"}}`
	if code := put(bad); code != 400 {
		t.Fatalf("invalid flag: %d", code)
	}
	events, err := audit.Log{DB: s.DB.SQL()}.Query(ctx, audit.Filter{Resource: "flag/dev/new-checkout"})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, e := range events {
		if e.Action != "flag.put" || e.Actor != "admin" {
			t.Errorf("event: %+v", e)
		}
		outcomes = append(outcomes, e.Outcome)
	}
	if strings.Join(outcomes, ",") != "denied,success" { // newest first
		t.Errorf("audit outcomes %v, want a denied refusal after the applied change", outcomes)
	}
}

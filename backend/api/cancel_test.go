package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/store/storetest"
)

type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// TestClientGoneIsNoServerError: a desktop that stops syncing cancels its long poll of the change feed; that is no
// failure of the portal, so nothing is logged as an error (the CLI, whose sync loop stops as it exits, relies on
// it: its standard error stays empty).
func TestClientGoneIsNoServerError(t *testing.T) {
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	var logs lockedLog
	h := (&api.Portal{DB: db, Log: slog.New(slog.NewTextHandler(&logs, nil))}).Handler()
	ctx, cancel := context.WithCancel(auth.WithPrincipal(context.Background(),
		auth.Principal{Subject: "dana", Via: "local", Grants: []auth.Grant{{Role: auth.RoleAdmin}}}))
	// Caught up (empty catalog), the request waits for a change until its client goes away.
	first := httptest.NewRecorder()
	h.ServeHTTP(first, httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1/changes", nil))
	var b struct{ Cursor string }
	if err := json.Unmarshal(first.Body.Bytes(), &b); err != nil || b.Cursor == "" {
		t.Fatalf("first read of the feed: %d %s", first.Code, first.Body)
	}
	done := make(chan struct{})
	rec := httptest.NewRecorder()
	go func() {
		defer close(done)
		h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1/changes?wait=30&cursor="+b.Cursor, nil))
	}()
	cancel()
	<-done
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if strings.Contains(logs.b.String(), "level=ERROR") {
		t.Errorf("a cancelled long poll was logged as an error:\n%s", logs.b.String())
	}
}

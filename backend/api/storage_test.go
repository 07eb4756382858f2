package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/pgtest"
)

// TestFullDatabaseAnswersWhatToDo: a write that needs space the database cannot get is answered 507 with the file
// and the remedy, not a bare 500; corruption met at run time is 503 the same way.
func TestFullDatabaseAnswersWhatToDo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portal.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	ctx := context.Background()
	if _, err := (auth.Tokens{DB: db.SQL()}).Ensure(ctx, auth.Token{Name: "admin", Subject: "admin",
		Grants: []auth.Grant{{Role: auth.RoleAdmin}}}, adminToken); err != nil {
		t.Fatal(err)
	}
	flags := &api.Flags{Store: &flagstore.Store{DB: db.SQL()}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv := httptest.NewServer((&api.Portal{DB: db, Routes: flags.Routes(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler())
	t.Cleanup(srv.Close)
	p := &portal{t: t, url: srv.URL, db: db, hc: &http.Client{Transport: apitest.Transport(t, nil)}}

	// The disk is full: one connection, not allowed to grow past the file's size.
	db.SQL().SetMaxOpenConns(1)
	var pages int
	if err := db.SQL().QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 600<<10)
	resp, b := p.raw(http.MethodPut, "/api/v1/flags/production/banner",
		strings.NewReader(`{"team": "growth", "flag": {"state": "ENABLED", "variants": {"a": "`+big+`", "b": "b"},
			"defaultVariant": "b"}}`), map[string]string{"Content-Type": "application/json"})
	body := string(b)
	if resp.StatusCode != http.StatusInsufficientStorage || !strings.Contains(body, `"storage_full"`) ||
		!strings.Contains(body, path) || !strings.Contains(body, "Free space") {
		t.Errorf("flag write to a full database: %d %.300s", resp.StatusCode, body)
	}
	if strings.Contains(body, "INSERT") || strings.Contains(body, "flag_") {
		t.Errorf("the answer leaks SQL: %.300s", body)
	}
}

// TestCorruptDatabaseAtRunTimeIs503: pages that go bad under a running portal are answered 503 naming the file and
// the remedy, not a bare 500.
func TestCorruptDatabaseAtRunTimeIs503(t *testing.T) {
	p := newPortal(t)
	if p.db.Engine() != store.SQLite {
		t.Skip("a SQLite file's corruption; PostgreSQL's outage is TestDatabaseUnavailableIs503")
	}
	path := p.db.Path()
	if _, err := p.db.SQL().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	p.db.SQL().SetMaxIdleConns(0) // the next request opens a connection with a cold page cache
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < len(b); i++ {
		b[i] = 0xA5
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, body := p.get("/api/v1/services", adminToken)
	e, _ := body["error"].(map[string]any)
	msg, _ := e["message"].(string)
	if code != http.StatusServiceUnavailable || e["code"] != "database_unusable" || !strings.Contains(msg, path) ||
		!strings.Contains(msg, "mv ") {
		t.Errorf("a request on a corrupt database: %d %v", code, body)
	}
}

// TestDatabaseUnavailableIs503: while a portal's PostgreSQL server cannot be reached, requests are answered at once
// 503 database_unavailable with Retry-After and a message naming the server (never its password, never SQL); when
// it is back, the portal answers again by itself.
func TestDatabaseUnavailableIs503(t *testing.T) {
	pgtest.Shared(t) // skips without PostgreSQL
	srv, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close() //nolint:errcheck // test cleanup
	ctx := context.Background()
	url, err := srv.CreateDatabase(ctx, "unavailable")
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close() //nolint:errcheck // test cleanup
	if _, err := (auth.Tokens{DB: db.SQL()}).Ensure(ctx, auth.Token{Name: "admin", Subject: "admin",
		Grants: []auth.Grant{{Role: auth.RoleAdmin}}}, adminToken); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer((&api.Portal{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler())
	defer hs.Close()
	get := func(path string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := (&http.Client{Transport: apitest.Transport(t, nil)}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := get("/api/v1/services"); resp.StatusCode != http.StatusOK {
		t.Fatalf("before the outage: %d %s", resp.StatusCode, body)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/services", "/api/v1/changes?cursor=&wait=30"} {
		resp, body := get(path)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"database_unavailable"`) ||
			resp.Header.Get("Retry-After") == "" || !strings.Contains(body, fmt.Sprintf("127.0.0.1:%d", srv.Port)) ||
			!strings.Contains(body, "cannot be reached") || strings.Contains(body, "SELECT") {
			t.Errorf("%s while PostgreSQL is down: %d %s", path, resp.StatusCode, body)
		}
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if resp, body := get("/api/v1/services"); resp.StatusCode != http.StatusOK {
		t.Errorf("after the outage: %d %s", resp.StatusCode, body)
	}
}

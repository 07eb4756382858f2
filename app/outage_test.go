package app

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/app/replica"
	"github.com/sphera/atrium/backend/server"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store/pgtest"
)

// portalReplica runs a portal replica in-process on database, serving on loopback until the test ends.
func portalReplica(t *testing.T, database string) (*server.Server, string) {
	t.Helper()
	s, err := server.Open(context.Background(), server.Config{DataDir: t.TempDir(), Database: database,
		AdminToken: adminToken, Demo: "on", Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		_ = hs.Close()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, "http://" + ln.Addr().String()
}

// TestDesktopsRideOutAPostgresOutage: two portal replicas on one PostgreSQL, a desktop syncing from the first. The
// database server stops: the portal answers at once 503 database_unavailable (with Retry-After) instead of hanging,
// the desktop goes offline and keeps answering from its replica. The server starts again: with no restart of
// anything, a change written through the other replica reaches the desktop through the first.
func TestDesktopsRideOutAPostgresOutage(t *testing.T) {
	pgtest.Shared(t) // skips without PostgreSQL
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Close() })
	ctx := context.Background()
	url, err := pg.CreateDatabase(ctx, "outage")
	if err != nil {
		t.Fatal(err)
	}
	_, portalA := portalReplica(t, url)
	replicaB, _ := portalReplica(t, url)

	rt, err := Open(ctx, t.TempDir(), portalA, adminToken, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	}()
	c := newLocalClient(t, rt)
	waitFor(t, "first sync", 30*time.Second, func() bool { return c.status().State == replica.StateUpToDate })

	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, portalA+"/api/v1/services", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || e.Error.Code != "database_unavailable" ||
		resp.Header.Get("Retry-After") == "" || !strings.Contains(e.Error.Message, "PostgreSQL cannot be reached") {
		t.Errorf("the portal with its database down: %d %+v", resp.StatusCode, e)
	}
	// The desktop's long poll is woken by the lost connection and told the same: it goes offline, and serves on.
	waitFor(t, "offline", 30*time.Second, func() bool { return c.status().State == replica.StateOffline })
	if st := c.status(); !strings.Contains(st.Message, "database") || st.AsOf.IsZero() {
		t.Errorf("offline status: %+v", st)
	}
	if got := c.search("ledger"); len(got) == 0 {
		t.Error("the desktop stopped answering from its replica")
	}

	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := replicaB.DB.PutServices(ctx, []catalog.Service{{Name: "after-the-outage", Owner: "platform",
		Description: "written through the other replica", Lifecycle: "experimental", Type: "service", Language: "Go",
		Source: "manual"}}); err != nil {
		t.Fatalf("a write through the other replica once PostgreSQL is back: %v", err)
	}
	waitFor(t, "the change through the other replica", 60*time.Second, func() bool {
		got := c.search("after-the-outage")
		return len(got) == 1 && c.status().State == replica.StateUpToDate
	})
}

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/actions"
)

// lockedBuffer is a log sink that goroutines of a runtime may write to while a test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestReadOnlyRuntimeStartsNoWorker: a runtime opened for a command that only reads runs no action worker in its
// in-process portal — an action made meanwhile waits, untouched, in portal.db — and the next full runtime on the
// same data directory runs it.
func TestReadOnlyRuntimeStartsNoWorker(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	rt, err := OpenReadOnly(ctx, dir, "", "", log)
	if err != nil {
		t.Fatal(err)
	}
	c := newLocalClient(t, rt)
	// In dev the demo's preview delivery needs no approval: the action is runnable as soon as it is made.
	body := `{"kind":"sqs_queue","service":"payments-api","environment":"dev","region":"eu-west-1","params":{"name":"ro-events"}}`
	req, _ := http.NewRequest("POST", c.url+"/api/v1/actions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "read-only-1")
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var a actions.Action
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || a.State != actions.StateApproved {
		t.Fatalf("request: %d %+v", resp.StatusCode, a)
	}
	var features struct{ Features map[string]featureView }
	if code := c.do("GET", "/api/v1/ui/features", "", &features); code != 200 || len(features.Features) != len(uiFeatures) {
		t.Errorf("UI features of a read-only runtime: %d %+v", code, features)
	}
	// Close waits for every goroutine of the portal: a worker, had one started, has logged by now.
	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "action worker started") {
		t.Fatalf("a read-only runtime started the action worker:\n%s", logs.String())
	}

	// Still runnable, not run: a second read-only runtime finds it as it was left.
	rt, err = OpenReadOnly(ctx, dir, "", "", log)
	if err != nil {
		t.Fatal(err)
	}
	c = newLocalClient(t, rt)
	var got actions.Action
	if code := c.do("GET", "/api/v1/actions/"+a.ID, "", &got); code != 200 || got.State != actions.StateApproved || got.Attempts != 0 {
		t.Fatalf("after a read-only runtime: %d %+v", code, got)
	}
	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}

	// A full runtime (the window, atrium web) runs it.
	rt, err = Open(ctx, dir, "", "", log)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	}()
	c = newLocalClient(t, rt)
	waitFor(t, "the queued action to run", 15*time.Second, func() bool {
		c.do("GET", "/api/v1/actions/"+a.ID, "", &got)
		return got.State == actions.StateSucceeded
	})
	if !strings.Contains(logs.String(), "action worker started") {
		t.Errorf("the full runtime's worker did not log its start:\n%s", logs.String())
	}
}

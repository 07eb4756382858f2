package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/internal/fleet"
)

// Usage events (docs/fleet.md): the UI and the CLI record what the user did in the replica's outbox; the runtime
// forwards them to the portal in batches. Offline, they wait (bounded: fleet.OutboxLimit rows, oldest days first
// dropped) and go when the portal is back; nothing waits on the portal.

// usageFlushEvery is how often the outbox is sent while it holds events.
const usageFlushEvery = 15 * time.Second

// RecordUsage counts one event of kind on page from client in the outbox. It never fails the caller's work: an
// outbox that cannot be written is logged.
func (rt *Runtime) RecordUsage(ctx context.Context, kind, page, client string) {
	if err := rt.outbox.Add(ctx, kind, page, client, 1); err != nil {
		rt.Log.Warn("usage event not recorded", "kind", kind, "err", err)
	}
}

// runUsage sends the outbox to the connected portal every usageFlushEvery until ctx ends.
func (rt *Runtime) runUsage(ctx context.Context) {
	t := time.NewTicker(usageFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := rt.FlushUsage(ctx); err != nil && ctx.Err() == nil {
			rt.Log.Debug("usage events not sent yet; kept for the next attempt", "err", err)
		}
	}
}

// FlushUsage sends what the outbox holds to the connected portal, a batch at a time, and takes what the portal
// accepted out of it. A batch the portal refuses as malformed (or this caller may not send) is dropped, logged:
// sending it again would fail again.
func (rt *Runtime) FlushUsage(ctx context.Context) error {
	for {
		p, err := rt.outbox.Pending(ctx, fleet.MaxEventsPerBatch)
		if err != nil || len(p.Events) == 0 {
			return err
		}
		rt.mu.Lock()
		c := rt.client
		rt.mu.Unlock()
		if c == nil {
			return nil
		}
		var acc api.UsageAccepted
		err = c.Do(ctx, http.MethodPost, "/api/v1/usage/batch", nil, jsonBody(api.UsageBatch{Events: p.Events}), &acc)
		var ae *client.APIError
		if errors.As(err, &ae) && (ae.Status == http.StatusBadRequest || ae.Status == http.StatusForbidden ||
			ae.Status == http.StatusRequestEntityTooLarge) {
			rt.Log.Warn("usage events refused by the portal; dropped", "events", len(p.Events), "err", err)
			err = nil
		}
		if err != nil {
			return err
		}
		if err := rt.outbox.Sent(ctx, p); err != nil {
			return err
		}
		if len(p.Events) < fleet.MaxEventsPerBatch {
			return nil
		}
	}
}

func jsonBody(v any) io.Reader {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // wire types only
	}
	return bytes.NewReader(b)
}

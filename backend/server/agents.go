package server

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/agent"
)

// wakeOnAgentReport is the queue's OnFinish: an action that queued agent work with Ref "action/ID" and waits for
// it (Outcome.Done false) is made due and the worker woken, so it runs again as soon as the agent reported.
func wakeOnAgentReport(store actions.Store, wake func(), log *slog.Logger) func(agent.Item) {
	return func(it agent.Item) {
		id, ok := strings.CutPrefix(it.Ref, "action/")
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := store.Due(ctx, id); err != nil {
			// The action still runs at the After it asked for.
			log.Warn("wake the action waiting for agent work", "action", id, "work", it.ID, "err", err)
			return
		}
		wake()
	}
}

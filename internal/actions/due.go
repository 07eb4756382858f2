package actions

import (
	"context"
	"fmt"
)

// Due makes a running action that waits (Outcome.Done false) runnable now: what it waits for has happened — a
// cluster agent reported the work the action queued. Call Worker.Wake after it, so that the worker runs the
// action now rather than at its next scan. When the action's executor is running at that moment (the agent was
// faster than the executor's return), the action runs again as soon as the executor returns, whatever After it
// asked for. Actions in any other state are left alone.
func (s Store) Due(ctx context.Context, id string) error {
	now := s.now().UnixMilli()
	_, err := s.DB.ExecContext(ctx, `UPDATE actions SET next_run_at = CASE WHEN lease_owner = '' THEN CAST(? AS BIGINT) ELSE -1 END
		WHERE id = ? AND state = 'running'`, now, id)
	if err != nil {
		return fmt.Errorf("wake action %s: %w", id, err)
	}
	return nil
}

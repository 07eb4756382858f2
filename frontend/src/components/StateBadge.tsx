import type { ActionState } from '../api/client';
import { STATE_BADGES } from '../lib/actionState';

/** An action's state as a coloured badge, with what it means on hover. */
export function StateBadge({ state }: { state: ActionState }) {
  const b = STATE_BADGES[state];
  return (
    <span className={`badge state state-${b.tone}`} data-state={state} title={b.meaning}>
      {b.label}
    </span>
  );
}

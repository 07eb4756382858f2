import type { ActionState } from '../api/client';
import { STATE_BADGES, type Tone } from '../lib/actionState';
import { Badge, type BadgeTone } from './Badge';

const TONE: Record<Tone, BadgeTone> = { waiting: 'warn', active: 'info', ok: 'ok', error: 'error', neutral: 'neutral' };

/** An action's state as a coloured badge, with what it means on hover. */
export function StateBadge({ state }: { state: ActionState }) {
  const b = STATE_BADGES[state];
  return (
    <Badge tone={TONE[b.tone]} data-state={state} title={b.meaning}>
      {b.label}
    </Badge>
  );
}

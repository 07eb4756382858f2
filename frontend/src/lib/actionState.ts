// How an action's state is shown: a badge per state, whether more will happen, and where it is on its way
// pending approval → approved → running → succeeded (or failed / rejected / cancelled).
import type { Action, ActionState } from '../api/client';

export type Tone = 'waiting' | 'active' | 'ok' | 'error' | 'neutral';

export interface StateBadgeView {
  label: string;
  tone: Tone;
  /** A sentence for a title attribute. */
  meaning: string;
}

export const STATE_BADGES: Record<ActionState, StateBadgeView> = {
  pending_approval: { label: 'pending approval', tone: 'waiting', meaning: 'Waiting for an approver to decide.' },
  approved: { label: 'approved', tone: 'active', meaning: 'Approved (or needing no approval); the portal starts it shortly.' },
  running: { label: 'running', tone: 'active', meaning: 'The portal is carrying it out.' },
  succeeded: { label: 'succeeded', tone: 'ok', meaning: 'Done: the result is on the request’s page.' },
  failed: { label: 'failed', tone: 'error', meaning: 'The portal gave up; the error says why.' },
  rejected: { label: 'rejected', tone: 'error', meaning: 'An approver rejected it; the reason says why.' },
  cancelled: {
    label: 'cancelled',
    tone: 'neutral',
    meaning: 'Someone stopped it before it finished; its result says what it left behind.',
  },
};

export const ACTION_STATES = Object.keys(STATE_BADGES) as ActionState[];

export function isActionState(s: string): s is ActionState {
  return (ACTION_STATES as string[]).includes(s);
}

/** Nothing more happens to an action in a final state, so views stop refreshing it. */
export function isFinal(state: ActionState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'rejected' || state === 'cancelled';
}

export type StepStatus = 'done' | 'current' | 'todo' | 'failed' | 'skipped';

export interface Step {
  state: ActionState;
  label: string;
  status: StepStatus;
}

/**
 * The path an action takes, with where it is now: pending approval (only when it needs one) → approved → running
 * → succeeded; a rejection stops it after pending approval, a failure at running, a cancel wherever it came (the
 * history says where: a request cancelled while it waited for approval never got approved).
 */
export function progressSteps(a: Pick<Action, 'state' | 'approvers'> & { history?: Action['history'] }): Step[] {
  const path: ActionState[] = a.approvers.length > 0 ? ['pending_approval', 'approved', 'running', 'succeeded'] : ['approved', 'running', 'succeeded'];
  const label = (s: ActionState) => STATE_BADGES[s].label;
  if (a.state === 'rejected') {
    return [
      { state: 'pending_approval', label: label('pending_approval'), status: 'done' },
      { state: 'rejected', label: label('rejected'), status: 'failed' },
    ];
  }
  if (a.state === 'cancelled') {
    const from = [...(a.history ?? [])].reverse().find((e) => e.to === 'cancelled')?.from;
    const at = from ? path.indexOf(from as ActionState) : -1;
    if (at >= 0) {
      return [
        ...path.slice(0, at + 1).map((s): Step => ({ state: s, label: label(s), status: 'done' })),
        { state: 'cancelled', label: label('cancelled'), status: 'skipped' },
      ];
    }
  }
  if (a.state === 'failed' || a.state === 'cancelled') {
    const end: StepStatus = a.state === 'failed' ? 'failed' : 'skipped';
    return path.map((s) =>
      s === 'succeeded' ? { state: a.state, label: label(a.state), status: end } : { state: s, label: label(s), status: 'done' },
    );
  }
  const at = path.indexOf(a.state);
  return path.map((s, i) => ({
    state: s,
    label: label(s),
    status: i < at ? 'done' : i === at ? (a.state === 'succeeded' ? 'done' : 'current') : 'todo',
  }));
}

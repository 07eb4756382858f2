import { describe, expect, it } from 'vitest';
import type { ActionState } from '../api/client';
import { ACTION_STATES, isFinal, progressSteps, STATE_BADGES } from './actionState';

describe('STATE_BADGES', () => {
  const cases: [ActionState, string, string, boolean][] = [
    ['pending_approval', 'pending approval', 'waiting', false],
    ['approved', 'approved', 'active', false],
    ['running', 'running', 'active', false],
    ['succeeded', 'succeeded', 'ok', true],
    ['failed', 'failed', 'error', true],
    ['rejected', 'rejected', 'error', true],
    ['cancelled', 'cancelled', 'neutral', true],
  ];
  it.each(cases)('%s → %s (%s), final %s', (state, label, tone, final) => {
    expect(STATE_BADGES[state].label).toBe(label);
    expect(STATE_BADGES[state].tone).toBe(tone);
    expect(isFinal(state)).toBe(final);
  });
  it('covers every state of the API', () => {
    expect(ACTION_STATES).toEqual(['pending_approval', 'approved', 'running', 'succeeded', 'failed', 'rejected', 'cancelled']);
  });
});

describe('progressSteps', () => {
  const view = (state: ActionState, approvers: ('platform_approver' | 'team_owner')[]) =>
    progressSteps({ state, approvers }).map((s) => `${s.label}:${s.status}`);
  it('shows where an approved action is', () => {
    expect(view('pending_approval', ['platform_approver'])).toEqual([
      'pending approval:current',
      'approved:todo',
      'running:todo',
      'succeeded:todo',
    ]);
    expect(view('running', ['platform_approver'])).toEqual([
      'pending approval:done',
      'approved:done',
      'running:current',
      'succeeded:todo',
    ]);
  });
  it('leaves out approval when none is needed', () => {
    expect(view('succeeded', [])).toEqual(['approved:done', 'running:done', 'succeeded:done']);
  });
  it('ends at a rejection or a failure', () => {
    expect(view('rejected', ['team_owner'])).toEqual(['pending approval:done', 'rejected:failed']);
    expect(view('failed', [])).toEqual(['approved:done', 'running:done', 'failed:failed']);
    expect(view('cancelled', [])).toEqual(['approved:done', 'running:done', 'cancelled:skipped']);
  });
  it('ends a cancel where it came, as the history says', () => {
    const cancelled = (from: string) =>
      progressSteps({ state: 'cancelled', approvers: ['team_owner'], history: [{ at: '2026-11-26T09:00:00Z', actor: 'ana', from, to: 'cancelled' }] }).map(
        (s) => `${s.label}:${s.status}`,
      );
    expect(cancelled('pending_approval')).toEqual(['pending approval:done', 'cancelled:skipped']);
    expect(cancelled('running')).toEqual(['pending approval:done', 'approved:done', 'running:done', 'cancelled:skipped']);
  });
});

import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Action } from '../api/client';
import { ADMIN, fakeApi, json, makeAction } from '../test/fakeApi';
import { actionPortal } from '../test/actionPortal';
import { WithMe } from '../test/withMe';
import { ActionPage } from './ActionPage';

afterEach(() => vi.unstubAllGlobals());

const terraform = 'resource "aws_sqs_queue" "payments-events" {\n  name = "payments-events"\n}\n';

const succeeded = makeAction({
  state: 'succeeded',
  attempts: 1,
  result: {
    preview: 'nothing was created: this environment previews the Terraform a pull request would add',
    terraform,
    terraform_path: 'envs/dev/eu-west-1/payments-api/sqs_payments-events.tf',
  },
  history: [
    { at: '2026-11-26T09:00:00Z', actor: 'ana', to: 'approved', message: 'requested; no approval needed in dev' },
    { at: '2026-11-26T09:00:01Z', actor: 'system', from: 'approved', to: 'running', message: 'started (attempt 1)' },
    { at: '2026-11-26T09:00:02Z', actor: 'system', from: 'running', to: 'succeeded', message: 'succeeded' },
  ],
  may_approve: false,
  may_approve_reason: 'the action is succeeded, not pending approval',
});

const pending = makeAction({
  id: 'act_prod',
  environment: 'production',
  state: 'pending_approval',
  approvers: ['platform_approver'],
  history: [{ at: '2026-11-26T09:00:00Z', actor: 'ana', to: 'pending_approval', message: 'requested; needs approval by platform_approver' }],
});

function serve(action: Action, onPost?: (path: string) => Response | undefined) {
  return fakeApi({
    override: (r) => {
      if (r.method === 'POST') return onPost?.(r.url.pathname);
      if (r.url.pathname === `/api/v1/actions/${action.id}`) return json(action);
      return undefined;
    },
  });
}

describe('ActionPage', () => {
  it('renders the timeline (who, when, why) and the previewed Terraform with its path', async () => {
    serve(succeeded);
    render(
      <WithMe me={ADMIN}>
        <ActionPage id={succeeded.id} />
      </WithMe>,
    );
    const timeline = await screen.findByRole('list', { name: 'History' });
    const items = within(timeline).getAllByRole('listitem');
    expect(items.map((li) => li.getAttribute('data-to'))).toEqual(['approved', 'running', 'succeeded']);
    expect(items[0]?.textContent).toContain('by ana');
    expect(items[0]?.textContent).toContain('requested; no approval needed in dev');
    expect(items[1]?.textContent).toContain('approved → running');
    expect(items[1]?.textContent).toContain('by the portal');
    expect(items[2]?.querySelector('time')?.getAttribute('dateTime')).toBe('2026-11-26T09:00:02Z');
    expect(screen.getByTestId('result-terraform').textContent).toBe(terraform);
    expect(screen.getAllByText('envs/dev/eu-west-1/payments-api/sqs_payments-events.tf').length).toBeGreaterThan(0);
    expect(screen.getByText('succeeded', { selector: '[data-state]' })).toBeTruthy();
    // Final: no decision panel, no live marker.
    expect(screen.queryByTestId('decision')).toBeNull();
    expect(screen.queryByText('live')).toBeNull();
  });

  it('disables Approve and Reject with the portal\'s reason when the user may not decide', async () => {
    const api = serve({ ...pending, may_approve: false, may_approve_reason: 'nobody approves their own request: another approver must decide' });
    render(
      <WithMe me={ADMIN}>
        <ActionPage id="act_prod" />
      </WithMe>,
    );
    const approve = await screen.findByRole('button', { name: 'Approve' });
    expect((approve as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Reject' }) as HTMLButtonElement).disabled).toBe(true);
    expect(approve.getAttribute('title')).toBe('nobody approves their own request: another approver must decide');
    expect(screen.getByTestId('decision-blocked').textContent).toContain('nobody approves their own request');
    expect(screen.getByText('Waiting for a platform approver.')).toBeTruthy();
    fireEvent.click(approve);
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('approves with a reason when allowed, and shows a 403 from the portal when it refuses after all', async () => {
    const api = serve({ ...pending, may_approve: true }, () =>
      json({ error: { code: 'forbidden', message: 'forbidden: approving this request of team "payments" needs one of the roles [platform_approver]' } }, 403),
    );
    render(
      <WithMe me={ADMIN}>
        <ActionPage id="act_prod" />
      </WithMe>,
    );
    const approve = await screen.findByRole('button', { name: 'Approve' });
    expect((approve as HTMLButtonElement).disabled).toBe(false);
    fireEvent.change(screen.getByLabelText(/^Reason/), { target: { value: 'retention fits the policy' } });
    fireEvent.click(approve);
    const alert = await screen.findByText(/needs one of the roles \[platform_approver\]/);
    expect(alert.closest('[role="alert"]')?.textContent).toContain('You may not make this decision');
    const post = api.requests.find((r) => r.method === 'POST');
    expect(post?.url.pathname).toBe('/api/v1/actions/act_prod/approve');
    expect(post?.body).toEqual({ reason: 'retention fits the policy' });
  });

  it('will not reject without a reason', async () => {
    const api = serve({ ...pending, may_approve: true }, () => json({ ...pending, state: 'rejected' }));
    render(
      <WithMe me={ADMIN}>
        <ActionPage id="act_prod" />
      </WithMe>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Reject' }));
    expect(await screen.findByText('A rejection needs a reason: tell the requester what to change.')).toBeTruthy();
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    fireEvent.change(screen.getByLabelText(/^Reason/), { target: { value: 'use the shared queue' } });
    fireEvent.click(screen.getByRole('button', { name: 'Reject' }));
    await waitFor(() => expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(1));
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({ reason: 'use the shared queue' });
  });

  it('follows the action with the long poll: one request per version, none once it is final', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const portal = actionPortal(makeAction({ state: 'approved' }));
      render(
        <WithMe me={ADMIN}>
          <ActionPage id="act_0123abcd" />
        </WithMe>,
      );
      await screen.findByText('approved', { selector: '[data-state]' });
      await waitFor(() => expect(portal.waiting()).toBe(1));
      portal.change({ state: 'running' });
      await screen.findByText('running', { selector: '[data-state]' });
      portal.change({ state: 'succeeded' });
      await screen.findByText('succeeded', { selector: '[data-state]' });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(portal.gets().map((u) => u.search)).toEqual(['', '?wait=30&version=1', '?wait=30&version=2']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('asks a portal that answers the long poll without waiting no more than every 2 s', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const api = serve(makeAction({ state: 'running' }));
      render(
        <WithMe me={ADMIN}>
          <ActionPage id="act_0123abcd" />
        </WithMe>,
      );
      await screen.findByText('running', { selector: '[data-state]' });
      await vi.advanceTimersByTimeAsync(10_000);
      const n = api.requests.filter((r) => r.url.pathname === '/api/v1/actions/act_0123abcd').length;
      // The first request, its long poll at once, then one every 2 s.
      expect(n).toBeGreaterThanOrEqual(5);
      expect(n).toBeLessThanOrEqual(7);
    } finally {
      vi.useRealTimers();
    }
  });

  it('aborts the long poll in flight when the page goes away', async () => {
    const portal = actionPortal(makeAction({ state: 'running' }));
    const view = render(
      <WithMe me={ADMIN}>
        <ActionPage id="act_0123abcd" />
      </WithMe>,
    );
    await waitFor(() => expect(portal.waiting()).toBe(1));
    const signal = portal.lastSignal();
    expect(signal?.aborted).toBe(false);
    view.unmount();
    expect(signal?.aborted).toBe(true);
  });
});

describe('ActionPage of a flag change', () => {
  it('names the team it belongs to, not an empty service', async () => {
    const flagChange = makeAction({
      id: 'act_flag',
      kind: 'flag_change',
      service: '',
      environment: 'production',
      params: { action: 'delete', environment: 'production', key: 'old-banner' },
    });
    serve(flagChange);
    render(
      <WithMe me={ADMIN}>
        <ActionPage id={flagChange.id} />
      </WithMe>,
    );
    const header = await screen.findByTestId('action-header');
    await waitFor(() => expect(header.textContent).toContain('Flag change: delete production/old-banner'));
    expect(header.textContent).toContain('for team payments in production');
    expect(header.textContent).not.toMatch(/for\s+\(team/);
  });
});

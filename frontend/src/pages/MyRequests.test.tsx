import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, DEVELOPER, fakeApi, json, makeAction } from '../test/fakeApi';
import { WithMe } from '../test/withMe';
import { ApprovalInbox } from './ApprovalInbox';
import { MyRequests } from './MyRequests';

afterEach(() => vi.unstubAllGlobals());

describe('MyRequests', () => {
  it('lists my requests with state badges and filters by state and team through the URL', async () => {
    const api = fakeApi({
      override: (r) =>
        r.url.pathname === '/api/v1/actions'
          ? json({
              actions: [
                makeAction({ id: 'a3', state: 'rejected', params: { name: 'c' } }),
                makeAction({ id: 'a2', state: 'pending_approval', params: { name: 'b' }, environment: 'production' }),
                makeAction({ id: 'a1', state: 'succeeded', params: { name: 'a' } }),
              ],
            })
          : undefined,
    });
    render(
      <WithMe me={DEVELOPER}>
        <MyRequests filters={{ state: '', team: 'payments', all: false }} refreshKey="1" />
      </WithMe>,
    );
    await screen.findByText('SQS queue a');
    const badges = Array.from(screen.getByRole('table', { name: 'Requests' }).querySelectorAll('[data-state]')).map((b) => `${b.getAttribute('data-state')}:${b.textContent}`);
    expect(badges).toEqual(['rejected:rejected', 'pending_approval:pending approval', 'succeeded:succeeded']);
    const q = api.requests.find((r) => r.url.pathname === '/api/v1/actions')?.url.searchParams;
    expect(q?.get('mine')).toBe('true');
    expect(q?.get('team')).toBe('payments');
    fireEvent.change(screen.getByLabelText('State'), { target: { value: 'pending_approval' } });
    expect(window.location.hash).toBe('#/self-service?state=pending_approval&team=payments');
    expect(screen.getByRole('link', { name: 'New request' })).toBeTruthy();
  });
});

describe('ApprovalInbox', () => {
  it('lists what waits for me, and approves one with a reason', async () => {
    let approved = false;
    const waiting = makeAction({ id: 'act_w', state: 'pending_approval', approvers: ['platform_approver'], environment: 'production', requester: 'ana' });
    const api = fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/approvals') return json({ actions: approved ? [] : [waiting] });
        if (r.url.pathname === '/api/v1/actions/act_w/approve') {
          approved = true;
          return json({ ...waiting, state: 'approved' });
        }
        return undefined;
      },
    });
    render(
      <WithMe me={ADMIN}>
        <ApprovalInbox />
      </WithMe>,
    );
    expect(await screen.findByText('1 request waiting for you')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Decide…' }));
    fireEvent.change(screen.getByLabelText(/^Reason/), { target: { value: 'ok for prod' } });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect(await screen.findByText(/Approved SQS queue payments-events for payments-api/)).toBeTruthy();
    await waitFor(() => expect(screen.getByText('Nothing waits for your approval')).toBeTruthy());
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({ reason: 'ok for prod' });
  });

  it('names a flag change, which has no service, without a dangling "for" and shows its team alone', async () => {
    const waiting = makeAction({
      id: 'act_f',
      kind: 'flag_change',
      service: '',
      team: 'payments',
      state: 'pending_approval',
      approvers: ['platform_approver'],
      environment: 'production',
      params: { action: 'put', environment: 'production', key: 'new-checkout-flow', base: { flag: { version: 2, team: 'payments' } } },
    });
    fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/approvals') return json({ actions: [waiting] });
        if (r.url.pathname === '/api/v1/actions/act_f/approve') return json({ ...waiting, state: 'approved' });
        return undefined;
      },
    });
    render(
      <WithMe me={ADMIN}>
        <ApprovalInbox />
      </WithMe>,
    );
    const row = (await screen.findByText('Flag change: update production/new-checkout-flow')).closest('[role="row"]');
    expect(row?.querySelectorAll('[role="cell"]')[2]?.textContent).toBe('payments');
    fireEvent.click(screen.getByRole('button', { name: 'Decide…' }));
    expect(screen.getByRole('heading', { name: 'Decide: Flag change: update production/new-checkout-flow' })).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/^Reason/), { target: { value: 'ok' } });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    const status = await screen.findByText(/^Approved Flag change/);
    expect(status.textContent).toBe('Approved Flag change: update production/new-checkout-flow. Follow it');
  });
});

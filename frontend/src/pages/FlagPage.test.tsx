import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, DEVELOPER, fakeApi, json, type Recorded } from '../test/fakeApi';
import { CHECKOUT_HISTORY, flagDetail } from '../test/flagFixtures';
import { WithMe } from '../test/withMe';
import { FlagPage } from './FlagPage';

afterEach(() => vi.unstubAllGlobals());

function setup(opts: { del?: (r: Recorded) => Response; detail?: ReturnType<typeof flagDetail> } = {}) {
  return fakeApi({
    override: (r) => {
      const base = '/api/v1/flags/production/new-checkout-flow';
      if (r.url.pathname === base && r.method === 'GET') return json(opts.detail ?? flagDetail());
      if (r.url.pathname === `${base}/history`) return json({ items: CHECKOUT_HISTORY });
      if (r.url.pathname === base && r.method === 'DELETE') return opts.del ? opts.del(r) : new Response(null, { status: 204 });
      return undefined;
    },
  });
}

function renderPage(me = ADMIN) {
  render(
    <WithMe me={me}>
      <FlagPage environment="production" flagKey="new-checkout-flow" />
    </WithMe>,
  );
}

describe('FlagPage', () => {
  it('shows the definition in words and as JSON, and the history with a readable diff', async () => {
    setup();
    renderPage();
    expect(await screen.findByText('If email ends with "@sphera.example": "on"')).toBeTruthy();
    expect(screen.getByText('Everyone else: 30% "on" / 70% "off" by accountId')).toBeTruthy();
    expect(JSON.parse(screen.getByTestId('flag-definition').textContent ?? '')).toMatchObject({ defaultVariant: 'off' });
    const v2 = await screen.findByRole('list', { name: 'What changed in version 2' });
    expect([...v2.querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      'Everyone else: 20% "on" / 80% "off" by accountId → 30% "on" / 70% "off" by accountId',
    ]);
    expect(screen.getByText('“more accounts”')).toBeTruthy();
    expect(screen.getByText('v1 created')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Edit' }).getAttribute('href')).toBe('#/flags/production/new-checkout-flow/edit');
  });

  it('closes a flag after confirming, with the reason in the history', async () => {
    const api = setup();
    renderPage();
    fireEvent.click(await screen.findByRole('button', { name: 'Close flag' }));
    fireEvent.change(screen.getByLabelText('Why (kept in the history)'), { target: { value: 'fully rolled out' } });
    fireEvent.click(screen.getByRole('button', { name: 'Close the flag' }));
    expect((await screen.findByTestId('flag-gone')).textContent).toContain('Closed: new-checkout-flow no longer exists in production');
    const del = api.requests.find((r) => r.method === 'DELETE');
    expect(del?.url.searchParams.get('comment')).toBe('fully rolled out');
  });

  it('says when closing waits for approval, with a link to the request', async () => {
    setup({ del: () => json({ pending: { id: 'act_7', message: 'needs a platform approver' } }, 202) });
    renderPage();
    fireEvent.click(await screen.findByRole('button', { name: 'Close flag' }));
    fireEvent.click(screen.getByRole('button', { name: 'Close the flag' }));
    const pending = await screen.findByTestId('flag-pending');
    expect(within(pending).getByRole('link', { name: 'act_7' }).getAttribute('href')).toBe('#/self-service/act_7');
  });

  it('disables Edit for whoever may not change the flag, with the reason', async () => {
    setup();
    renderPage(DEVELOPER);
    const edit = await screen.findByRole('button', { name: 'Edit' });
    expect((edit as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText(/Changing flags of team payments needs the team owner role on payments, or admin\./)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Close flag' })).toBeNull();
  });

  it('marks a stale flag ready to close and says why', async () => {
    setup({ detail: flagDetail({ stale: true, stale_reason: 'always serves "on" and unchanged for more than 30 days' }) });
    renderPage();
    expect(await screen.findByText(/Ready to close: it always serves "on" and unchanged for more than 30 days/)).toBeTruthy();
  });

  it('says a flag that is gone is gone, and still shows its history', async () => {
    fakeApi({
      override: (r) => {
        if (r.url.pathname.endsWith('/history')) return json({ items: CHECKOUT_HISTORY });
        if (r.url.pathname.startsWith('/api/v1/flags/')) return json({ error: { code: 'not_found', message: 'no flag' } }, 404);
        return undefined;
      },
    });
    renderPage();
    expect((await screen.findByTestId('flag-gone')).textContent).toContain('There is no flag new-checkout-flow in production (any more)');
    await waitFor(() => expect(screen.getByText('v2 changed')).toBeTruthy());
  });
});

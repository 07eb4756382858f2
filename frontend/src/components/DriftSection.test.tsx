import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DriftItem, Me } from '../api/client';
import { DEVELOPER, fakeApi, json, makeAction } from '../test/fakeApi';
import { DRIFT_LIST, driftItem } from '../test/driftFixtures';
import { WithMe } from '../test/withMe';
import { DriftSection } from './DriftSection';

afterEach(() => {
  vi.unstubAllGlobals();
});

const SEARCH_DEV: Me = { subject: 'sam', via: 'token', grants: [{ role: 'developer', team: 'search' }], scopes: [], permissions: ['drift:read', 'drift:acknowledge@search', 'drift:fix@search'] };

function show(me: Me) {
  render(
    <WithMe me={me}>
      <DriftSection service="payments-api" me={me} refreshKey="1" />
    </WithMe>,
  );
}

describe('DriftSection', () => {
  it("lists the service's drift field by field, with who changed it last and where it is declared", async () => {
    const api = fakeApi({ drift: DRIFT_LIST });
    show(DEVELOPER);
    const table = await screen.findByRole('table', { name: 'Fields of HorizontalPodAutoscaler payments/payments-api that differ' });
    const cells = within(table).getAllByRole('cell').map((c) => c.textContent);
    expect(cells).toEqual(['spec.maxReplicas', '10', '25']);
    const section = screen.getByRole('region', { name: /Drift/ });
    expect(section.textContent).toContain('last changed by kubectl-edit');
    expect(section.textContent).toContain('declared in sphera/deploy@1a2b3c4 clusters/prod-eu-1/payments/hpa.yaml');
    expect(section.textContent).toContain('1 missing · 1 changed');
    // Only this service's items, asked of the replica by service.
    expect(api.requests.some((r) => r.url.pathname === '/api/v1/drift' && r.url.searchParams.get('service') === 'payments-api')).toBe(true);
    expect(section.textContent).not.toContain('manual-backfill');
  });

  it('acknowledges with a reason (required) and shows the item as the portal answers it', async () => {
    const api = fakeApi({
      drift: { ...DRIFT_LIST, items: [driftItem()] },
      override: (r) =>
        r.method === 'POST' && r.url.pathname === '/api/v1/drift/d1/acknowledge'
          ? json(driftItem({ state: 'silenced', acknowledgement: { by: 'ana', at: '2026-11-20T15:00:00Z', reason: 'load test', until: '2026-11-27T15:00:00Z' } }))
          : undefined,
    });
    show(DEVELOPER);
    fireEvent.click(await screen.findByRole('button', { name: 'Acknowledge…' }));
    const form = screen.getByRole('form', { name: /Acknowledge drift of/ });
    fireEvent.submit(form);
    expect(form.textContent).toContain('Say why');
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    fireEvent.change(within(form).getByLabelText('Reason'), { target: { value: '  load test  ' } });
    fireEvent.change(within(form).getByLabelText('Silence'), { target: { value: '168' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Silence' }));
    await screen.findByText(/silenced by ana until/);
    const post = api.requests.find((r) => r.method === 'POST');
    const body = post?.body as { reason: string; until: string };
    expect(body.reason).toBe('load test');
    expect(Date.parse(body.until) - Date.now()).toBeGreaterThan(6.9 * 24 * 3_600_000);
    expect(screen.getByRole('button', { name: 'Reopen' })).toBeTruthy();
  });

  it("offers another team's drift to nobody, saying why", async () => {
    fakeApi({ drift: { ...DRIFT_LIST, items: [driftItem()] } });
    show(SEARCH_DEV);
    await screen.findByText('spec.maxReplicas');
    expect(screen.queryByRole('button', { name: 'Acknowledge…' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Open pull request' })).toBeNull();
    expect(screen.getAllByText(/needs a developer or team owner role on payments/).length).toBeGreaterThan(0);
  });

  it('starts a fix once per click series (one idempotency key) and links what it started', async () => {
    const missing = DRIFT_LIST.items[1] as DriftItem;
    const api = fakeApi({
      drift: { ...DRIFT_LIST, items: [missing] },
      override: (r) =>
        r.method === 'POST' && r.url.pathname === '/api/v1/drift/d2/fix'
          ? json({ item: { ...missing, fix: { kind: 'create', by: 'ana', at: '2026-11-20T15:00:00Z', action: 'act_42' } }, action: makeAction({ id: 'act_42', kind: 'sqs_queue', state: 'pending_approval' }) })
          : undefined,
    });
    show(DEVELOPER);
    const button = await screen.findByRole('button', { name: 'Create missing copy' });
    fireEvent.click(button);
    const done = await screen.findByTestId('drift-fix');
    expect(done.textContent).toContain('act_42');
    expect(within(done).getByRole('link', { name: 'act_42' }).getAttribute('href')).toBe('#/self-service/act_42');
    fireEvent.click(screen.getByRole('button', { name: 'Create missing copy' }));
    await waitFor(() => expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(2));
    const keys = api.requests.filter((r) => r.method === 'POST').map((r) => r.headers.get('Idempotency-Key'));
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBe(keys[0]);
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({ kind: 'create' });
  });

  it("shows the portal's refusal as it comes", async () => {
    fakeApi({
      drift: { ...DRIFT_LIST, items: [driftItem()] },
      override: (r) =>
        r.method === 'POST' ? json({ error: { code: 'fix_unavailable', message: 'fix not available: the portal has no GitHub token to open pull requests' } }, 409) : undefined,
    });
    show(DEVELOPER);
    fireEvent.click(await screen.findByRole('button', { name: 'Open pull request' }));
    expect((await screen.findByRole('alert')).textContent).toContain('no GitHub token');
  });
});

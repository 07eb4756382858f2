import { render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { DEVELOPER, fakeApi, makeAction } from './test/fakeApi';

afterEach(() => vi.unstubAllGlobals());

describe('App', () => {
  it('reports ui.ready once with the total after the first catalog page, and shows sync status', async () => {
    window.location.hash = '#/';
    const api = fakeApi({
      sync: {
        mode: 'local',
        state: 'syncing',
        done: 12,
        total: 83,
        services: 40,
        as_of: '2026-11-26T09:33:08Z',
        data_version: 'e.12',
      },
    });
    render(<App />);
    expect(await screen.findByText('500 services')).toBeTruthy();
    expect(await screen.findByText('syncing 12/83')).toBeTruthy();
    expect(screen.getByText('local demo')).toBeTruthy();
    const usage = () => api.requests.filter((r) => r.url.pathname === '/api/v1/usage/events').map((r) => r.body);
    await waitFor(() => expect(usage()).toContainEqual({ kind: 'ui.ready', page: 'catalog', count: 500 }));
    window.location.hash = '#/settings';
    expect(await screen.findByRole('heading', { name: 'Settings' })).toBeTruthy();
    await waitFor(() => expect(usage()).toContainEqual({ kind: 'page.view', page: 'settings' }));
    expect(usage().filter((e) => (e as { kind: string }).kind === 'ui.ready')).toHaveLength(1);
  });
});

describe('App navigation by permission', () => {
  const navLinks = () =>
    Array.from(document.querySelectorAll('.app-nav a')).map((a) => (a.firstChild?.textContent ?? '').trim());

  it('shows an admin everything, with the number of requests waiting for approval', async () => {
    window.location.hash = '#/settings';
    fakeApi({
      override: (r) =>
        r.url.pathname === '/api/v1/approvals'
          ? new Response(JSON.stringify({ actions: [makeAction({ id: 'a1' }), makeAction({ id: 'a2' })] }), { status: 200 })
          : undefined,
    });
    render(<App />);
    expect(await screen.findByTestId('approvals-count')).toBeTruthy();
    expect(screen.getByTestId('approvals-count').textContent).toBe('2');
    expect(navLinks()).toEqual(['Catalog', 'Self-service', 'Approvals', 'Audit', 'Tokens', 'Settings']);
    expect(screen.getByTestId('identity').textContent).toBe('rootadmin');
  });

  it('hides Approvals, Audit and Tokens from a developer, and says why when they go there anyway', async () => {
    window.location.hash = '#/audit';
    const api = fakeApi({ me: DEVELOPER });
    render(<App />);
    expect(await screen.findByText('You may not see the audit log')).toBeTruthy();
    expect(screen.getByText('The audit log is for platform approvers and admins (it needs audit:read).')).toBeTruthy();
    expect(navLinks()).toEqual(['Catalog', 'Self-service', 'Settings']);
    expect(screen.getByTestId('identity').textContent).toBe('anadeveloper of payments');
    expect(api.requests.some((r) => r.url.pathname === '/api/v1/audit' || r.url.pathname === '/api/v1/approvals')).toBe(false);
  });

  it("shows the portal's 403 when a view is refused despite what /me said", async () => {
    window.location.hash = '#/admin/tokens';
    fakeApi({
      override: (r) =>
        r.url.pathname === '/api/v1/tokens'
          ? new Response(JSON.stringify({ error: { code: 'forbidden', message: "this token's scopes do not include tokens:manage" } }), { status: 403 })
          : undefined,
    });
    render(<App />);
    expect(await screen.findByText("this token's scopes do not include tokens:manage")).toBeTruthy();
    expect(screen.getByText('Tokens could not be loaded')).toBeTruthy();
  });
});

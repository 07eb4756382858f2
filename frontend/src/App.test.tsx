import { render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { fakeApi } from './test/fakeApi';

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

import { render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { DEVELOPER, fakeApi, json, makeAction, makeRows } from '../test/fakeApi';

afterEach(() => vi.unstubAllGlobals());

const scores = {
  items: [
    {
      team: 'payments',
      services: 167,
      average: 71.4,
      below: 2,
      levels: { gold: 10, silver: 100, bronze: 55, none: 2 },
      dragging: [{ service: 'svc-0003', owner: 'payments', score: 31, level: 'none', below: true, failing: 4, changed_at: '2026-11-20T10:00:00Z' }],
    },
  ],
};

describe('TeamPage', () => {
  it("shows a team's contact, its services with their signals, its scores and its latest requests, with ways to the full lists", async () => {
    window.location.hash = '#/teams/payments';
    const api = fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/scorecards/teams') return json(scores);
        if (r.url.pathname === '/api/v1/actions') return json({ actions: [makeAction({ id: 'a1', team: 'payments' })] });
        return undefined;
      },
    });
    render(<App />);
    expect(await screen.findByRole('heading', { name: 'Payments', level: 1 })).toBeTruthy();
    const services = await screen.findByRole('table', { name: 'Services of the team' });
    await waitFor(() => expect(within(services).getAllByRole('row').length).toBeGreaterThan(10));
    // Asked for the team's services, those with the most signals first.
    const asked = api.serviceRequests()[0]?.url.searchParams;
    expect([asked?.get('owner'), asked?.get('sort'), asked?.get('order')]).toEqual(['payments', 'signals', 'desc']);
    expect(screen.getAllByRole('link', { name: /catalog/ }).some((a) => a.getAttribute('href') === '#/?owner=payments')).toBe(true);
    expect((await screen.findByTestId('team-score')).textContent).toContain('Average 71 over 167 services; 2 services below the threshold.');
    expect(screen.getByRole('link', { name: 'svc-0003' }).getAttribute('href')).toBe('#/services/svc-0003');
    expect(screen.getByRole('link', { name: "The team's scorecards" }).getAttribute('href')).toBe('#/scorecards?team=payments');
    const requests = await screen.findByRole('list', { name: 'Latest requests of the team' });
    expect(within(requests).getAllByRole('listitem')).toHaveLength(1);
    expect(screen.getByRole('link', { name: "All the team's requests" }).getAttribute('href')).toBe('#/self-service?team=payments&all=1');
    expect(api.requests.some((r) => r.url.pathname === '/api/v1/actions' && r.url.searchParams.get('team') === 'payments')).toBe(true);
  });

  it("says, as the catalog does, that a service's dependencies were not checked where Atrium does not read its language", async () => {
    window.location.hash = '#/teams/payments';
    const quiet = { findings: 0, outdated: 0, owner: 'payments' };
    const [py, go] = makeRows(2);
    fakeApi({ rows: [{ ...py!, ...quiet, name: 'py-svc', language: 'Python' }, { ...go!, ...quiet, name: 'go-svc', language: 'Go' }] });
    render(<App />);
    const services = await screen.findByRole('table', { name: 'Services of the team' });
    const signals = (name: string) => within(services).getByRole('link', { name }).closest('tr')?.querySelector('[data-signals]');
    await waitFor(() => expect(signals('py-svc')).toBeTruthy());
    expect(signals('py-svc')?.textContent).toBe('deps not checked');
    expect(signals('py-svc')?.getAttribute('title')).toContain('Python dependencies are not read yet');
    expect(signals('go-svc')?.getAttribute('data-signals')).toBe('none');
  });

  it('leaves out the requests of a team whose requests the user may not read', async () => {
    window.location.hash = '#/teams/search';
    const outsider = { ...DEVELOPER, permissions: DEVELOPER.permissions.filter((p) => !p.startsWith('actions:read')) };
    const api = fakeApi({ me: outsider });
    render(<App />);
    expect(await screen.findByRole('heading', { name: 'Search', level: 1 })).toBeTruthy();
    await screen.findByRole('table', { name: 'Services of the team' });
    expect(screen.queryByRole('heading', { name: 'Latest requests' })).toBeNull();
    expect(api.requests.some((r) => r.url.pathname === '/api/v1/actions')).toBe(false);
  });
});

describe('owner and system as links', () => {
  it("links a catalog row's owner to the team's page", async () => {
    window.location.hash = '#/';
    fakeApi();
    render(<App />);
    await screen.findByText('500 services');
    const row = document.querySelector('[data-service="svc-0001"]') as HTMLElement;
    expect(within(row).getByRole('link', { name: 'search' }).getAttribute('href')).toBe('#/teams/search');
  });
});

import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Adoption } from '../api/client';
import { ADMIN, DEVELOPER, fakeApi, json } from '../test/fakeApi';
import { WithMe } from '../test/withMe';
import { AdoptionPage } from './AdoptionPage';

afterEach(() => vi.unstubAllGlobals());

const adoption: Adoption = {
  as_of: '2026-12-03',
  weeks: [
    { week: '2026-11-20', end: '2026-11-26', active: 30, developers: 120, percent: 25 },
    { week: '2026-11-27', end: '2026-12-03', active: 48, developers: 120, percent: 40 },
  ],
  teams: [
    { team: 'growth', active: 8, developers: 40, percent: 20 },
    { team: 'payments', active: 30, developers: 50, percent: 60 },
    { team: 'search', active: 10, developers: 30, percent: 33.3 },
  ],
  features: [
    { feature: 'catalog', active: 45, percent: 93.8, events: 900 },
    { feature: 'flags', active: 12, percent: 25, events: 80 },
    { feature: 'secrets', active: 0, percent: 0, events: 0 },
  ],
  other_active: 2,
  sources: [{ source: 'github:sphera', developers: 120 }],
};

function renderPage(weeks = 26, me = ADMIN) {
  const api = fakeApi({
    override: (r) => {
      if (r.url.pathname !== '/api/v1/kpi/adoption') return undefined;
      if (r.url.searchParams.get('format') === 'csv') {
        return new Response('team,active,developers,percent\npayments,30,50,60.0\n', {
          headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="adoption-teams-2026-12-03.csv"' },
        });
      }
      return json(adoption);
    },
  });
  render(
    <WithMe me={me}>
      <AdoptionPage weeks={weeks} />
    </WithMe>,
  );
  return api;
}

describe('AdoptionPage', () => {
  it('shows the weekly active percentage of all developers and how it moved', async () => {
    const api = renderPage();
    const head = await screen.findByTestId('adoption-headline');
    expect(within(head).getByTestId('adoption-percent').textContent).toBe('40%');
    expect(head.textContent).toContain('48 of 120 developers used Atrium in the last seven days (Nov 27 – Dec 3): +15 points on the week before.');
    expect(head.textContent).toContain('All developers: 120 developers from github:sphera.');
    expect(head.textContent).toContain('2 more people used Atrium this week without being in the directory');
    expect(api.requests.find((r) => r.url.pathname === '/api/v1/kpi/adoption')?.url.search).toBe('?weeks=26');
    // The chart is recharts' SVG (loaded on demand); the numbers are in a table too.
    await waitFor(() => expect(screen.getByTestId('adoption-chart').querySelector('svg')).not.toBeNull());
    expect(within(screen.getByRole('table', { name: 'Weekly active developers' })).getAllByRole('row')[1]?.textContent).toBe('2026-11-27 – 2026-12-034812040');
  });

  it('ranks teams by their percentage, or by name', async () => {
    renderPage();
    const table = await screen.findByRole('table', { name: 'Adoption by team' });
    const teams = () => [...table.querySelectorAll('[data-team]')].map((r) => r.getAttribute('data-team'));
    await waitFor(() => expect(teams()).toEqual(['payments', 'search', 'growth']));
    fireEvent.click(within(table).getByRole('button', { name: /Team/ }));
    expect(teams()).toEqual(['growth', 'payments', 'search']);
  });

  it('says which features the active developers used', async () => {
    renderPage();
    const features = await screen.findByRole('table', { name: "Features used by the week's active developers" });
    expect(within(features).getAllByRole('row').map((r) => r.textContent)).toEqual([
      'FeatureDevelopers% of activeEvents',
      'Catalog4593.8900',
      'Flags122580',
      'Secrets000',
    ]);
  });

  it('exports a table as CSV from the portal', async () => {
    const clicks: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    });
    const api = renderPage(12);
    const section = (await screen.findByRole('heading', { name: 'By team, last seven days' })).closest('section') as HTMLElement;
    fireEvent.click(within(section).getByRole('button', { name: 'Export CSV' }));
    const status = await screen.findByTestId('adoption-export');
    expect(status.textContent).toContain('this week by team');
    expect(clicks).toEqual(['adoption-teams-2026-12-03.csv']);
    const csv = api.requests.find((r) => r.url.searchParams.get('format') === 'csv');
    expect(csv?.url.search).toBe('?weeks=12&format=csv&table=teams');
  });

  it('is for platform approvers and admins', async () => {
    const api = renderPage(26, DEVELOPER);
    expect((await screen.findByTestId('permission-notice')).textContent).toContain('it needs usage:read');
    expect(api.requests.filter((r) => r.url.pathname.startsWith('/api/v1/kpi'))).toHaveLength(0);
  });
});

import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ScorecardList, ScorecardRow, ScoreRules, ScoreTrend, TeamScore } from '../api/client';
import { EMPTY_SCORECARD_FILTERS, type ScorecardFilters } from '../lib/router';
import { DEVELOPER, fakeApi, json } from '../test/fakeApi';
import { WithMe } from '../test/withMe';
import { ScorecardsPage } from './ScorecardsPage';

afterEach(() => vi.unstubAllGlobals());

const rules: ScoreRules = {
  version: 'v1',
  threshold: 70,
  levels: ['bronze', 'silver', 'gold'],
  gated_environments: ['production'],
  rules: [
    { name: 'repo-readme', title: 'README', description: 'd', remediation: 'r', level: 'bronze', weight: 1, expression: 'true', built_in: true },
    { name: 'repo-codeowners', title: 'CODEOWNERS', description: 'd', remediation: 'r', level: 'bronze', weight: 2, expression: 'true', built_in: true },
  ],
};

const row = (service: string, owner: string, score: number): ScorecardRow => ({
  service,
  owner,
  score,
  level: score >= 90 ? 'gold' : score >= 70 ? 'silver' : 'none',
  below: score < 70,
  failing: score < 100 ? 2 : 0,
  changed_at: '2026-09-01T10:00:00Z',
});

const rows = [row('ledger-api', 'payments', 38), row('payments-api', 'payments', 61), row('search-api', 'search', 84), row('checkout', 'payments', 100)];
const teams: TeamScore[] = [
  { team: 'payments', services: 3, average: 66.3, below: 2, levels: { none: 2, gold: 1 }, dragging: [rows[0]!, rows[1]!] },
  { team: 'search', services: 1, average: 84, below: 0, levels: { silver: 1 }, dragging: [] },
];
const trend: ScoreTrend = {
  team: 'payments',
  points: [
    { day: '2026-08-18', score: 50 },
    { day: '2026-08-25', score: 58 },
    { day: '2026-09-01', score: 66 },
  ],
};

function show(filters: Partial<ScorecardFilters> = {}, me = DEVELOPER) {
  const api = fakeApi({
    override: (r) => {
      const q = r.url.searchParams;
      switch (r.url.pathname) {
        case '/api/v1/scorecards': {
          const team = q.get('team');
          const items = rows.filter((x) => (!team || x.owner === team) && (q.get('below') !== 'true' || x.below));
          const body: ScorecardList = { rules, items: items.slice(0, Number(q.get('limit') ?? 200)), total: items.length };
          return json(body);
        }
        case '/api/v1/scorecards/teams':
          return json({ items: teams.filter((t) => !q.get('team') || t.team === q.get('team')) });
        case '/api/v1/scorecards/trend':
          return json(trend);
      }
      return undefined;
    },
  });
  render(
    <WithMe me={me}>
      <ScorecardsPage filters={{ ...EMPTY_SCORECARD_FILTERS, ...filters }} refreshKey="r1" />
    </WithMe>,
  );
  return api;
}

describe('ScorecardsPage', () => {
  it('lists every service by score, with level, and says what the rules are', async () => {
    show();
    expect(await screen.findByText('4 services')).toBeTruthy();
    const ledger = document.querySelector('[data-service="ledger-api"]') as HTMLElement;
    expect(within(ledger).getByText('38')).toBeTruthy();
    expect(within(ledger).getByText('No level')).toBeTruthy();
    expect(ledger.dataset.below).toBe('true');
    expect(within(ledger).getByRole('link', { name: 'ledger-api' }).getAttribute('href')).toBe('#/services/ledger-api');
    expect(screen.getByTestId('scorecard-rules').textContent).toBe('2 rules · threshold 70 · levels Bronze, Silver, Gold · deploys gated in production');
  });

  it('shows each team’s average and the services dragging it down, and the user’s own team below par', async () => {
    show();
    const table = await screen.findByRole('table', { name: 'Teams' });
    const payments = await within(table).findByText('payments');
    const tr = payments.closest('tr') as HTMLElement;
    expect(within(tr).getByText('66.3')).toBeTruthy();
    expect(within(tr).getByRole('link', { name: 'ledger-api' }).getAttribute('href')).toBe('#/services/ledger-api');
    expect(within(tr).getByRole('link', { name: 'payments-api' })).toBeTruthy();
    expect(screen.getByTestId('my-teams-below').textContent).toContain('payments: 2 services below the threshold');
  });

  it('filters by team through the URL, and asks the API for that team’s list, standing and trend', async () => {
    const api = show({ team: 'payments', below: true });
    expect(await screen.findByText('2 services')).toBeTruthy();
    const asked = (path: string) => api.requests.filter((r) => r.url.pathname === path).map((r) => r.url.searchParams.get('team'));
    expect(asked('/api/v1/scorecards/teams')).toContain('payments');
    expect(asked('/api/v1/scorecards/trend')).toContain('payments');
    const list = api.requests.find((r) => r.url.pathname === '/api/v1/scorecards' && r.url.searchParams.get('team') === 'payments');
    expect(list?.url.searchParams.get('below')).toBe('true');
    fireEvent.click(screen.getByRole('checkbox', { name: 'Below the threshold only' }));
    expect(window.location.hash).toBe('#/scorecards?team=payments');
    fireEvent.change(screen.getByRole('combobox', { name: 'Team' }), { target: { value: '' } });
    expect(window.location.hash).toBe('#/scorecards?below=1');
  });

  it('draws the trend over the weeks, with the threshold', async () => {
    show({ team: 'payments' });
    const fig = await screen.findByTestId('score-trend');
    expect(fig.dataset.points).toBe('3');
    expect(fig.textContent).toContain("payments' average score, weekly: from 50 on Aug 18 to 66 on Sep 1");
    await waitFor(() => expect(fig.querySelector('svg .recharts-line')).toBeTruthy());
  });

  it('says so when scorecards are off on the portal', async () => {
    fakeApi({ override: (r) => (r.url.pathname.startsWith('/api/v1/scorecards') ? json({ rules: null, items: [], total: 0, points: [] }) : undefined) });
    render(<ScorecardsPage filters={EMPTY_SCORECARD_FILTERS} refreshKey="r" />);
    expect(await screen.findByText('Scorecards are switched off on this portal')).toBeTruthy();
  });
});

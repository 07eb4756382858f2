import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FleetEffective } from '../api/client';
import { FleetContext } from '../hooks/useFleet';
import { fakeApi, json, makeEffective } from '../test/fakeApi';
import { PreferencesPanel } from './PreferencesPanel';

afterEach(() => vi.unstubAllGlobals());

function renderPanel(e: FleetEffective, set = vi.fn()) {
  render(
    <FleetContext.Provider value={{ effective: e, error: null, set }}>
      <PreferencesPanel />
    </FleetContext.Provider>,
  );
  return set;
}

// The configuration enforces the matrix page and the default team, and makes the landing page a default.
const enforcing = makeEffective({
  revision: '5.1',
  version: 5,
  team: 'payments',
  team_from: 'fleet',
  landing_page: 'scorecards',
  features: { matrix: true },
  modes: { default_team: 'enforced', landing_page: 'default', features: 'enforced' },
  from: { default_team: 'fleet', landing_page: 'fleet', 'features/matrix': 'fleet' },
  key: { key_id: 'ed25519:abc', pinned_at: '2026-11-30T09:00:00Z' },
});

describe('PreferencesPanel', () => {
  it('shows what the configuration enforces without letting it be changed', () => {
    fakeApi();
    renderPanel(enforcing);
    expect(screen.getByTestId('fleet-applied').textContent).toContain("fleet configuration version 5. It trusts the portal key ed25519:abc");
    const team = screen.getByLabelText('Team') as HTMLInputElement;
    expect(team.disabled).toBe(true);
    expect(team.value).toBe('payments');
    expect((screen.getByLabelText('Matrix page') as HTMLSelectElement).disabled).toBe(true);
    expect((screen.getByLabelText('Matrix page') as HTMLSelectElement).value).toBe('on');
    // A default and a page the configuration does not name are the user's.
    expect((screen.getByLabelText('Open on') as HTMLSelectElement).disabled).toBe(false);
    expect((screen.getByLabelText('Packages page') as HTMLSelectElement).disabled).toBe(false);
    expect((screen.getByRole('button', { name: 'Save preferences' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("saves the user's choices and hands the shell what applies now", async () => {
    const after = makeEffective({ ...enforcing, revision: '5.2', landing_page: 'flags', from: { ...enforcing.from, landing_page: 'user' } });
    const api = fakeApi({ override: (r) => (r.url.pathname === '/api/v1/preferences' ? json(after) : undefined) });
    const set = renderPanel(enforcing);
    fireEvent.change(screen.getByLabelText('Open on'), { target: { value: 'flags' } });
    fireEvent.change(screen.getByLabelText('Packages page'), { target: { value: 'off' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save preferences' }));
    expect((await screen.findByRole('status')).textContent).toBe('Saved: they apply now.');
    const put = api.requests.find((r) => r.url.pathname === '/api/v1/preferences');
    expect(put?.method).toBe('PUT');
    expect(put?.body).toEqual({ landing_page: 'flags', features: { packages: false } });
    expect(set).toHaveBeenCalledWith(after);
  });

  it("shows the portal's refusal at its field", async () => {
    fakeApi({
      override: (r) =>
        r.url.pathname === '/api/v1/preferences'
          ? json({ error: { code: 'invalid', message: 'invalid preferences: nothing was saved', fields: [{ field: 'team', problem: 'not a team name' }] } }, 400)
          : undefined,
    });
    renderPanel(makeEffective({ revision: '1.1' }));
    fireEvent.change(screen.getByLabelText('Team'), { target: { value: 'Payments!' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save preferences' }));
    const form = screen.getByTestId('preferences');
    await waitFor(() => expect(within(form).getByText('not a team name')).toBeTruthy());
    expect(screen.getByLabelText('Team').getAttribute('aria-invalid')).toBe('true');
  });
});

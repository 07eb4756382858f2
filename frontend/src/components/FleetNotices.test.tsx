import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import type { FleetEffective } from '../api/client';
import { useFleetLoader } from '../hooks/useFleet';
import { ALL_FEATURES_ON, DEVELOPER, fakeApi, json, makeEffective } from '../test/fakeApi';

afterEach(() => vi.unstubAllGlobals());

describe('the fleet configuration in the app', () => {
  it('shows the banner, the update notice and the organisation links, and opens on the landing page', async () => {
    window.location.hash = '';
    fakeApi({
      fleet: makeEffective({
        revision: '3.1',
        version: 3,
        banner: { text: 'Portal maintenance Friday 18:00', level: 'warning' },
        min_app_version: '9.0.0',
        update_required: true,
        app_version: '1.0.0',
        landing_page: 'flags',
        links: [
          { title: 'Docs', url: 'https://docs.example.com', kind: 'docs' },
          { title: 'On-call', url: 'https://oncall.example.com', kind: 'oncall' },
        ],
      }),
    });
    render(<App />);
    const banner = await screen.findByTestId('fleet-banner');
    expect(banner.textContent).toBe('Portal maintenance Friday 18:00');
    expect(banner.getAttribute('data-level')).toBe('warning');
    expect(screen.getByTestId('fleet-update').textContent).toBe('This is Atrium 1.0.0; your platform team asks for 9.0.0 or newer. Please update Atrium.');
    const links = within(screen.getByTestId('fleet-links')).getAllByRole('link');
    expect(links.map((a) => `${a.textContent}=${a.getAttribute('href')}`)).toEqual(['Docs=https://docs.example.com', 'On-call=https://oncall.example.com']);
    await waitFor(() => expect(window.location.hash).toBe('#/flags'));
  });

  it('leaves a page the app was opened on alone', async () => {
    window.location.hash = '#/settings';
    fakeApi({ fleet: makeEffective({ revision: '1.1', version: 1, landing_page: 'flags', banner: { text: 'Hello', level: 'info' } }) });
    render(<App />);
    await screen.findByTestId('fleet-banner');
    expect(window.location.hash).toBe('#/settings');
  });

  it('says nothing when no configuration applies', async () => {
    window.location.hash = '#/settings';
    const api = fakeApi({ fleet: makeEffective() });
    render(<App />);
    await waitFor(() => expect(api.requests.some((r) => r.url.pathname === '/api/v1/fleet/effective')).toBe(true));
    await screen.findByRole('heading', { name: 'Settings' });
    expect(screen.queryByRole('region', { name: 'From your platform team' })).toBeNull();
    expect(screen.queryByTestId('fleet-links')).toBeNull();
  });

  it("asks before trusting the portal's new signing key, and trusts the one it names", async () => {
    window.location.hash = '#/settings';
    const rekeyed = makeEffective({ revision: '2.5', version: 2, key: { key_id: 'ed25519:old', offered_key_id: 'ed25519:new' } });
    const api = fakeApi({
      fleet: rekeyed,
      override: (r) => (r.url.pathname === '/api/v1/fleet/trust' ? json({ ...rekeyed, revision: '3.6', version: 3, key: { key_id: 'ed25519:new' } }) : undefined),
    });
    render(<App />);
    const notice = await screen.findByTestId('fleet-key');
    expect(notice.textContent).toContain('another key (ed25519:new) than the one this install trusts (ed25519:old)');
    fireEvent.click(within(notice).getByRole('button', { name: 'Trust the new key…' }));
    const dialog = screen.getByRole('alertdialog');
    expect(dialog.textContent).toContain('Trust the key ed25519:new?');
    expect(api.requests.filter((r) => r.url.pathname === '/api/v1/fleet/trust')).toHaveLength(0);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Trust this key' }));
    await waitFor(() => expect(screen.queryByTestId('fleet-key')).toBeNull());
    expect(api.requests.find((r) => r.url.pathname === '/api/v1/fleet/trust')?.body).toEqual({ key_id: 'ed25519:new' });
  });

  it('says a page is off by the fleet configuration, and where an admin changes it', async () => {
    window.location.hash = '#/secrets';
    fakeApi({
      fleet: makeEffective({ revision: '4.1', version: 4, features: { secrets: false } }),
      features: { ...ALL_FEATURES_ON, features: { ...ALL_FEATURES_ON.features, 'atrium-ui-secrets-page': { enabled: false, variant: 'fleet v4', reason: 'FLEET' } } },
    });
    render(<App />);
    const off = await screen.findByTestId('feature-off');
    expect(off.textContent).toContain("The Secrets page is turned off by your platform team's fleet configuration (version 4).");
    expect(within(off).getByRole('link', { name: 'Fleet page' }).getAttribute('href')).toBe('#/admin/fleet');
    expect([...screen.getByRole('navigation', { name: 'Main' }).querySelectorAll('a')].map((a) => a.textContent)).not.toContain('Secrets');
  });

  it('shows Fleet and Adoption in the nav to admins only', async () => {
    window.location.hash = '#/settings';
    fakeApi();
    const { unmount } = render(<App />);
    await waitFor(() => expect([...screen.getByRole('navigation', { name: 'Main' }).querySelectorAll('a')].map((a) => a.textContent)).toEqual(expect.arrayContaining(['Fleet', 'Adoption'])));
    unmount();
    fakeApi({ me: DEVELOPER });
    render(<App />);
    await screen.findByRole('heading', { name: 'Settings' });
    await waitFor(() => expect([...screen.getByRole('navigation', { name: 'Main' }).querySelectorAll('a')].map((a) => a.textContent)).toContain('Self-service'));
    expect([...screen.getByRole('navigation', { name: 'Main' }).querySelectorAll('a')].map((a) => a.textContent)).not.toContain('Fleet');
  });
});

function Show({ revision }: { revision: string }) {
  const s = useFleetLoader(revision);
  return (
    <p data-testid="fleet">
      {s.effective ? `v${s.effective.version} ${s.effective.banner?.text ?? ''}` : 'none'}
      {s.error ? ` (error: ${s.error.message})` : ''}
    </p>
  );
}

describe('useFleetLoader', () => {
  it('loads nothing without a revision, then again whenever the revision changes', async () => {
    let answer: FleetEffective = makeEffective({ revision: '1.1', version: 1, banner: { text: 'one', level: 'info' } });
    const api = fakeApi({ override: (r) => (r.url.pathname === '/api/v1/fleet/effective' ? json(answer) : undefined) });
    const loads = () => api.requests.filter((r) => r.url.pathname === '/api/v1/fleet/effective').length;
    const { rerender } = render(<Show revision="" />);
    expect(screen.getByTestId('fleet').textContent).toBe('none');
    expect(loads()).toBe(0);
    rerender(<Show revision="1.1" />);
    await waitFor(() => expect(screen.getByTestId('fleet').textContent).toBe('v1 one'));
    rerender(<Show revision="1.1" />);
    answer = makeEffective({ revision: '2.2', version: 2, banner: { text: 'two', level: 'info' } });
    rerender(<Show revision="2.2" />);
    await waitFor(() => expect(screen.getByTestId('fleet').textContent).toBe('v2 two'));
    expect(loads()).toBe(2);
  });

  it('keeps the last answer when a load fails', async () => {
    let fail = false;
    fakeApi({
      override: (r) =>
        r.url.pathname === '/api/v1/fleet/effective'
          ? fail
            ? json({ error: { code: 'internal', message: 'boom' } }, 500)
            : json(makeEffective({ revision: '1.1', version: 1, banner: { text: 'kept', level: 'info' } }))
          : undefined,
    });
    const { rerender } = render(<Show revision="1.1" />);
    await waitFor(() => expect(screen.getByTestId('fleet').textContent).toBe('v1 kept'));
    fail = true;
    rerender(<Show revision="1.2" />);
    await waitFor(() => expect(screen.getByTestId('fleet').textContent).toBe('v1 kept (error: boom)'));
  });
});

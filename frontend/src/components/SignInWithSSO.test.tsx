import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SignInProgress } from '../api/client';
import { MeContext } from '../hooks/useMe';
import { fakeApi, json, type Recorded } from '../test/fakeApi';
import { SettingsPage } from '../pages/SettingsPage';
import { SignInWithSSO } from './SignInWithSSO';

afterEach(() => {
  vi.unstubAllGlobals();
  delete window.runtime;
});

const AUTH_URL = 'http://127.0.0.1:5556/dex/auth?client_id=atrium&state=abc&code_challenge=xyz';

/** A fake local API for single sign-on: start answers the URL, status walks through `states` and stays at the last. */
function ssoApi(states: SignInProgress[], opts: { oidc?: boolean; start?: (r: Recorded) => Response } = {}) {
  let polls = 0;
  const api = fakeApi({
    override: (r) => {
      const p = r.url.pathname;
      if (p === '/api/v1/auth/methods') return json(opts.oidc === false ? { token: true } : { token: true, oidc: { issuer: 'http://127.0.0.1:5556/dex', audience: 'atrium' } });
      if (p === '/api/v1/auth/oidc/start' && r.method === 'POST') return opts.start ? opts.start(r) : json({ auth_url: AUTH_URL, redirect_uri: 'http://127.0.0.1:40001/callback' });
      if (p === '/api/v1/auth/oidc/status') return json(states[Math.min(polls++, states.length - 1)]);
      return undefined;
    },
  });
  return { ...api, polls: () => api.requests.filter((r) => r.url.pathname === '/api/v1/auth/oidc/status').length };
}

describe('SignInWithSSO', () => {
  it('opens the sign-in page in the system browser, waits, then says who signed in', async () => {
    const api = ssoApi([
      { state: 'waiting', message: 'finish signing in in your browser' },
      { state: 'waiting', message: 'finish signing in in your browser' },
      { state: 'signed_in', subject: 'ana@example.com', message: '' },
    ]);
    const open = vi.fn();
    window.runtime = { BrowserOpenURL: open };
    const signedIn = vi.fn();
    render(<SignInWithSSO issuer="http://127.0.0.1:5556/dex" onSignedIn={signedIn} pollMs={5} />);
    fireEvent.click(screen.getByRole('button', { name: 'Sign in with SSO' }));
    expect(await screen.findByText(/Finish signing in in your browser/)).toBeTruthy();
    expect(open).toHaveBeenCalledWith(AUTH_URL);
    expect(screen.getByRole('link', { name: 'open the sign-in page' }).getAttribute('href')).toBe(AUTH_URL);
    expect(await screen.findByText('ana@example.com')).toBeTruthy();
    expect(screen.getByRole('status').textContent).toBe('Signed in as ana@example.com with single sign-on.');
    expect(signedIn).toHaveBeenCalledTimes(1);
    expect(signedIn).toHaveBeenCalledWith('ana@example.com');
    expect(api.requests.filter((r) => r.url.pathname === '/api/v1/auth/oidc/start').map((r) => r.method)).toEqual(['POST']);
    // Polling stops once signed in.
    const polls = api.polls();
    expect(polls).toBe(3);
    await new Promise((r) => setTimeout(r, 30));
    expect(api.polls()).toBe(polls);
  });

  it('opens a new tab in a browser, where there is no Wails runtime', async () => {
    ssoApi([{ state: 'waiting' }]);
    const open = vi.spyOn(window, 'open').mockImplementation(() => null);
    render(<SignInWithSSO issuer="https://id.example.com" onSignedIn={() => undefined} pollMs={5} />);
    fireEvent.click(screen.getByRole('button', { name: 'Sign in with SSO' }));
    await screen.findByText(/Finish signing in in your browser \(https:\/\/id\.example\.com\)/);
    expect(open).toHaveBeenCalledWith(AUTH_URL, '_blank', 'noopener');
    fireEvent.click(screen.getByRole('button', { name: 'Stop waiting' }));
    expect(screen.getByRole('button', { name: 'Sign in with SSO' })).toBeTruthy();
  });

  it("shows the desktop's error, and offers to try again", async () => {
    ssoApi([{ state: 'waiting' }, { state: 'error', message: 'the identity provider refused: access_denied user cancelled' }]);
    window.runtime = { BrowserOpenURL: () => undefined };
    const signedIn = vi.fn();
    render(<SignInWithSSO issuer="x" onSignedIn={signedIn} pollMs={5} />);
    fireEvent.click(screen.getByRole('button', { name: 'Sign in with SSO' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Single sign-on did not finish: the identity provider refused: access_denied user cancelled.');
    expect(screen.getByRole('button', { name: 'Try signing in again' })).toBeTruthy();
    expect(signedIn).not.toHaveBeenCalled();
  });

  it("shows why it could not start (the portal's identity provider is down)", async () => {
    const api = ssoApi([], {
      start: () => json({ error: { code: 'issuer_unreachable', message: 'the identity provider http://127.0.0.1:5556/dex did not answer: connection refused' } }, 502),
    });
    const open = vi.fn();
    window.runtime = { BrowserOpenURL: open };
    render(<SignInWithSSO issuer="x" onSignedIn={() => undefined} pollMs={5} />);
    fireEvent.click(screen.getByRole('button', { name: 'Sign in with SSO' }));
    expect((await screen.findByRole('alert')).textContent).toContain('did not answer: connection refused');
    expect(open).not.toHaveBeenCalled();
    expect(api.polls()).toBe(0);
  });

  it('treats a desktop no longer waiting (restarted) as a failed sign-in', async () => {
    ssoApi([{ state: 'idle' }]);
    window.runtime = { BrowserOpenURL: () => undefined };
    render(<SignInWithSSO issuer="x" onSignedIn={() => undefined} pollMs={5} />);
    fireEvent.click(screen.getByRole('button', { name: 'Sign in with SSO' }));
    expect((await screen.findByRole('alert')).textContent).toContain('no longer waiting for this sign-in');
  });
});

describe('SettingsPage single sign-on', () => {
  it('offers "Sign in with SSO" when the portal does, and reloads who the user is after signing in', async () => {
    const api = ssoApi([{ state: 'signed_in', subject: 'ana@example.com' }]);
    window.runtime = { BrowserOpenURL: () => undefined };
    const reload = vi.fn();
    render(
      <MeContext.Provider value={{ me: null, error: null, reload }}>
        <SettingsPage />
      </MeContext.Provider>,
    );
    expect(await screen.findByText(/single sign-on with/)).toBeTruthy();
    const settingsLoads = () => api.requests.filter((r) => r.url.pathname === '/api/v1/settings').length;
    const before = settingsLoads();
    fireEvent.click(screen.getByRole('button', { name: 'Sign in with SSO' }));
    expect(await screen.findByText('ana@example.com')).toBeTruthy();
    expect(reload).toHaveBeenCalledWith({ forget: true });
    await waitFor(() => expect(settingsLoads()).toBe(before + 1));
  });

  it('offers no SSO when the portal takes API tokens only', async () => {
    ssoApi([], { oidc: false });
    render(<SettingsPage />);
    expect(await screen.findByText('API tokens')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Sign in with SSO' })).toBeNull();
  });
});

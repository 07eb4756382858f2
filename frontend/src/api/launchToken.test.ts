import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Each test loads the modules afresh: the token a page adopted lives as long as the page (module state).
async function load() {
  vi.resetModules();
  const { adoptLaunchToken, launchToken } = await import('./launchToken');
  const { api } = await import('./client');
  return { adoptLaunchToken, launchToken, api };
}

function stubFetch() {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      calls.push({ url, init });
      return new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } });
    }),
  );
  return calls;
}

const header = (init: RequestInit | undefined, name: string) => (init?.headers as Record<string, string> | undefined)?.[name];

describe('the launch token', () => {
  beforeEach(() => {
    window.sessionStorage.clear();
    window.localStorage.clear();
    window.history.replaceState(null, '', '/');
  });
  afterEach(() => vi.unstubAllGlobals());

  it('is taken from the launch URL, kept in sessionStorage, and removed from the address bar', async () => {
    window.history.replaceState(null, '', '/?token=abc123&q=pay#/flags?environment=dev');
    const { adoptLaunchToken, launchToken } = await load();
    adoptLaunchToken();
    expect(launchToken()).toBe('abc123');
    expect(window.sessionStorage.getItem('atrium.launchToken')).toBe('abc123');
    expect(window.location.search).toBe('?q=pay');
    expect(window.location.hash).toBe('#/flags?environment=dev');
    expect(window.location.href).not.toContain('abc123');
    // Never a cookie, never localStorage.
    expect(document.cookie).toBe('');
    expect(window.localStorage.length).toBe(0);
  });

  it('survives navigations of the same tab (a later page load without ?token=)', async () => {
    window.history.replaceState(null, '', '/?token=abc123');
    (await load()).adoptLaunchToken();
    window.history.replaceState(null, '', '/#/settings');
    const { adoptLaunchToken, launchToken } = await load();
    adoptLaunchToken();
    expect(launchToken()).toBe('abc123');
    expect(window.location.hash).toBe('#/settings');
  });

  it('is sent as Authorization: Bearer on every API call, reads and changes, and no credentials are sent by the browser', async () => {
    window.history.replaceState(null, '', '/?token=abc123');
    const { adoptLaunchToken, api } = await load();
    adoptLaunchToken();
    const calls = stubFetch();
    await api.getFacets();
    await api.exportFlags('dev');
    await api.approveAction('act_1', 'ok');
    expect(calls).toHaveLength(3);
    for (const c of calls) {
      expect(header(c.init, 'Authorization')).toBe('Bearer abc123');
      expect(c.init?.credentials).toBe('omit');
      expect(c.url).not.toContain('abc123');
    }
  });

  it('is absent in the desktop window: no Authorization header, and the app works without it', async () => {
    const { adoptLaunchToken, launchToken, api } = await load();
    adoptLaunchToken();
    expect(launchToken()).toBeNull();
    const calls = stubFetch();
    await expect(api.getFacets()).resolves.toEqual({});
    expect(header(calls[0]?.init, 'Authorization')).toBeUndefined();
    expect(window.location.pathname + window.location.search).toBe('/');
  });

  it('an empty ?token= is dropped from the address bar and not kept', async () => {
    window.history.replaceState(null, '', '/?token=');
    const { adoptLaunchToken, launchToken } = await load();
    adoptLaunchToken();
    expect(launchToken()).toBeNull();
    expect(window.location.search).toBe('');
  });

  it('stays in memory when the browser refuses storage', async () => {
    window.history.replaceState(null, '', '/?token=abc123');
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError');
    });
    const { adoptLaunchToken, launchToken } = await load();
    adoptLaunchToken();
    expect(launchToken()).toBe('abc123');
    expect(window.location.search).toBe('');
  });
});

describe('changes', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('are labelled application/json, with or without a body; reads are not', async () => {
    const { api } = await load();
    const calls = stubFetch();
    await api.syncSource('github:acme');
    await api.revokeToken('tok_1');
    await api.putSettings({ portal_url: '' });
    await api.getSettings();
    expect(calls.map((c) => [c.init?.method, header(c.init, 'Content-Type')])).toEqual([
      ['POST', 'application/json'],
      ['DELETE', 'application/json'],
      ['PUT', 'application/json'],
      ['GET', undefined],
    ]);
  });
});

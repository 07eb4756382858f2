import { render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { DEVELOPER, fakeApi, featuresWithOff, json, makeAction } from './test/fakeApi';

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

describe('App in the desktop window and in a browser', () => {
  it.each([
    ['a browser tab (no window.go)', false],
    ['the desktop window (window.go bound)', true],
  ])('renders the catalog and reports usage the same way in %s', async (_, desktop) => {
    window.location.hash = '#/';
    if (desktop) {
      window.go = { app: { OS: { SaveFile: async () => '' } } };
      window.runtime = { BrowserOpenURL: () => undefined };
    }
    try {
      const api = fakeApi();
      render(<App />);
      expect(await screen.findByText('500 services')).toBeTruthy();
      const usage = () => api.requests.filter((r) => r.url.pathname === '/api/v1/usage/events').map((r) => r.body);
      // ui.ready goes once per page load (the first test above checks it); events keep the API's schema either way.
      await waitFor(() => expect(usage()).toContainEqual({ kind: 'page.view', page: 'catalog' }));
      window.location.hash = '#/settings';
      expect(await screen.findByRole('heading', { name: 'Settings' })).toBeTruthy();
    } finally {
      delete window.go;
      delete window.runtime;
    }
  });
});

describe('App navigation by permission', () => {
  const navLinks = () =>
    Array.from(screen.getByRole('navigation', { name: 'Main' }).querySelectorAll('a')).map((a) => (a.firstChild?.textContent ?? '').trim());

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
    expect(navLinks()).toEqual(['Catalog', 'New service', 'Matrix', 'Scorecards', 'Packages', 'Secrets', 'Drift', 'Flags', 'Self-service', 'Approvals', 'Audit', 'Tokens', 'Fleet', 'Adoption', 'Settings', 'Sources']);
    expect(screen.getByTestId('identity').textContent).toBe('rootadmin');
  });

  it('hides Approvals, Audit and Tokens from a developer, and says why when they go there anyway', async () => {
    window.location.hash = '#/audit';
    const api = fakeApi({ me: DEVELOPER });
    render(<App />);
    expect(await screen.findByText('You may not see the audit log')).toBeTruthy();
    expect(screen.getByText('The audit log is for platform approvers and admins (it needs audit:read).')).toBeTruthy();
    expect(navLinks()).toEqual(['Catalog', 'New service', 'Matrix', 'Scorecards', 'Packages', 'Secrets', 'Drift', 'Flags', 'Self-service', 'Settings', 'Sources']);
    expect(screen.getByTestId('identity').textContent).toBe('anadeveloper of payments');
    expect(api.requests.some((r) => r.url.pathname === '/api/v1/audit' || r.url.pathname === '/api/v1/approvals')).toBe(false);
  });

  it('offers New service on the catalog page too', async () => {
    window.location.hash = '#/';
    fakeApi({ me: DEVELOPER });
    render(<App />);
    await screen.findByText('500 services');
    const toolbar = document.querySelector('.toolbar') as HTMLElement;
    await waitFor(() => expect(toolbar.querySelector('a[href="#/new-service"]')?.textContent).toBe('New service'));
  });

  it('offers New service only to whoever may request actions for some team', async () => {
    window.location.hash = '#/new-service';
    const viewer = { ...DEVELOPER, permissions: DEVELOPER.permissions.filter((p) => !p.startsWith('actions:request')) };
    fakeApi({ me: viewer });
    render(<App />);
    expect((await screen.findByTestId('permission-notice')).textContent).toContain('You cannot create services');
    expect(navLinks()).not.toContain('New service');
    expect(screen.queryByRole('link', { name: 'New service' })).toBeNull();
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

describe('App pages gated by the desktop\'s own feature flags', () => {
  const navLinks = () => Array.from(screen.getByRole('navigation', { name: 'Main' }).querySelectorAll('a')).map((a) => (a.firstChild?.textContent ?? '').trim());

  it('hides the Flags page when atrium-ui-flags-page is off, and a direct link names the flag', async () => {
    window.location.hash = '#/flags';
    const api = fakeApi({ features: featuresWithOff('atrium-ui-flags-page') });
    render(<App />);
    const notice = await screen.findByTestId('feature-off');
    expect(notice.textContent).toContain("The Flags page is turned off by the portal's feature flag atrium-ui-flags-page in production");
    expect(notice.textContent).toContain('variant "off"');
    expect(navLinks()).toEqual(['Catalog', 'New service', 'Matrix', 'Scorecards', 'Packages', 'Secrets', 'Drift', 'Self-service', 'Approvals', 'Audit', 'Tokens', 'Fleet', 'Adoption', 'Settings', 'Sources']);
    expect(api.requests.some((r) => r.url.pathname.startsWith('/api/v1/flags'))).toBe(false);
    // The way to turn it back on is not offered through the page that is off.
    expect(notice.querySelector('a[href^="#/flags/"]')).toBeNull();
  });

  it('turns off every self-service page with atrium-ui-self-service, and offers the flag to an admin', async () => {
    window.location.hash = '#/approvals';
    const api = fakeApi({ features: featuresWithOff('atrium-ui-self-service') });
    render(<App />);
    const notice = await screen.findByTestId('feature-off');
    expect(notice.textContent).toContain('atrium-ui-self-service');
    expect(screen.getByRole('link', { name: 'open atrium-ui-self-service' }).getAttribute('href')).toBe('#/flags/production/atrium-ui-self-service');
    expect(navLinks()).toEqual(['Catalog', 'Matrix', 'Scorecards', 'Packages', 'Secrets', 'Drift', 'Flags', 'Audit', 'Tokens', 'Fleet', 'Adoption', 'Settings', 'Sources']);
    expect(api.requests.some((r) => r.url.pathname === '/api/v1/approvals')).toBe(false);
    window.location.hash = '#/self-service/new';
    await waitFor(() => expect(screen.getByTestId('feature-off').textContent).toContain('The Self-service page is turned off'));
  });

  it('hides the Packages page and the dependency links to it when atrium-ui-packages-page is off', async () => {
    window.location.hash = '#/packages?ecosystem=npm';
    fakeApi({ features: featuresWithOff('atrium-ui-packages-page') });
    render(<App />);
    expect((await screen.findByTestId('feature-off')).textContent).toContain('atrium-ui-packages-page');
    expect(navLinks()).not.toContain('Packages');
  });

  it('falls back to each page\'s code default when the features cannot be read', async () => {
    window.location.hash = '#/matrix';
    fakeApi({ override: (r) => (r.url.pathname === '/api/v1/ui/features' ? json({ error: { code: 'internal', message: 'boom' } }, 500) : undefined) });
    render(<App />);
    expect((await screen.findByTestId('feature-off')).textContent).toContain('the desktop could not read its features: boom');
    expect(navLinks()).toEqual(['Catalog', 'New service', 'Scorecards', 'Packages', 'Secrets', 'Drift', 'Flags', 'Self-service', 'Approvals', 'Audit', 'Tokens', 'Fleet', 'Adoption', 'Settings', 'Sources']);
  });

  it('shows the matrix page and its nav item when the portal turns it on', async () => {
    window.location.hash = '#/matrix?team=payments';
    fakeApi();
    render(<App />);
    expect(await screen.findByRole('grid', { name: 'Services by cluster' })).toBeTruthy();
    expect(navLinks()).toContain('Matrix');
    expect(document.title).toBe('What runs where — Atrium');
    // The nav item keeps the filters when coming back from a service page.
    window.location.hash = '#/settings';
    await screen.findByRole('heading', { name: 'Settings' });
    expect(screen.getByRole('link', { name: 'Matrix' }).getAttribute('href')).toBe('#/matrix?team=payments');
  });

  it('hides the matrix when atrium-ui-matrix-page is off, and a direct link names the flag', async () => {
    window.location.hash = '#/matrix';
    const api = fakeApi({ features: featuresWithOff('atrium-ui-matrix-page') });
    render(<App />);
    expect((await screen.findByTestId('feature-off')).textContent).toContain('atrium-ui-matrix-page');
    expect(navLinks()).not.toContain('Matrix');
    expect(api.requests.some((r) => r.url.pathname === '/api/v1/kube/matrix')).toBe(false);
  });

  it('reaches the clusters page from the sources page, whatever the matrix flag says', async () => {
    window.location.hash = '#/sources';
    fakeApi({
      features: featuresWithOff('atrium-ui-matrix-page'),
      override: (r) =>
        r.url.pathname === '/api/v1/sources' ? json({ items: [] }) : r.url.pathname === '/api/v1/kube/clusters' ? json({ items: [] }) : undefined,
    });
    render(<App />);
    const link = await screen.findByRole('link', { name: 'Clusters' });
    expect(link.getAttribute('href')).toBe('#/clusters');
    window.location.hash = '#/clusters';
    expect(await screen.findByText('No live clusters in local mode')).toBeTruthy();
    expect(document.title).toBe('Clusters — Atrium');
  });

  it('links the sync indicator to the sources', async () => {
    window.location.hash = '#/settings';
    fakeApi();
    render(<App />);
    const status = await screen.findByTestId('sync-status');
    expect(status.closest('a')?.getAttribute('href')).toBe('#/sources');
  });
});

import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SourceStatus } from '../api/client';
import { ADMIN, DEVELOPER, fakeApi, json } from '../test/fakeApi';
import { WithMe } from '../test/withMe';
import { SourcesPage } from './SourcesPage';

afterEach(() => vi.unstubAllGlobals());

const demo: SourceStatus = { name: 'demo', kind: 'demo', state: 'ok', message: '75 demo services', done: 0, total: 0, errors: 0, services: 75, syncable: false, finished_at: new Date(Date.now() - 120_000).toISOString() };
const github: SourceStatus = {
  name: 'github:acme',
  kind: 'github',
  state: 'syncing',
  syncable: true,
  done: 120,
  total: 2000,
  errors: 2,
  services: 1800,
  started_at: new Date(Date.now() - 30_000).toISOString(),
  rate_limit: { limit: 5000, remaining: 4200, reset: new Date(Date.now() + 23 * 60_000 + 5_000).toISOString() },
  requests: { total: 312, not_modified: 290, list: 20, content: 2, retried: 0 },
  versions: 'npm from https://npm.mirror.sphera.internal, Go from https://goproxy.sphera.internal',
};

const templates: SourceStatus = {
  name: 'github:sphera/golden-templates',
  kind: 'templates',
  state: 'partial',
  message: '4 templates at 3f9c2e1 of sphera/golden-templates@main, templates/; 1 broken (see their problems)',
  syncable: true,
  done: 0,
  total: 0,
  errors: 1,
  services: 0,
  finished_at: new Date(Date.now() - 60_000).toISOString(),
};

function setup(items: SourceStatus[]) {
  return fakeApi({
    override: (r) => {
      if (r.url.pathname === '/api/v1/sources') return json({ items });
      if (r.url.pathname === '/api/v1/sources/github%3Asphera%2Fgolden-templates') {
        return json({ ...templates, items: 4, item_errors: [{ item: 'templates/half-done', error: 'template.yaml: line 4: field colour not found', at: new Date().toISOString() }] });
      }
      if (r.url.pathname === '/api/v1/sources/github%3Aacme' || r.url.pathname === '/api/v1/sources/github:acme') {
        if (r.method === 'POST') return json(github, 202);
        return json({ ...github, item_errors: [{ item: 'acme/broken', error: 'package.json: unexpected end of JSON input', at: new Date().toISOString() }] });
      }
      return undefined;
    },
  });
}

describe('SourcesPage', () => {
  it('shows the demo source, which has nothing to sync', async () => {
    setup([demo]);
    render(
      <WithMe me={ADMIN}>
        <SourcesPage portalKey="local|" />
      </WithMe>,
    );
    const card = (await screen.findByRole('region', { name: 'Source demo' })) as HTMLElement;
    expect(within(card).getByTestId('source-state').textContent).toBe('up to date');
    expect(within(card).getByText('75 demo services')).toBeTruthy();
    expect(within(card).getByTestId('source-last-sync').textContent).toBe('2 min ago');
    expect((within(card).getByRole('button', { name: 'Sync now' }) as HTMLButtonElement).disabled).toBe(true);
    expect(within(card).getByText('Not a running collector (the built-in demo, or one no longer configured): nothing to sync.')).toBeTruthy();
  });

  it('shows a GitHub sync in progress: repositories done/total, rate limit, requests; errors per repository; Sync now for admins', async () => {
    const api = setup([github]);
    render(
      <WithMe me={ADMIN}>
        <SourcesPage portalKey="local|" />
      </WithMe>,
    );
    const card = (await screen.findByRole('region', { name: 'Source github:acme' })) as HTMLElement;
    expect(within(card).getByTestId('source-progress').textContent).toBe('120 / 2,000 repositories');
    expect(within(card).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('120');
    expect(within(card).getByTestId('rate-limit').textContent).toBe('4,200 of 5,000 requests left (84%), resets in 23 min');
    expect(within(card).getByText(/290 unchanged \(304, free\)/)).toBeTruthy();
    expect(within(card).getByText(/npm from https:\/\/npm.mirror.sphera.internal/)).toBeTruthy();
    fireEvent.click(within(card).getByRole('button', { name: /2 repositories — show/ }));
    expect(await within(card).findByText('acme/broken')).toBeTruthy();
    expect(within(card).getByText('package.json: unexpected end of JSON input')).toBeTruthy();
    // Syncing now: the button waits for the sync.
    expect((within(card).getByRole('button', { name: 'Syncing…' }) as HTMLButtonElement).disabled).toBe(true);
    expect(api.requests.some((r) => r.method === 'POST')).toBe(false);
  });

  it('starts a sync for an admin', async () => {
    const api = setup([{ ...github, state: 'ok', finished_at: new Date().toISOString() }]);
    render(
      <WithMe me={ADMIN}>
        <SourcesPage portalKey="local|" />
      </WithMe>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Sync now' }));
    await waitFor(() => expect(api.requests.some((r) => r.method === 'POST' && r.url.pathname.endsWith('/sync'))).toBe(true));
  });

  it('shows a templates repository: its broken templates with their problems, and no services', async () => {
    setup([templates]);
    render(
      <WithMe me={ADMIN}>
        <SourcesPage portalKey="local|" />
      </WithMe>,
    );
    const card = (await screen.findByRole('region', { name: 'Source github:sphera/golden-templates' })) as HTMLElement;
    expect(within(card).getByTestId('source-state').textContent).toBe('1 broken');
    expect(within(card).getByText(/4 templates at 3f9c2e1/)).toBeTruthy();
    expect(within(card).queryByText('Services')).toBeNull();
    expect(within(card).getByText('Broken templates')).toBeTruthy();
    fireEvent.click(within(card).getByRole('button', { name: /1 template — show/ }));
    expect(await within(card).findByText('templates/half-done')).toBeTruthy();
    expect(within(card).getByText('template.yaml: line 4: field colour not found')).toBeTruthy();
    expect(within(card).getByRole('columnheader', { name: 'Template' })).toBeTruthy();
  });

  it('says why a developer cannot start a sync', async () => {
    setup([github]);
    render(
      <WithMe me={DEVELOPER}>
        <SourcesPage portalKey="local|" />
      </WithMe>,
    );
    expect(await screen.findByText('Starting a sync is for admins (it needs sources:sync).')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Sync now|Syncing/ })).toBeNull();
  });
});

describe('SourcesPage Kubernetes clusters', () => {
  it('shows a cluster source with its state and data age, links to Clusters, and offers no sync', async () => {
    const unreachable: SourceStatus = {
      name: 'kube:prod-us-1',
      kind: 'kube',
      state: 'unreachable',
      message: 'watching daemonsets.apps: dial tcp 10.0.0.1:443: connect: connection refused',
      done: 0,
      total: 0,
      errors: 0,
      services: 42,
      syncable: false,
      finished_at: new Date(Date.now() - 12 * 60_000).toISOString(),
    };
    // The portal sends a cluster that was never read with the zero time (1970).
    const never: SourceStatus = { ...unreachable, name: 'kube:dev-1', state: 'invalid-config', message: 'the kubeconfig cannot be used', services: 0, finished_at: '1970-01-01T00:00:00Z' };
    setup([demo, unreachable, never]);
    render(
      <WithMe me={ADMIN}>
        <SourcesPage portalKey="k" />
      </WithMe>,
    );
    const card = (await screen.findByRole('region', { name: 'Source kube:prod-us-1' })) as HTMLElement;
    expect(within(card).getByTestId('source-state').textContent).toBe('Unreachable');
    expect(card.textContent).toContain('connection refused');
    expect(card.textContent).toContain('Unreachable since 12 min ago — showing data from');
    expect(within(card).getByRole('link', { name: 'See prod-us-1 on the Clusters page' }).getAttribute('href')).toBe('#/clusters');
    expect(within(card).queryByRole('button', { name: 'Sync now' })).toBeNull();
    const dev = screen.getByRole('region', { name: 'Source kube:dev-1' });
    expect(dev.textContent).toContain('No data from this cluster yet');
    expect(dev.textContent).not.toContain('years ago');
  });
});

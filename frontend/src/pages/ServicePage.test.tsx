import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Service } from '../api/client';
import { FeaturesContext } from '../hooks/useFeatures';
import { ALL_FEATURES_ON, fakeApi, featuresWithOff } from '../test/fakeApi';
import { ServicePage } from './ServicePage';

afterEach(() => vi.unstubAllGlobals());

const service: Service = {
  name: 'payments-api',
  title: 'Payments API',
  description: 'Creates and captures payments.',
  owner: 'payments',
  lifecycle: 'production',
  type: 'service',
  language: 'Go',
  system: 'payments-platform',
  tags: ['api', 'pci'],
  links: [{ title: 'Runbook', url: 'https://runbooks.example.com/payments-api' }],
  repository: { url: 'https://github.com/sphera/payments-api', default_branch: 'main' },
  source: 'demo',
  dependencies: [
    { ecosystem: 'go', name: 'github.com/go-chi/chi/v5', version: 'v5.1.0', latest: 'v5.5.0' },
    { ecosystem: 'go', name: 'google.golang.org/grpc', version: 'v1.67.1', latest: 'v2.0.0' },
    { ecosystem: 'go', name: 'go.uber.org/zap', version: 'v1.27.0', latest: 'v1.27.0' },
  ],
  deployments: [],
  findings: [{ severity: 'warning', summary: 'No on-call link', detail: 'Add one to atrium.yaml.', source: 'readiness' }],
  synced_at: new Date().toISOString(),
};

describe('ServicePage', () => {
  it('shows the header, dependencies with behind badges, links, findings and no deployments', async () => {
    fakeApi({ services: { 'payments-api': service } });
    render(<ServicePage name="payments-api" refreshKey="" />);
    expect(await screen.findByRole('heading', { name: 'payments-api', level: 1 })).toBeTruthy();
    expect(screen.getByText('Payments API')).toBeTruthy();
    expect(screen.getByText('payments-platform')).toBeTruthy();
    const table = screen.getByRole('table');
    const rows = within(table).getAllByRole('row').slice(1);
    // Outdated first, then by name.
    expect(rows.map((r) => within(r).getAllByRole('cell')[1]?.textContent)).toEqual([
      'github.com/go-chi/chi/v5',
      'google.golang.org/grpc',
      'go.uber.org/zap',
    ]);
    expect(rows.map((r) => within(r).getAllByRole('cell')[5]?.textContent)).toEqual(['minor', 'major', 'current']);
    fireEvent.click(screen.getByRole('button', { name: /Behind/ }));
    expect(within(within(table).getAllByRole('row')[1] as HTMLElement).getByText('major')).toBeTruthy();

    const runbook = screen.getByRole('link', { name: 'Runbook' });
    expect(runbook.getAttribute('target')).toBe('_blank');
    expect(runbook.getAttribute('rel')).toContain('noopener');
    expect(screen.getByText('No on-call link')).toBeTruthy();
    expect(screen.getByText('No deployments known yet')).toBeTruthy();
  });

  it('opens external links through Wails when it is there', async () => {
    fakeApi({ services: { 'payments-api': service } });
    const open = vi.fn();
    window.runtime = { BrowserOpenURL: open };
    try {
      render(<ServicePage name="payments-api" refreshKey="" />);
      fireEvent.click(await screen.findByRole('link', { name: 'Runbook' }));
      expect(open).toHaveBeenCalledWith('https://runbooks.example.com/payments-api');
    } finally {
      delete window.runtime;
    }
  });

  it('says there is no such service, with a way back', async () => {
    fakeApi();
    render(<ServicePage name="nope" refreshKey="" />);
    expect(await screen.findByText('No service named nope')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Back to the catalog' }).getAttribute('href')).toBe('#/');
  });
});

describe('ServicePage dependency rows', () => {
  it('link each package to the services using it', async () => {
    fakeApi({ services: { 'payments-api': service } });
    render(<ServicePage name="payments-api" refreshKey="" />);
    const link = await screen.findByRole('link', { name: 'github.com/go-chi/chi/v5' });
    expect(link.getAttribute('href')).toBe('#/packages/go/github.com%2Fgo-chi%2Fchi%2Fv5');
  });
  it('do not link to the Packages page when its feature flag is off', async () => {
    fakeApi({ services: { 'payments-api': service } });
    render(
      <FeaturesContext.Provider value={{ kind: 'loaded', features: featuresWithOff('atrium-ui-packages-page') }}>
        <ServicePage name="payments-api" refreshKey="" />
      </FeaturesContext.Provider>,
    );
    await screen.findByText('github.com/go-chi/chi/v5');
    expect(screen.queryByRole('link', { name: 'github.com/go-chi/chi/v5' })).toBeNull();
  });
});

describe('ServicePage deployments', () => {
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const deployed: Service = {
    ...service,
    deployments: [
      {
        cluster: 'staging-eu-west-1',
        region: 'eu-west-1',
        environment: 'staging',
        namespace: 'payments',
        kind: 'Deployment',
        name: 'payments-api',
        image: 'registry.example.com/payments/payments-api:1.2.0',
        version: '1.2.0',
        ready: 1,
        desired: 1,
        health: 'healthy',
        rollout_at: at(90),
        updated_at: at(90),
      },
      {
        cluster: 'prod-us-east-1',
        region: 'us-east-1',
        environment: 'production',
        namespace: 'payments',
        kind: 'Deployment',
        name: 'payments-api',
        image: 'registry.example.com/payments/payments-api:1.1.3',
        version: '1.1.3',
        ready: 4,
        desired: 5,
        autoscaler: { min: 2, max: 8, current: 5, desired: 5 },
        health: 'degraded',
        health_detail: '4 of 5 replicas ready',
        rollout_at: at(3 * 24 * 60),
        updated_at: at(5),
      },
      {
        cluster: 'prod-eu-west-1',
        region: 'eu-west-1',
        environment: 'production',
        namespace: 'payments',
        kind: 'StatefulSet',
        name: 'payments-db',
        image: 'postgres@sha256:0123456789abcdef',
        version: 'sha256:0123456789ab',
        ready: 3,
        desired: 3,
        health: 'healthy',
        updated_at: at(5),
      },
    ],
  };

  it('groups by environment and shows image and tag, replicas, autoscaler, last rollout and health', async () => {
    fakeApi({ services: { 'payments-api': deployed } });
    render(<ServicePage name="payments-api" refreshKey="" />);
    await screen.findByRole('heading', { name: 'payments-api', level: 1 });
    const table = screen.getByRole('table', { name: 'Deployments' });
    if (!(table instanceof HTMLTableElement)) throw new Error('no deployments table');
    expect(Array.from(table.querySelectorAll('thead th')).map((th) => th.textContent)).toEqual([
      'Cluster',
      'Region',
      'Namespace',
      'Workload',
      'Image',
      'Version',
      'Ready',
      'Autoscaler',
      'Last rollout',
      'Health',
    ]);
    const groups = Array.from(table.tBodies).map((b) => [b.getAttribute('data-environment'), b.rows[0]?.textContent]);
    expect(groups).toEqual([
      ['production', 'production · 2 clusters'],
      ['staging', 'staging · 1 cluster'],
    ]);
    const cells = (cluster: string) =>
      Array.from(table.querySelectorAll(`tr[data-cluster="${cluster}"] td`)).map((td) => td.textContent);
    expect(cells('prod-us-east-1')).toEqual([
      'prod-us-east-1',
      'us-east-1',
      'payments',
      'Deployment payments-api',
      'registry.example.com/payments/payments-api',
      '1.1.3',
      '4/5',
      '2–8, now 5',
      '3 days ago',
      'degraded4 of 5 replicas ready',
    ]);
    expect(cells('prod-eu-west-1')).toEqual([
      'prod-eu-west-1',
      'eu-west-1',
      'payments',
      'StatefulSet payments-db',
      'postgres',
      'sha256:0123456789ab',
      '3/3',
      'none',
      'unknown',
      'healthy',
    ]);
    const rollout = table.querySelector('tr[data-cluster="prod-us-east-1"] time');
    expect(rollout?.getAttribute('title')).toMatch(/\d{4}/);
    expect(rollout?.getAttribute('dateTime')).toBe(deployed.deployments[1]?.rollout_at);
    const hpa = table.querySelector('tr[data-cluster="prod-us-east-1"] [data-column="autoscaler"]');
    expect(hpa?.getAttribute('title')).toBe('HorizontalPodAutoscaler: min 2, max 8, current 5, desired 5');
    expect(table.querySelector('tr[data-cluster="prod-us-east-1"] [data-column="image"]')?.getAttribute('title')).toBe(
      'registry.example.com/payments/payments-api:1.1.3',
    );
  });

  it("links to the matrix of the owner's services when the matrix is on", async () => {
    fakeApi({ services: { 'payments-api': deployed } });
    render(
      <FeaturesContext.Provider value={{ kind: 'loaded', features: ALL_FEATURES_ON }}>
        <ServicePage name="payments-api" refreshKey="" />
      </FeaturesContext.Provider>,
    );
    const link = await screen.findByRole('link', { name: "Compare with payments's other services" });
    expect(link.getAttribute('href')).toBe('#/matrix?team=payments');
  });
});

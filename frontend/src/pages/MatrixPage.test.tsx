import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MatrixCell, MatrixCluster, MatrixRow } from '../api/client';
import { EMPTY_MATRIX_FILTERS, type MatrixFilters } from '../lib/router';
import { fakeApi, json } from '../test/fakeApi';
import { MatrixPage } from './MatrixPage';

afterEach(() => vi.unstubAllGlobals());

const show = (filters: Partial<MatrixFilters> = {}) => render(<MatrixPage filters={{ ...EMPTY_MATRIX_FILTERS, ...filters }} refreshKey="" />);

const grid = () => screen.findByRole('grid', { name: 'Services by cluster' });

/** The header cells of one level: environments, regions, or clusters. */
const headers = (g: ParentNode, level: 'environment' | 'region' | 'cluster') => Array.from(g.querySelectorAll(`[role="columnheader"][data-${level}]`));
const serviceRows = (g: ParentNode) => g.querySelectorAll('[role="row"][data-service]');

function cellOf(service: string, cluster: string): HTMLElement {
  const row = document.querySelector(`[role="row"][data-service="${service}"]`);
  const cell = row?.querySelector(`[role="gridcell"][data-cluster="${cluster}"]`);
  if (!(cell instanceof HTMLElement)) throw new Error(`no cell ${service} × ${cluster}`);
  return cell;
}

describe('MatrixPage header', () => {
  it('groups the clusters by environment, then region, over one column per cluster', async () => {
    fakeApi();
    show();
    const g = await grid();
    await waitFor(() => expect(serviceRows(g).length).toBe(4));
    const envs = headers(g, 'environment').map((e) => [e.textContent, e.getAttribute('aria-colspan')]);
    expect(envs).toEqual([
      ['production', '2'],
      ['staging', '1'],
    ]);
    const regions = headers(g, 'region').map((e) => [e.textContent, e.getAttribute('aria-colspan')]);
    expect(regions).toEqual([
      ['eu-west-1', '1'],
      ['us-east-1', '1'],
      ['eu-west-1', '1'],
    ]);
    const names = headers(g, 'cluster').map((e) => e.textContent);
    expect(names).toEqual(['prod-eu-west-1', 'prod-us-east-1', 'staging-eu-west-1']);
    expect(screen.getByTestId('matrix-total').textContent).toBe('4 services × 3 clusters');
  });

  it('marks a cluster that cannot be read, with the age of its data', async () => {
    const clusters: MatrixCluster[] = [
      { name: 'prod-eu', region: 'eu-west-1', environment: 'production', state: 'ok' },
      { name: 'prod-us', region: 'us-east-1', environment: 'production', state: 'unreachable', message: 'dial tcp: i/o timeout', last_ok_at: new Date(Date.now() - 12 * 60_000).toISOString() },
    ];
    const c: MatrixCell = { status: 'same', versions: ['1.0.0'], ready: 1, desired: 1, workloads: 1, health: 'healthy' };
    fakeApi({ matrix: { clusters, services: [{ service: 'a', owner: 't', cells: [c, c] }] } });
    show();
    const g = await grid();
    const us = await waitFor(() => {
      const el = g.querySelector('[role="columnheader"][data-cluster="prod-us"]');
      if (!el) throw new Error('no header');
      return el;
    });
    expect(us.textContent).toBe('prod-usUnreachable');
    expect(us.getAttribute('title')).toContain('Unreachable since 12 min ago — showing data from');
    expect(us.getAttribute('title')).toContain('dial tcp: i/o timeout');
    expect(g.querySelector('[role="columnheader"][data-cluster="prod-eu"]')?.textContent).toBe('prod-eu');
    await waitFor(() => expect(cellOf('a', 'prod-us').getAttribute('data-stale')).toBe('true'));
    expect(cellOf('a', 'prod-eu').getAttribute('data-stale')).toBeNull();
  });
});

describe('MatrixPage width and details', () => {
  it("shares the window's width among the clusters, and shows a cell's details in a card on hover", async () => {
    fakeApi();
    show();
    const g = await grid();
    await waitFor(() => cellOf('refund-processor', 'prod-us-east-1'));
    // The test window is 1200 px wide: three clusters after the 220 px service column get 320 px each (the most),
    // not the 136 px minimum.
    expect(cellOf('refund-processor', 'prod-us-east-1').style.width).toBe('320px');
    expect((headers(g, 'environment')[0] as HTMLElement).style.width).toBe('640px');

    fireEvent.mouseEnter(cellOf('refund-processor', 'prod-us-east-1'));
    const card = screen.getByTestId('matrix-cell-card');
    expect(card.getAttribute('role')).toBe('tooltip');
    expect(card.textContent).toContain('refund-processor in prod-us-east-1');
    expect(within(card).getByTestId('card-runs').textContent).toBe('1.1.0 ↓ behind');
    expect(card.textContent).toContain('production · us-east-1');
    fireEvent.mouseLeave(cellOf('refund-processor', 'prod-us-east-1'));
    expect(screen.queryByTestId('matrix-cell-card')).toBeNull();
  });
});

describe('MatrixPage cells', () => {
  it('shows versions, highlights the lagging region, says "missing here", keeps absent quiet and marks health', async () => {
    fakeApi();
    show();
    await grid();
    await waitFor(() => cellOf('refund-processor', 'prod-us-east-1'));

    const lagging = cellOf('refund-processor', 'prod-us-east-1');
    expect(lagging.getAttribute('data-status')).toBe('differs');
    expect(lagging.getAttribute('data-behind')).toBe('true');
    expect(lagging.textContent).toBe('1.1.0 ↓');
    expect(lagging.getAttribute('aria-label')).toContain('behind 1.2.0');
    const ahead = cellOf('refund-processor', 'prod-eu-west-1');
    expect(ahead.getAttribute('data-status')).toBe('differs');
    expect(ahead.getAttribute('data-behind')).toBeNull();
    expect(cellOf('refund-processor', 'staging-eu-west-1').getAttribute('data-status')).toBe('same');

    const missing = cellOf('referral-service', 'prod-us-east-1');
    expect(missing.textContent).toBe('missing here');
    expect(missing.getAttribute('aria-label')).toContain('it runs 1.6.2 elsewhere in production');

    const absent = cellOf('currency-rates', 'prod-eu-west-1');
    expect(absent.getAttribute('data-status')).toBe('absent');
    expect(absent.textContent).toBe('—');

    const degraded = cellOf('payments-api', 'prod-us-east-1');
    expect(within(degraded).getByText('degraded 4/5')).toBeTruthy();
    expect(within(cellOf('payments-api', 'prod-eu-west-1')).queryByTestId('cell-health')).toBeNull();
  });

  it('opens the service page from a row, and links the service name', async () => {
    fakeApi();
    show();
    await grid();
    await waitFor(() => cellOf('payments-api', 'prod-eu-west-1'));
    expect(screen.getByRole('link', { name: 'payments-api' }).getAttribute('href')).toBe('#/services/payments-api');
    fireEvent.click(cellOf('payments-api', 'prod-us-east-1'));
    expect(window.location.hash).toBe('#/services/payments-api');
  });

  it('explains its cell styles in a legend', async () => {
    fakeApi();
    show();
    const legend = await screen.findByRole('list', { name: 'Legend' });
    expect(legend.textContent).toContain('missing here');
    expect(legend.textContent).toContain('not deployed in that environment');
  });
});

describe('MatrixPage filters', () => {
  it('asks the API with the filters in the URL, and shows them selected', async () => {
    const api = fakeApi();
    show({ team: 'payments', environment: 'production' });
    await grid();
    await waitFor(() => expect(serviceRows(document).length).toBe(2));
    const q = api.requests.find((r) => r.url.pathname === '/api/v1/kube/matrix' && r.url.searchParams.get('team'))?.url.searchParams;
    expect(q?.get('team')).toBe('payments');
    expect(q?.get('environment')).toBe('production');
    expect(q?.get('limit')).toBe('100');
    expect(q?.get('offset')).toBe('0');
    expect((screen.getByLabelText('Team') as HTMLSelectElement).value).toBe('payments');
    expect((screen.getByLabelText('Environment') as HTMLSelectElement).value).toBe('production');
    // Only production columns; the staging-only service is no row.
    expect(headers(document, 'cluster').map((e) => e.getAttribute('data-cluster'))).toEqual(['prod-eu-west-1', 'prod-us-east-1']);
    expect(document.querySelector('[role="row"][data-service="currency-rates"]')).toBeNull();
  });

  it('offers every environment and region of the fleet, and puts a choice in the URL', async () => {
    fakeApi();
    show({ environment: 'production' });
    await grid();
    const region = screen.getByLabelText('Region') as HTMLSelectElement;
    await waitFor(() => expect(Array.from(region.options).map((o) => o.value)).toEqual(['', 'eu-west-1', 'us-east-1']));
    const env = screen.getByLabelText('Environment') as HTMLSelectElement;
    expect(Array.from(env.options).map((o) => o.value)).toEqual(['', 'production', 'staging']);
    fireEvent.change(region, { target: { value: 'us-east-1' } });
    expect(window.location.hash).toBe('#/matrix?environment=production&region=us-east-1');
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(window.location.hash).toBe('#/matrix');
  });

  it('says when nothing matches, with a way out', async () => {
    fakeApi();
    show({ team: 'nobody' });
    expect(await screen.findByText('No services match these filters')).toBeTruthy();
  });
});

describe('MatrixPage states', () => {
  it('says how the matrix fills when nothing is deployed anywhere', async () => {
    fakeApi({ matrix: { clusters: [], services: [] } });
    show();
    expect(await screen.findByText('No deployments known yet')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'See the clusters' }).getAttribute('href')).toBe('#/clusters');
  });

  it("shows the API's error with a retry", async () => {
    let fail = true;
    fakeApi({
      override: (r) => (r.url.pathname === '/api/v1/kube/matrix' && fail ? json({ error: { code: 'internal', message: 'replica locked' } }, 500) : undefined),
    });
    show();
    expect(await screen.findByText('replica locked')).toBeTruthy();
    fail = false;
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await grid();
  });
});

describe('MatrixPage at fleet size', () => {
  it('renders only the rows and columns in view of 2,000 services × 50 clusters, one page at a time', async () => {
    const clusters: MatrixCluster[] = Array.from({ length: 50 }, (_, i) => ({
      name: `c-${String(i).padStart(2, '0')}`,
      environment: i < 30 ? 'production' : 'staging',
      region: `region-${Math.floor(i / 5)}`,
    }));
    const c: MatrixCell = { status: 'same', versions: ['1.0.0'], ready: 1, desired: 1, workloads: 1, health: 'healthy' };
    const services: MatrixRow[] = Array.from({ length: 2000 }, (_, i) => ({ service: `svc-${String(i).padStart(4, '0')}`, owner: 't', cells: clusters.map(() => c) }));
    const api = fakeApi({ matrix: { clusters, services } });
    show();
    const g = await grid();
    await waitFor(() => expect(serviceRows(g).length).toBeGreaterThan(0));
    expect(g.getAttribute('aria-rowcount')).toBe(String(2000 + 3));
    expect(g.getAttribute('aria-colcount')).toBe('51');
    const rows = serviceRows(g).length;
    const clusterHeaders = headers(g, 'cluster').length;
    expect(rows).toBeLessThan(60);
    expect(clusterHeaders).toBeLessThan(20);
    expect(g.querySelectorAll('[role="gridcell"]').length).toBe(rows * clusterHeaders);
    // Header groups span every column, rendered or not.
    expect(headers(g, 'environment')).toHaveLength(2);
    const pages = api.requests.filter((r) => r.url.pathname === '/api/v1/kube/matrix' && r.url.searchParams.get('limit') === '100');
    expect(pages.map((r) => r.url.searchParams.get('offset'))).toEqual(['0']);
  });
});

import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PackageDetail, PackageRow } from '../api/client';
import { EMPTY_PACKAGE_FILTERS, type PackageFilters } from '../lib/router';
import { fakeApi, json } from '../test/fakeApi';
import { PackagePage } from './PackagePage';
import { PackagesPage } from './PackagesPage';

beforeEach(() => {
  vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: vi.fn(() => 'blob:csv'), revokeObjectURL: vi.fn() }));
});
afterEach(() => vi.unstubAllGlobals());

function pkg(name: string, i: number): PackageRow {
  return {
    ecosystem: 'npm',
    name,
    latest: '19.3.1',
    services: 12,
    versions: [
      { version: '19.1.0', services: 3 },
      { version: '18.3.1', services: 9 },
    ],
    outdated: 12 - (i % 3),
    major: 9,
    minor: 3 - (i % 3),
    patch: 0,
  };
}

const rows = Array.from({ length: 450 }, (_, i) => pkg(i === 0 ? 'react' : `pkg-${String(i).padStart(3, '0')}`, i));

function showTable(filters: Partial<PackageFilters>) {
  const api = fakeApi({
    override: (r) => {
      if (r.url.pathname !== '/api/v1/packages') return undefined;
      if (r.url.searchParams.get('format') === 'csv') {
        return new Response('ecosystem,name\nnpm,react\n', { headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="packages.csv"' } });
      }
      const offset = Number(r.url.searchParams.get('offset') ?? 0);
      const limit = Number(r.url.searchParams.get('limit') ?? 50);
      return json({ items: rows.slice(offset, offset + limit), total: rows.length });
    },
  });
  render(<PackagesPage filters={{ ...EMPTY_PACKAGE_FILTERS, ...filters }} refreshKey="r1" />);
  return api;
}

describe('PackagesPage', () => {
  it('asks the API for the filters of the URL, and shows versions in use and how far behind', async () => {
    const api = showTable({ ecosystem: 'npm', owner: 'payments', outdated: true, sort: 'major', order: 'desc' });
    expect(await screen.findByText('450 packages')).toBeTruthy();
    const q = api.requests.find((r) => r.url.pathname === '/api/v1/packages')?.url.searchParams;
    expect(Object.fromEntries(q ?? [])).toEqual({ ecosystem: 'npm', owner: 'payments', outdated: 'true', sort: 'major', order: 'desc', limit: '200', offset: '0' });
    const react = document.querySelector('[data-package="react"]') as HTMLElement;
    expect(within(react).getByText('19.1.0 ×3 · 18.3.1 ×9')).toBeTruthy();
    expect(within(react).getByRole('link', { name: 'react' }).getAttribute('href')).toBe('#/packages/npm/react?owner=payments');
    expect(screen.getByRole('columnheader', { name: /Major/ }).getAttribute('aria-sort')).toBe('descending');
  });

  it('sorts by a column through the URL (counts most-first)', async () => {
    showTable({});
    await screen.findByText('450 packages');
    fireEvent.click(screen.getByRole('button', { name: /Services/ }));
    expect(window.location.hash).toBe('#/packages?sort=services&order=desc');
  });

  it('filters to outdated packages of a team through the URL', async () => {
    showTable({ ecosystem: 'npm' });
    await screen.findByText('450 packages');
    fireEvent.click(screen.getByLabelText('Outdated only'));
    expect(window.location.hash).toBe('#/packages?ecosystem=npm&outdated=1');
  });

  it('exports the same rows as CSV, all of them', async () => {
    const clicks: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    });
    const api = showTable({ ecosystem: 'npm', owner: 'payments', outdated: true });
    await screen.findByText('450 packages');
    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    const status = await screen.findByTestId('packages-export');
    expect(status.textContent).toContain("450 packages matching these filters of payments' services");
    expect(clicks).toEqual(['packages.csv']);
    const csv = api.requests.find((r) => r.url.searchParams.get('format') === 'csv');
    expect(csv?.url.search).toBe('?ecosystem=npm&owner=payments&outdated=true&format=csv');
    expect(csv?.headers.get('Accept')).toBe('text/csv');
  });

  it('says what to do when nothing is outdated', async () => {
    fakeApi({ override: (r) => (r.url.pathname === '/api/v1/packages' ? json({ items: [], total: 0 }) : undefined) });
    render(<PackagesPage filters={{ ...EMPTY_PACKAGE_FILTERS, outdated: true }} refreshKey="r" />);
    expect(await screen.findByText('No packages match these filters')).toBeTruthy();
    expect(screen.getByText(/Nothing is behind its newest release here/)).toBeTruthy();
  });
});

describe('PackagePage', () => {
  const detail: PackageDetail = {
    ...pkg('@types/node', 1),
    uses: [
      { service: 'payments-api', owner: 'payments', version: '18.3.1', constraint: '^18.3.1', behind: 'major', dev: false },
      { service: 'ledger', owner: 'payments', version: '19.3.1', constraint: '^19.3.1', behind: '', dev: true },
      { service: 'checkout-web', owner: 'payments', version: '19.1.0', behind: 'minor', dev: false },
    ],
  };

  it('lists the services using a package, most behind first, and exports them', async () => {
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    const api = fakeApi({
      override: (r) => {
        if (!r.url.pathname.startsWith('/api/v1/packages/')) return undefined;
        return r.url.searchParams.get('format') === 'csv'
          ? new Response('ecosystem,package\n', { headers: { 'Content-Disposition': 'attachment; filename="package-npm-_types_node.csv"' } })
          : json(detail);
      },
    });
    render(<PackagePage ecosystem="npm" name="@types/node" owner="payments" refreshKey="r" />);
    expect(await screen.findByRole('heading', { name: '@types/node' })).toBeTruthy();
    const call = api.requests.find((r) => r.url.pathname.startsWith('/api/v1/packages/'));
    expect(call?.url.pathname).toBe('/api/v1/packages/npm/%40types%2Fnode');
    expect(call?.url.searchParams.get('owner')).toBe('payments');
    // The rows render after the virtual list has measured itself: wait for one before reading their order.
    await screen.findByRole('link', { name: 'payments-api' });
    const services = Array.from(screen.getByRole('table', { name: 'Services using @types/node' }).querySelectorAll('[data-service]')).map((e) => e.getAttribute('data-service'));
    expect(services).toEqual(['payments-api', 'checkout-web', 'ledger']);
    expect(screen.getByRole('link', { name: 'payments-api' }).getAttribute('href')).toBe('#/services/payments-api');
    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect((await screen.findByTestId('package-export')).textContent).toContain('package-npm-_types_node.csv');
    const csv = api.requests.find((r) => r.url.searchParams.get('format') === 'csv');
    expect(csv?.url.search).toBe('?owner=payments&format=csv');
  });

  it('says when no service of the team uses it', async () => {
    fakeApi({ override: (r) => (r.url.pathname.startsWith('/api/v1/packages/') ? json({ error: { code: 'not_found', message: 'no' } }, 404) : undefined) });
    render(<PackagePage ecosystem="npm" name="left-pad" owner="search" refreshKey="r" />);
    expect(await screen.findByText('No service of search uses the npm package left-pad')).toBeTruthy();
    await waitFor(() => expect(screen.getByRole('link', { name: 'See every team' }).getAttribute('href')).toBe('#/packages/npm/left-pad'));
  });
});

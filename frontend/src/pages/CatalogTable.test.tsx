import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { EMPTY_FILTERS } from '../lib/router';
import { fakeApi, makeRows } from '../test/fakeApi';
import { CatalogTable } from './CatalogTable';

afterEach(() => vi.unstubAllGlobals());

describe('CatalogTable', () => {
  it('renders the first rows of a large catalog, virtualised, with the total', async () => {
    const api = fakeApi();
    render(<CatalogTable filters={EMPTY_FILTERS} refreshKey="" initialSync={false} />);
    expect(await screen.findByText('500 services')).toBeTruthy();
    const table = screen.getByRole('table', { name: 'Services' });
    expect(within(table).getByText('svc-0000')).toBeTruthy();
    expect(within(table).getByText('Service 1')).toBeTruthy();
    const rendered = table.querySelectorAll('[data-service]').length;
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(60); // not all 500
    const first = api.serviceRequests()[0]?.url.searchParams;
    expect(first?.get('limit')).toBe('200');
    expect(first?.get('offset')).toBe('0');
    // Badges and relative time with the absolute time in a title.
    const row0 = table.querySelector('[data-service="svc-0000"]') as HTMLElement;
    expect(within(row0).getByText('1 finding')).toBeTruthy();
    const time = row0.querySelector('time');
    expect(time?.textContent).toBe('5 min ago');
    expect(time?.getAttribute('title')).toMatch(/\d{4}/);
  });

  it('says why a service has no signal: all well for Go and TypeScript, not checked for languages whose dependencies Atrium does not read', async () => {
    const rows = makeRows(3).map((r, i) => ({ ...r, findings: 0, outdated: 0, language: ['Go', 'Python', 'TypeScript'][i] ?? 'Go' }));
    fakeApi({ rows });
    render(<CatalogTable filters={EMPTY_FILTERS} refreshKey="" initialSync={false} />);
    await screen.findByText('3 services');
    const cell = (name: string) => screen.getByRole('table', { name: 'Services' }).querySelector(`[data-service="${name}"] [data-column="signals"] span`) as HTMLElement;
    expect(cell('svc-0000').textContent).toBe('—');
    expect(cell('svc-0000').getAttribute('title')).toBe('No findings, and no dependency behind its newest release.');
    expect(cell('svc-0001').textContent).toBe('deps not checked');
    expect(cell('svc-0001').getAttribute('title')).toContain('Python dependencies are not read yet');
    expect(cell('svc-0002').textContent).toBe('—');
  });

  it('fetches the next page when scrolled to it', async () => {
    const api = fakeApi();
    render(<CatalogTable filters={EMPTY_FILTERS} refreshKey="" initialSync={false} />);
    await screen.findByText('500 services');
    const body = screen.getByTestId('catalog-rows');
    await act(async () => {
      body.scrollTop = 44 * 230;
      fireEvent.scroll(body);
    });
    await waitFor(() => expect(api.serviceRequests().some((r) => r.url.searchParams.get('offset') === '200')).toBe(true));
    expect(await screen.findByText('svc-0230')).toBeTruthy();
  });

  it('shows what to do when nothing matches', async () => {
    fakeApi();
    render(<CatalogTable filters={{ ...EMPTY_FILTERS, q: 'zzz' }} refreshKey="" initialSync={false} />);
    expect(await screen.findByText('No services match these filters')).toBeTruthy();
    expect(screen.getAllByRole('button', { name: 'Clear filters' }).length).toBeGreaterThan(0);
  });

  it('shows the API error with a retry', async () => {
    let fail = true;
    fakeApi({
      override: (r) =>
        fail && r.url.pathname === '/api/v1/services'
          ? new Response('{"error":{"code":"database_unusable","message":"the replica database is locked; close other atrium windows"}}', {
              status: 503,
            })
          : undefined,
    });
    render(<CatalogTable filters={EMPTY_FILTERS} refreshKey="" initialSync={false} />);
    expect(await screen.findByText('the replica database is locked; close other atrium windows')).toBeTruthy();
    fail = false;
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('500 services')).toBeTruthy();
  });
});

describe('App catalog flow', () => {
  it('searches as you type, cancelling stale requests, with the query in the URL', async () => {
    window.location.hash = '#/';
    let releaseSlow: (() => void) | undefined;
    const api = fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/services' && r.url.searchParams.get('q') === 'svc-00') {
          // Hold this answer until it is aborted by the next keystroke.
          return new Promise<Response>((_resolve, reject) => {
            releaseSlow = () => reject(new DOMException('aborted', 'AbortError'));
            r.signal?.addEventListener('abort', () => releaseSlow?.());
          });
        }
        return undefined;
      },
    });
    render(<App />);
    expect(await screen.findByText('500 services')).toBeTruthy();
    const box = screen.getByRole('searchbox', { name: 'Search services' });
    fireEvent.change(box, { target: { value: 'svc-00' } });
    await waitFor(() => expect(api.serviceRequests().some((r) => r.url.searchParams.get('q') === 'svc-00')).toBe(true));
    fireEvent.change(box, { target: { value: 'svc-001' } });
    expect(await screen.findByText('10 services')).toBeTruthy();
    const slow = api.serviceRequests().find((r) => r.url.searchParams.get('q') === 'svc-00');
    expect(slow?.signal?.aborted).toBe(true);
    // The location follows once the rows are painted.
    await waitFor(() => expect(window.location.hash).toBe('#/?q=svc-001'));
    // Why a row matched: the words of its name that the typed "svc-001" matched are marked.
    const name = document.querySelector('[data-service="svc-0019"] a[href="#/services/svc-0019"]') as HTMLElement;
    expect(name.textContent).toBe('svc-0019');
    expect([...name.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['svc', '001']);
  });

  it('answers a keystroke from rows at hand: a narrower query from a complete answer, a query typed before from its answer', async () => {
    window.location.hash = '#/';
    const held: string[] = [];
    const api = fakeApi({
      override: (r) => {
        const q = r.url.searchParams.get('q');
        if (r.url.pathname === '/api/v1/services' && (q === 'svc-001' || (q === 'svc-00' && held.includes('svc-001')))) {
          // The portal does not answer these: what the table shows comes from what it holds.
          held.push(q);
          return new Promise<Response>(() => {});
        }
        return undefined;
      },
    });
    render(<App />);
    expect(await screen.findByText('500 services')).toBeTruthy();
    const box = screen.getByRole('searchbox', { name: 'Search services' });
    fireEvent.change(box, { target: { value: 'svc-00' } });
    expect(await screen.findByText('100 services')).toBeTruthy(); // answered: all 100 in its first page
    const table = screen.getByRole('table', { name: 'Services' });
    // Typing on: the 100 rows hold the answer; shown in the render of the keystroke, not dimmed as pending.
    fireEvent.change(box, { target: { value: 'svc-001' } });
    expect(screen.getByTestId('catalog-total').textContent).toBe('10 services');
    expect(table.getAttribute('aria-busy')).toBeNull();
    expect(table.getAttribute('data-rows-for')).toBe('svc-001');
    expect([...table.querySelectorAll('[data-service]')].map((e) => e.getAttribute('data-service'))).toEqual(
      Array.from({ length: 10 }, (_, i) => `svc-001${i}`),
    );
    // It asked anyway (the answer would replace these rows).
    expect(api.serviceRequests().some((r) => r.url.searchParams.get('q') === 'svc-001')).toBe(true);
    // Backspace: the answer to "svc-00" from before, while the portal is asked again.
    fireEvent.change(box, { target: { value: 'svc-00' } });
    expect(screen.getByTestId('catalog-total').textContent).toBe('100 services');
    await waitFor(() => expect(held).toContain('svc-00'));
  });

  it('restores filters from the URL, sorts by header, opens a row, and reports page views', async () => {
    window.location.hash = '#/?owner=payments';
    const api = fakeApi();
    render(<App />);
    expect(await screen.findByText('167 services')).toBeTruthy();
    expect((screen.getByRole('combobox', { name: 'Team' }) as HTMLSelectElement).value).toBe('payments');
    expect(api.serviceRequests()[0]?.url.searchParams.get('owner')).toBe('payments');

    fireEvent.click(screen.getByRole('button', { name: /Service/ }));
    await waitFor(() => expect(window.location.hash).toBe('#/?owner=payments&sort=name&order=asc'));
    fireEvent.click(screen.getByRole('button', { name: /Service/ }));
    await waitFor(() => expect(window.location.hash).toBe('#/?owner=payments&sort=name&order=desc'));
    await waitFor(() => expect(api.serviceRequests().some((r) => r.url.searchParams.get('order') === 'desc')).toBe(true));

    const usage = api.requests.filter((r) => r.url.pathname === '/api/v1/usage/events').map((r) => r.body);
    expect(usage).toContainEqual({ kind: 'page.view', page: 'catalog' });

    const row = await screen.findByText('svc-0498');
    fireEvent.click(row.closest('[data-service]') as HTMLElement);
    await waitFor(() => expect(window.location.hash).toBe('#/services/svc-0498'));
    expect(await screen.findByText('No service named svc-0498')).toBeTruthy();
    await waitFor(() =>
      expect(api.requests.filter((r) => r.url.pathname === '/api/v1/usage/events').map((r) => r.body)).toContainEqual({
        kind: 'page.view',
        page: 'service',
      }),
    );
  });

  it('says how to get in when the API answers 401', async () => {
    window.location.hash = '#/';
    fakeApi({
      override: (r) =>
        r.url.pathname.startsWith('/api/')
          ? new Response(
              '{"error":{"code":"unauthorized","message":"missing or wrong launch token: open the URL that `atrium web` printed (it ends in ?token=...)"}}',
              { status: 401 },
            )
          : undefined,
    });
    render(<App />);
    expect(await screen.findByText('Atrium needs its launch token')).toBeTruthy();
    expect(screen.getByText(/missing or wrong launch token/)).toBeTruthy();
  });
});

describe('CatalogTable refresh', () => {
  it('refetches what is on screen when the replica changes, keeping scroll and filters', async () => {
    let generation = 1;
    const api = fakeApi({
      override: (r) => {
        if (r.url.pathname !== '/api/v1/services') return undefined;
        const offset = Number(r.url.searchParams.get('offset'));
        const items = Array.from({ length: 200 }, (_, i) => ({
          name: `svc-${offset + i}`,
          title: `generation ${generation}`,
          description: '',
          owner: 'payments',
          language: 'Go',
          lifecycle: 'production',
          type: 'service',
          repository: '',
          tags: [],
          synced_at: new Date().toISOString(),
          findings: 0,
          outdated: 0,
        }));
        return new Response(JSON.stringify({ items, total: 1000 }), { status: 200 });
      },
    });
    const filters = { ...EMPTY_FILTERS, owner: 'payments' };
    const { rerender } = render(<CatalogTable filters={filters} refreshKey="a" initialSync={false} />);
    await screen.findByText('1,000 services');
    const body = screen.getByTestId('catalog-rows');
    await act(async () => {
      body.scrollTop = 44 * 300;
      fireEvent.scroll(body);
    });
    expect((await screen.findAllByText('generation 1')).length).toBeGreaterThan(0);
    expect(screen.getByText('svc-300')).toBeTruthy();
    const before = api.serviceRequests().length;

    generation = 2;
    rerender(<CatalogTable filters={filters} refreshKey="b" initialSync={false} />);
    await waitFor(() => expect(screen.queryAllByText('generation 1')).toHaveLength(0));
    expect(screen.getAllByText('generation 2').length).toBeGreaterThan(0);
    expect(body.scrollTop).toBe(44 * 300);
    const refetched = api.serviceRequests().slice(before);
    // Only the page on screen (rows 200–399), with the same filter.
    expect(refetched.map((r) => r.url.searchParams.get('offset'))).toEqual(['200']);
    expect(refetched.every((r) => r.url.searchParams.get('owner') === 'payments')).toBe(true);
  });
});

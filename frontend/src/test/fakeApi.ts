// A stand-in for the Atrium API in component tests: a fetch that answers like the real endpoints over a
// generated catalog, records every request, and honours AbortSignal.
import { vi } from 'vitest';
import type { Facets, Service, ServiceRow, SyncStatus } from '../api/client';

export interface Recorded {
  method: string;
  url: URL;
  body: unknown;
  signal: AbortSignal | undefined;
}

export function makeRows(n: number): ServiceRow[] {
  const owners = ['payments', 'search', 'platform'];
  return Array.from({ length: n }, (_, i) => ({
    name: `svc-${String(i).padStart(4, '0')}`,
    title: `Service ${i}`,
    description: `Does thing ${i}`,
    owner: owners[i % owners.length] ?? 'platform',
    language: i % 2 ? 'Go' : 'TypeScript',
    lifecycle: 'production',
    type: 'service',
    repository: `https://github.com/sphera/svc-${i}`,
    tags: [],
    synced_at: new Date(Date.now() - 5 * 60_000).toISOString(),
    findings: i % 7 === 0 ? 1 : 0,
    outdated: i % 3,
  }));
}

export interface FakeApiOptions {
  rows?: ServiceRow[];
  services?: Record<string, Service>;
  sync?: SyncStatus;
  /** Answer a request yourself (return undefined to fall through). */
  override?: (r: Recorded) => Response | Promise<Response> | undefined;
}

const json = (v: unknown, status = 200) =>
  new Response(JSON.stringify(v), { status, headers: { 'Content-Type': 'application/json' } });

export function fakeApi(opts: FakeApiOptions = {}) {
  const rows = opts.rows ?? makeRows(500);
  const requests: Recorded[] = [];
  const facets: Facets = {
    owners: [
      { value: 'payments', count: 167 },
      { value: 'platform', count: 166 },
      { value: 'search', count: 167 },
    ],
    languages: [
      { value: 'Go', count: 250 },
      { value: 'TypeScript', count: 250 },
    ],
    lifecycles: [{ value: 'production', count: 500 }],
  };
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input), 'http://127.0.0.1');
    const r: Recorded = {
      method: init?.method ?? 'GET',
      url,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      signal: init?.signal ?? undefined,
    };
    requests.push(r);
    if (r.signal?.aborted) throw new DOMException('The operation was aborted.', 'AbortError');
    const custom = opts.override?.(r);
    if (custom) return custom;
    const p = url.pathname;
    if (p === '/api/v1/services') {
      const q = url.searchParams.get('q') ?? '';
      const owner = url.searchParams.get('owner') ?? '';
      let matched = rows.filter((s) => (!q || s.name.includes(q)) && (!owner || s.owner === owner));
      if (url.searchParams.get('order') === 'desc') matched = [...matched].reverse();
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 50);
      return json({ items: matched.slice(offset, offset + limit), total: matched.length });
    }
    if (p.startsWith('/api/v1/services/')) {
      const name = decodeURIComponent(p.slice('/api/v1/services/'.length));
      const s = opts.services?.[name];
      return s ? json(s) : json({ error: { code: 'not_found', message: `no service named "${name}"` } }, 404);
    }
    if (p === '/api/v1/facets') return json(facets);
    if (p === '/api/v1/sync/status')
      return json(
        opts.sync ?? {
          mode: 'local',
          state: 'up_to_date',
          done: 1,
          total: 1,
          services: rows.length,
          as_of: new Date().toISOString(),
          origin: 'local',
          data_version: 'test.1',
        },
      );
    if (p === '/api/v1/usage/events') return new Response(null, { status: 204 });
    if (p === '/api/v1/settings') return json({ portal_url: '', token_set: false, token_store: 'file', mode: 'local' });
    return json({ error: { code: 'not_found', message: `no API endpoint ${r.method} ${p}` } }, 404);
  });
  vi.stubGlobal('fetch', fetchMock);
  return {
    requests,
    serviceRequests: () => requests.filter((r) => r.url.pathname === '/api/v1/services'),
  };
}

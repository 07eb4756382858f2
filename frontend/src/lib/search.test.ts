import { describe, expect, it } from 'vitest';
import casesJSON from '../../../internal/store/testdata/search-cases.json?raw';
import type { ServiceRow } from '../api/client';
import { highlight, refineServices, searchTerms } from './search';

interface Cases {
  services: { name: string; title: string; description: string; owner: string; tags: string[] }[];
  queries: { q: string; finds: string[] }[];
}

// The cases internal/store's TestSearchCases holds the portal's index and FTS5 to: the UI must find the same.
const cases = JSON.parse(casesJSON) as Cases;

const rows: ServiceRow[] = cases.services.map((s) => ({
  ...s,
  language: 'Go',
  lifecycle: 'production',
  type: 'service',
  repository: '',
  synced_at: '2026-01-01T00:00:00Z',
  findings: 0,
  outdated: 0,
}));
const byName = [...rows].sort((a, b) => (a.name < b.name ? -1 : 1));

describe('the search rules the portal uses', () => {
  it.each(cases.queries)('finds what the portal finds for %j', ({ q, finds }) => {
    const got = refineServices({ q: q.trim() || undefined }, { query: {}, total: rows.length, rows: byName });
    expect(got?.rows.map((r) => r.name)).toEqual(finds);
    expect(got?.total).toBe(finds.length);
  });
});

describe('refineServices', () => {
  const all = { query: {}, total: byName.length, rows: byName };
  it('narrows a complete answer to a longer query, and only then', () => {
    const pa = refineServices({ q: 'pa' }, all)!;
    expect(refineServices({ q: 'pay' }, { query: { q: 'pa' }, ...pa })?.rows.map((r) => r.name)).toEqual(['payments-api', 'payments-sdk-js', 'ledger-service']);
    // Not from a query the new one does not extend, nor from another filter or order, nor from an incomplete answer.
    expect(refineServices({ q: 'le' }, { query: { q: 'pa' }, ...pa })).toBeNull();
    expect(refineServices({ q: 'pay', owner: 'payments' }, { query: { q: 'pa' }, ...pa })).toBeNull();
    expect(refineServices({ q: 'pay', sort: 'name', order: 'asc' }, { query: { q: 'pa' }, ...pa })).toBeNull();
    expect(refineServices({ q: 'pay' }, { query: { q: 'pa' }, total: pa.total + 1, rows: pa.rows })).toBeNull();
  });
  it('keeps a sorted answer in its order', () => {
    const desc = [...byName].reverse();
    const got = refineServices({ q: 'pay', sort: 'name', order: 'desc' }, { query: { sort: 'name', order: 'desc' }, total: desc.length, rows: desc });
    expect(got?.rows.map((r) => r.name)).toEqual(['payments-sdk-js', 'payments-api', 'ledger-service']);
  });
});

describe('highlight', () => {
  const marked = (text: string, q: string) =>
    highlight(text, searchTerms(q))
      .map((p) => (p.hit ? `[${p.text}]` : p.text))
      .join('');
  it.each([
    ['payments-api', 'pay', '[pay]ments-api'],
    ['payments-api', 'payments-a', '[payments]-[a]pi'],
    ['Card and wallet payments', 'pay wal', 'Card and [wal]let [pay]ments'],
    ['Café Crème', 'cafe cr', '[Café] [Cr]ème'],
    ['Łódź router', 'łod', '[Łód]ź router'],
    ['Cafe\u0301 decomposed', 'café', '[Cafe\u0301] decomposed'],
    ['ledger-service', 'zzz', 'ledger-service'],
    ['ledger-service', '', 'ledger-service'],
  ])('%s for %j: %s', (text, q, want) => {
    expect(marked(text, q)).toBe(want);
  });
});

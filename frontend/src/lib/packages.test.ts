import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, type PackageUse } from '../api/client';
import { behindCounts, hasPackageFilters, packageQuery, sortedBy, sortUses, versionsText } from './packages';
import { EMPTY_PACKAGE_FILTERS, type PackageFilters } from './router';

describe('packageQuery', () => {
  const cases: [string, Partial<PackageFilters>, ReturnType<typeof packageQuery>][] = [
    ['nothing', {}, {}],
    ['search trimmed', { q: '  react ' }, { q: 'react' }],
    ['outdated npm of a team', { ecosystem: 'npm', owner: 'payments', outdated: true }, { ecosystem: 'npm', owner: 'payments', outdated: true }],
    ['sorted', { sort: 'major', order: 'desc' }, { sort: 'major', order: 'desc' }],
    ['sort without order is ascending', { sort: 'name' }, { sort: 'name', order: 'asc' }],
  ];
  for (const [name, f, want] of cases) it(name, () => expect(packageQuery({ ...EMPTY_PACKAGE_FILTERS, ...f })).toEqual(want));

  it('the CSV export carries the same filters and order, without paging', async () => {
    const urls: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        urls.push(url);
        return new Response('', { status: 200 });
      }),
    );
    const f: PackageFilters = { q: 'types', ecosystem: 'npm', owner: 'payments', outdated: true, sort: 'services', order: 'desc' };
    await api.downloadPackagesCsv({ ...packageQuery(f), limit: 200, offset: 200 });
    await api.downloadPackagesCsv(packageQuery(EMPTY_PACKAGE_FILTERS));
    expect(urls).toEqual([
      '/api/v1/packages?q=types&ecosystem=npm&owner=payments&outdated=true&sort=services&order=desc&format=csv',
      '/api/v1/packages?format=csv',
    ]);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('hasPackageFilters ignores the order', () => {
    expect(hasPackageFilters({ ...EMPTY_PACKAGE_FILTERS, sort: 'name' })).toBe(false);
    expect(hasPackageFilters({ ...EMPTY_PACKAGE_FILTERS, outdated: true })).toBe(true);
  });
});

describe('sortedBy', () => {
  it('starts counts most-first and names alphabetically, and flips on a second click', () => {
    expect(sortedBy(EMPTY_PACKAGE_FILTERS, 'major')).toMatchObject({ sort: 'major', order: 'desc' });
    expect(sortedBy(EMPTY_PACKAGE_FILTERS, 'name')).toMatchObject({ sort: 'name', order: 'asc' });
    expect(sortedBy({ ...EMPTY_PACKAGE_FILTERS, sort: 'major', order: 'desc' }, 'major')).toMatchObject({ sort: 'major', order: 'asc' });
  });
});

describe('texts', () => {
  it('versionsText lists versions newest first with counts, and how many more', () => {
    const versions = [
      { version: '19.1.0', services: 3 },
      { version: '18.3.1', services: 4 },
      { version: '18.2.0', services: 4 },
      { version: '17.0.2', services: 1 },
      { version: '16.14.0', services: 1 },
    ];
    expect(versionsText({ versions })).toBe('19.1.0 ×3 · 18.3.1 ×4 · 18.2.0 ×4 · 17.0.2 · +1 more');
    expect(versionsText({ versions: versions.slice(3, 4) })).toBe('17.0.2');
  });
  it('behindCounts skips zeros, most severe first', () => {
    expect(behindCounts({ major: 9, minor: 3, patch: 0 })).toEqual([
      { level: 'major', count: 9 },
      { level: 'minor', count: 3 },
    ]);
    expect(behindCounts({ major: 0, minor: 0, patch: 0 })).toEqual([]);
  });
});

describe('sortUses', () => {
  const use = (service: string, owner: string, version: string, behind: PackageUse['behind']): PackageUse => ({ service, owner, version, behind, dev: false });
  const uses = [use('b', 'search', '18.3.1', 'major'), use('a', 'payments', '19.3.1', ''), use('c', 'payments', '19.1.0', 'minor'), use('d', 'data', '17.0.2', 'major')];
  it('most behind first by default', () => expect(sortUses(uses).map((u) => u.service)).toEqual(['b', 'd', 'c', 'a']));
  it('by service', () => expect(sortUses(uses, 'service', false).map((u) => u.service)).toEqual(['a', 'b', 'c', 'd']));
  it('by version, numerically', () => expect(sortUses(uses, 'version', true).map((u) => u.version)).toEqual(['19.3.1', '19.1.0', '18.3.1', '17.0.2']));
  it('by owner, then service', () => expect(sortUses(uses, 'owner', false).map((u) => u.service)).toEqual(['d', 'a', 'c', 'b']));
});

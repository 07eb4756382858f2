import { describe, expect, it } from 'vitest';
import type { FlagRow } from '../api/client';
import { defaultText, FLAG_SORT, flagColumns, flagSortedBy, flagTeams, groupFlags, shortValue, switched, type FlagSort } from './flags';
import { EMPTY_FLAG_FILTERS } from './router';

function row(key: string, environment: string, team: string, patch: Partial<FlagRow> = {}): FlagRow {
  return {
    key,
    environment,
    team,
    owner: team,
    state: 'ENABLED',
    type: 'boolean',
    variants: ['off', 'on'],
    default: 'off',
    rollout: 'static: off',
    reachable: ['off'],
    version: 1,
    updated_at: '2026-11-01T00:00:00Z',
    updated_by: 'atrium-demo',
    stale: false,
    ...patch,
  };
}

const envs = ['dev', 'staging', 'production'];
const rows = [
  row('new-checkout-flow', 'production', 'payments', { updated_at: '2026-11-20T00:00:00Z' }),
  row('new-checkout-flow', 'dev', 'payments'),
  row('legacy-sso-fallback', 'production', 'identity', { stale: true, state: 'DISABLED' }),
  row('search-ranking-model', 'staging', 'search', { updated_at: '2026-11-25T00:00:00Z' }),
  row('orphan', 'dev', ''),
];

describe('flagTeams', () => {
  it('counts flags per team, without the flags of no team', () => {
    expect(flagTeams(rows, envs)).toEqual([
      { value: 'identity', count: 1 },
      { value: 'payments', count: 1 },
      { value: 'search', count: 1 },
    ]);
  });
  it('counts each flag once, as many as the rows the team filter shows, in the columns shown', () => {
    const many = [...rows, row('legacy-sso-fallback', 'dev', 'identity'), row('sso-v2', 'dev', 'identity'), row('sso-v2', 'staging', 'identity')];
    for (const columns of [envs, ['dev'], ['production']]) {
      const f = { ...EMPTY_FLAG_FILTERS, environment: columns.length === 1 ? (columns[0] ?? '') : '' };
      for (const { value, count } of flagTeams(many, columns)) {
        expect(count, `${value} in ${columns.join(',')}`).toBe(groupFlags(many, { ...f, team: value }, envs).length);
      }
    }
    expect(flagTeams(many, envs).find((t) => t.value === 'identity')?.count).toBe(2);
    expect(flagTeams(many, ['production']).map((t) => t.value)).toEqual(['identity', 'payments']);
  });
});

describe('texts', () => {
  it('defaultText names the code default', () => {
    expect(defaultText(null)).toBe('code default');
    expect(defaultText('off')).toBe('off');
  });
  it('shortValue quotes text and truncates long values', () => {
    expect(shortValue('on')).toBe('"on"');
    expect(shortValue(30)).toBe('30');
    expect(shortValue(undefined)).toBe('—');
    expect(shortValue({ a: 'x'.repeat(100) }, 20)).toBe('{"a":"xxxxxxxxxxxxx…');
  });
});

describe('groupFlags', () => {
  const none = EMPTY_FLAG_FILTERS;
  const grouped = (f = none, sort: FlagSort = FLAG_SORT) =>
    groupFlags(rows, f, envs, sort).map((g) => `${g.key}:${Object.keys(g.byEnvironment).join('+')}`);
  it('puts a flag\'s environments side by side on one row, in the portal\'s order of environments', () => {
    expect(grouped()).toEqual(['legacy-sso-fallback:production', 'new-checkout-flow:dev+production', 'orphan:dev', 'search-ranking-model:staging']);
    const g = groupFlags(rows, none, envs).find((x) => x.key === 'new-checkout-flow');
    expect(g?.last.environment).toBe('production'); // its newest change
    expect(g?.teams).toEqual(['payments']);
  });
  it('shows one environment as the only column when filtered to it, and filters keys by team, search and staleness', () => {
    expect(flagColumns({ ...none, environment: 'dev' }, envs)).toEqual(['dev']);
    expect(grouped({ ...none, environment: 'dev' })).toEqual(['new-checkout-flow:dev', 'orphan:dev']);
    expect(grouped({ ...none, team: 'payments' })).toEqual(['new-checkout-flow:dev+production']);
    expect(grouped({ ...none, q: 'CHECK' })).toEqual(['new-checkout-flow:dev+production']);
    expect(grouped({ ...none, stale: true })).toEqual(['legacy-sso-fallback:production']);
  });
  it('sorts by the newest change of any environment', () => {
    expect(grouped(none, { key: 'updated_at', order: 'desc' })).toEqual(['search-ranking-model:staging', 'new-checkout-flow:dev+production', 'legacy-sso-fallback:production', 'orphan:dev']);
  });
  it('sorts either way: a second click on a column turns its order, as the catalog does', () => {
    const byChange = flagSortedBy(FLAG_SORT, 'updated_at');
    expect(byChange).toEqual({ key: 'updated_at', order: 'desc' });
    expect(flagSortedBy(byChange, 'updated_at')).toEqual({ key: 'updated_at', order: 'asc' });
    expect(flagSortedBy(FLAG_SORT, 'key')).toEqual({ key: 'key', order: 'desc' });
    expect(flagSortedBy(byChange, 'key')).toEqual(FLAG_SORT);
    // Oldest first; flags changed at the same time stay A to Z.
    expect(grouped(none, { key: 'updated_at', order: 'asc' })).toEqual(['legacy-sso-fallback:production', 'orphan:dev', 'new-checkout-flow:dev+production', 'search-ranking-model:staging']);
    expect(grouped(none, { key: 'key', order: 'desc' })).toEqual(['search-ranking-model:staging', 'orphan:dev', 'new-checkout-flow:dev+production', 'legacy-sso-fallback:production']);
  });
  it('switches a definition on or off and nothing else', () => {
    const d = { state: 'ENABLED' as const, variants: { on: true }, defaultVariant: 'on' };
    expect(switched(d)).toEqual({ ...d, state: 'DISABLED' });
    expect(switched(switched(d))).toEqual(d);
  });
});

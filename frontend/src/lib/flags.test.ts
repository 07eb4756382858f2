import { describe, expect, it } from 'vitest';
import type { FlagRow } from '../api/client';
import { defaultText, filterFlags, flagTeams, shortValue } from './flags';
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
const keys = (rs: FlagRow[]) => rs.map((r) => `${r.key}@${r.environment}`);

describe('filterFlags', () => {
  it('orders by key, then environment in the portal’s order', () => {
    expect(keys(filterFlags(rows, EMPTY_FLAG_FILTERS, envs))).toEqual([
      'legacy-sso-fallback@production',
      'new-checkout-flow@dev',
      'new-checkout-flow@production',
      'orphan@dev',
      'search-ranking-model@staging',
    ]);
  });
  const cases: [string, Partial<typeof EMPTY_FLAG_FILTERS>, string[]][] = [
    ['environment', { environment: 'production' }, ['legacy-sso-fallback@production', 'new-checkout-flow@production']],
    ['team', { team: 'payments' }, ['new-checkout-flow@dev', 'new-checkout-flow@production']],
    ['stale only', { stale: true }, ['legacy-sso-fallback@production']],
    ['key search, any case', { q: 'CHECKOUT' }, ['new-checkout-flow@dev', 'new-checkout-flow@production']],
    ['all at once', { environment: 'dev', team: 'payments', q: 'new' }, ['new-checkout-flow@dev']],
    ['nothing', { q: 'zzz' }, []],
  ];
  for (const [name, f, want] of cases) {
    it(name, () => expect(keys(filterFlags(rows, { ...EMPTY_FLAG_FILTERS, ...f }, envs))).toEqual(want));
  }
  it('newest change first', () => {
    expect(keys(filterFlags(rows, EMPTY_FLAG_FILTERS, envs, 'updated_at')).slice(0, 2)).toEqual([
      'search-ranking-model@staging',
      'new-checkout-flow@production',
    ]);
  });
  it('does not reorder its input', () => {
    const copy = [...rows];
    filterFlags(rows, EMPTY_FLAG_FILTERS, envs);
    expect(rows).toEqual(copy);
  });
});

describe('flagTeams', () => {
  it('counts flags per team, without the flags of no team', () => {
    expect(flagTeams(rows)).toEqual([
      { value: 'identity', count: 1 },
      { value: 'payments', count: 2 },
      { value: 'search', count: 1 },
    ]);
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

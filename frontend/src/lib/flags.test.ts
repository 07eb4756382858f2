import { describe, expect, it } from 'vitest';
import type { FlagDiffOp, FlagRow, JsonValue } from '../api/client';
import { defaultText, diffLabel, diffLine, filterFlags, flagTeams, shortValue } from './flags';
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

  const before: JsonValue = {
    defaultVariant: 'off',
    state: 'ENABLED',
    variants: { on: true, off: false },
    targeting: { if: [{ ends_with: [{ var: 'email' }, '@sphera.example'] }, 'on', { fractional: [{ var: 'accountId' }, ['on', 30], ['off', 70]] }] },
  };
  const lines: [FlagDiffOp, string][] = [
    [{ path: '/defaultVariant', op: 'replace', before: 'off', after: 'on' }, 'default variant: "off" → "on"'],
    [{ path: '/targeting/if/2/fractional/1/1', op: 'replace', before: 30, after: 40 }, 'targeting › if › 2 › fractional › weight of "on": 30 → 40'],
    [{ path: '/targeting/if/2/fractional/2/1', op: 'replace', before: 70, after: 60 }, 'targeting › if › 2 › fractional › weight of "off": 70 → 60'],
    [{ path: '/variants/maybe', op: 'add', after: true }, 'variant "maybe": added true'],
    [{ path: '/metadata/ticket', op: 'remove', before: 'PAY-1' }, 'metadata ticket: removed (was "PAY-1")'],
    [{ path: '/state', op: 'replace', before: 'ENABLED', after: 'DISABLED' }, 'state: "ENABLED" → "DISABLED"'],
    [{ path: '/targeting/if/0/ends_with/1', op: 'replace', before: '@sphera.example', after: '@x.example' }, 'targeting › if › 0 › ends_with › 1: "@sphera.example" → "@x.example"'],
    [{ path: '', op: 'add', after: { state: 'ENABLED' } }, 'the whole flag: added {"state":"ENABLED"}'],
    [{ path: '/a~1b', op: 'remove', before: 1 }, 'a/b: removed (was 1)'],
  ];
  for (const [op, want] of lines) it(`diffLine ${op.path || '(root)'}`, () => expect(diffLine(op, before, null)).toBe(want));

  it('diffLabel names the whole flag', () => expect(diffLabel({ path: '', op: 'remove' }, null)).toBe('the whole flag'));
});

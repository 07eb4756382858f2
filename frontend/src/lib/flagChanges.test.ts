import { describe, expect, it } from 'vitest';
import type { FlagDefinition } from '../api/client';
import { changeSentence, flagChangeLines, flagLines } from './flagChanges';

const base: FlagDefinition = {
  state: 'ENABLED',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  targeting: { if: [{ ends_with: [{ var: 'email' }, '@sphera.example'] }, 'on', null] },
};
const rollout: FlagDefinition = {
  ...base,
  targeting: {
    if: [
      { ends_with: [{ var: 'email' }, '@sphera.example'] },
      'on',
      { fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'accountId' }] }, ['on', 20], ['off', 80]] },
    ],
  },
};

const sentences = (b: FlagDefinition | null, a: FlagDefinition | null, teams: [string?, string?] = []) =>
  flagChangeLines({ definition: b, team: teams[0] }, { definition: a, team: teams[1] }).map(changeSentence);

describe('flagChangeLines', () => {
  it('says a rollout change in words, not JSON paths', () => {
    expect(sentences(base, rollout)).toEqual(['Everyone else: the default variant ("off") → 20% "on" / 80% "off" by accountId']);
  });

  it('says the state, the default, variants, rules, description and team', () => {
    const after: FlagDefinition = {
      state: 'DISABLED',
      variants: { on: true, off: false, dark: 'x' },
      defaultVariant: 'on',
      targeting: { if: [{ in: [{ var: 'country' }, ['DE', 'FR']] }, 'dark', null] },
      metadata: { description: 'New checkout' },
    };
    expect(sentences(base, after, ['payments', 'growth'])).toEqual([
      'State: enabled → disabled (everyone gets the code default)',
      'Default variant: "off" → "on"',
      'Variant "dark": "x"',
      'Rule 1: if email ends with "@sphera.example": "on" → if country is one of "DE", "FR": "dark"',
      'Everyone else: the default variant ("off") → the default variant ("on")',
      'Description: New checkout',
      'Team: payments → growth',
    ]);
    const lines = flagChangeLines({ definition: base }, { definition: after });
    expect(lines.map((l) => l.kind)).toEqual(['changed', 'changed', 'added', 'changed', 'changed', 'added']);
  });

  it('lists a new flag as everything it is, and a closed one as everything it was', () => {
    expect(flagLines(rollout).map(changeSentence)).toEqual([
      'State: enabled',
      'Default variant: "off"',
      'Variant "off": false',
      'Variant "on": true',
      'Rule 1: if email ends with "@sphera.example": "on"',
      'Everyone else: 20% "on" / 80% "off" by accountId',
    ]);
    expect(sentences(base, null)).toContain('Rule 1: removed (was if email ends with "@sphera.example": "on")');
    expect(flagChangeLines({ definition: base }, { definition: null }).every((l) => l.kind === 'removed')).toBe(true);
  });

  it('says targeting the form cannot show changed, and points at the JSON', () => {
    const odd: FlagDefinition = { ...base, targeting: { if: [{ and: [{ '==': [{ var: 'a' }, 1] }, { '==': [{ var: 'b' }, 2] }] }, 'on', 'off'] } };
    const out = sentences(base, odd);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^Targeting: rules the form shows → changed \(.+\): see the JSON$/);
  });

  it('has nothing to say about an unchanged flag', () => {
    expect(sentences(base, { ...base })).toEqual([]);
  });
});

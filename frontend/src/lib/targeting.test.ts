import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../api/client';
import {
  buildTargeting,
  evenShares,
  NO_TARGETING,
  parseTargeting,
  shareProblems,
  targetingPart,
  targetingProblems,
  withOperator,
  type TargetingForm,
} from './targeting';

const byAccount = { by: 'attribute', attribute: 'accountId', withFlagKey: false } as const;
const byAccountSalted = { by: 'attribute', attribute: 'accountId', withFlagKey: true } as const;

/** Forms and the flagd JSON each must build; every pair must also parse back to the same form. */
const pairs: [name: string, form: TargetingForm, json: JsonValue | undefined][] = [
  ['nothing targeted', NO_TARGETING, undefined],
  [
    'a rollout by user id (flagd’s default bucketing)',
    { rules: [], otherwise: { kind: 'rollout', rollout: { bucketing: { by: 'targetingKey' }, shares: [{ variant: 'on', weight: 30 }, { variant: 'off', weight: 70 }] } } },
    { fractional: [['on', 30], ['off', 70]] },
  ],
  [
    'a rollout by account id',
    { rules: [], otherwise: { kind: 'rollout', rollout: { bucketing: byAccount, shares: [{ variant: 'on', weight: 20 }, { variant: 'off', weight: 80 }] } } },
    { fractional: [{ var: 'accountId' }, ['on', 20], ['off', 80]] },
  ],
  [
    'a rollout by account id mixed with the flag key',
    { rules: [], otherwise: { kind: 'rollout', rollout: { bucketing: byAccountSalted, shares: [{ variant: 'on', weight: 100 }] } } },
    { fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'accountId' }] }, ['on', 100]] },
  ],
  [
    'staff by email, a rollout by account for everyone else (the e2e flag)',
    {
      rules: [{ when: { op: 'ends_with', attribute: 'email', value: '@sphera.example' }, then: { kind: 'variant', variant: 'on' } }],
      otherwise: { kind: 'rollout', rollout: { bucketing: byAccountSalted, shares: [{ variant: 'on', weight: 30 }, { variant: 'off', weight: 70 }] } },
    },
    {
      if: [
        { ends_with: [{ var: 'email' }, '@sphera.example'] },
        'on',
        { fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'accountId' }] }, ['on', 30], ['off', 70]] },
      ],
    },
  ],
  [
    'every operator, in order, falling through to the default variant',
    {
      rules: [
        { when: { op: 'equals', attribute: 'tier', value: 'gold' }, then: { kind: 'variant', variant: 'large' } },
        { when: { op: 'in', attribute: 'region', values: ['us-east-1', 'eu-west-1'] }, then: { kind: 'variant', variant: 'medium' } },
        { when: { op: 'starts_with', attribute: 'country', value: 'DE' }, then: { kind: 'default' } },
        { when: { op: 'sem_ver', attribute: 'appVersion', compare: '<', value: '4.2.0' }, then: { kind: 'variant', variant: 'small' } },
        {
          when: { op: 'sem_ver', attribute: 'appVersion', compare: '^', value: '5.0.0' },
          then: { kind: 'rollout', rollout: { bucketing: { by: 'targetingKey' }, shares: [{ variant: 'small', weight: 50 }, { variant: 'large', weight: 50 }] } },
        },
      ],
      otherwise: { kind: 'default' },
    },
    {
      if: [
        { '==': [{ var: 'tier' }, 'gold'] },
        'large',
        { in: [{ var: 'region' }, ['us-east-1', 'eu-west-1']] },
        'medium',
        { starts_with: [{ var: 'country' }, 'DE'] },
        null,
        { sem_ver: [{ var: 'appVersion' }, '<', '4.2.0'] },
        'small',
        { sem_ver: [{ var: 'appVersion' }, '^', '5.0.0'] },
        { fractional: [['small', 50], ['large', 50]] },
        null,
      ],
    },
  ],
  [
    'a rule with a variant for everyone else',
    {
      rules: [{ when: { op: 'in', attribute: 'userId', values: [] }, then: { kind: 'variant', variant: 'a' } }],
      otherwise: { kind: 'variant', variant: 'b' },
    },
    { if: [{ in: [{ var: 'userId' }, []] }, 'a', 'b'] },
  ],
  [
    'each semantic-version comparison',
    {
      rules: (['=', '!=', '<', '<=', '>', '>=', '^', '~'] as const).map((compare) => ({
        when: { op: 'sem_ver' as const, attribute: 'v', compare, value: '1.2.3' },
        then: { kind: 'variant' as const, variant: compare },
      })),
      otherwise: { kind: 'default' },
    },
    {
      if: [
        ...(['=', '!=', '<', '<=', '>', '>=', '^', '~'] as const).flatMap((c) => [{ sem_ver: [{ var: 'v' }, c, '1.2.3'] }, c]),
        null,
      ],
    },
  ],
];

describe('buildTargeting and parseTargeting', () => {
  for (const [name, form, json] of pairs) {
    it(`builds: ${name}`, () => expect(buildTargeting(form)).toEqual(json));
    it(`parses back: ${name}`, () => expect(parseTargeting(json)).toEqual({ ok: true, value: form }));
    it(`round-trips form → JSON → form: ${name}`, () => {
      const parsed = parseTargeting(buildTargeting(form));
      expect(parsed.ok && parsed.value).toEqual(form);
    });
  }
});

describe('parseTargeting reads the demo flags', () => {
  const demo: [string, JsonValue][] = [
    ['new-checkout-flow', { fractional: [{ var: 'accountId' }, ['on', 20], ['off', 80]] }],
    ['ledger-batch-size', { if: [{ in: [{ var: 'region' }, ['us-east-1']] }, 'large', null] }],
    [
      'search-ranking-model',
      { if: [{ ends_with: [{ var: 'email' }, '@sphera.example'] }, 'learned-v3', { fractional: [['bm25', 70], ['learned-v2', 30]] }] },
    ],
    ['mobile-min-app-version', { if: [{ sem_ver: [{ var: 'appVersion' }, '<', '4.2.0'] }, 'block', null] }],
    ['pricing-config', { if: [{ starts_with: [{ var: 'country' }, 'DE'] }, 'v2', null] }],
    ['atrium-ui-matrix-page', { fractional: [['on', 100], ['off', 0]] }],
  ];
  for (const [key, json] of demo) {
    it(`${key}: into the form and back to the same JSON`, () => {
      const parsed = parseTargeting(json);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(buildTargeting(parsed.value)).toEqual(json);
    });
  }
});

describe('parseTargeting accepts equivalent spellings', () => {
  const rule = { when: { op: 'equals' as const, attribute: 'tier', value: 'gold' }, then: { kind: 'variant' as const, variant: 'a' } };
  const cases: [string, JsonValue, TargetingForm][] = [
    ['empty targeting', {}, NO_TARGETING],
    ['null', null, NO_TARGETING],
    ['an if without an else', { if: [{ '==': [{ var: 'tier' }, 'gold'] }, 'a'] }, { rules: [rule], otherwise: { kind: 'default' } }],
    [
      'else-if written as a nested if',
      { if: [{ '==': [{ var: 'tier' }, 'gold'] }, 'a', { if: [{ ends_with: [{ var: 'email' }, '@x'] }, 'b', 'c'] }] },
      {
        rules: [rule, { when: { op: 'ends_with', attribute: 'email', value: '@x' }, then: { kind: 'variant', variant: 'b' } }],
        otherwise: { kind: 'variant', variant: 'c' },
      },
    ],
  ];
  for (const [name, json, form] of cases) {
    it(name, () => expect(parseTargeting(json)).toEqual({ ok: true, value: form }));
  }
});

describe('parseTargeting rejects what the form cannot represent, saying why and where', () => {
  const cases: [string, JsonValue, RegExp, string][] = [
    [
      'conditions combined with and',
      { if: [{ and: [{ '==': [{ var: 'a' }, 'x'] }, { '==': [{ var: 'b' }, 'y'] }] }, 'on', null] },
      /combined with and/,
      '/if/0/and',
    ],
    ['or', { if: [{ or: [] }, 'on'] }, /combined with or/, '/if/0/or'],
    ['a substring test (in with text)', { if: [{ in: [{ var: 'email' }, 'sphera'] }, 'on'] }, /substring/, '/if/0/in/1'],
    ['equality with a number', { if: [{ '==': [{ var: 'tier' }, 3] }, 'on'] }, /not text/, '/if/0/==/1'],
    ['the value on the left', { if: [{ '==': ['gold', { var: 'tier' }] }, 'on'] }, /context attribute/, '/if/0/==/0'],
    ['a var with a default', { if: [{ '==': [{ var: ['tier', 'none'] }, 'gold'] }, 'on'] }, /context attribute/, '/if/0/==/0'],
    ['a list with a number', { if: [{ in: [{ var: 'n' }, ['a', 2]] }, 'on'] }, /not text/, '/if/0/in/1/1'],
    ['an unknown sem_ver comparison', { if: [{ sem_ver: [{ var: 'v' }, '=>', '1.0.0'] }, 'on'] }, /is not one of/, '/if/0/sem_ver/1'],
    ['an operator the form does not write', { if: [{ '<': [{ var: 'age' }, 18] }, 'on'] }, /the operator </, '/if/0/<'],
    ['weights that do not sum to 100', { fractional: [['on', 1], ['off', 9]] }, /sum to 10; the form works in percent/, '/fractional'],
    ['a weight left out', { fractional: [['on'], ['off', 50]] }, /always writes the weight/, '/fractional/0'],
    ['a fractional weight', { fractional: [{ var: 'accountId' }, ['on', 30.5], ['off', 69.5]] }, /whole number/, '/fractional/1/1'],
    ['bucketing by a computed key', { fractional: [{ cat: [{ var: 'a' }, { var: 'b' }] }, ['on', 100]] }, /buckets by an expression/, '/fractional/0'],
    ['a shared evaluator', { $ref: 'staff' }, /\$ref/, '/$ref'],
    ['a shared evaluator as a condition', { if: [{ $ref: 'staff' }, 'on'] }, /the operator \$ref/, '/if/0/$ref'],
    ['a rule inside an outcome', { if: [{ '==': [{ var: 'a' }, 'x'] }, { if: [{ '==': [{ var: 'b' }, 'y'] }, 'on'] }] }, /rule inside a rule/, '/if/1'],
    ['an outcome computed from the context', { if: [{ '==': [{ var: 'a' }, 'x'] }, { var: 'variant' }] }, /computed from the context/, '/if/1'],
    ['a top-level operator other than if or fractional', { '==': [1, 1] }, /starts with ==/, '/=='],
    ['a lone if', { if: [{ '==': [{ var: 'a' }, 'x'] }] }, /without a condition and an outcome/, '/if'],
    ['targeting that is not an object', 'on', /must be a JsonLogic object/, ''],
  ];
  for (const [name, json, reason, path] of cases) {
    it(name, () => {
      const got = parseTargeting(json);
      expect(got.ok).toBe(false);
      if (!got.ok) {
        expect(got.reason).toMatch(reason);
        expect(got.path).toBe(path);
      }
    });
  }
});

describe('targetingPart places a server problem next to the part of the form it is about', () => {
  const form: TargetingForm = {
    rules: [
      { when: { op: 'equals', attribute: 'a', value: 'x' }, then: { kind: 'variant', variant: 'on' } },
      { when: { op: 'equals', attribute: 'b', value: 'y' }, then: { kind: 'variant', variant: 'off' } },
    ],
    otherwise: { kind: 'rollout', rollout: { bucketing: { by: 'targetingKey' }, shares: [{ variant: 'on', weight: 100 }] } },
  };
  const cases: [string, ReturnType<typeof targetingPart>][] = [
    ['/if/0/==/0', { part: 'rule', index: 0, side: 'when' }],
    ['/if/1', { part: 'rule', index: 0, side: 'then' }],
    ['/if/3', { part: 'rule', index: 1, side: 'then' }],
    ['/if/4/fractional/1/1', { part: 'otherwise' }],
    ['/if/9', { part: 'targeting' }],
    ['', { part: 'targeting' }],
  ];
  for (const [pointer, want] of cases) it(pointer || '(the whole targeting)', () => expect(targetingPart(pointer, form)).toEqual(want));
  it('a rollout without rules is "everyone else"', () => {
    expect(targetingPart('/fractional/1/1', { rules: [], otherwise: form.otherwise })).toEqual({ part: 'otherwise' });
  });
});

describe('shareProblems', () => {
  const variants = ['on', 'off', 'maybe'];
  const cases: [string, { variant: string; weight: number }[], string[]][] = [
    ['30/70', [{ variant: 'on', weight: 30 }, { variant: 'off', weight: 70 }], []],
    ['100 to one', [{ variant: 'on', weight: 100 }], []],
    ['0/100', [{ variant: 'on', weight: 0 }, { variant: 'off', weight: 100 }], []],
    ['sum 90', [{ variant: 'on', weight: 30 }, { variant: 'off', weight: 60 }], ['The shares add up to 90%; they must add up to 100%.']],
    ['sum 110', [{ variant: 'on', weight: 50 }, { variant: 'off', weight: 60 }], ['The shares add up to 110%; they must add up to 100%.']],
    ['a fraction', [{ variant: 'on', weight: 30.5 }, { variant: 'off', weight: 69.5 }], ['The share of "on" must be a whole number from 0 to 100.', 'The share of "off" must be a whole number from 0 to 100.']],
    ['negative', [{ variant: 'on', weight: -10 }, { variant: 'off', weight: 110 }], ['The share of "on" must be a whole number from 0 to 100.', 'The share of "off" must be a whole number from 0 to 100.']],
    ['empty', [], ['Add at least one variant to the rollout.']],
    ['unknown variant', [{ variant: 'nope', weight: 100 }], ['"nope" is not a variant of this flag.']],
    ['twice', [{ variant: 'on', weight: 50 }, { variant: 'on', weight: 50 }], ['"on" appears twice; give each variant one share.']],
    ['not a number', [{ variant: 'on', weight: Number.NaN }, { variant: 'off', weight: 100 }], ['The share of "on" must be a whole number from 0 to 100.']],
  ];
  for (const [name, shares, want] of cases) it(name, () => expect(shareProblems(shares, variants)).toEqual(want));
});

describe('targetingProblems', () => {
  it('checks each rule and everyone else against the flag’s variants', () => {
    const form: TargetingForm = {
      rules: [
        { when: { op: 'ends_with', attribute: '', value: '' }, then: { kind: 'variant', variant: 'gone' } },
        { when: { op: 'sem_ver', attribute: 'appVersion', compare: '<', value: 'latest' }, then: { kind: 'default' } },
        { when: { op: 'in', attribute: 'region', values: [] }, then: { kind: 'variant', variant: 'on' } },
      ],
      otherwise: { kind: 'rollout', rollout: { bucketing: { by: 'attribute', attribute: ' ', withFlagKey: true }, shares: [{ variant: 'on', weight: 10 }] } },
    };
    expect(targetingProblems(form, ['on', 'off'])).toEqual({
      rules: [
        ['Name the context attribute to compare (e.g. email).', 'Give the text to compare with.', '"gone" is not a variant of this flag.'],
        ['Give a version such as 4.2.0.'],
        ['List at least one value.'],
      ],
      otherwise: ['Name the attribute to bucket by (e.g. accountId).', 'The shares add up to 10%; they must add up to 100%.'],
    });
  });
  it('asks for the default variant rather than a variant for everyone without rules', () => {
    expect(targetingProblems({ rules: [], otherwise: { kind: 'variant', variant: 'on' } }, ['on']).otherwise).toEqual([
      'Without rules, make this variant the default variant instead.',
    ]);
  });
});

describe('helpers', () => {
  it('evenShares splits 100 with the remainder first', () => {
    expect(evenShares(['a', 'b', 'c']).map((s) => s.weight)).toEqual([34, 33, 33]);
    expect(evenShares(['a', 'b']).map((s) => s.weight)).toEqual([50, 50]);
    expect(evenShares([])).toEqual([]);
  });
  it('withOperator keeps what was typed', () => {
    const c = { op: 'equals' as const, attribute: 'email', value: '@x' };
    expect(withOperator(c, 'in')).toEqual({ op: 'in', attribute: 'email', values: ['@x'] });
    expect(withOperator(withOperator(c, 'in'), 'ends_with')).toEqual({ op: 'ends_with', attribute: 'email', value: '@x' });
    expect(withOperator(c, 'sem_ver')).toEqual({ op: 'sem_ver', attribute: 'email', compare: '>=', value: '@x' });
    expect(withOperator({ op: 'in', attribute: 'a', values: [] }, 'equals')).toEqual({ op: 'equals', attribute: 'a', value: '' });
  });
});

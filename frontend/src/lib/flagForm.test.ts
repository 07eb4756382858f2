import { describe, expect, it } from 'vitest';
import type { FlagDefinition } from '../api/client';
import {
  buildDefinition,
  changeType,
  conditionText,
  draftFromDefinition,
  draftProblems,
  emptyDraft,
  hasProblems,
  outcomeText,
  parseDefinitionText,
  parseVariant,
  placeServerProblems,
  teamsOf,
  valueType,
  variantText,
  type FlagDraft,
  type FlagType,
} from './flagForm';

const row = { key: 'k', environment: 'production', team: 'payments', owner: 'payments' };

describe('variant typing', () => {
  const cases: [FlagType, string, ReturnType<typeof parseVariant>][] = [
    ['boolean', 'true', { ok: true, value: true }],
    ['boolean', 'false', { ok: true, value: false }],
    ['boolean', 'yes', { ok: false, problem: 'Choose true or false.' }],
    ['string', '', { ok: true, value: '' }],
    ['string', ' learned-v3 ', { ok: true, value: ' learned-v3 ' }],
    ['number', '500', { ok: true, value: 500 }],
    ['number', ' 0.25 ', { ok: true, value: 0.25 }],
    ['number', '-3e2', { ok: true, value: -300 }],
    ['number', '', { ok: false, problem: 'Give a number, e.g. 500 or 0.25.' }],
    ['number', '12a', { ok: false, problem: 'Give a number, e.g. 500 or 0.25.' }],
    ['number', 'Infinity', { ok: false, problem: 'Give a number, e.g. 500 or 0.25.' }],
    ['object', '{"currency": "EUR", "roundTo": 0.05}', { ok: true, value: { currency: 'EUR', roundTo: 0.05 } }],
    ['object', '[1, 2]', { ok: false, problem: 'An object variant is a JSON object, e.g. {"currency": "EUR"}.' }],
    ['object', 'null', { ok: false, problem: 'An object variant is a JSON object, e.g. {"currency": "EUR"}.' }],
    ['object', '"EUR"', { ok: false, problem: 'An object variant is a JSON object, e.g. {"currency": "EUR"}.' }],
  ];
  for (const [type, text, want] of cases) it(`${type} ${JSON.stringify(text)}`, () => expect(parseVariant(type, text)).toEqual(want));

  it('rejects broken JSON in an object variant with the parser’s reason', () => {
    const got = parseVariant('object', '{"currency": EUR}');
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.problem).toMatch(/^Not valid JSON: /);
  });

  it('valueType and variantText agree with parseVariant', () => {
    const values = [true, false, 'bm25', '', 0, 2000, -0.5, { currency: 'EUR', nested: { a: [1] } }];
    for (const v of values) {
      const t = valueType(v);
      expect(t).not.toBeNull();
      if (t) expect(parseVariant(t, variantText(t, v))).toEqual({ ok: true, value: v });
    }
    expect(valueType(null)).toBeNull();
    expect(valueType([1])).toBeNull();
  });

  it('changeType keeps names and gives values of the new type', () => {
    const d: FlagDraft = { ...emptyDraft('dev', 'payments'), type: 'string', variants: [{ name: 'a', text: 'x' }, { name: 'b', text: 'y' }], defaultVariant: 'a' };
    expect(changeType(d, 'number').variants).toEqual([{ name: 'a', text: '0' }, { name: 'b', text: '1' }]);
    expect(changeType(d, 'object').variants).toEqual([{ name: 'a', text: '{}' }, { name: 'b', text: '{}' }]);
    const b = changeType(d, 'boolean');
    expect(b.variants).toEqual([{ name: 'on', text: 'true' }, { name: 'off', text: 'false' }]);
    expect(b.defaultVariant).toBe('off');
    expect(changeType({ ...d, type: 'number', variants: [{ name: 'n', text: '5' }] }, 'string').variants).toEqual([{ name: 'n', text: '5' }]);
  });
});

/** Definitions as the portal stores them, which the form must read and write back unchanged. */
const definitions: [string, FlagDefinition][] = [
  [
    'boolean with a rollout by account',
    {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: { fractional: [{ var: 'accountId' }, ['on', 20], ['off', 80]] },
      metadata: { team: 'payments', owner: 'payments', description: 'Redesigned checkout, rolled out by account' },
    },
  ],
  [
    'number with a rule',
    {
      state: 'ENABLED',
      variants: { small: 100, medium: 500, large: 2000 },
      defaultVariant: 'medium',
      targeting: { if: [{ in: [{ var: 'region' }, ['us-east-1']] }, 'large', null] },
    },
  ],
  [
    'string with staff first and a rollout for everyone else',
    {
      state: 'ENABLED',
      variants: { bm25: 'bm25', 'learned-v2': 'learned-v2', 'learned-v3': 'learned-v3' },
      defaultVariant: 'bm25',
      targeting: { if: [{ ends_with: [{ var: 'email' }, '@sphera.example'] }, 'learned-v3', { fractional: [['bm25', 70], ['learned-v2', 30]] }] },
    },
  ],
  [
    'object variants',
    {
      state: 'ENABLED',
      variants: { v1: { currency: 'EUR', vatIncluded: true, roundTo: 0.05 }, v2: { currency: 'EUR', vatIncluded: true, roundTo: 0.01 } },
      defaultVariant: 'v1',
      targeting: { if: [{ starts_with: [{ var: 'country' }, 'DE'] }, 'v2', null] },
    },
  ],
  ['disabled, code default', { state: 'DISABLED', variants: { on: true, off: false }, defaultVariant: null }],
  ['extra metadata kept', { state: 'ENABLED', variants: { on: true }, defaultVariant: 'on', metadata: { ticket: 'PAY-12', expires: 20270101 } }],
];

describe('draftFromDefinition and buildDefinition', () => {
  for (const [name, def] of definitions) {
    it(`round-trips JSON → form → JSON: ${name}`, () => {
      const d = draftFromDefinition(def, row);
      expect(d.ok).toBe(true);
      if (d.ok) {
        expect(buildDefinition(d.value)).toEqual(def);
        expect(hasProblems(draftProblems(d.value, { newFlag: false }))).toBe(false);
      }
    });
    it(`round-trips form → JSON → form: ${name}`, () => {
      const d = draftFromDefinition(def, row);
      if (!d.ok) throw new Error(d.reason);
      const again = buildDefinition(d.value);
      expect(again && draftFromDefinition(again, row)).toEqual(d);
    });
  }

  it('takes key, environment, team and owner from the portal’s record', () => {
    const d = draftFromDefinition({ state: 'ENABLED', variants: { on: true }, metadata: { team: 'search' } }, row);
    expect(d.ok && [d.value.key, d.value.environment, d.value.team, d.value.owner]).toEqual(['k', 'production', 'payments', 'payments']);
    expect(d.ok && d.value.defaultVariant).toBeNull();
  });

  it('keeps the metadata’s team and owner in step with the fields', () => {
    const d = draftFromDefinition(definitions[0]![1], row);
    if (!d.ok) throw new Error(d.reason);
    expect(buildDefinition({ ...d.value, team: 'search', owner: 'ana', description: '' })?.metadata).toEqual({ team: 'search', owner: 'ana' });
  });

  it('teamsOf reads team and owner from JSON typed in the expert view', () => {
    expect(teamsOf({ state: 'ENABLED', variants: {}, metadata: { team: 'search' } }, 'payments', 'olga')).toEqual({ team: 'search', owner: 'olga' });
  });

  it('says why a definition can only be edited as JSON', () => {
    const mixed = draftFromDefinition({ state: 'ENABLED', variants: { a: true, b: 'x' } }, row);
    expect(mixed).toEqual({ ok: false, reason: 'the variants mix types (boolean and string); the form edits flags of one type', path: '/variants/b' });
    const list = draftFromDefinition({ state: 'ENABLED', variants: { a: [1] } }, row);
    expect(list.ok || list.reason).toBe('variant "a" is a list, which flagd does not allow');
    const and = draftFromDefinition({ state: 'ENABLED', variants: { on: true }, targeting: { if: [{ and: [] }, 'on'] } }, row);
    expect(and.ok || and.path).toBe('/targeting/if/0/and');
  });

  it('does not build while a variant’s value cannot be read', () => {
    const d: FlagDraft = { ...emptyDraft('dev', 'payments'), type: 'number', variants: [{ name: 'n', text: 'many' }], defaultVariant: 'n' };
    expect(buildDefinition(d)).toBeUndefined();
    expect(draftProblems(d, { newFlag: false }).variants).toEqual(['Give a number, e.g. 500 or 0.25.']);
  });
});

describe('draftProblems', () => {
  it('a new flag needs a valid key and a team', () => {
    const d = emptyDraft('dev', '');
    expect(draftProblems(d, { newFlag: true }).key).toBe('Give the flag a key, e.g. new-checkout-flow.');
    expect(draftProblems({ ...d, key: '-bad' }, { newFlag: true }).key).toMatch(/^Use letters, digits/);
    expect(draftProblems({ ...d, key: 'x'.repeat(129) }, { newFlag: true }).key).toMatch(/^Use letters/);
    expect(draftProblems({ ...d, key: 'ok.key:v2_x-1' }, { newFlag: true }).key).toBeUndefined();
    expect(draftProblems(d, { newFlag: false }).key).toBeUndefined();
    expect(draftProblems(d, { newFlag: true }).team).toBe('Choose the team that owns the flag.');
  });
  it('names duplicate and empty variants, and a default that is gone', () => {
    const d: FlagDraft = {
      ...emptyDraft('dev', 'payments'),
      type: 'string',
      variants: [{ name: 'a', text: '' }, { name: 'a', text: '' }, { name: '', text: '' }, { name: ' b', text: '' }],
      defaultVariant: 'c',
    };
    const p = draftProblems(d, { newFlag: false });
    expect(p.variants).toEqual([undefined, '"a" is there twice; variant names must differ.', 'Name the variant.', 'Variant names have no spaces at either end.']);
    expect(p.defaultVariant).toBe('"c" is not a variant any more; choose one, or the code default.');
    expect(draftProblems({ ...d, variants: [] }, { newFlag: false }).variantList).toBe('A flag needs at least one variant.');
  });
});

describe('parseDefinitionText', () => {
  it('accepts a definition and says what is wrong with anything else', () => {
    expect(parseDefinitionText('{"state":"ENABLED","variants":{"on":true}}')).toEqual({ ok: true, value: { state: 'ENABLED', variants: { on: true } } });
    expect(parseDefinitionText('{"state":"ON","variants":{}}')).toEqual({ ok: false, problem: 'state must be "ENABLED" or "DISABLED".' });
    expect(parseDefinitionText('[]')).toEqual({ ok: false, problem: 'A flag definition is a JSON object with state, variants and defaultVariant.' });
    expect(parseDefinitionText('{"state":"ENABLED","variants":[]}')).toEqual({ ok: false, problem: 'variants must be an object of variant names and values.' });
    expect(parseDefinitionText('{"state":"ENABLED","variants":{},"targeting":"on"}')).toEqual({ ok: false, problem: 'targeting must be a JsonLogic object.' });
    const bad = parseDefinitionText('{"state":');
    expect(bad.ok || bad.problem).toMatch(/^Not valid JSON: /);
  });
});

describe('placeServerProblems', () => {
  it('puts each of the portal’s JSON Pointers next to its part of the form', () => {
    const def = definitions[2]![1];
    const d = draftFromDefinition(def, row);
    if (!d.ok) throw new Error(d.reason);
    const placed = placeServerProblems(
      [
        { field: 'key', problem: 'bad key' },
        { field: 'team', problem: 'required' },
        { field: '/flag/state', problem: 'bad state' },
        { field: '/flag/defaultVariant', problem: '"maybe" is not one of the flag\'s variants' },
        { field: '/flag/variants/a~1b', problem: 'mixed types' },
        { field: '/flag/variants', problem: 'a flag needs at least one variant' },
        { field: '/flag/targeting/if/1', problem: '"nope" is not a variant of this flag' },
        { field: '/flag/targeting/if/2/fractional/1/1', problem: 'weight 30.5 is not an integer' },
        { field: '/flag/metadata/x', problem: 'metadata values are strings, numbers or booleans' },
        { field: '/flag', problem: 'required' },
      ],
      d.value.targeting,
    );
    expect(placed).toEqual({
      key: 'bad key',
      team: 'required',
      state: 'bad state',
      defaultVariant: '"maybe" is not one of the flag\'s variants',
      variants: { 'a/b': 'mixed types', '': 'a flag needs at least one variant' },
      rules: { 0: ['"nope" is not a variant of this flag'] },
      otherwise: ['weight 30.5 is not an integer'],
      other: [
        { field: '/flag/metadata/x', problem: 'metadata values are strings, numbers or booleans' },
        { field: '/flag', problem: 'required' },
      ],
    });
  });
});

describe('outcomeText', () => {
  it('says what an outcome serves', () => {
    expect(outcomeText({ kind: 'variant', variant: 'on' }, 'off')).toBe('"on"');
    expect(outcomeText({ kind: 'default' }, 'off')).toBe('the default variant ("off")');
    expect(outcomeText({ kind: 'default' }, null)).toBe('the code default');
    expect(
      outcomeText(
        { kind: 'rollout', rollout: { bucketing: { by: 'attribute', attribute: 'accountId', withFlagKey: true }, shares: [{ variant: 'on', weight: 30 }, { variant: 'off', weight: 70 }] } },
        'off',
      ),
    ).toBe('30% "on" / 70% "off" by accountId');
  });
});

describe('conditionText', () => {
  it('says each operator in words', () => {
    expect(conditionText({ op: 'ends_with', attribute: 'email', value: '@sphera.example' })).toBe('email ends with "@sphera.example"');
    expect(conditionText({ op: 'starts_with', attribute: 'country', value: 'DE' })).toBe('country starts with "DE"');
    expect(conditionText({ op: 'equals', attribute: 'tier', value: 'gold' })).toBe('tier is "gold"');
    expect(conditionText({ op: 'in', attribute: 'region', values: ['us-east-1', 'eu-west-1'] })).toBe('region is one of "us-east-1", "eu-west-1"');
    expect(conditionText({ op: 'sem_ver', attribute: 'appVersion', compare: '<', value: '4.2.0' })).toBe('appVersion < 4.2.0 (semantic version)');
    expect(conditionText({ op: 'sem_ver', attribute: 'v', compare: '^', value: '5.0.0' })).toBe('v is compatible with (^) 5.0.0 (semantic version)');
  });
});

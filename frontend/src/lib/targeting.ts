// The flag editor's targeting form and flagd's JsonLogic, both ways. buildTargeting turns the form (ordered rules
// "if ATTRIBUTE OPERATOR VALUE then VARIANT or a rollout", then what everyone else gets) into flagd JSON;
// parseTargeting reads flagd JSON back into the form when the form can represent it exactly, and otherwise says
// why not (and where), so the editor can offer the JSON alone. Representable JSON is what buildTargeting makes,
// plus a few equivalent spellings (an `if` without an else, else-if written as a nested `if`, `{}`).
import type { JsonObject, JsonValue } from '../api/client';

/** How a percentage rollout assigns people to buckets. */
export type Bucketing =
  /** flagd's default: the flag key followed by the targeting key (the user id), so each flag splits independently. */
  | { by: 'targetingKey' }
  /** A context attribute (e.g. accountId); withFlagKey mixes in the flag key, as flagd does for the targeting key. */
  | { by: 'attribute'; attribute: string; withFlagKey: boolean };

export interface RolloutShare {
  variant: string;
  /** Percent: whole numbers, summing to 100 over the rollout. */
  weight: number;
}

export interface Rollout {
  bucketing: Bucketing;
  shares: RolloutShare[];
}

/** What a rule (or everyone else) gets: a variant, a percentage rollout, or the flag's default variant. */
export type Outcome = { kind: 'variant'; variant: string } | { kind: 'rollout'; rollout: Rollout } | { kind: 'default' };

export const SEMVER_OPS = ['=', '!=', '<', '<=', '>', '>=', '^', '~'] as const;
export type SemverOp = (typeof SEMVER_OPS)[number];

export type Condition =
  | { op: 'equals'; attribute: string; value: string }
  | { op: 'in'; attribute: string; values: string[] }
  | { op: 'starts_with'; attribute: string; value: string }
  | { op: 'ends_with'; attribute: string; value: string }
  | { op: 'sem_ver'; attribute: string; compare: SemverOp; value: string };

export type Operator = Condition['op'];

export interface Rule {
  when: Condition;
  then: Outcome;
}

/** The whole targeting: the first rule that matches decides; otherwise applies when none does. */
export interface TargetingForm {
  rules: Rule[];
  otherwise: Outcome;
}

export const NO_TARGETING: TargetingForm = { rules: [], otherwise: { kind: 'default' } };

/** The context attribute flagd mixes into a bucketing key so that flags split independently. */
export const FLAG_KEY_VAR = '$flagd.flagKey';

const JSONLOGIC_OP: Record<Operator, string> = {
  equals: '==',
  in: 'in',
  starts_with: 'starts_with',
  ends_with: 'ends_with',
  sem_ver: 'sem_ver',
};

function v(attribute: string): JsonObject {
  return { var: attribute };
}

function buildCondition(c: Condition): JsonObject {
  switch (c.op) {
    case 'equals':
    case 'starts_with':
    case 'ends_with':
      return { [JSONLOGIC_OP[c.op]]: [v(c.attribute), c.value] };
    case 'in':
      return { in: [v(c.attribute), [...c.values]] };
    case 'sem_ver':
      return { sem_ver: [v(c.attribute), c.compare, c.value] };
  }
}

export function buildRollout(r: Rollout): JsonObject {
  const shares: JsonValue[] = r.shares.map((s) => [s.variant, s.weight]);
  switch (r.bucketing.by) {
    case 'targetingKey':
      return { fractional: shares };
    case 'attribute': {
      const key = r.bucketing.withFlagKey ? { cat: [v(FLAG_KEY_VAR), v(r.bucketing.attribute)] } : v(r.bucketing.attribute);
      return { fractional: [key, ...shares] };
    }
  }
}

function buildOutcome(o: Outcome): JsonValue {
  switch (o.kind) {
    case 'variant':
      return o.variant;
    case 'default':
      return null;
    case 'rollout':
      return buildRollout(o.rollout);
  }
}

/**
 * flagd JSON for a targeting form; undefined when nothing is targeted (everyone gets the default variant).
 * Rules become one flat `if`: [condition, outcome, condition, outcome, …, otherwise].
 */
export function buildTargeting(form: TargetingForm): JsonObject | undefined {
  if (form.rules.length === 0) {
    // Without rules only a rollout needs targeting; a plain variant is what defaultVariant is for.
    return form.otherwise.kind === 'rollout' ? buildRollout(form.otherwise.rollout) : undefined;
  }
  const args: JsonValue[] = [];
  for (const r of form.rules) args.push(buildCondition(r.when), buildOutcome(r.then));
  args.push(buildOutcome(form.otherwise));
  return { if: args };
}

// ---- parsing ----

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string; path: string };

function fail(reason: string, path: string): { ok: false; reason: string; path: string } {
  return { ok: false, reason, path };
}

function isObject(x: JsonValue | undefined): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The single operator of a JsonLogic object ({"op": args}) and its arguments as a list. */
function operation(x: JsonObject): { op: string; args: JsonValue[] } | null {
  const keys = Object.keys(x);
  if (keys.length !== 1 || keys[0] === undefined) return null;
  const raw = x[keys[0]];
  return { op: keys[0], args: Array.isArray(raw) ? raw : raw === undefined ? [] : [raw] };
}

/** The attribute of {"var": "name"}; the form does not write var defaults or paths given as lists. */
function attributeOf(x: JsonValue | undefined, path: string): Parsed<string> {
  if (isObject(x)) {
    const keys = Object.keys(x);
    if (keys.length === 1 && keys[0] === 'var' && typeof x.var === 'string' && x.var !== '') return { ok: true, value: x.var };
  }
  return fail('the form compares a context attribute ({"var": "name"}) with a value; this compares something else', path);
}

const SUPPORTED = 'if, ==, in, starts_with, ends_with, sem_ver and fractional';

function isSemverOp(s: JsonValue | undefined): s is SemverOp {
  return typeof s === 'string' && (SEMVER_OPS as readonly string[]).includes(s);
}

export function parseCondition(x: JsonValue | undefined, path: string): Parsed<Condition> {
  if (!isObject(x)) return fail('a rule’s condition must be a JsonLogic operation', path);
  const o = operation(x);
  if (!o) return fail('a condition with several operators at once', path);
  const p = `${path}/${escapePointer(o.op)}`;
  switch (o.op) {
    case '==':
    case 'starts_with':
    case 'ends_with': {
      if (o.args.length !== 2) return fail(`${o.op} with ${o.args.length} arguments (the form writes an attribute and a value)`, p);
      const attr = attributeOf(o.args[0], `${p}/0`);
      if (!attr.ok) return attr;
      const value = o.args[1];
      if (typeof value !== 'string') return fail(`${o.op} with a value that is not text (the form compares with text)`, `${p}/1`);
      const op = o.op === '==' ? 'equals' : o.op;
      return { ok: true, value: { op, attribute: attr.value, value } };
    }
    case 'in': {
      if (o.args.length !== 2) return fail(`in with ${o.args.length} arguments (the form writes an attribute and a list)`, p);
      const attr = attributeOf(o.args[0], `${p}/0`);
      if (!attr.ok) return attr;
      const list = o.args[1];
      if (!Array.isArray(list)) return fail('in with text rather than a list (a substring test), which the form does not write', `${p}/1`);
      const values: string[] = [];
      for (const [i, item] of list.entries()) {
        if (typeof item !== 'string') return fail('a list with an item that is not text', `${p}/1/${i}`);
        values.push(item);
      }
      return { ok: true, value: { op: 'in', attribute: attr.value, values } };
    }
    case 'sem_ver': {
      if (o.args.length !== 3) return fail(`sem_ver with ${o.args.length} arguments (the form writes attribute, comparison, version)`, p);
      const attr = attributeOf(o.args[0], `${p}/0`);
      if (!attr.ok) return attr;
      const compare = o.args[1];
      if (!isSemverOp(compare)) return fail(`sem_ver comparison ${JSON.stringify(compare)} is not one of ${SEMVER_OPS.join(' ')}`, `${p}/1`);
      const value = o.args[2];
      if (typeof value !== 'string') return fail('sem_ver with a version that is not text', `${p}/2`);
      return { ok: true, value: { op: 'sem_ver', attribute: attr.value, compare, value } };
    }
    case 'and':
    case 'or':
    case '!':
    case '!!':
      return fail(`conditions combined with ${o.op}; the form has one condition per rule (write one rule each, or edit the JSON)`, p);
    default:
      return fail(`the operator ${o.op}; the form writes ${SUPPORTED}`, p);
  }
}

function parseBucketing(x: JsonValue | undefined, path: string): Parsed<Bucketing> {
  if (isObject(x)) {
    if ('var' in x) {
      const a = attributeOf(x, path);
      return a.ok ? { ok: true, value: { by: 'attribute', attribute: a.value, withFlagKey: false } } : a;
    }
    const o = operation(x);
    if (o?.op === 'cat' && o.args.length === 2) {
      const salt = attributeOf(o.args[0], `${path}/cat/0`);
      const attr = attributeOf(o.args[1], `${path}/cat/1`);
      if (salt.ok && salt.value === FLAG_KEY_VAR && attr.ok) {
        return { ok: true, value: { by: 'attribute', attribute: attr.value, withFlagKey: true } };
      }
    }
  }
  return fail(
    `the rollout buckets by an expression the form does not write (it writes {"var": "attr"} or {"cat": [{"var": "${FLAG_KEY_VAR}"}, {"var": "attr"}]})`,
    path,
  );
}

export function parseRollout(x: JsonObject, path: string): Parsed<Rollout> {
  const o = operation(x);
  if (!o || o.op !== 'fractional') return fail('not a fractional rollout', path);
  const p = `${path}/fractional`;
  let args = o.args;
  let bucketing: Bucketing = { by: 'targetingKey' };
  if (args.length > 0 && !Array.isArray(args[0])) {
    const b = parseBucketing(args[0], `${p}/0`);
    if (!b.ok) return b;
    bucketing = b.value;
    args = args.slice(1);
  }
  const offset = o.args.length - args.length;
  if (args.length === 0) return fail('a rollout without variants', p);
  const shares: RolloutShare[] = [];
  for (const [i, entry] of args.entries()) {
    const ep = `${p}/${i + offset}`;
    if (!Array.isArray(entry) || entry.length !== 2) {
      return fail('a rollout entry that is not [variant, weight] (the form always writes the weight)', ep);
    }
    const [variant, weight] = entry;
    if (typeof variant !== 'string') return fail('a rollout entry whose variant is not a name', `${ep}/0`);
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0) {
      return fail(`weight ${JSON.stringify(weight)} is not a whole number of percent`, `${ep}/1`);
    }
    shares.push({ variant, weight });
  }
  const total = shares.reduce((n, s) => n + s.weight, 0);
  if (total !== 100) return fail(`the weights sum to ${total}; the form works in percent (weights summing to 100)`, p);
  return { ok: true, value: { bucketing, shares } };
}

function parseOutcome(x: JsonValue | undefined, path: string): Parsed<Outcome> {
  if (x === null || x === undefined) return { ok: true, value: { kind: 'default' } };
  if (typeof x === 'string') return { ok: true, value: { kind: 'variant', variant: x } };
  if (isObject(x)) {
    const o = operation(x);
    if (o?.op === 'fractional') {
      const r = parseRollout(x, path);
      return r.ok ? { ok: true, value: { kind: 'rollout', rollout: r.value } } : r;
    }
    if (o?.op === 'if') return fail('a rule inside a rule’s outcome; the form has one level of rules', path);
    if (o?.op === '$ref') return fail('a shared evaluator ($ref), which only the JSON can use', path);
    if (o?.op === 'var') return fail('an outcome computed from the context (var), which the form does not write', path);
  }
  return fail('an outcome that is not a variant name, null (the default variant) or a fractional rollout', path);
}

/**
 * The form for flagd targeting JSON (undefined, null or {} for none), or why the form cannot represent it and the
 * JSON Pointer (into the targeting) of the part it cannot.
 */
export function parseTargeting(x: JsonValue | undefined): Parsed<TargetingForm> {
  if (x === undefined || x === null) return { ok: true, value: NO_TARGETING };
  if (!isObject(x)) return fail('targeting must be a JsonLogic object', '');
  if (Object.keys(x).length === 0) return { ok: true, value: NO_TARGETING };
  const o = operation(x);
  if (!o) return fail('targeting with several operators at the top', '');
  if (o.op === 'fractional') {
    const r = parseRollout(x, '');
    return r.ok ? { ok: true, value: { rules: [], otherwise: { kind: 'rollout', rollout: r.value } } } : r;
  }
  if (o.op !== 'if') {
    if (o.op === '$ref') return fail('a shared evaluator ($ref), which only the JSON can use', '/$ref');
    return fail(`targeting that starts with ${o.op}; the form writes rules (if) or a rollout (fractional)`, `/${escapePointer(o.op)}`);
  }
  const rules: Rule[] = [];
  let args = o.args;
  let path = '/if';
  for (;;) {
    if (args.length < 2) return fail('an if without a condition and an outcome', path);
    let i = 0;
    for (; i + 1 < args.length; i += 2) {
      const when = parseCondition(args[i], `${path}/${i}`);
      if (!when.ok) return when;
      const then = parseOutcome(args[i + 1], `${path}/${i + 1}`);
      if (!then.ok) return then;
      rules.push({ when: when.value, then: then.value });
    }
    if (i === args.length) return { ok: true, value: { rules, otherwise: { kind: 'default' } } };
    const last = args[i];
    // else-if written as a nested if continues the same list of rules.
    if (isObject(last) && operation(last)?.op === 'if') {
      const nested = operation(last);
      args = nested?.args ?? [];
      path = `${path}/${i}/if`;
      continue;
    }
    const otherwise = parseOutcome(last, `${path}/${i}`);
    if (!otherwise.ok) return otherwise;
    return { ok: true, value: { rules, otherwise: otherwise.value } };
  }
}

/** Where a JSON Pointer into built targeting lands in the form, for showing a server problem next to it. */
export type TargetingPart = { part: 'rule'; index: number; side: 'when' | 'then' } | { part: 'otherwise' } | { part: 'targeting' };

export function targetingPart(pointer: string, form: TargetingForm): TargetingPart {
  if (form.rules.length === 0) return form.otherwise.kind === 'rollout' ? { part: 'otherwise' } : { part: 'targeting' };
  const m = /^\/if\/(\d+)(?:\/|$)/.exec(pointer);
  if (!m?.[1]) return { part: 'targeting' };
  const n = Number(m[1]);
  if (n === form.rules.length * 2) return { part: 'otherwise' };
  if (n > form.rules.length * 2) return { part: 'targeting' };
  return { part: 'rule', index: Math.floor(n / 2), side: n % 2 === 0 ? 'when' : 'then' };
}

/** "a~b/c" as one JSON Pointer token. */
export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

// ---- checking a form before it is built ----

/** Problems of a rollout's shares (percent): whole numbers 0–100, summing to 100, known and distinct variants. */
export function shareProblems(shares: readonly RolloutShare[], variants: readonly string[]): string[] {
  const problems: string[] = [];
  if (shares.length === 0) problems.push('Add at least one variant to the rollout.');
  const seen = new Set<string>();
  for (const s of shares) {
    if (!variants.includes(s.variant)) problems.push(`"${s.variant}" is not a variant of this flag.`);
    if (seen.has(s.variant)) problems.push(`"${s.variant}" appears twice; give each variant one share.`);
    seen.add(s.variant);
    if (!Number.isInteger(s.weight) || s.weight < 0 || s.weight > 100) {
      problems.push(`The share of "${s.variant}" must be a whole number from 0 to 100.`);
    }
  }
  const total = shares.reduce((n, s) => n + (Number.isFinite(s.weight) ? s.weight : 0), 0);
  if (shares.length > 0 && total !== 100) problems.push(`The shares add up to ${total}%; they must add up to 100%.`);
  return problems;
}

function outcomeProblems(o: Outcome, variants: readonly string[]): string[] {
  switch (o.kind) {
    case 'default':
      return [];
    case 'variant':
      return variants.includes(o.variant) ? [] : [o.variant ? `"${o.variant}" is not a variant of this flag.` : 'Choose a variant.'];
    case 'rollout': {
      const b = o.rollout.bucketing;
      const attr = b.by === 'attribute' && !b.attribute.trim() ? ['Name the attribute to bucket by (e.g. accountId).'] : [];
      return [...attr, ...shareProblems(o.rollout.shares, variants)];
    }
  }
}

function conditionProblems(c: Condition): string[] {
  const problems: string[] = [];
  if (!c.attribute.trim()) problems.push('Name the context attribute to compare (e.g. email).');
  switch (c.op) {
    case 'in':
      if (c.values.length === 0) problems.push('List at least one value.');
      break;
    case 'sem_ver':
      if (!/^v?\d+(\.\d+){0,2}([-+].*)?$/.test(c.value.trim())) problems.push('Give a version such as 4.2.0.');
      break;
    case 'starts_with':
    case 'ends_with':
      if (c.value === '') problems.push('Give the text to compare with.');
      break;
    case 'equals':
      break;
  }
  return problems;
}

/** Problems per part of the form, for showing next to each rule and to "everyone else". */
export interface TargetingProblems {
  rules: string[][];
  otherwise: string[];
}

export function targetingProblems(form: TargetingForm, variants: readonly string[]): TargetingProblems {
  const otherwise = outcomeProblems(form.otherwise, variants);
  if (form.rules.length === 0 && form.otherwise.kind === 'variant') {
    otherwise.push('Without rules, make this variant the default variant instead.');
  }
  return {
    rules: form.rules.map((r) => [...conditionProblems(r.when), ...outcomeProblems(r.then, variants)]),
    otherwise,
  };
}

export function hasTargetingProblems(p: TargetingProblems): boolean {
  return p.otherwise.length > 0 || p.rules.some((r) => r.length > 0);
}

/** Rollout shares spread evenly over variants (the first ones get the remainder), e.g. 34/33/33. */
export function evenShares(variants: readonly string[]): RolloutShare[] {
  const n = variants.length;
  if (n === 0) return [];
  const base = Math.floor(100 / n);
  let rest = 100 - base * n;
  return variants.map((variant) => {
    const extra = rest > 0 ? 1 : 0;
    rest -= extra;
    return { variant, weight: base + extra };
  });
}

/** A condition of another operator that keeps what was typed (a value becomes a one-item list and back). */
export function withOperator(c: Condition, op: Operator): Condition {
  const text = c.op === 'in' ? (c.values[0] ?? '') : c.value;
  switch (op) {
    case 'in':
      return { op, attribute: c.attribute, values: c.op === 'in' ? c.values : text ? [text] : [] };
    case 'sem_ver':
      return { op, attribute: c.attribute, compare: c.op === 'sem_ver' ? c.compare : '>=', value: text };
    case 'equals':
    case 'starts_with':
    case 'ends_with':
      return { op, attribute: c.attribute, value: text };
  }
}

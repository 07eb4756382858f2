// The flag editor's form: a flagd flag definition as fields a person edits (type, variants as typed text, default
// variant, state, team/owner, targeting rules), checked the way the portal checks (internal/flags/validate.go), and
// converted both ways. A definition the form cannot represent exactly (mixed variant types, targeting beyond the
// rule builder) is reported with the reason, so the editor offers the JSON alone.
import type { FieldProblem, FlagDefinition, FlagDetail, FlagMetadata, FlagState, JsonObject, JsonValue } from '../api/client';
import {
  buildTargeting,
  hasTargetingProblems,
  NO_TARGETING,
  parseTargeting,
  targetingPart,
  targetingProblems,
  type Condition,
  type Outcome,
  type Parsed,
  type TargetingForm,
  type TargetingProblems,
} from './targeting';

export const FLAG_TYPES = ['boolean', 'string', 'number', 'object'] as const;
export type FlagType = (typeof FLAG_TYPES)[number];

export interface VariantDraft {
  name: string;
  /** The value as typed: true/false, text, a number, or a JSON object. */
  text: string;
}

export interface FlagDraft {
  key: string;
  environment: string;
  type: FlagType;
  variants: VariantDraft[];
  /** null: the caller's code default. */
  defaultVariant: string | null;
  state: FlagState;
  team: string;
  owner: string;
  /** metadata.description. */
  description: string;
  targeting: TargetingForm;
  /** The rest of the flag's metadata, kept as it was (team and owner in it follow the fields above). */
  metadata: FlagMetadata;
}

/** What a failed flag save says about trying again: saving twice writes the same definition (with the version, a
 * second save of an edit is refused as a conflict instead of overwriting). */
export const FLAG_RETRY = 'Saving again is safe: the portal stores the same definition, or says the flag changed meanwhile.';

/** The portal's rule for flag keys (flags.ValidKey). */
export const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** A new flag: boolean on/off, off by default, no targeting. */
export function emptyDraft(environment: string, team: string): FlagDraft {
  return {
    key: '',
    environment,
    type: 'boolean',
    variants: [
      { name: 'on', text: 'true' },
      { name: 'off', text: 'false' },
    ],
    defaultVariant: 'off',
    state: 'ENABLED',
    team,
    owner: '',
    description: '',
    targeting: NO_TARGETING,
    metadata: {},
  };
}

function isObject(x: JsonValue | undefined): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The type of a variant value, or null for what flagd does not allow (arrays, null). */
export function valueType(v: JsonValue): FlagType | null {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (isObject(v)) return 'object';
  return null;
}

/** A value as the form shows it for editing. */
export function variantText(type: FlagType, v: JsonValue): string {
  switch (type) {
    case 'boolean':
      return v === true ? 'true' : 'false';
    case 'string':
      return typeof v === 'string' ? v : JSON.stringify(v);
    case 'number':
      return typeof v === 'number' ? String(v) : '';
    case 'object':
      return JSON.stringify(v, null, 2);
  }
}

/** The value typed as text for type, or what is wrong with it. */
export function parseVariant(type: FlagType, text: string): { ok: true; value: JsonValue } | { ok: false; problem: string } {
  switch (type) {
    case 'boolean':
      if (text === 'true') return { ok: true, value: true };
      if (text === 'false') return { ok: true, value: false };
      return { ok: false, problem: 'Choose true or false.' };
    case 'string':
      return { ok: true, value: text };
    case 'number': {
      const t = text.trim();
      const n = Number(t);
      if (t === '' || !Number.isFinite(n)) return { ok: false, problem: 'Give a number, e.g. 500 or 0.25.' };
      return { ok: true, value: n };
    }
    case 'object': {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (err) {
        return { ok: false, problem: `Not valid JSON: ${err instanceof Error ? err.message : String(err)}.` };
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        return { ok: false, problem: 'An object variant is a JSON object, e.g. {"currency": "EUR"}.' };
      }
      return { ok: true, value: v as JsonObject };
    }
  }
}

/** Variants for a new type: booleans become on/off; others keep their names with values of the new type. */
export function changeType(d: FlagDraft, type: FlagType): FlagDraft {
  if (type === d.type) return d;
  if (type === 'boolean') {
    return {
      ...d,
      type,
      variants: [
        { name: 'on', text: 'true' },
        { name: 'off', text: 'false' },
      ],
      defaultVariant: d.defaultVariant === null ? null : 'off',
    };
  }
  const converted = d.variants.map((v, i): VariantDraft => {
    const old = parseVariant(d.type, v.text);
    if (old.ok && valueType(old.value) === type) return v;
    switch (type) {
      case 'string':
        return { name: v.name, text: old.ok && typeof old.value !== 'object' ? String(old.value) : v.name };
      case 'number':
        return { name: v.name, text: String(i) };
      case 'object':
        return { name: v.name, text: '{}' };
    }
  });
  return { ...d, type, variants: converted };
}

const META_TEAM = 'team';
const META_OWNER = 'owner';
const META_DESCRIPTION = 'description';

/**
 * The form for a stored flag, or why it can only be edited as JSON. key, environment, team and owner come from the
 * flag's row (the portal's record), not from the definition; see teamsOf for JSON the user edits.
 */
export function draftFromDefinition(
  def: FlagDefinition,
  row: Pick<FlagDetail, 'key' | 'environment' | 'team' | 'owner'>,
): Parsed<FlagDraft> {
  const entries = Object.entries(def.variants ?? {});
  let type: FlagType | null = null;
  for (const [name, value] of entries) {
    const t = valueType(value);
    if (t === null) return { ok: false, reason: `variant "${name}" is ${value === null ? 'null' : 'a list'}, which flagd does not allow`, path: `/variants/${name}` };
    if (type !== null && t !== type) {
      return { ok: false, reason: `the variants mix types (${type} and ${t}); the form edits flags of one type`, path: `/variants/${name}` };
    }
    type = t;
  }
  const targeting = parseTargeting(def.targeting);
  if (!targeting.ok) return { ok: false, reason: targeting.reason, path: `/targeting${targeting.path}` };
  const { [META_DESCRIPTION]: description, ...metadata } = def.metadata ?? {};
  const t: FlagType = type ?? 'boolean';
  return {
    ok: true,
    value: {
      key: row.key,
      environment: row.environment,
      type: t,
      variants: entries.map(([name, value]) => ({ name, text: variantText(t, value) })),
      defaultVariant: def.defaultVariant ?? null,
      state: def.state,
      team: row.team,
      owner: row.owner,
      description: typeof description === 'string' ? description : '',
      targeting: targeting.value,
      metadata,
    },
  };
}

/** The team and owner a definition's metadata names, else those given (for JSON typed in the expert view). */
export function teamsOf(def: FlagDefinition, team: string, owner: string): { team: string; owner: string } {
  const m = def.metadata ?? {};
  const t = m[META_TEAM];
  const o = m[META_OWNER];
  return { team: typeof t === 'string' ? t : team, owner: typeof o === 'string' ? o : owner };
}

/** What is wrong in the form, by part. Empty strings and lists mean nothing. */
export interface DraftProblems {
  key?: string;
  team?: string;
  /** Per variant, by index. */
  variants: (string | undefined)[];
  /** About the variants as a whole. */
  variantList?: string;
  defaultVariant?: string;
  targeting: TargetingProblems;
}

/** The names of the variants, as outcomes and rollouts may use them. */
export function variantNames(d: FlagDraft): string[] {
  return d.variants.map((v) => v.name);
}

export function draftProblems(d: FlagDraft, opts: { newFlag: boolean }): DraftProblems {
  const p: DraftProblems = { variants: [], targeting: { rules: [], otherwise: [] } };
  if (opts.newFlag) {
    if (!d.key) p.key = 'Give the flag a key, e.g. new-checkout-flow.';
    else if (!KEY_PATTERN.test(d.key)) {
      p.key = 'Use letters, digits and _ . : - (at most 128 characters), starting with a letter or digit.';
    }
  }
  if (!d.team.trim()) p.team = 'Choose the team that owns the flag.';
  if (d.variants.length === 0) p.variantList = 'A flag needs at least one variant.';
  const seen = new Set<string>();
  p.variants = d.variants.map((v) => {
    if (!v.name.trim()) return 'Name the variant.';
    if (v.name !== v.name.trim()) return 'Variant names have no spaces at either end.';
    if (seen.has(v.name)) return `"${v.name}" is there twice; variant names must differ.`;
    seen.add(v.name);
    const parsed = parseVariant(d.type, v.text);
    return parsed.ok ? undefined : parsed.problem;
  });
  const names = variantNames(d);
  if (d.defaultVariant !== null && !names.includes(d.defaultVariant)) {
    p.defaultVariant = `"${d.defaultVariant}" is not a variant any more; choose one, or the code default.`;
  }
  p.targeting = targetingProblems(d.targeting, names);
  return p;
}

export function hasProblems(p: DraftProblems): boolean {
  return Boolean(p.key || p.team || p.variantList || p.defaultVariant || p.variants.some(Boolean) || hasTargetingProblems(p.targeting));
}

/**
 * The flagd definition the form describes; undefined while a variant's value cannot be read (the JSON view then
 * keeps its last text). Other problems (an unknown variant in a rule) still build, so the portal's own check can
 * name them too.
 */
export function buildDefinition(d: FlagDraft): FlagDefinition | undefined {
  const variants: Record<string, JsonValue> = {};
  for (const v of d.variants) {
    const parsed = parseVariant(d.type, v.text);
    if (!parsed.ok) return undefined;
    variants[v.name] = parsed.value;
  }
  const metadata: FlagMetadata = { ...d.metadata };
  if (META_TEAM in metadata) metadata[META_TEAM] = d.team;
  if (META_OWNER in metadata) metadata[META_OWNER] = d.owner;
  if (d.description.trim()) metadata[META_DESCRIPTION] = d.description.trim();
  const def: FlagDefinition = { state: d.state, variants, defaultVariant: d.defaultVariant };
  const targeting = buildTargeting(d.targeting);
  if (targeting) def.targeting = targeting;
  if (Object.keys(metadata).length > 0) def.metadata = metadata;
  return def;
}

/** A definition as the expert view shows it. */
export function definitionText(def: FlagDefinition): string {
  return JSON.stringify(def, null, 2);
}

/** The text of the expert view as a definition, or what is wrong with it (before the portal looks). */
export function parseDefinitionText(text: string): { ok: true; value: FlagDefinition } | { ok: false; problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `Not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return { ok: false, problem: 'A flag definition is a JSON object with state, variants and defaultVariant.' };
  }
  const o = v as Record<string, unknown>;
  if (o.state !== 'ENABLED' && o.state !== 'DISABLED') return { ok: false, problem: 'state must be "ENABLED" or "DISABLED".' };
  if (typeof o.variants !== 'object' || o.variants === null || Array.isArray(o.variants)) {
    return { ok: false, problem: 'variants must be an object of variant names and values.' };
  }
  if (o.targeting !== undefined && (typeof o.targeting !== 'object' || o.targeting === null || Array.isArray(o.targeting))) {
    return { ok: false, problem: 'targeting must be a JsonLogic object.' };
  }
  return { ok: true, value: v as FlagDefinition };
}

/** Where the portal's 400 problems belong in the editor. */
export interface ServerProblems {
  key?: string;
  team?: string;
  state?: string;
  defaultVariant?: string;
  /** By variant name; "" for the list as a whole. */
  variants: Record<string, string>;
  /** By rule index. */
  rules: Record<number, string[]>;
  otherwise: string[];
  /** Everything else (metadata, the targeting as a whole), with its path, shown with the JSON. */
  other: FieldProblem[];
}

function push<K extends string | number>(m: Record<K, string[]>, k: K, s: string) {
  (m[k] ??= []).push(s);
}

/** Sorts the portal's problems (JSON Pointers under /flag, or key/team) into the parts of the form they are about. */
export function placeServerProblems(fields: readonly FieldProblem[], targeting: TargetingForm): ServerProblems {
  const out: ServerProblems = { variants: {}, rules: {}, otherwise: [], other: [] };
  for (const f of fields) {
    const path = f.field.startsWith('/flag') ? f.field.slice('/flag'.length) : f.field;
    if (f.field === 'key') out.key = f.problem;
    else if (f.field === 'team') out.team = f.problem;
    else if (path === '/state') out.state = f.problem;
    else if (path === '/defaultVariant') out.defaultVariant = f.problem;
    else if (path === '/variants' || path.startsWith('/variants/')) {
      const name = path.slice('/variants/'.length).replace(/~1/g, '/').replace(/~0/g, '~');
      out.variants[name] = f.problem;
    } else if (path.startsWith('/targeting')) {
      const part = targetingPart(path.slice('/targeting'.length), targeting);
      if (part.part === 'rule') push(out.rules, part.index, f.problem);
      else if (part.part === 'otherwise') out.otherwise.push(f.problem);
      else out.other.push(f);
    } else out.other.push(f);
  }
  return out;
}

/** A short description of an outcome, for summaries ("on", "30% on / 70% off by accountId", "the default variant"). */
export function outcomeText(o: Outcome, defaultVariant: string | null): string {
  switch (o.kind) {
    case 'variant':
      return `"${o.variant}"`;
    case 'default':
      return defaultVariant === null ? 'the code default' : `the default variant ("${defaultVariant}")`;
    case 'rollout': {
      const b = o.rollout.bucketing;
      const by = b.by === 'targetingKey' ? 'user id' : b.attribute;
      return `${o.rollout.shares.map((s) => `${s.weight}% "${s.variant}"`).join(' / ')} by ${by}`;
    }
  }
}

const SEMVER_TEXT: Record<string, string> = {
  '=': '=',
  '!=': '≠',
  '<': '<',
  '<=': '≤',
  '>': '>',
  '>=': '≥',
  '^': 'is compatible with (^)',
  '~': 'is a patch of (~)',
};

/** A condition in words: email ends with "@sphera.example", appVersion < 4.2.0, region is one of "a", "b". */
export function conditionText(c: Condition): string {
  switch (c.op) {
    case 'equals':
      return `${c.attribute} is "${c.value}"`;
    case 'in':
      return `${c.attribute} is one of ${c.values.map((v) => `"${v}"`).join(', ') || '(nothing)'}`;
    case 'starts_with':
      return `${c.attribute} starts with "${c.value}"`;
    case 'ends_with':
      return `${c.attribute} ends with "${c.value}"`;
    case 'sem_ver':
      return `${c.attribute} ${SEMVER_TEXT[c.compare] ?? c.compare} ${c.value} (semantic version)`;
  }
}

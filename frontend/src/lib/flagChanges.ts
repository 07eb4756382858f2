// A flag change in words: what the editor's "Review changes" shows before saving, what an approver sees before
// deciding, and what the flag's history shows afterwards — one diff, the same everywhere. It compares what people
// mean (state, default, variants, each targeting rule and "everyone else" in words, team, description) rather than
// JSON paths; the JSON stays one click away. Targeting the rule builder cannot show is said to have changed, with the
// JSON as the place to look.
import type { FlagDefinition, JsonValue } from '../api/client';
import { conditionText, outcomeText } from './flagForm';
import { shortValue } from './flags';
import { parseTargeting, type Outcome, type TargetingForm } from './targeting';

export type ChangeKind = 'added' | 'removed' | 'changed';

/** One difference: what it is about, and the before and after in words ('' where there is none). */
export interface ChangeLine {
  what: string;
  kind: ChangeKind;
  before: string;
  after: string;
}

export interface FlagSide {
  definition: FlagDefinition | null;
  team?: string;
}

const STATE: Record<FlagDefinition['state'], string> = { ENABLED: 'enabled', DISABLED: 'disabled (everyone gets the code default)' };

function defaultOf(d: FlagDefinition): string | null {
  return d.defaultVariant ?? null;
}

function describeDefault(d: FlagDefinition): string {
  const v = defaultOf(d);
  return v === null ? 'the code default' : `"${v}"`;
}

function description(d: FlagDefinition): string {
  const v = d.metadata?.description;
  return typeof v === 'string' ? v : '';
}

function line(what: string, before: string, after: string): ChangeLine | null {
  if (before === after) return null;
  return { what, before, after, kind: before === '' ? 'added' : after === '' ? 'removed' : 'changed' };
}

/** A rule in words: "if email ends with "@x": "on"". */
function ruleText(t: TargetingForm, i: number, def: string | null): string {
  const r = t.rules[i];
  return r ? `if ${conditionText(r.when)}: ${outcomeText(r.then, def)}` : '';
}

function otherwiseText(o: Outcome, def: string | null): string {
  return outcomeText(o, def);
}

/** The differences of targeting in words, rule by rule, then everyone else. */
function targetingLines(a: FlagDefinition, b: FlagDefinition): ChangeLine[] {
  const pa = parseTargeting(a.targeting);
  const pb = parseTargeting(b.targeting);
  if (!pa.ok || !pb.ok) {
    const same = JSON.stringify(a.targeting ?? {}) === JSON.stringify(b.targeting ?? {});
    if (same) return [];
    const why = !pb.ok ? pb.reason : !pa.ok ? pa.reason : '';
    return [{ what: 'Targeting', kind: 'changed', before: pa.ok ? 'rules the form shows' : 'JSON rules', after: `changed (${why}): see the JSON` }];
  }
  const out: ChangeLine[] = [];
  const da = defaultOf(a);
  const db = defaultOf(b);
  const n = Math.max(pa.value.rules.length, pb.value.rules.length);
  for (let i = 0; i < n; i++) {
    const l = line(`Rule ${i + 1}`, ruleText(pa.value, i, da), ruleText(pb.value, i, db));
    if (l) out.push(l);
  }
  const o = line('Everyone else', otherwiseText(pa.value.otherwise, da), otherwiseText(pb.value.otherwise, db));
  if (o) out.push(o);
  return out;
}

/** A flag's targeting in words, rule by rule and everyone else: what a created or closed flag does (did). */
function targetingAlone(d: FlagDefinition): { what: string; text: string }[] {
  const p = parseTargeting(d.targeting);
  if (!p.ok) return [{ what: 'Targeting', text: `JSON rules the form does not show (${p.reason}): see the JSON` }];
  const def = defaultOf(d);
  return [
    ...p.value.rules.map((_, i) => ({ what: `Rule ${i + 1}`, text: ruleText(p.value, i, def) })),
    { what: 'Everyone else', text: otherwiseText(p.value.otherwise, def) },
  ];
}

/** The variants that were added, removed or changed value. */
function variantLines(a: FlagDefinition, b: FlagDefinition): ChangeLine[] {
  const out: ChangeLine[] = [];
  const names = [...new Set([...Object.keys(a.variants), ...Object.keys(b.variants)])].sort();
  for (const name of names) {
    const va: JsonValue | undefined = a.variants[name];
    const vb: JsonValue | undefined = b.variants[name];
    const l = line(`Variant "${name}"`, va === undefined ? '' : shortValue(va), vb === undefined ? '' : shortValue(vb));
    if (l) out.push(l);
  }
  return out;
}

/** A flag as it is, in lines: what a created (or closed) flag is. */
export function flagLines(d: FlagDefinition, team?: string): ChangeLine[] {
  return flagChangeLines({ definition: null }, { definition: d, team });
}

/**
 * The differences between two versions of a flag, in words: state, default variant, variants, targeting rule by
 * rule and everyone else, description, team. A flag that did not exist (or no longer does) counts as empty, so a
 * creation lists everything the flag is, and a closing everything it was.
 */
export function flagChangeLines(before: FlagSide, after: FlagSide): ChangeLine[] {
  const empty: FlagDefinition = { state: 'ENABLED', variants: {} };
  const a = before.definition;
  const b = after.definition;
  const out: ChangeLine[] = [];
  const push = (l: ChangeLine | null) => {
    if (l) out.push(l);
  };
  push(line('State', a ? STATE[a.state] : '', b ? STATE[b.state] : ''));
  push(line('Default variant', a ? describeDefault(a) : '', b ? describeDefault(b) : ''));
  out.push(...variantLines(a ?? empty, b ?? empty));
  if (a && b) out.push(...targetingLines(a, b));
  else if (b) out.push(...targetingAlone(b).map((t) => ({ what: t.what, kind: 'added' as const, before: '', after: t.text })));
  else if (a) out.push(...targetingAlone(a).map((t) => ({ what: t.what, kind: 'removed' as const, before: t.text, after: '' })));
  push(line('Description', a ? description(a) : '', b ? description(b) : ''));
  // Teams are compared when the caller knows the team after the change (a history entry's definitions carry none).
  if (after.team !== undefined) push(line('Team', before.team ?? '', after.team));
  return out;
}

/** One line as a sentence: 'Rule 1: if … → if …', 'Variant "x": added "#00f"'. */
export function changeSentence(l: ChangeLine): string {
  switch (l.kind) {
    case 'added':
      return `${l.what}: ${l.after}`;
    case 'removed':
      return `${l.what}: removed (was ${l.before})`;
    case 'changed':
      return `${l.what}: ${l.before} → ${l.after}`;
  }
}

// A golden-path template's parameter schema as a form: which input each parameter gets, in which order and group,
// its starting value, the checks the form runs as the user types (mirroring internal/scaffold's words), the
// parameters sent to the portal, and where each problem the portal names (a JSON Pointer) goes. Pure functions;
// the components (ParameterForm and its fields) only render what these say.
//
// The schema subset is docs/templates.md's: string (pattern, enum, minLength, maxLength, format), boolean,
// integer/number (minimum, maximum, exclusive bounds, multipleOf), array of an enum (a checkbox group: environments,
// regions) or of free strings/numbers (a list), and object groups of those; x-atrium-field picks a special input
// (service-name, team, environments, regions), ui:order orders the fields, x-atrium-page and x-atrium-pattern-message
// are kept. Anything else becomes an "unsupported" field that says why, so the form never silently drops one.
import type { FieldProblem, TemplateParams } from '../api/client';

export type FieldHint = 'service-name' | 'team' | 'environments' | 'regions' | '';

export interface Option {
  value: string;
  label: string;
}

interface FieldBase {
  /** The property's name in its object. */
  key: string;
  /** Where the value is in the parameters (and where the portal's problems about it point): "/name", "/group/x". */
  pointer: string;
  /** The input's DOM id. */
  id: string;
  title: string;
  description: string;
  required: boolean;
  hint: FieldHint;
  /** The page of the form it is on (Backstage's steps, x-atrium-page); "" for none. */
  page: string;
  readOnly: boolean;
}

export interface TextField extends FieldBase {
  kind: 'text';
  default: string;
  pattern?: string;
  /** What to say when pattern does not match (x-atrium-pattern-message). */
  patternMessage?: string;
  minLength?: number;
  maxLength?: number;
  format?: string;
  examples: string[];
}

/** One value out of an enum: a select. */
export interface ChoiceField extends FieldBase {
  kind: 'choice';
  default: string;
  options: Option[];
  numeric: boolean;
}

export interface BooleanField extends FieldBase {
  kind: 'boolean';
  default: boolean;
}

export interface NumberField extends FieldBase {
  kind: 'number';
  integer: boolean;
  default: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
}

/** Several values out of an enum (environments, regions): a checkbox group. */
export interface MultiField extends FieldBase {
  kind: 'multi';
  default: string[];
  options: Option[];
  minItems?: number;
  maxItems?: number;
}

/** A list of free values (secret names): typed comma- or line-separated. */
export interface ListField extends FieldBase {
  kind: 'list';
  default: string;
  numeric: boolean;
  minItems?: number;
  maxItems?: number;
  uniqueItems: boolean;
  item: { pattern?: string; patternMessage?: string; minLength?: number; maxLength?: number };
}

/** An object: its properties as a group of fields. */
export interface GroupField extends FieldBase {
  kind: 'group';
  fields: FormField[];
}

/** A parameter the form cannot show; the portal refuses such templates, so this is only ever a safety net. */
export interface UnsupportedField extends FieldBase {
  kind: 'unsupported';
  reason: string;
}

export type FormField = TextField | ChoiceField | BooleanField | NumberField | MultiField | ListField | GroupField | UnsupportedField;

/** A form's values, by field pointer: text, choices, numbers and lists as typed; booleans; a multi-select's picks. */
export type FieldValue = string | boolean | string[];
export type FormValues = Readonly<Record<string, FieldValue>>;

/** Problems by field pointer, in the order found. */
export type FieldProblems = Readonly<Record<string, readonly string[]>>;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const HINTS: readonly FieldHint[] = ['service-name', 'team', 'environments', 'regions'];

/** "/a/b" for the segments a, b (JSON Pointer escaping: ~ as ~0, / as ~1). */
export function pointerOf(segments: readonly string[]): string {
  return segments.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** A DOM id for the field at pointer. */
export function fieldDomId(pointer: string): string {
  return `param${pointer.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

function options(values: unknown[], names: unknown): Option[] {
  const labels = Array.isArray(names) ? names : [];
  return values.map((v, i) => ({ value: String(v), label: str(labels[i]) ?? String(v) }));
}

/** The properties of an object schema in form order: ui:order first (unknown names skipped), then the rest by name. */
function orderedKeys(schema: Json): string[] {
  const props = isObject(schema.properties) ? Object.keys(schema.properties) : [];
  const order = Array.isArray(schema['ui:order']) ? schema['ui:order'].filter((k): k is string => typeof k === 'string') : [];
  const first = order.filter((k) => props.includes(k) && k !== '*');
  const rest = props.filter((k) => !first.includes(k)).sort();
  return [...first, ...rest];
}

function field(key: string, schema: unknown, path: readonly string[], required: boolean): FormField {
  const pointer = pointerOf(path);
  const s = isObject(schema) ? schema : {};
  const hintValue = str(s['x-atrium-field']) ?? '';
  const base: FieldBase = {
    key,
    pointer,
    id: fieldDomId(pointer),
    title: str(s.title) ?? key.replace(/_/g, ' '),
    description: str(s.description) ?? str(s['ui:help']) ?? '',
    required,
    hint: (HINTS as readonly string[]).includes(hintValue) ? (hintValue as FieldHint) : '',
    page: str(s['x-atrium-page']) ?? '',
    readOnly: s.readOnly === true,
  };
  if (!isObject(schema)) return { ...base, kind: 'unsupported', reason: 'its schema is not an object' };
  for (const k of ['$ref', 'oneOf', 'anyOf', 'allOf', 'if', 'then', 'else', 'dependencies', 'not']) {
    if (k in s) return { ...base, kind: 'unsupported', reason: `the form cannot show "${k}"` };
  }
  const type: unknown = Array.isArray(s.type) ? (s.type as unknown[]).find((t) => t !== 'null') : s.type;
  const enumValues = Array.isArray(s.enum) ? s.enum : 'const' in s ? [s.const] : undefined;
  switch (type) {
    case 'string':
      if (enumValues) {
        return { ...base, kind: 'choice', default: str(s.default) ?? '', options: options(enumValues, s.enumNames), numeric: false };
      }
      return {
        ...base,
        kind: 'text',
        default: str(s.default) ?? '',
        pattern: str(s.pattern),
        patternMessage: str(s['x-atrium-pattern-message']),
        minLength: num(s.minLength),
        maxLength: num(s.maxLength),
        format: str(s.format),
        examples: Array.isArray(s.examples) ? s.examples.filter((e): e is string => typeof e === 'string') : [],
      };
    case 'boolean':
      return { ...base, kind: 'boolean', default: s.default === true };
    case 'integer':
    case 'number':
      if (enumValues) {
        const d = num(s.default);
        return { ...base, kind: 'choice', default: d === undefined ? '' : String(d), options: options(enumValues, s.enumNames), numeric: true };
      }
      return {
        ...base,
        kind: 'number',
        integer: type === 'integer',
        default: num(s.default) === undefined ? '' : String(s.default),
        minimum: num(s.minimum),
        maximum: num(s.maximum),
        exclusiveMinimum: num(s.exclusiveMinimum),
        exclusiveMaximum: num(s.exclusiveMaximum),
        multipleOf: num(s.multipleOf),
      };
    case 'array': {
      const items = isObject(s.items) ? s.items : {};
      const itemType = items.type;
      if (itemType !== 'string' && itemType !== 'number' && itemType !== 'integer') {
        return { ...base, kind: 'unsupported', reason: 'a list of anything but strings or numbers' };
      }
      const defaults = Array.isArray(s.default) ? s.default.map(String) : [];
      if (Array.isArray(items.enum)) {
        return { ...base, kind: 'multi', default: defaults, options: options(items.enum, items.enumNames), minItems: num(s.minItems), maxItems: num(s.maxItems) };
      }
      return {
        ...base,
        kind: 'list',
        default: defaults.join(', '),
        numeric: itemType !== 'string',
        minItems: num(s.minItems),
        maxItems: num(s.maxItems),
        uniqueItems: s.uniqueItems === true,
        item: {
          pattern: str(items.pattern),
          patternMessage: str(items['x-atrium-pattern-message']),
          minLength: num(items.minLength),
          maxLength: num(items.maxLength),
        },
      };
    }
    case 'object':
      return { ...base, kind: 'group', fields: objectFields(s, path) };
    default:
      return { ...base, kind: 'unsupported', reason: `type ${JSON.stringify(type ?? null)} is not one the form can show` };
  }
}

function objectFields(schema: Json, path: readonly string[]): FormField[] {
  const props = isObject(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  return orderedKeys(schema).map((k) => field(k, props[k], [...path, k], required.includes(k)));
}

/** The fields of a template's parameter schema (its TemplateSummary.parameters), in form order. */
export function formFields(schema: unknown): FormField[] {
  return isObject(schema) ? objectFields(schema, []) : [];
}

/** Every field that holds a value (groups opened up), in form order. */
export function leafFields(fields: readonly FormField[]): FormField[] {
  return fields.flatMap((f) => (f.kind === 'group' ? leafFields(f.fields) : [f]));
}

/** The values a new form starts with: the schema's defaults. */
export function initialValues(fields: readonly FormField[]): FormValues {
  const out: Record<string, FieldValue> = {};
  for (const f of leafFields(fields)) {
    if (f.kind === 'unsupported' || f.kind === 'group') continue;
    out[f.pointer] = f.kind === 'multi' ? [...f.default] : f.default;
  }
  return out;
}

/** The entries of a list as typed: split at commas and line breaks, blanks dropped. */
export function listEntries(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function numberValue(text: string): number | string {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/**
 * The parameters values stand for, shaped as the schema says. Empty text, choices and numbers are left out, so the
 * portal applies the template's defaults (and says "required" where one is required); a number that does not read as
 * one is sent as typed, for the portal to say so too.
 */
export function toParameters(fields: readonly FormField[], values: FormValues): TemplateParams {
  const out: TemplateParams = {};
  for (const f of fields) {
    const v = values[f.pointer];
    switch (f.kind) {
      case 'group': {
        const inner = toParameters(f.fields, values);
        if (Object.keys(inner).length > 0) out[f.key] = inner;
        break;
      }
      case 'text':
        if (typeof v === 'string' && v !== '') out[f.key] = v;
        break;
      case 'choice':
        if (typeof v === 'string' && v !== '') out[f.key] = f.numeric ? numberValue(v) : v;
        break;
      case 'number':
        if (typeof v === 'string' && v.trim() !== '') out[f.key] = numberValue(v);
        break;
      case 'boolean':
        out[f.key] = v === true;
        break;
      case 'multi': {
        const picked = Array.isArray(v) ? v : [];
        // In the order the schema lists them, whatever order they were ticked in.
        out[f.key] = f.options.map((o) => o.value).filter((o) => picked.includes(o));
        break;
      }
      case 'list': {
        const entries = listEntries(typeof v === 'string' ? v : '');
        out[f.key] = f.numeric ? entries.map(numberValue) : entries;
        break;
      }
      case 'unsupported':
        break;
    }
  }
  return out;
}

/** JSON with object keys sorted: the same parameters give the same text however they were built. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Why name is not a service name, in internal/scaffold's words (nameProblems), all of them. */
export function serviceNameProblems(name: string): string[] {
  const out: string[] = [];
  if (name.length < 3 || name.length > 40) out.push(`must be 3 to 40 characters long, not ${name.length}`);
  if (name !== '' && !/^[a-z]/.test(name)) out.push('must start with a lowercase letter');
  if (name.endsWith('-')) out.push('must end with a letter or digit');
  if (name.includes('--')) out.push('must not contain "--"');
  if (/[^a-z0-9-]/.test(name)) out.push('may hold only lowercase letters, digits and dashes');
  return out;
}

function patternProblem(value: string, pattern: string | undefined, message: string | undefined): string | undefined {
  if (pattern === undefined) return undefined;
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'u');
  } catch {
    return undefined; // a pattern JavaScript cannot read: the portal checks it
  }
  if (re.test(value)) return undefined;
  return message ? `${JSON.stringify(value)}: ${message}` : `${JSON.stringify(value)} does not match ${pattern}`;
}

function lengthProblem(value: string, min: number | undefined, max: number | undefined): string | undefined {
  const n = [...value].length;
  if (min !== undefined && n < min) return `must be at least ${min} characters`;
  if (max !== undefined && n > max) return `must be at most ${max} characters`;
  return undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function formatProblem(value: string, format: string | undefined): string | undefined {
  switch (format) {
    case 'email':
      return EMAIL.test(value) ? undefined : 'must be an email address';
    case 'uri':
    case 'url':
      try {
        new URL(value);
        return undefined;
      } catch {
        return 'must be an absolute URL (https://…)';
      }
  }
  return undefined;
}

function numberProblem(f: NumberField, text: string): string | undefined {
  const n = Number(text.trim());
  if (!Number.isFinite(n)) return f.integer ? 'must be a whole number' : 'must be a number';
  if (f.integer && !Number.isInteger(n)) return 'must be a whole number';
  if (f.minimum !== undefined && n < f.minimum) return `must be at least ${f.minimum}`;
  if (f.exclusiveMinimum !== undefined && n <= f.exclusiveMinimum) return `must be more than ${f.exclusiveMinimum}`;
  if (f.maximum !== undefined && n > f.maximum) return `must be at most ${f.maximum}`;
  if (f.exclusiveMaximum !== undefined && n >= f.exclusiveMaximum) return `must be less than ${f.exclusiveMaximum}`;
  if (f.multipleOf !== undefined && f.multipleOf > 0 && Math.abs(n / f.multipleOf - Math.round(n / f.multipleOf)) > 1e-9) {
    return `must be a multiple of ${f.multipleOf}`;
  }
  return undefined;
}

function itemsProblems(f: ListField, entries: string[]): string[] {
  const out: string[] = [];
  if (f.minItems !== undefined && entries.length < f.minItems) out.push(`give at least ${f.minItems}`);
  if (f.maxItems !== undefined && entries.length > f.maxItems) out.push(`give at most ${f.maxItems}`);
  const seen = new Set<string>();
  for (const e of entries) {
    if (f.uniqueItems && seen.has(e)) out.push(`${JSON.stringify(e)} is listed twice`);
    seen.add(e);
    if (f.numeric) {
      if (!Number.isFinite(Number(e))) out.push(`${JSON.stringify(e)} is not a number`);
      continue;
    }
    const p = lengthProblem(e, f.item.minLength, f.item.maxLength) ?? patternProblem(e, f.item.pattern, f.item.patternMessage);
    if (p) out.push(p.startsWith('"') ? p : `${JSON.stringify(e)} ${p}`);
  }
  return out;
}

/** The problems of one field's value the form can see without the portal. */
function fieldProblems(f: FormField, v: FieldValue | undefined): string[] {
  switch (f.kind) {
    case 'text': {
      const text = typeof v === 'string' ? v : '';
      if (text === '') return f.required ? ['required'] : [];
      if (f.hint === 'service-name') {
        const ps = serviceNameProblems(text);
        if (ps.length > 0) return ps;
      }
      const p = lengthProblem(text, f.minLength, f.maxLength) ?? patternProblem(text, f.pattern, f.patternMessage) ?? formatProblem(text, f.format);
      return p ? [p] : [];
    }
    case 'choice': {
      const text = typeof v === 'string' ? v : '';
      if (text === '') return f.required ? ['required'] : [];
      return f.options.some((o) => o.value === text) ? [] : [`${text} is not one of ${f.options.map((o) => o.value).join(', ')}`];
    }
    case 'number': {
      const text = typeof v === 'string' ? v : '';
      if (text.trim() === '') return f.required ? ['required'] : [];
      const p = numberProblem(f, text);
      return p ? [p] : [];
    }
    case 'multi': {
      const picked = Array.isArray(v) ? v : [];
      if (f.minItems !== undefined && picked.length < f.minItems) return [`choose at least ${f.minItems}`];
      if (f.maxItems !== undefined && picked.length > f.maxItems) return [`choose at most ${f.maxItems}`];
      return [];
    }
    case 'list':
      return itemsProblems(f, listEntries(typeof v === 'string' ? v : ''));
    case 'boolean':
    case 'group':
    case 'unsupported':
      return [];
  }
}

/** Every problem the form finds in values by itself, by field pointer (fields without one are absent). */
export function checkValues(fields: readonly FormField[], values: FormValues): FieldProblems {
  const out: Record<string, string[]> = {};
  for (const f of leafFields(fields)) {
    const ps = fieldProblems(f, values[f.pointer]);
    if (ps.length > 0) out[f.pointer] = ps;
  }
  return out;
}

function segments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.split('/').slice(1);
}

/**
 * The field a problem's JSON Pointer is about: the field at it, or the one holding it ("/environments/1" is the
 * environments field's); undefined when no field holds it (a problem of the whole request).
 */
export function fieldOfPointer(fields: readonly FormField[], pointer: string): string | undefined {
  const want = segments(pointer);
  let best: string | undefined;
  let bestLen = -1;
  for (const f of leafFields(fields)) {
    const have = segments(f.pointer);
    if (have.length <= want.length && have.length > bestLen && have.every((s, i) => s === want[i])) {
      best = f.pointer;
      bestLen = have.length;
    }
  }
  return best;
}

/** A pointer under prefix, relative to it ("/params/parameters/name" under "/params/parameters" is "/name"); else undefined. */
export function underPointer(prefix: string, pointer: string): string | undefined {
  if (pointer === prefix) return '';
  return pointer.startsWith(`${prefix}/`) ? pointer.slice(prefix.length) : undefined;
}

export interface PlacedProblems {
  /** By field pointer: what to show under each field. */
  byField: FieldProblems;
  /** Problems no field holds, to list above the form's buttons. */
  other: FieldProblem[];
}

/** Sorts the portal's problems (fields are JSON Pointers) under their fields; the same words twice are shown once. */
export function placeProblems(fields: readonly FormField[], problems: readonly FieldProblem[]): PlacedProblems {
  const byField: Record<string, string[]> = {};
  const other: FieldProblem[] = [];
  for (const p of problems) {
    const at = fieldOfPointer(fields, p.field);
    if (at === undefined) {
      other.push(p);
      continue;
    }
    const list = (byField[at] ??= []);
    if (!list.includes(p.problem)) list.push(p.problem);
  }
  return { byField, other };
}

/**
 * What each field shows: the form's own problems where it has any (they are instant and say the same as the
 * portal would), else the portal's — but only an answer about the values on screen, so a check still on its way
 * never shows a problem the user has already fixed. Fields the user has not touched (show is false) keep quiet about
 * being required until the form is submitted.
 */
export function shownProblems(
  fields: readonly FormField[],
  local: FieldProblems,
  portal: FieldProblems,
  show: (pointer: string) => boolean,
): FieldProblems {
  const out: Record<string, readonly string[]> = {};
  for (const f of leafFields(fields)) {
    const mine = local[f.pointer];
    if (mine && mine.length > 0) {
      if (show(f.pointer)) out[f.pointer] = mine;
      continue;
    }
    // "required" of a field not yet reached is no news; anything else the portal found is (a region change can
    // make an environment wrong).
    const theirs = (portal[f.pointer] ?? []).filter((p) => show(f.pointer) || p !== 'required');
    if (theirs.length > 0) out[f.pointer] = theirs;
  }
  return out;
}

export interface FieldSection {
  /** A heading for the group, "" for the first (the service itself). */
  title: string;
  /** A sentence under the heading. */
  lead: string;
  fields: FormField[];
}

const STANDARD_SERVICE = ['name', 'team', 'description'];
const PLACEMENT_HINTS: readonly FieldHint[] = ['environments', 'regions'];
/** The standard optional resources a template may offer (docs/templates.md, golden_path.resources). */
const RESOURCES = ['sqs_queue', 'secret_names'];

/**
 * The fields in groups a person can take in: with pages (a Backstage template's steps), one group per page;
 * otherwise the service itself, where it runs, the optional resources, then the template's own options. An
 * object parameter is a group of its own, titled by its schema. The order within a group is the form order.
 */
export function groupFields(fields: readonly FormField[]): FieldSection[] {
  if (fields.some((f) => f.page !== '')) {
    const pages: FieldSection[] = [];
    for (const f of fields) {
      const title = f.page;
      let section = pages.find((p) => p.title === title);
      if (!section) {
        section = { title, lead: '', fields: [] };
        pages.push(section);
      }
      section.fields.push(f);
    }
    return pages;
  }
  const service: FormField[] = [];
  const placement: FormField[] = [];
  const resources: FormField[] = [];
  const options: FormField[] = [];
  const groups: FieldSection[] = [];
  for (const f of fields) {
    if (f.kind === 'group') groups.push({ title: f.title, lead: f.description, fields: f.fields });
    else if (f.hint === 'service-name' || f.hint === 'team' || STANDARD_SERVICE.includes(f.key)) service.push(f);
    else if (PLACEMENT_HINTS.includes(f.hint)) placement.push(f);
    else if (RESOURCES.includes(f.key)) resources.push(f);
    else options.push(f);
  }
  const out: FieldSection[] = [];
  if (service.length > 0) out.push({ title: '', lead: '', fields: service });
  if (placement.length > 0) {
    out.push({ title: 'Where it runs', lead: 'Hello-world runs in the dev clusters first; the infrastructure pull request sets up the rest.', fields: placement });
  }
  if (resources.length > 0) {
    out.push({ title: 'Optional resources', lead: 'Created through the infrastructure pull request, for this service alone.', fields: resources });
  }
  out.push(...groups);
  if (options.length > 0) out.push({ title: 'Template options', lead: '', fields: options });
  return out;
}

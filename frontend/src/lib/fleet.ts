// The fleet configuration and the adoption KPI as the UI shows them (docs/fleet.md): the document's text, what a
// new version changes (one readable line per setting), the portal's problems placed by JSON Pointer, the installs'
// filters and states, the landing pages, and the KPI's points, headline and feature names. Pure functions; the
// portal validates every push again and is the judge (internal/fleet/schema.go).
import type { Adoption, AdoptionWeek, FieldProblem, FleetEffective, FleetInstall, JsonValue } from '../api/client';
import type { PageFeature } from './features';
import { shortValue } from './flags';
import { catalogHash, type InstallFilter } from './router';
import { dayLabel } from './scorecards';

/** The settings, in the order the portal lists them, with what people call them. */
export const SETTINGS: readonly { key: string; label: string; help: string }[] = [
  { key: 'banner', label: 'notice banner', help: '{"text": "…", "level": "info" | "warning" | "critical"}, shown above every page' },
  { key: 'landing_page', label: 'landing page', help: 'the page the app opens on: catalog, scorecards, packages, flags, self-service, matrix, approvals, secrets' },
  { key: 'default_team', label: 'default team', help: "a team of the catalog: the install's team (which team's settings apply)" },
  { key: 'features', label: 'pages', help: '{"matrix": true, "flags": false, …}: pages switched on or off — flags, packages, self_service, matrix, secrets' },
  { key: 'min_app_version', label: 'minimum app version', help: 'e.g. "1.4.0": installs below it show an update notice' },
  { key: 'sync', label: 'sync timings', help: '{"long_poll_seconds": 5–60, "retry_max_seconds": 1–600}' },
  { key: 'links', label: 'links', help: '[{"title": "Docs", "url": "https://…", "kind": "docs" | "oncall" | "chat" | "other"}], at most 20' },
];

/** The settings a user may also choose on their own install; only these may be marked a default. */
export const USER_SETTABLE: readonly string[] = ['default_team', 'landing_page', 'features'];

/** A configuration to start from when none was pushed yet. */
export const STARTER_CONFIG = {
  settings: {
    banner: { text: 'Welcome to Atrium.', level: 'info' },
    links: [{ title: 'Docs', url: 'https://docs.example.com', kind: 'docs' }],
  },
  defaults: ['landing_page'],
};

/** The pages an install may open on, with their hashes. */
export const LANDING_PAGES: Readonly<Record<string, { label: string; hash: string }>> = {
  catalog: { label: 'Catalog', hash: catalogHash() },
  scorecards: { label: 'Scorecards', hash: '#/scorecards' },
  packages: { label: 'Packages', hash: '#/packages' },
  flags: { label: 'Flags', hash: '#/flags' },
  'self-service': { label: 'Self-service', hash: '#/self-service' },
  matrix: { label: 'Matrix', hash: '#/matrix' },
  approvals: { label: 'Approvals', hash: '#/approvals' },
  secrets: { label: 'Secrets', hash: '#/secrets' },
};

/** The pages a configuration (or the user) may switch, by the configuration's name, with the page's flag. */
export const FEATURE_PAGES: Readonly<Record<string, { label: string; flag: PageFeature }>> = {
  flags: { label: 'Flags', flag: 'atrium-ui-flags-page' },
  packages: { label: 'Packages', flag: 'atrium-ui-packages-page' },
  self_service: { label: 'Self-service', flag: 'atrium-ui-self-service' },
  matrix: { label: 'Matrix', flag: 'atrium-ui-matrix-page' },
  secrets: { label: 'Secrets', flag: 'atrium-ui-secrets-page' },
};

/** The hash the app opens on for a landing page; null for the catalog (the app's own start) and unknown pages. */
export function landingHash(page: string | undefined): string | null {
  if (!page || page === 'catalog') return null;
  return LANDING_PAGES[page]?.hash ?? null;
}

/** A configuration as the editor holds it: two-space JSON. */
export function configText(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export type ParsedConfig = { ok: true; value: { [key: string]: JsonValue } } | { ok: false; message: string };

/** The line and column of offset in text, counted from 1. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/**
 * The offset of the first character where text stops being JSON (the browser's JSON.parse no longer says where),
 * or -1 when it is JSON. A small recursive-descent scanner: it checks the grammar only.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] ?? '')) i++;
  };
  const fail = (): never => {
    throw new JsonOffsetError(i);
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const str = () => {
    i++; // the opening quote
    while (i < text.length) {
      const c = text[i] ?? '';
      if (c === '"') {
        i++;
        return;
      }
      if (c < ' ') fail();
      if (c === '\\') {
        i++;
        const e = text[i] ?? '';
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(e) || e === '') fail();
      }
      i++;
    }
    fail();
  };
  const num = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === '' || m[0] === '-') fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail();
      }
    } else if (c === '"') str();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else num();
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (err) {
    if (err instanceof JsonOffsetError) return err.offset;
    throw err;
  }
}

class JsonOffsetError extends Error {
  constructor(readonly offset: number) {
    super(`not JSON at ${offset}`);
  }
}

/**
 * The editor's text as a document, or why it is not one — with the line and column where it stops being JSON.
 * The portal checks the rest (settings, values, size) and names every problem.
 */
export function parseConfigText(text: string): ParsedConfig {
  if (text.trim() === '') return { ok: false, message: 'The configuration is empty: write a JSON object such as {"settings": {}}.' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const at = jsonErrorOffset(text);
    const where = lineColumn(text, at < 0 ? text.length : at);
    const found = at >= 0 && at < text.length ? `unexpected ${JSON.stringify(text[at])}` : 'it ends too soon';
    return { ok: false, message: `Not valid JSON: ${found} at line ${where.line}, column ${where.column}.` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'The configuration must be a JSON object: {"settings": {…}, "defaults": […], "teams": {…}}.' };
  }
  return { ok: true, value: value as { [key: string]: JsonValue } };
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function settingLabel(key: string): string {
  return SETTINGS.find((s) => s.key === key)?.label ?? key;
}

/**
 * A JSON Pointer of a configuration for people: "/settings/banner/text" → "everyone › notice banner › text",
 * "/teams/growth/links/0/url" → "team growth › links › 1 › url", "/defaults" → "settings users may override".
 */
export function pointerLabel(pointer: string): string {
  if (pointer === '') return 'the configuration';
  const t = pointer.split('/').slice(1).map(unescapeToken);
  const rest = (from: string[]) =>
    from.map((x, i) => (i === 0 ? settingLabel(x) : /^\d+$/.test(x) && from[i - 1] === 'links' ? String(Number(x) + 1) : x));
  if (t[0] === 'settings') return ['everyone', ...rest(t.slice(1))].join(' › ');
  if (t[0] === 'teams') {
    if (t.length === 1) return 'team settings';
    return [`team ${t[1] ?? ''}`, ...rest(t.slice(2))].join(' › ');
  }
  if (t[0] === 'defaults') return t.length > 1 ? `settings users may override › ${Number(t[1]) + 1}` : 'settings users may override';
  return t.join(' › ');
}

export interface ConfigChange {
  /** The JSON Pointer of what changed. */
  path: string;
  op: 'added' | 'removed' | 'changed';
  before?: JsonValue;
  after?: JsonValue;
}

function isObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** v with object keys sorted (so that key order never counts as a change). */
function canonical(v: JsonValue | undefined): JsonValue | undefined {
  if (Array.isArray(v)) return v.map((x) => canonical(x) ?? null);
  if (isObject(v)) {
    const out: { [key: string]: JsonValue } = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical(v[k]) ?? null;
    return out;
  }
  return v;
}

/**
 * What after changes of before, setting by setting: objects are compared key by key (down to each banner field,
 * each team, each page), lists as a whole (the links, the defaults — order matters in the links; the defaults are
 * a set, so they are compared sorted). The schema number is no setting.
 */
export function configChanges(before: JsonValue | undefined, after: JsonValue | undefined, path = ''): ConfigChange[] {
  if (path === '/defaults') {
    const sorted = (v: JsonValue | undefined) => (Array.isArray(v) ? [...v].map(String).sort() : v);
    before = sorted(before);
    after = sorted(after);
  }
  if (sameJson(before, after)) return [];
  // The document, its settings and its team layers are compared inside even when one side lacks them (a first
  // push, a first team): a team's own layer, added or removed, is one change.
  if (path === '' || path === '/settings' || path === '/teams') {
    if (before === undefined && isObject(after)) before = {};
    if (after === undefined && isObject(before)) after = {};
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.filter((k) => !(path === '' && k === 'schema')).flatMap((k) => configChanges(before[k], after[k], `${path}/${escapeToken(k)}`));
  }
  if (before === undefined) return [{ path, op: 'added', after }];
  if (after === undefined) return [{ path, op: 'removed', before }];
  return [{ path, op: 'changed', before, after }];
}

/** One line per change: "everyone › notice banner › text: "a" → "b"". */
export function changeLine(c: ConfigChange): string {
  const label = pointerLabel(c.path);
  switch (c.op) {
    case 'added':
      return `${label}: set to ${shortValue(c.after, 120)}`;
    case 'removed':
      return `${label}: removed (was ${shortValue(c.before, 120)})`;
    case 'changed':
      return `${label}: ${shortValue(c.before, 120)} → ${shortValue(c.after, 120)}`;
  }
}

export interface PlacedProblem {
  /** The JSON Pointer inside the configuration ("" the whole of it; "note" for the push's note). */
  path: string;
  label: string;
  problem: string;
}

/**
 * The portal's problems with a push, inside the configuration: its fields are JSON Pointers of the request
 * ("/config/settings/bannr"); those of the request itself (note, base_version) keep their names.
 */
export function configProblems(fields: readonly FieldProblem[]): PlacedProblem[] {
  return fields.map((f) => {
    if (f.field === '/config' || f.field.startsWith('/config/')) {
      const path = f.field.slice('/config'.length);
      return { path, label: pointerLabel(path), problem: f.problem };
    }
    return { path: f.field, label: f.field, problem: f.problem };
  });
}

/** The installs list's filters as the admin reads them. */
export const INSTALL_FILTER_LABELS: Readonly<Record<InstallFilter, string>> = {
  '': 'All installs',
  stale_config: 'Not on the latest config',
  below_minimum: 'Below the minimum app version',
  unseen: 'Not seen for 7 days',
};

/** How many installs a filter has, from the list's counts (the portal counts "all" too). */
export function filterCount(counts: Readonly<Record<string, number>>, filter: InstallFilter): number {
  return counts[filter === '' ? 'all' : filter] ?? 0;
}

/** What an install's configuration state is, in words, and how loud to say it. */
export function installConfigState(i: FleetInstall, latest: number): { text: string; tone: 'ok' | 'warn' | 'bad' | 'muted' } {
  if (i.config_error) return { text: `refused the newest: ${i.config_error}`, tone: 'bad' };
  if (latest === 0) return { text: 'no configuration pushed', tone: 'muted' };
  if (i.latest_config) return { text: `v${i.config_version} (latest)`, tone: 'ok' };
  if (i.config_version === 0) return { text: `none yet (latest v${latest})`, tone: 'warn' };
  return { text: `v${i.config_version} (latest v${latest})`, tone: 'warn' };
}

/** The teams of the installs, sorted, for the team filter. */
export function installTeams(items: readonly FleetInstall[]): string[] {
  return [...new Set(items.map((i) => i.team).filter((t) => t !== ''))].sort();
}

/** What the KPI calls each feature family (internal/fleet/usage.go Feature). */
export const FEATURE_LABELS: Readonly<Record<string, string>> = {
  catalog: 'Catalog',
  scorecards: 'Scorecards',
  'self-service': 'Self-service',
  flags: 'Flags',
  secrets: 'Secrets',
  admin: 'Admin pages',
  other: 'Other',
};

/** A point of the adoption chart. */
export interface AdoptionPoint {
  week: string;
  end: string;
  label: string;
  percent: number;
  active: number;
  developers: number;
}

export function adoptionPoints(weeks: readonly AdoptionWeek[]): AdoptionPoint[] {
  return weeks.map((w) => ({ week: w.week, end: w.end, label: dayLabel(w.week), percent: w.percent, active: w.active, developers: w.developers }));
}

/** The KPI in one sentence: the last seven days, and how it moved since the seven days before. */
export function adoptionHeadline(a: Pick<Adoption, 'weeks'>): { percent: number; text: string; change: number | null } {
  const last = a.weeks[a.weeks.length - 1];
  if (!last) return { percent: 0, text: 'No weeks to show.', change: null };
  const prev = a.weeks[a.weeks.length - 2];
  if (last.developers === 0) {
    return { percent: 0, text: 'No developers are known yet: the directory (GitHub organisation members, or an uploaded list) is empty.', change: null };
  }
  const base = `${last.active} of ${last.developers} developers used Atrium in the last seven days (${dayLabel(last.week)} – ${dayLabel(last.end)})`;
  if (!prev || prev.developers === 0) return { percent: last.percent, text: `${base}.`, change: null };
  const change = Math.round((last.percent - prev.percent) * 10) / 10;
  const moved = change === 0 ? 'no change' : `${change > 0 ? '+' : '−'}${Math.abs(change)} points`;
  return { percent: last.percent, text: `${base}: ${moved} on the week before.`, change };
}

/** The fleet's notices for this install, in the order the shell shows them (loudest first). */
export interface FleetNotice {
  kind: 'update' | 'key' | 'refused' | 'banner';
  level: 'info' | 'warning' | 'critical';
  text: string;
}

/** What the shell tells the user about the fleet configuration on this install. */
export function fleetNotices(e: FleetEffective): FleetNotice[] {
  const out: FleetNotice[] = [];
  if (e.update_required && e.min_app_version) {
    out.push({
      kind: 'update',
      level: 'warning',
      text: `This is Atrium ${e.app_version}; your platform team asks for ${e.min_app_version} or newer. Please update Atrium.`,
    });
  }
  if (e.key?.offered_key_id) {
    out.push({
      kind: 'key',
      level: 'warning',
      text:
        `The portal now signs its configuration with another key (${e.key.offered_key_id}) than the one this install trusts ` +
        `(${e.key.key_id}), so its configuration is not applied. Trust the new key only if your platform team says they rotated it.`,
    });
  } else if (e.refused) {
    const fields = e.refused.fields?.length ? ` (${e.refused.fields.map((f) => `${f.field}: ${f.problem}`).join('; ')})` : '';
    out.push({
      kind: 'refused',
      level: 'warning',
      text: `Configuration version ${e.refused.version} from the portal was refused: ${e.refused.message}${fields}. The last good one${
        e.version > 0 ? ` (version ${e.version})` : ''
      } stays in force; the portal has been told.`,
    });
  }
  if (e.banner?.text) out.push({ kind: 'banner', level: e.banner.level, text: e.banner.text });
  return out;
}

// The flag table's logic: filtering and ordering the rows GET /api/v1/flags answers (every flag of every
// environment, in one answer, so filters apply as the user types), the team choices, and short texts for the
// columns and the history.
import type { FlagDiffOp, FlagRow, JsonValue } from '../api/client';
import type { FlagFilters } from './router';

export type FlagSortKey = 'key' | 'updated_at';

/** Rows matching filters, by key (then environment in the portal's order) or newest change first. */
export function filterFlags(rows: readonly FlagRow[], f: FlagFilters, environments: readonly string[], sort: FlagSortKey = 'key'): FlagRow[] {
  const q = f.q.trim().toLowerCase();
  const envRank = (e: string) => {
    const i = environments.indexOf(e);
    return i < 0 ? environments.length : i;
  };
  const out = rows.filter(
    (r) =>
      (!f.environment || r.environment === f.environment) &&
      (!f.team || r.team === f.team) &&
      (!f.stale || r.stale) &&
      (!q || r.key.toLowerCase().includes(q)),
  );
  return out.sort((a, b) =>
    sort === 'updated_at'
      ? b.updated_at.localeCompare(a.updated_at) || a.key.localeCompare(b.key)
      : a.key.localeCompare(b.key) || envRank(a.environment) - envRank(b.environment),
  );
}

/** The teams that own flags, with how many flags each, for the team filter. */
export function flagTeams(rows: readonly FlagRow[]): { value: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const r of rows) if (r.team) counts.set(r.team, (counts.get(r.team) ?? 0) + 1);
  return [...counts.entries()].map(([value, count]) => ({ value, count })).sort((a, b) => a.value.localeCompare(b.value));
}

/** The default column: a variant, or that the caller's code default applies. */
export function defaultText(d: string | null): string {
  return d === null ? 'code default' : d;
}

/** A value in a diff or a definition, short: "on", 30, {"currency":"EUR"} (truncated). */
export function shortValue(v: JsonValue | undefined, max = 80): string {
  if (v === undefined) return '—';
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * A diff path for people: "/targeting/if/2/fractional/1/1" → "targeting › if › 2 › fractional › 1 › 1", with the
 * common places named: variants › on, the default variant, the weight of a rollout entry when the document says
 * which variant it is.
 */
export function diffLabel(op: FlagDiffOp, doc: JsonValue | null): string {
  if (op.path === '') return 'the whole flag';
  const tokens = op.path.split('/').slice(1).map(unescape);
  if (tokens.length === 1) {
    switch (tokens[0]) {
      case 'defaultVariant':
        return 'default variant';
      case 'state':
        return 'state';
      case 'targeting':
        return 'targeting';
    }
  }
  if (tokens[0] === 'variants' && tokens.length === 2) return `variant "${tokens[1]}"`;
  if (tokens[0] === 'metadata' && tokens.length === 2) return `metadata ${tokens[1]}`;
  // [variant, weight] inside a fractional: name the variant.
  const n = tokens.length;
  if (n >= 3 && tokens[n - 1] === '1' && /^\d+$/.test(tokens[n - 2] ?? '')) {
    const entry = at(doc, tokens.slice(0, n - 1));
    if (Array.isArray(entry) && typeof entry[0] === 'string' && tokens.includes('fractional')) {
      return `${tokens.slice(0, n - 2).join(' › ')} › weight of "${entry[0]}"`;
    }
  }
  return tokens.join(' › ');
}

/** The value at a path of tokens in a JSON document. */
function at(doc: JsonValue | null | undefined, tokens: string[]): JsonValue | undefined {
  let cur: JsonValue | undefined = doc ?? undefined;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (cur && typeof cur === 'object') cur = cur[t];
    else return undefined;
  }
  return cur;
}

/** One line per change of a diff: what changed and how ("default variant: "off" → "on""). */
export function diffLine(op: FlagDiffOp, before: JsonValue | null, after: JsonValue | null): string {
  const label = diffLabel(op, op.op === 'add' ? after : before);
  switch (op.op) {
    case 'add':
      return `${label}: added ${shortValue(op.after)}`;
    case 'remove':
      return `${label}: removed (was ${shortValue(op.before)})`;
    case 'replace':
      return `${label}: ${shortValue(op.before)} → ${shortValue(op.after)}`;
  }
}

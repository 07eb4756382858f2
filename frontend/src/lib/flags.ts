// The flag table's logic: filtering and ordering the rows GET /api/v1/flags answers (every flag of every
// environment, in one answer, so filters apply as the user types), the team choices, and short texts for the
// columns and the changes (lib/flagChanges.ts says a change in words).
import type { FlagDefinition, FlagRow, JsonValue, SortOrder } from '../api/client';
import type { FlagFilters } from './router';

export type FlagSortKey = 'key' | 'updated_at';

/** How the flag table is sorted: by a column, one way or the other. */
export interface FlagSort {
  key: FlagSortKey;
  order: SortOrder;
}

/** The table's first order: by key, A to Z. */
export const FLAG_SORT: FlagSort = { key: 'key', order: 'asc' };

/** Keys read best A to Z; changes newest first. */
function firstOrder(key: FlagSortKey): SortOrder {
  return key === 'updated_at' ? 'desc' : 'asc';
}

/** The sort after clicking a column header (as the catalog's): that column in its first order, or the other order when it is on. */
export function flagSortedBy(s: FlagSort, key: FlagSortKey): FlagSort {
  if (s.key === key) return { key, order: s.order === 'desc' ? 'asc' : 'desc' };
  return { key, order: firstOrder(key) };
}

/** One flag key across environments: a row of the flag table, with a cell per environment. */
export interface FlagGroup {
  key: string;
  /** The flag in each environment it exists in (among the columns shown). */
  byEnvironment: Record<string, FlagRow>;
  /** The teams and owners it has, in the columns' order, each once. */
  teams: string[];
  owners: string[];
  /** Its latest change in any of those environments. */
  last: FlagRow;
  stale: boolean;
}

/** The environments the table shows as columns: the filtered one, or all in the portal's order. */
export function flagColumns(f: FlagFilters, environments: readonly string[]): string[] {
  return f.environment ? [f.environment] : [...environments];
}

/**
 * The flag table's rows: one per key, its environments side by side (as LaunchDarkly and Unleash show them). A key
 * matches the search, the team (in any environment) and "ready to close" (stale in one of the environments shown);
 * sorted by key, or by its newest change, either way.
 */
export function groupFlags(rows: readonly FlagRow[], f: FlagFilters, environments: readonly string[], sort: FlagSort = FLAG_SORT): FlagGroup[] {
  const columns = flagColumns(f, environments);
  const q = f.q.trim().toLowerCase();
  const byKey = new Map<string, FlagRow[]>();
  for (const r of rows) {
    if (!columns.includes(r.environment)) continue;
    const list = byKey.get(r.key);
    if (list) list.push(r);
    else byKey.set(r.key, [r]);
  }
  const groups: FlagGroup[] = [];
  for (const [key, list] of byKey) {
    list.sort((a, b) => columns.indexOf(a.environment) - columns.indexOf(b.environment));
    const teams = [...new Set(list.map((r) => r.team).filter(Boolean))];
    const g: FlagGroup = {
      key,
      byEnvironment: Object.fromEntries(list.map((r) => [r.environment, r])),
      teams,
      owners: [...new Set(list.map((r) => r.owner).filter(Boolean))],
      last: list.reduce((a, b) => (b.updated_at > a.updated_at ? b : a)),
      stale: list.some((r) => r.stale),
    };
    if (q && !key.toLowerCase().includes(q)) continue;
    if (f.team && !list.some((r) => r.team === f.team)) continue;
    if (f.stale && !g.stale) continue;
    groups.push(g);
  }
  const dir = sort.order === 'desc' ? -1 : 1;
  // Flags changed at the same time stay A to Z either way.
  return groups.sort((a, b) =>
    sort.key === 'updated_at' ? dir * a.last.updated_at.localeCompare(b.last.updated_at) || a.key.localeCompare(b.key) : dir * a.key.localeCompare(b.key),
  );
}

/** The flag's definition with its state switched: what a table switch sends. */
export function switched(d: FlagDefinition): FlagDefinition {
  return { ...d, state: d.state === 'ENABLED' ? 'DISABLED' : 'ENABLED' };
}

/**
 * The teams that own flags, with how many flags each for the team filter: flags, not flag-environments — the rows
 * choosing the team shows (a key owned by the team in any of the columns shown counts once).
 */
export function flagTeams(rows: readonly FlagRow[], columns: readonly string[]): { value: string; count: number }[] {
  const keys = new Map<string, Set<string>>();
  for (const r of rows) {
    if (!r.team || !columns.includes(r.environment)) continue;
    const set = keys.get(r.team);
    if (set) set.add(r.key);
    else keys.set(r.team, new Set([r.key]));
  }
  return [...keys.entries()].map(([value, set]) => ({ value, count: set.size })).sort((a, b) => a.value.localeCompare(b.value));
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

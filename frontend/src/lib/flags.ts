// The flag table's logic: filtering and ordering the rows GET /api/v1/flags answers (every flag of every
// environment, in one answer, so filters apply as the user types), the team choices, and short texts for the
// columns and the changes (lib/flagChanges.ts says a change in words).
import type { FlagRow, JsonValue } from '../api/client';
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

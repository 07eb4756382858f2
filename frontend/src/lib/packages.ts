// The packages view's logic: its filters as an API query (and so as the CSV the API makes of the same rows),
// the sort order a column header asks for, and short texts for versions in use and how far behind they are.
import type { PackageQuery, PackageRow, PackageSortKey, PackageUse, SortOrder } from '../api/client';
import type { PackageFilters } from './router';

/** The API query of the table's filters and order (empty ones left out). */
export function packageQuery(f: PackageFilters): PackageQuery {
  const q: PackageQuery = {};
  if (f.q.trim()) q.q = f.q.trim();
  if (f.ecosystem) q.ecosystem = f.ecosystem;
  if (f.owner) q.owner = f.owner;
  if (f.outdated) q.outdated = true;
  if (f.sort) {
    q.sort = f.sort;
    q.order = f.order ?? 'asc';
  }
  return q;
}

/** Counts read best most-first; names alphabetically. */
export function firstOrder(key: PackageSortKey): SortOrder {
  return key === 'name' || key === 'ecosystem' ? 'asc' : 'desc';
}

/** The filters after clicking a column header: that column in its first order, or the other order when it is on. */
export function sortedBy(f: PackageFilters, key: PackageSortKey): PackageFilters {
  if (f.sort === key) return { ...f, order: f.order === 'desc' ? 'asc' : 'desc' };
  return { ...f, sort: key, order: firstOrder(key) };
}

export function hasPackageFilters(f: PackageFilters): boolean {
  return Boolean(f.q.trim() || f.ecosystem || f.owner || f.outdated);
}

/** "19.1.0 ×3 · 18.3.1 ×4 · 17.0.2" (newest first, as the API lists them). */
export function versionsText(p: Pick<PackageRow, 'versions'>, max = 4): string {
  const parts = p.versions.slice(0, max).map((v) => (v.services > 1 ? `${v.version} ×${v.services}` : v.version));
  const more = p.versions.length - max;
  return more > 0 ? `${parts.join(' · ')} · +${more} more` : parts.join(' · ');
}

/** The behind counts as badges to show, most severe first, skipping zeros. */
export function behindCounts(p: Pick<PackageRow, 'major' | 'minor' | 'patch'>): { level: 'major' | 'minor' | 'patch'; count: number }[] {
  return (['major', 'minor', 'patch'] as const).filter((l) => p[l] > 0).map((level) => ({ level, count: p[level] }));
}

export type UseSortKey = 'service' | 'owner' | 'version' | 'behind';

const BEHIND_RANK: Record<PackageUse['behind'], number> = { major: 3, minor: 2, patch: 1, '': 0 };

/** A package's users, most behind first by default, then by service name. */
export function sortUses(uses: readonly PackageUse[], key: UseSortKey = 'behind', desc = key === 'behind'): PackageUse[] {
  const dir = desc ? -1 : 1;
  const cmp = (a: PackageUse, b: PackageUse): number => {
    switch (key) {
      case 'service':
        return a.service.localeCompare(b.service);
      case 'owner':
        return a.owner.localeCompare(b.owner) || a.service.localeCompare(b.service);
      case 'version':
        return a.version.localeCompare(b.version, undefined, { numeric: true });
      case 'behind':
        return BEHIND_RANK[a.behind] - BEHIND_RANK[b.behind];
    }
  };
  return [...uses].sort((a, b) => dir * cmp(a, b) || a.service.localeCompare(b.service));
}

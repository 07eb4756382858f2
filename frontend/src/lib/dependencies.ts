import type { Dependency } from '../api/client';
import { behind, behindRank, type Behind } from './semver';

export type DependencySortKey = 'name' | 'ecosystem' | 'behind';

export interface DependencyRow extends Dependency {
  behind: Behind | null;
}

/**
 * Rows of the dependency table: each dependency with how far behind it is, sorted by key and direction; with
 * outdatedFirst, dependencies behind their newest release come before current ones (most behind first).
 */
export function dependencyRows(
  deps: Dependency[],
  key: DependencySortKey,
  desc: boolean,
  outdatedFirst: boolean,
): DependencyRow[] {
  const rows = deps.map((d) => ({ ...d, behind: behind(d.version, d.latest) }));
  const dir = desc ? -1 : 1;
  const byKey = (a: DependencyRow, b: DependencyRow): number => {
    switch (key) {
      case 'ecosystem':
        return dir * a.ecosystem.localeCompare(b.ecosystem) || a.name.localeCompare(b.name);
      case 'behind':
        return dir * (behindRank(b.behind) - behindRank(a.behind)) || a.name.localeCompare(b.name);
      case 'name':
        return dir * a.name.localeCompare(b.name);
    }
  };
  return rows.sort((a, b) => {
    if (outdatedFirst) {
      const outdated = Number(b.behind !== null) - Number(a.behind !== null);
      if (outdated !== 0) return outdated;
    }
    return byKey(a, b);
  });
}

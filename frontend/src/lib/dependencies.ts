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

/** The languages whose dependencies Atrium reads (go.mod; package.json and its lockfile) and compares with releases. */
const READ_LANGUAGES = new Set(['go', 'typescript', 'javascript']);

/**
 * What the catalog's signals cell says when it has no finding and no outdated dependency: for a Go or TypeScript
 * service, that all is well; for a language whose dependencies Atrium does not read (Python, Java, Kotlin…), that
 * nothing was checked — an empty cell there would claim a health nobody measured.
 */
export function quietSignals(language: string): { text: string; title: string; checked: boolean } {
  if (READ_LANGUAGES.has(language.trim().toLowerCase())) {
    return { text: '—', title: 'No findings, and no dependency behind its newest release.', checked: true };
  }
  const lang = language.trim() || 'its language';
  return {
    text: 'deps not checked',
    title: `No findings. Atrium reads Go (go.mod) and npm (package.json) dependencies; ${lang} dependencies are not read yet, so whether they are behind is unknown.`,
    checked: false,
  };
}

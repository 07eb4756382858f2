// Semantic-version comparison for dependency versions as the catalog reports them: npm's "1.2.3" and Go's
// "v1.2.3" (including "+incompatible" and pseudo-versions such as "v0.0.0-20240101120000-abcdef123456").

export type Behind = 'major' | 'minor' | 'patch';

export interface Version {
  major: number;
  minor: number;
  patch: number;
  pre: string[];
}

const VERSION = /^[v=]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parses a version; missing minor or patch count as 0. Returns null for anything that is not a version. */
export function parseVersion(v: string | undefined | null): Version | null {
  const m = VERSION.exec((v ?? '').trim());
  if (!m) return null;
  return {
    major: Number(m[1]),
    minor: Number(m[2] ?? 0),
    patch: Number(m[3] ?? 0),
    pre: m[4] ? m[4].split('.') : [],
  };
}

function comparePre(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length; // a release sorts after its pre-releases
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) return Number(x) - Number(y) < 0 ? -1 : 1;
    if (xn) return -1;
    if (yn) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Orders two parsed versions by semver precedence: negative, zero or positive. */
export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || comparePre(a.pre, b.pre);
}

/**
 * How far `version` is behind `latest`: the most significant part that differs, or null when it is current,
 * newer, or either side is unknown or not a version.
 */
export function behind(version: string | undefined, latest: string | undefined): Behind | null {
  const v = parseVersion(version);
  const l = parseVersion(latest);
  if (!v || !l || compareVersions(l, v) <= 0) return null;
  if (l.major !== v.major) return 'major';
  if (l.minor !== v.minor) return 'minor';
  return 'patch';
}

/** Sort weight of a Behind value: major first. */
export function behindRank(b: Behind | null): number {
  return b === 'major' ? 3 : b === 'minor' ? 2 : b === 'patch' ? 1 : 0;
}

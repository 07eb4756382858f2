import { describe, expect, it } from 'vitest';
import { behind, compareVersions, parseVersion } from './semver';

describe('behind', () => {
  const cases: { name: string; version: string | undefined; latest: string | undefined; want: ReturnType<typeof behind> }[] = [
    { name: 'npm major', version: '4.17.1', latest: '5.3.0', want: 'major' },
    { name: 'npm minor', version: '8.11.3', latest: '8.23.1', want: 'minor' },
    { name: 'npm patch', version: '2.29.4', latest: '2.29.10', want: 'patch' },
    { name: 'npm current', version: '2.88.2', latest: '2.88.2', want: null },
    { name: 'go major', version: 'v1.9.0', latest: 'v2.0.0', want: 'major' },
    { name: 'go minor', version: 'v5.1.0', latest: 'v5.5.0', want: 'minor' },
    { name: 'go patch', version: 'v1.36.2', latest: 'v1.36.12', want: 'patch' },
    { name: 'go current', version: 'v1.27.0', latest: 'v1.27.0', want: null },
    { name: 'mixed prefixes compare equal', version: 'v1.2.3', latest: '1.2.3', want: null },
    { name: 'numeric, not lexical, order', version: '1.9.0', latest: '1.10.0', want: 'minor' },
    { name: 'in use is newer than latest', version: '3.1.0', latest: '3.0.9', want: null },
    { name: 'prerelease behind its release', version: '1.2.3-beta.2', latest: '1.2.3', want: 'patch' },
    { name: 'prerelease ahead of latest', version: '2.0.0-rc.1', latest: '1.9.9', want: null },
    { name: 'go +incompatible', version: 'v2.0.0+incompatible', latest: 'v2.1.0+incompatible', want: 'minor' },
    {
      name: 'go pseudo-version behind a release',
      version: 'v0.0.0-20240101120000-abcdef123456',
      latest: 'v0.1.0',
      want: 'minor',
    },
    { name: 'short forms', version: '1', latest: '1.1', want: 'minor' },
    { name: 'latest unknown', version: '1.2.3', latest: undefined, want: null },
    { name: 'not a version', version: 'latest', latest: '1.0.0', want: null },
    { name: 'git ref', version: 'github:user/repo', latest: '1.0.0', want: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(behind(c.version, c.latest)).toBe(c.want);
    });
  }
});

describe('compareVersions', () => {
  it('orders prereleases by semver precedence', () => {
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let i = 1; i < order.length; i++) {
      const a = parseVersion(order[i - 1]);
      const b = parseVersion(order[i]);
      expect(a && b && compareVersions(a, b)).toBeLessThan(0);
    }
  });
});

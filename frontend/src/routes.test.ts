// The route table's parsing and formatting: the same cases the hash router had, so URLs (bookmarks, e2e tests) stay.
import { describe, expect, it } from 'vitest';
import { parseHash, routeHash, type Route } from './routes';

describe('parseHash', () => {
  const cases: [string, Route][] = [
    ['', { name: 'catalog', filters: { q: '', owner: '', language: '', lifecycle: '' } }],
    ['#/', { name: 'catalog', filters: { q: '', owner: '', language: '', lifecycle: '' } }],
    ['#/?q=pay&owner=payments', { name: 'catalog', filters: { q: 'pay', owner: 'payments', language: '', lifecycle: '' } }],
    [
      '#/?language=Go&lifecycle=production&sort=synced_at&order=desc',
      { name: 'catalog', filters: { q: '', owner: '', language: 'Go', lifecycle: 'production', sort: 'synced_at', order: 'desc' } },
    ],
    ['#/?sort=bogus&order=desc', { name: 'catalog', filters: { q: '', owner: '', language: '', lifecycle: '' } }],
    ['#/?sort=name', { name: 'catalog', filters: { q: '', owner: '', language: '', lifecycle: '', sort: 'name', order: 'asc' } }],
    ['#/?q=a%20b%26c', { name: 'catalog', filters: { q: 'a b&c', owner: '', language: '', lifecycle: '' } }],
    [
      '#/?system=payments-platform&signal=degraded&sort=signals&order=desc',
      { name: 'catalog', filters: { q: '', owner: '', language: '', lifecycle: '', system: 'payments-platform', signal: 'degraded', sort: 'signals', order: 'desc' } },
    ],
    ['#/?signal=bogus', { name: 'catalog', filters: { q: '', owner: '', language: '', lifecycle: '' } }],
    ['#/teams/payments', { name: 'team', team: 'payments' }],
    ['#/services/payments-api', { name: 'service', service: 'payments-api' }],
    ['#/services/odd%2Fname', { name: 'service', service: 'odd/name' }],
    ['#/services/', { name: 'not_found', path: '/services/' }],
    ['#/new-service', { name: 'new_service', template: '' }],
    ['#/new-service?template=go-http-service', { name: 'new_service', template: 'go-http-service' }],
    ['#/new-service/go-http-service', { name: 'not_found', path: '/new-service/go-http-service' }],
    ['#/settings', { name: 'settings' }],
    ['#/settings/', { name: 'settings' }],
    ['#/nowhere', { name: 'not_found', path: '/nowhere' }],
    ['#/self-service', { name: 'requests', filters: { state: '', team: '', all: false } }],
    ['#/self-service?state=running&team=payments&all=1', { name: 'requests', filters: { state: 'running', team: 'payments', all: true } }],
    ['#/self-service?state=bogus', { name: 'requests', filters: { state: '', team: '', all: false } }],
    ['#/self-service/new', { name: 'request_new', service: '' }],
    ['#/self-service/new?service=payments-api', { name: 'request_new', service: 'payments-api' }],
    ['#/self-service/act_0123abcd', { name: 'action', id: 'act_0123abcd' }],
    ['#/approvals', { name: 'approvals' }],
    ['#/audit', { name: 'audit', filters: { actor: '', action: '', resource: '', since: '', until: '' } }],
    [
      '#/audit?actor=root&action=action.&since=2026-11-26T09%3A00%3A00.000Z',
      { name: 'audit', filters: { actor: 'root', action: 'action.', resource: '', since: '2026-11-26T09:00:00.000Z', until: '' } },
    ],
    ['#/admin/tokens', { name: 'tokens' }],
    ['#/admin', { name: 'not_found', path: '/admin' }],
    ['#/flags', { name: 'flags', filters: { environment: '', team: '', stale: false, q: '' } }],
    ['#/flags?environment=production&team=payments&stale=1&q=checkout', { name: 'flags', filters: { environment: 'production', team: 'payments', stale: true, q: 'checkout' } }],
    ['#/flags/production/new-checkout-flow', { name: 'flag', environment: 'production', key: 'new-checkout-flow' }],
    ['#/flags/dev/a.b%3Ac/edit', { name: 'flag_edit', environment: 'dev', key: 'a.b:c' }],
    ['#/flags/new?environment=staging', { name: 'flag_new', environment: 'staging' }],
    ['#/flags/new', { name: 'flag_new', environment: '' }],
    ['#/flags/dev/x/history', { name: 'not_found', path: '/flags/dev/x/history' }],
    ['#/packages', { name: 'packages', filters: { q: '', ecosystem: '', owner: '', outdated: false } }],
    [
      '#/packages?ecosystem=npm&owner=payments&outdated=1&sort=major&order=desc',
      { name: 'packages', filters: { q: '', ecosystem: 'npm', owner: 'payments', outdated: true, sort: 'major', order: 'desc' } },
    ],
    ['#/packages?ecosystem=pip&sort=bogus', { name: 'packages', filters: { q: '', ecosystem: '', owner: '', outdated: false } }],
    ['#/packages/npm/react', { name: 'package', ecosystem: 'npm', package: 'react', owner: '' }],
    ['#/packages/npm/%40types%2Fnode?owner=payments', { name: 'package', ecosystem: 'npm', package: '@types/node', owner: 'payments' }],
    ['#/packages/go/github.com/pkg/errors', { name: 'package', ecosystem: 'go', package: 'github.com/pkg/errors', owner: '' }],
    ['#/sources', { name: 'sources' }],
    ['#/matrix', { name: 'matrix', filters: { team: '', environment: '', region: '' } }],
    [
      '#/matrix?team=payments&environment=production&region=us-east-1',
      { name: 'matrix', filters: { team: 'payments', environment: 'production', region: 'us-east-1' } },
    ],
    ['#/matrix?team=payments,search', { name: 'matrix', filters: { team: 'payments,search', environment: '', region: '' } }],
    ['#/clusters', { name: 'clusters' }],
    ['#/scorecards', { name: 'scorecards', filters: { team: '', below: false } }],
    ['#/scorecards?team=payments&below=1', { name: 'scorecards', filters: { team: 'payments', below: true } }],
    ['#/clusters/x', { name: 'not_found', path: '/clusters/x' }],
    ['#/admin/fleet', { name: 'fleet' }],
    ['#/admin/fleet/history', { name: 'fleet_history', version: 0 }],
    ['#/admin/fleet/history?version=7', { name: 'fleet_history', version: 7 }],
    ['#/admin/fleet/history?version=-2', { name: 'fleet_history', version: 0 }],
    ['#/admin/fleet/installs', { name: 'fleet_installs', filters: { filter: '', team: '' } }],
    ['#/admin/fleet/installs?filter=unseen&team=payments', { name: 'fleet_installs', filters: { filter: 'unseen', team: 'payments' } }],
    ['#/admin/fleet/installs?filter=bogus', { name: 'fleet_installs', filters: { filter: '', team: '' } }],
    ['#/adoption', { name: 'adoption', weeks: 26 }],
    ['#/adoption?weeks=52', { name: 'adoption', weeks: 52 }],
    ['#/adoption?weeks=7', { name: 'adoption', weeks: 26 }],
  ];
  for (const [hash, want] of cases) {
    it(JSON.stringify(hash), () => expect(parseHash(hash)).toEqual(want));
  }
});

describe('routeHash', () => {
  it('round-trips through parseHash', () => {
    const routes: Route[] = [
      { name: 'catalog', filters: { q: 'pay api', owner: 'payments', language: 'Go', lifecycle: '', sort: 'name', order: 'desc' } },
      { name: 'service', service: 'weird name/with?chars#' },
      { name: 'new_service', template: '' },
      { name: 'new_service', template: 'node service&x' },
      { name: 'settings' },
      { name: 'requests', filters: { state: 'pending_approval', team: 'pay ments', all: true } },
      { name: 'request_new', service: 'payments-api' },
      { name: 'action', id: 'act_1' },
      { name: 'approvals' },
      { name: 'audit', filters: { actor: 'a b', action: 'token.', resource: 'action/act_1', since: '2026-01-01T00:00:00Z', until: '' } },
      { name: 'tokens' },
      { name: 'flags', filters: { environment: 'dev', team: 'pay ments', stale: true, q: 'a&b' } },
      { name: 'flag', environment: 'production', key: 'atrium-ui-flags-page' },
      { name: 'flag_edit', environment: 'dev', key: 'k:1.x' },
      { name: 'flag_new', environment: 'production' },
      { name: 'packages', filters: { q: 'types', ecosystem: 'go', owner: 'payments', outdated: true, sort: 'services', order: 'desc' } },
      { name: 'package', ecosystem: 'go', package: 'github.com/pkg/errors', owner: 'search' },
      { name: 'sources' },
      { name: 'matrix', filters: { team: 'payments', environment: 'production', region: '' } },
      { name: 'matrix', filters: { team: '', environment: '', region: 'eu west' } },
      { name: 'clusters' },
      { name: 'scorecards', filters: { team: 'pay ments', below: true } },
      { name: 'fleet' },
      { name: 'fleet_history', version: 0 },
      { name: 'fleet_history', version: 12 },
      { name: 'fleet_installs', filters: { filter: 'below_minimum', team: 'pay ments' } },
      { name: 'adoption', weeks: 26 },
      { name: 'adoption', weeks: 104 },
    ];
    for (const r of routes) expect(parseHash(routeHash(r))).toEqual(r);
  });
});

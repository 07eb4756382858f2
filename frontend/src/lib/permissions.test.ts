import { describe, expect, it } from 'vitest';
import type { Me } from '../api/client';
import { can, grantLabel, roleSummary, teamsWith, whyNot, type Permission } from './permissions';

const admin: Me = {
  subject: 'root',
  via: 'local',
  grants: [{ role: 'admin' }],
  scopes: [],
  permissions: ['actions:approve', 'actions:read', 'actions:request', 'audit:read', 'catalog:read', 'tokens:manage'],
};
const dev: Me = {
  subject: 'ana',
  via: 'token',
  grants: [{ role: 'developer', team: 'payments' }],
  scopes: [],
  permissions: ['actions:read', 'actions:request@payments', 'catalog:read'],
};
const owner: Me = {
  subject: 'olga',
  via: 'oidc',
  grants: [
    { role: 'developer', team: 'search' },
    { role: 'team_owner', team: 'payments' },
  ],
  scopes: [],
  permissions: ['actions:approve@payments', 'actions:read', 'actions:request@payments', 'actions:request@search'],
};
const approver: Me = {
  subject: 'pat',
  via: 'token',
  grants: [{ role: 'platform_approver' }],
  scopes: [],
  permissions: ['actions:approve', 'actions:read', 'audit:read', 'catalog:read'],
};

// A team owner of payments whose token is scoped to flags:write:dev and flags:read, and a service's token.
const scopedOwner: Me = {
  subject: 'olga-ci',
  via: 'token',
  grants: [{ role: 'team_owner', team: 'payments' }],
  scopes: ['flags:write:dev', 'flags:write:eu:staging', 'flags:read'],
  permissions: ['flags:read', 'flags:write:dev@payments', 'flags:write:eu:staging@payments'],
};
const service: Me = { subject: 'checkout', via: 'token', grants: [], scopes: ['flags:evaluate:production'], permissions: ['flags:evaluate:production'] };

describe('can, with environments', () => {
  const cases: [who: string, me: Me, perm: Permission, team: string | undefined, env: string | undefined, want: boolean][] = [
    ['scoped owner, own team, its environment', scopedOwner, 'flags:write', 'payments', 'dev', true],
    ['scoped owner, own team, an environment with a colon', scopedOwner, 'flags:write', 'payments', 'eu:staging', true],
    ['scoped owner, own team, another environment', scopedOwner, 'flags:write', 'payments', 'production', false],
    ['scoped owner, own team, any environment', scopedOwner, 'flags:write', 'payments', undefined, true],
    ['scoped owner, any team, any environment', scopedOwner, 'flags:write', undefined, undefined, true],
    ['scoped owner, other team, its environment', scopedOwner, 'flags:write', 'search', 'dev', false],
    ['scoped owner reads in every environment', scopedOwner, 'flags:read', undefined, 'production', true],
    ['admin in any environment', admin, 'actions:request', 'search', 'production', true],
    ['service reads no flags', service, 'flags:read', undefined, undefined, false],
  ];
  it.each(cases)('%s', (_who, me, perm, team, env, want) => {
    expect(can(me, perm, team, env)).toBe(want);
  });
  it('teamsWith per environment', () => {
    expect(teamsWith(scopedOwner, 'flags:write')).toEqual(['payments']);
    expect(teamsWith(scopedOwner, 'flags:write', 'dev')).toEqual(['payments']);
    expect(teamsWith(scopedOwner, 'flags:write', 'production')).toEqual([]);
    expect(teamsWith(scopedOwner, 'flags:read', 'production')).toBe('all');
  });
});

describe('can', () => {
  const cases: [who: string, me: Me | null, perm: Parameters<typeof can>[1], team: string | undefined, want: boolean][] = [
    ['admin', admin, 'tokens:manage', undefined, true],
    ['admin on a team', admin, 'actions:request', 'search', true],
    ['developer, own team', dev, 'actions:request', 'payments', true],
    ['developer, other team', dev, 'actions:request', 'search', false],
    ['developer, any team', dev, 'actions:request', undefined, true],
    ['developer, approve', dev, 'actions:approve', undefined, false],
    ['developer, audit', dev, 'audit:read', undefined, false],
    ['owner approves on some team', owner, 'actions:approve', undefined, true],
    ['owner approves not on search', owner, 'actions:approve', 'search', false],
    ['approver, audit', approver, 'audit:read', undefined, true],
    ['approver, tokens', approver, 'tokens:manage', undefined, false],
    ['approver, request', approver, 'actions:request', 'payments', false],
    ['unknown', null, 'catalog:read', undefined, false],
  ];
  it.each(cases)('%s', (_who, me, perm, team, want) => {
    expect(can(me, perm, team)).toBe(want);
  });
});

describe('teamsWith', () => {
  it('says all, a list, or none', () => {
    expect(teamsWith(admin, 'actions:request')).toBe('all');
    expect(teamsWith(owner, 'actions:request')).toEqual(['payments', 'search']);
    expect(teamsWith(approver, 'actions:request')).toEqual([]);
  });
});

describe('roles', () => {
  it('labels grants and puts the most powerful first', () => {
    expect(grantLabel({ role: 'developer', team: 'payments' })).toBe('developer of payments');
    expect(grantLabel({ role: 'team_owner', team: 'payments' })).toBe('owner of payments');
    expect(grantLabel({ role: 'platform_approver' })).toBe('platform approver');
    expect(roleSummary(admin)).toBe('admin');
    expect(roleSummary(owner)).toBe('owner of payments +1');
    expect(roleSummary({ ...dev, grants: [], scopes: ['catalog:read'] })).toBe('scoped token');
  });
});

describe('whyNot', () => {
  it('explains in words a person can act on', () => {
    expect(whyNot(dev, 'actions:request', 'search')).toBe(
      'Requesting resources for team search needs a developer or team owner role on search. You may request for: payments.',
    );
    expect(whyNot(dev, 'audit:read')).toContain('platform approvers and admins');
    expect(whyNot({ ...admin, scopes: ['catalog:read'] }, 'tokens:manage')).toBe(
      "Your token's scopes do not include tokens:manage; ask an admin for a token that does.",
    );
    expect(whyNot(null, 'audit:read')).toContain('not answered');
  });
});

describe('flag and source permissions', () => {
  const flagOwner: Me = { ...owner, permissions: [...owner.permissions, 'flags:read', 'flags:write@payments', 'sources:read'] };
  it('team owners write their own team’s flags only; admins all', () => {
    expect(can(flagOwner, 'flags:write', 'payments')).toBe(true);
    expect(can(flagOwner, 'flags:write', 'search')).toBe(false);
    expect(can(flagOwner, 'flags:write')).toBe(true);
    expect(can(flagOwner, 'flags:import')).toBe(false);
    expect(can({ ...admin, permissions: [...admin.permissions, 'flags:write', 'flags:import'] }, 'flags:write', 'search')).toBe(true);
  });
  it('says which teams’ flags one may change', () => {
    expect(whyNot(flagOwner, 'flags:write', 'search')).toBe(
      'Changing flags of team search needs the team owner role on search, or admin. You may change flags of: payments.',
    );
    expect(whyNot(dev, 'flags:import')).toBe('Importing a whole flag set is for admins (it needs flags:import).');
    expect(whyNot(dev, 'sources:sync')).toBe('Starting a sync is for admins (it needs sources:sync).');
  });
});

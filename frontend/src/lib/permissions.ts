// What the signed-in user may do, read from GET /api/v1/me. Permissions come as "audit:read" (on every team),
// "actions:request@payments" (on one team), and — when the token's scopes allow a permission in some environments
// only — "flags:write:dev" or "flags:write:dev@payments". The UI uses these answers to offer, disable or hide
// things and to say why; the portal checks again on every request, and its 403 messages are shown when they happen.
import type { Grant, Me } from '../api/client';
import { possessive } from './format';

export type Permission =
  | 'catalog:read'
  | 'actions:read'
  | 'actions:request'
  | 'actions:approve'
  | 'audit:read'
  | 'tokens:manage'
  | 'flags:read'
  | 'flags:write'
  | 'flags:import'
  | 'sources:read'
  | 'sources:sync'
  | 'kube:claim'
  | 'secrets:read'
  | 'secrets:write'
  | 'secrets:reveal'
  | 'fleet:manage'
  | 'usage:read'
  | 'drift:read'
  | 'drift:acknowledge'
  | 'drift:fix';

/**
 * The team a decision about an item of no known service is taken on: a team no grant names, so only permissions
 * held on every team allow it (the portal decides the same way).
 */
export const PLATFORM_TEAM = '(platform)';

/** One entry of me.permissions: the permission, and the environment and team it is limited to (if any). */
interface Held {
  perm: string;
  env?: string;
  team?: string;
}

/** "flags:write:dev@payments" → flags:write in dev on payments. Permissions are "resource:verb". */
function parse(entry: string): Held {
  const at = entry.indexOf('@');
  const scoped = at < 0 ? entry : entry.slice(0, at);
  const team = at < 0 ? undefined : entry.slice(at + 1);
  const parts = scoped.split(':');
  const perm = parts.slice(0, 2).join(':');
  const env = parts.length > 2 ? parts.slice(2).join(':') : undefined;
  return { perm, env, team };
}

function held(me: Me, perm: Permission, env?: string): Held[] {
  return me.permissions.map(parse).filter((h) => h.perm === perm && (h.env === undefined || env === undefined || h.env === env));
}

/**
 * Whether me holds perm on team in env. Without a team, whether it holds perm on any team at all (the question a
 * nav item or a route asks before a team is known); without an environment, whether in any environment at all.
 */
export function can(me: Me | null | undefined, perm: Permission, team?: string, env?: string): boolean {
  if (!me) return false;
  return held(me, perm, env).some((h) => h.team === undefined || team === undefined || h.team === team);
}

/** The teams on which me holds perm (in env, or in any environment): "all", or a sorted list (empty when none). */
export function teamsWith(me: Me | null | undefined, perm: Permission, env?: string): 'all' | string[] {
  if (!me) return [];
  const hs = held(me, perm, env);
  if (hs.some((h) => h.team === undefined)) return 'all';
  return [...new Set(hs.map((h) => h.team as string))].sort();
}

const ROLE_LABEL: Record<Grant['role'], string> = {
  admin: 'admin',
  platform_approver: 'platform approver',
  team_owner: 'team owner',
  developer: 'developer',
};

/** "developer of payments", "platform approver", "admin". */
export function grantLabel(g: Grant): string {
  const role = ROLE_LABEL[g.role] ?? g.role;
  if (!g.team) return role;
  return g.role === 'team_owner' ? `owner of ${g.team}` : `${role} of ${g.team}`;
}

const ROLE_RANK: Record<Grant['role'], number> = { admin: 0, platform_approver: 1, team_owner: 2, developer: 3 };

/** The grants, most powerful first, as a short phrase for the header: "admin", "developer of payments +1". */
export function roleSummary(me: Me): string {
  if (me.grants.length === 0) return me.scopes.length > 0 ? 'scoped token' : 'no roles';
  const sorted = [...me.grants].sort((a, b) => (ROLE_RANK[a.role] ?? 9) - (ROLE_RANK[b.role] ?? 9));
  const first = sorted[0];
  const head = first ? grantLabel(first) : '';
  return sorted.length > 1 ? `${head} +${sorted.length - 1}` : head;
}

/** Why me may not use perm (on team): a sentence for a disabled button or a notice. */
export function whyNot(me: Me | null | undefined, perm: Permission, team?: string): string {
  if (!me) return 'Atrium does not know who you are yet: the portal has not answered.';
  if (me.scopes.length > 0 && !me.scopes.includes('*') && !me.scopes.some((s) => s === perm || s.startsWith(`${perm}:`))) {
    return `Your token's scopes do not include ${perm}; ask an admin for a token that does.`;
  }
  switch (perm) {
    case 'actions:request': {
      const teams = teamsWith(me, perm);
      const yours = teams === 'all' ? '' : teams.length > 0 ? ` You may request for: ${teams.join(', ')}.` : '';
      return team
        ? `Requesting resources for team ${team} needs a developer or team owner role on ${team}.${yours}`
        : `Requesting resources needs a developer or team owner role on a team.${yours}`;
    }
    case 'actions:approve':
      return 'Approving requests needs the platform approver role, or team owner for your own team.';
    case 'audit:read':
      return 'The audit log is for platform approvers and admins (it needs audit:read).';
    case 'tokens:manage':
      return 'API tokens are managed by admins (it needs tokens:manage).';
    case 'actions:read':
      return 'Seeing requests needs a role on a team (it needs actions:read).';
    case 'catalog:read':
      return 'Reading the catalog needs catalog:read.';
    case 'flags:read':
      return 'Seeing feature flags needs a role on a team (it needs flags:read).';
    case 'flags:write': {
      const teams = teamsWith(me, perm);
      const yours = teams === 'all' ? '' : teams.length > 0 ? ` You may change flags of: ${teams.join(', ')}.` : '';
      return team
        ? `Changing flags of team ${team} needs the team owner role on ${team}, or admin.${yours}`
        : `Changing flags needs the team owner role on a team, or admin.${yours}`;
    }
    case 'flags:import':
      return 'Importing a whole flag set is for admins (it needs flags:import).';
    case 'sources:read':
      return 'Seeing the catalog sources needs a role on a team (it needs sources:read).';
    case 'sources:sync':
      return 'Starting a sync is for admins (it needs sources:sync).';
    case 'kube:claim':
      return 'Mapping workloads to services is for admins (it needs kube:claim).';
    case 'secrets:read':
      return 'Seeing secrets (names and where they exist, never values) needs a role on a team (it needs secrets:read).';
    case 'secrets:write': {
      const teams = teamsWith(me, perm);
      const yours = teams === 'all' ? '' : teams.length > 0 ? ` You may for: ${teams.join(', ')}.` : '';
      return team
        ? `Setting secrets of team ${possessive(team)} services needs a developer or team owner role on ${team}.${yours}`
        : `Setting secrets needs a developer or team owner role on a team.${yours}`;
    }
    case 'secrets:reveal':
      return team
        ? `Revealing values of team ${possessive(team)} secrets needs a developer or team owner role on ${team}, where the conventions allow it.`
        : 'Revealing values needs a developer or team owner role, where the conventions allow it.';
    case 'fleet:manage':
      return 'The fleet configuration is for admins: it changes every developer\'s app (it needs fleet:manage).';
    case 'usage:read':
      return 'The adoption KPI is for platform approvers and admins (it needs usage:read).';
    case 'drift:read':
      return 'Seeing drift needs a role on a team (it needs drift:read).';
    case 'drift:acknowledge':
      return team && team !== PLATFORM_TEAM
        ? `Acknowledging team ${team}'s drift needs a developer or team owner role on ${team}, or platform approver.`
        : 'Drift of no known service is the platform\'s: acknowledging it needs the platform approver role, or admin.';
    case 'drift:fix':
      return team && team !== PLATFORM_TEAM
        ? `Fixing team ${team}'s drift needs a developer or team owner role on ${team}, or admin.`
        : 'Fixing drift of no known service is for admins.';
  }
}

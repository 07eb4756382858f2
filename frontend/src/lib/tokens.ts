// The token admin's logic: expiry choices, scope lists, and a token's status.
import type { Grant, Token, TokenCreate } from '../api/client';

export type Expiry = '30d' | '90d' | '1y' | 'never' | 'date';

export const EXPIRY_CHOICES: { value: Expiry; label: string }[] = [
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
  { value: '1y', label: '1 year' },
  { value: 'never', label: 'never (not recommended)' },
  { value: 'date', label: 'on a date…' },
];

/** The expires_at for a choice made at now; date is a YYYY-MM-DD from a date input (end of that day, local). */
export function expiresAt(choice: Expiry, now: Date, date = ''): string | undefined {
  const days = { '30d': 30, '90d': 90, '1y': 365 } as const;
  if (choice === 'never') return undefined;
  if (choice === 'date') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
    const d = new Date(`${date}T23:59:59`);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  return new Date(now.getTime() + days[choice] * 86_400_000).toISOString();
}

/** Scopes typed as "catalog:read, flags:evaluate:production *" → a list without duplicates. */
export function parseScopes(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((s) => s !== ''))];
}

export type TokenStatus = 'active' | 'expired' | 'revoked';

export function tokenStatus(t: Pick<Token, 'revoked_at' | 'expires_at'>, now: Date): TokenStatus {
  if (t.revoked_at) return 'revoked';
  if (t.expires_at && new Date(t.expires_at).getTime() <= now.getTime()) return 'expired';
  return 'active';
}

export interface TokenDraft {
  name: string;
  subject: string;
  grants: { role: Grant['role'] | ''; team: string }[];
  scopes: string;
  expiry: Expiry;
  date: string;
}

export const EMPTY_TOKEN_DRAFT: TokenDraft = { name: '', subject: '', grants: [{ role: 'developer', team: '' }], scopes: '', expiry: '90d', date: '' };

/** Problems the form sees by itself, keyed like the portal's 400 fields (name, subject, grants, expires_at). */
export function tokenDraftProblems(d: TokenDraft, now: Date): Record<string, string> {
  const p: Record<string, string> = {};
  if (!d.name.trim()) p.name = 'required: what the token is for, e.g. "CI deploys"';
  else if (d.name.trim().length > 100) p.name = 'at most 100 characters';
  if (!d.subject.trim()) p.subject = 'required: who acts with this token (audit logs name them)';
  else if (d.subject.trim().length > 200) p.subject = 'at most 200 characters';
  const grants = d.grants.filter((g) => g.role !== '');
  if (grants.length === 0 && parseScopes(d.scopes).length === 0) p.grants = 'a token needs a role, scopes, or both';
  if (d.expiry === 'date') {
    const at = expiresAt('date', now, d.date);
    if (!at) p.expires_at = 'pick a date';
    else if (new Date(at).getTime() <= now.getTime()) p.expires_at = 'must be in the future';
  }
  return p;
}

export function toTokenCreate(d: TokenDraft, now: Date): TokenCreate {
  const t: TokenCreate = { name: d.name.trim(), subject: d.subject.trim() };
  const grants: Grant[] = [];
  for (const g of d.grants) {
    if (g.role === '') continue;
    grants.push(g.team ? { role: g.role, team: g.team } : { role: g.role });
  }
  if (grants.length > 0) t.grants = grants;
  const scopes = parseScopes(d.scopes);
  if (scopes.length > 0) t.scopes = scopes;
  const exp = expiresAt(d.expiry, now, d.date);
  if (exp) t.expires_at = exp;
  return t;
}

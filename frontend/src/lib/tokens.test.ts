import { describe, expect, it } from 'vitest';
import { EMPTY_TOKEN_DRAFT, expiresAt, parseScopes, tokenDraftProblems, tokenStatus, toTokenCreate } from './tokens';

const now = new Date('2026-11-26T10:00:00Z');

describe('tokens', () => {
  it('computes expiry from a choice', () => {
    expect(expiresAt('30d', now)).toBe('2026-12-26T10:00:00.000Z');
    expect(expiresAt('never', now)).toBeUndefined();
    expect(expiresAt('date', now, 'bad')).toBeUndefined();
    expect(expiresAt('date', now, '2027-01-31')).toMatch(/^2027-0[12]-\d\dT/);
  });
  it('parses scopes', () => {
    expect(parseScopes(' catalog:read, flags:evaluate:production  catalog:read *')).toEqual(['catalog:read', 'flags:evaluate:production', '*']);
    expect(parseScopes('')).toEqual([]);
  });
  it('says whether a token works', () => {
    expect(tokenStatus({}, now)).toBe('active');
    expect(tokenStatus({ expires_at: '2026-11-26T09:59:59Z' }, now)).toBe('expired');
    expect(tokenStatus({ expires_at: '2027-01-01T00:00:00Z', revoked_at: '2026-11-01T00:00:00Z' }, now)).toBe('revoked');
  });
  it('checks a draft and builds the request', () => {
    expect(tokenDraftProblems({ ...EMPTY_TOKEN_DRAFT, grants: [{ role: '', team: '' }] }, now)).toEqual({
      name: 'required: what the token is for, e.g. "CI deploys"',
      subject: 'required: who acts with this token (audit logs name them)',
      grants: 'a token needs a role, scopes, or both',
    });
    const d = {
      ...EMPTY_TOKEN_DRAFT,
      name: ' CI ',
      subject: 'ci-bot',
      grants: [
        { role: 'developer' as const, team: 'payments' },
        { role: 'platform_approver' as const, team: '' },
        { role: '' as const, team: 'x' },
      ],
      scopes: 'catalog:read',
      expiry: '30d' as const,
    };
    expect(tokenDraftProblems(d, now)).toEqual({});
    expect(toTokenCreate(d, now)).toEqual({
      name: 'CI',
      subject: 'ci-bot',
      grants: [{ role: 'developer', team: 'payments' }, { role: 'platform_approver' }],
      scopes: ['catalog:read'],
      expires_at: '2026-12-26T10:00:00.000Z',
    });
    expect(tokenDraftProblems({ ...d, expiry: 'date', date: '2026-01-01' }, now)).toEqual({ expires_at: 'must be in the future' });
  });
});

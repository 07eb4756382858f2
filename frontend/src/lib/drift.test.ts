import { describe, expect, it } from 'vitest';
import type { Me } from '../api/client';
import { driftItem } from '../test/driftFixtures';
import { ackLabel, countByKind, matches, mayAcknowledge, mayFix, placeOf, silenceUntil, unknownPlaces } from './drift';

const dev = (team: string): Me => ({
  subject: 'ana',
  via: 'token',
  grants: [{ role: 'developer', team }],
  scopes: [],
  permissions: ['drift:read', `drift:acknowledge@${team}`, `drift:fix@${team}`],
});
const approver: Me = { subject: 'pat', via: 'token', grants: [{ role: 'platform_approver' }], scopes: [], permissions: ['drift:read', 'drift:acknowledge'] };

describe('drift', () => {
  it('names places and counts open items by kind', () => {
    expect(placeOf(driftItem())).toBe('production eu-west-1 · prod-eu-1');
    expect(placeOf(driftItem({ cluster: undefined }))).toBe('production eu-west-1');
    const items = [driftItem(), driftItem({ kind: 'missing' }), driftItem({ kind: 'missing', state: 'resolved' }), driftItem({ kind: 'unmanaged', state: 'silenced' })];
    expect(countByKind(items)).toEqual({ missing: 1, unmanaged: 1, changed: 1 });
    expect(
      unknownPlaces({ declarations: 1, places: [{ environment: 'production', region: 'ap-south-1', kind: 'aws', state: 'unknown', reason: 'unreachable' }, { environment: 'production', region: 'eu-west-1', kind: 'aws', state: 'ok' }] }),
    ).toHaveLength(1);
  });

  it('lets the owning team act, platform approvers acknowledge anything, and nobody but the platform touch items of no service', () => {
    expect(mayAcknowledge(dev('payments'), driftItem())).toBe(true);
    expect(mayAcknowledge(dev('search'), driftItem())).toBe(false);
    expect(mayFix(dev('payments'), driftItem())).toBe(true);
    expect(mayFix(approver, driftItem())).toBe(false);
    expect(mayAcknowledge(approver, driftItem({ team: '', service: '' }))).toBe(true);
    expect(mayAcknowledge(dev('payments'), driftItem({ team: '', service: '' }))).toBe(false);
  });

  it('searches and words acknowledgements', () => {
    expect(matches(driftItem(), 'PROD-EU')).toBe(true);
    expect(matches(driftItem(), 'checkout')).toBe(false);
    expect(silenceUntil(0, 0)).toBeUndefined();
    expect(silenceUntil(24, Date.parse('2026-11-20T00:00:00Z'))).toBe('2026-11-21T00:00:00Z');
    const fmt = (s: string) => s.slice(0, 10);
    expect(ackLabel(driftItem({ state: 'silenced', acknowledgement: { by: 'pat', at: 'x', reason: 'load test', until: '2026-11-22T00:00:00Z' } }), fmt)).toBe(
      'silenced by pat until 2026-11-22: load test',
    );
    expect(ackLabel(driftItem({ state: 'acknowledged', acknowledgement: { by: 'dana', at: 'x', reason: 'incident' } }), fmt)).toBe('acknowledged by dana: incident');
  });
});

import { describe, expect, it } from 'vitest';
import { clusterDataText, clusterIsFresh, clusterState } from './clusters';

const now = new Date('2026-11-26T12:00:00Z');

describe('clusterState', () => {
  it.each([
    ['ok', 'OK', 'ok'],
    ['connecting', 'Connecting', 'busy'],
    ['unreachable', 'Unreachable', 'error'],
    ['unauthorized', 'Credentials refused', 'error'],
    ['forbidden', 'Forbidden', 'warn'],
    ['invalid-config', 'Invalid configuration', 'error'],
    ['error', 'Error', 'error'],
    [undefined, 'Unknown', 'neutral'],
    ['paused', 'paused', 'neutral'],
  ] as const)('%s', (state, label, tone) => {
    const v = clusterState(state);
    expect(v.label).toBe(label);
    expect(v.tone).toBe(tone);
  });
  it('says what to do about credentials and RBAC', () => {
    expect(clusterState('unauthorized').meaning).toContain('renews the kubeconfig');
    expect(clusterState('forbidden').meaning).toContain('atrium-reader');
  });
});

describe('clusterDataText', () => {
  it.each([
    ['ok and checked', { state: 'ok', checked_at: '2026-11-26T11:59:00Z', last_ok_at: '2026-11-26T11:59:00Z' }, 'Up to date (checked 1 min ago)'],
    ['ok', { state: 'ok' }, 'Up to date'],
    [
      'unreachable with data',
      { state: 'unreachable', last_ok_at: '2026-11-26T11:48:00Z', checked_at: '2026-11-26T11:59:30Z' },
      'Unreachable since 12 min ago — showing data from ',
    ],
    ['refused before ever reading', { state: 'unauthorized' }, 'No data from this cluster yet'],
    ['connecting the first time', { state: 'connecting' }, 'Connecting — listing workloads for the first time'],
    ['no state (demo data)', {}, 'No live state known'],
  ] as const)('%s', (_, c, want) => {
    expect(clusterDataText(c, now)).toContain(want);
  });
  it('shows when the data is from as a time', () => {
    expect(clusterDataText({ state: 'forbidden', last_ok_at: '2026-11-26T11:04:00Z' }, now)).toMatch(/showing data from .*\d{1,2}:\d{2}/);
  });
});

describe('clusterIsFresh', () => {
  it('treats ok and unknown as nothing to warn about', () => {
    expect(clusterIsFresh('ok')).toBe(true);
    expect(clusterIsFresh(undefined)).toBe(true);
    expect(clusterIsFresh('unreachable')).toBe(false);
    expect(clusterIsFresh('connecting')).toBe(false);
  });
});

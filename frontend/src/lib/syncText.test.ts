import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../api/client';
import { replicaKey, syncView } from './syncText';

const now = new Date('2026-11-26T12:00:00Z');
const opts = { locale: 'en-GB', timeZone: 'UTC' };
const base: SyncStatus = {
  mode: 'local',
  state: 'up_to_date',
  done: 83,
  total: 83,
  services: 75,
  as_of: '2026-11-26T09:33:08Z',
  origin: 'local',
  data_version: 'e1.83',
};

describe('syncView', () => {
  it('syncing shows done/total', () => {
    const v = syncView({ ...base, state: 'syncing', done: 12, total: 83 }, now, opts);
    expect(v.text).toBe('syncing 12/83');
    expect(v.tone).toBe('busy');
  });
  it('up to date shows the time', () => {
    const v = syncView(base, now, opts);
    expect(v.text).toBe('up to date as of 09:33');
    expect(v.title).toBe('data as of 26 Nov 2026, 09:33:08 UTC');
    expect(v.tone).toBe('ok');
    expect(v.mode).toBe('local demo');
  });
  it('offline shows the data time and puts the message in the tooltip', () => {
    const v = syncView(
      {
        ...base,
        mode: 'remote',
        portal_url: 'https://atrium.example.com',
        origin: 'https://atrium.example.com',
        state: 'offline',
        message: 'dial tcp: connection refused',
      },
      now,
      opts,
    );
    expect(v.text).toBe('offline — data as of 09:33');
    expect(v.title).toContain('dial tcp: connection refused');
    expect(v.tone).toBe('warn');
    expect(v.mode).toBe('https://atrium.example.com');
  });
  it('offline after switching portals says whose data is shown', () => {
    const v = syncView(
      { ...base, mode: 'remote', portal_url: 'https://atrium.example.com', state: 'offline', message: 'refused' },
      now,
      opts,
    );
    expect(v.text).toBe('offline — data from the local demo as of 09:33');
    const w = syncView(
      { ...base, mode: 'local', origin: 'https://old.example.com', state: 'syncing', done: 1, total: 9 },
      now,
      opts,
    );
    expect(w.title).toContain('from https://old.example.com');
  });
  it('offline before any data', () => {
    const { as_of: _unused, ...noData } = base;
    expect(syncView({ ...noData, state: 'offline' }, now, opts).text).toBe('offline — no data yet');
  });
  it('error shows the message', () => {
    const v = syncView({ ...base, state: 'error', message: 'the portal rejected the token' }, now, opts);
    expect(v.text).toBe('sync error: the portal rejected the token');
    expect(v.tone).toBe('error');
  });
});

describe('replicaKey', () => {
  it('changes with the data version only', () => {
    expect(replicaKey(base)).not.toBe(replicaKey({ ...base, data_version: 'e1.84' }));
    expect(replicaKey(base)).toBe(replicaKey({ ...base, as_of: '2026-11-26T09:34:00Z' }));
    expect(replicaKey(base)).toBe(replicaKey({ ...base, state: 'syncing', done: 1 }));
    expect(replicaKey(null)).toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import { canSyncSource, progressPercent, progressText, rateLimitText, rateLimitTone, requestsText, sourceItems, sourceState, sourcesPollMs } from './sources';

const now = new Date('2026-11-26T10:00:00Z');

describe('sourceState', () => {
  const cases: [string, number, string, string][] = [
    ['syncing', 0, 'syncing', 'busy'],
    ['ok', 0, 'up to date', 'ok'],
    ['partial', 3, '3 failed', 'warn'],
    ['error', 0, 'error', 'error'],
    ['idle', 0, 'idle', 'neutral'],
    ['', 0, 'unknown', 'neutral'],
  ];
  for (const [state, errors, label, tone] of cases) {
    it(state || '(none)', () => expect(sourceState({ state, errors })).toMatchObject({ label, tone }));
  }
});

describe('a templates repository', () => {
  it('has broken templates, not failed repositories, and no services', () => {
    expect(sourceState({ kind: 'templates', state: 'partial', errors: 2 })).toMatchObject({ label: '2 broken', tone: 'warn' });
    expect(sourceState({ kind: 'templates', state: 'error', errors: 0 }).meaning).toBe('The sync could not run; the templates of the last good sync are still offered.');
    expect(sourceState({ kind: 'templates', state: 'idle', errors: 0 })).toMatchObject({ label: 'idle', tone: 'neutral' });
    expect(sourceItems('templates')).toMatchObject({ one: 'template', errorsFact: 'Broken templates', catalog: false });
    expect(sourceItems('github')).toMatchObject({ one: 'repository', errorsFact: 'Failed repositories', catalog: true });
    expect(progressText({ kind: 'templates', state: 'syncing', done: 0, total: 0 })).toBe('reading the templates…');
    expect(progressText({ kind: 'templates', state: 'ok', done: 0, total: 0 })).toBe('');
  });
});

describe('progress', () => {
  it('counts repositories during and after a sync', () => {
    expect(progressText({ state: 'syncing', done: 120, total: 2000 })).toBe('120 / 2,000 repositories');
    expect(progressText({ state: 'syncing', done: 0, total: 0 })).toBe('listing repositories…');
    expect(progressText({ state: 'ok', done: 1, total: 1 })).toBe('1 / 1 repository in the last sync');
    expect(progressText({ state: 'ok', done: 0, total: 0 })).toBe('');
    expect(progressPercent({ done: 120, total: 2000 })).toBe(6);
    expect(progressPercent({ done: 5, total: 0 })).toBe(0);
    expect(progressPercent({ done: 9, total: 3 })).toBe(100);
  });
});

describe('rate limit', () => {
  it('says what is left and when it resets', () => {
    expect(rateLimitText({ limit: 5000, remaining: 4200, reset: '2026-11-26T10:23:00Z' }, now)).toBe(
      '4,200 of 5,000 requests left (84%), resets in 23 min',
    );
    expect(rateLimitText({ limit: 5000, remaining: 40, reset: '2026-11-26T10:05:00Z', waiting: 'secondary rate limit: retry after 60s' }, now)).toBe(
      '40 of 5,000 requests left (1%), resets in 5 min. Waiting: secondary rate limit: retry after 60s',
    );
    expect(rateLimitText({ limit: 5000, remaining: 5000, reset: '2026-11-26T09:00:00Z' }, now)).toContain('1 hour ago (already reset)');
  });
  it('warns below a tenth of the budget or while waiting', () => {
    expect(rateLimitTone({ limit: 5000, remaining: 4200, reset: '' })).toBe('ok');
    expect(rateLimitTone({ limit: 5000, remaining: 400, reset: '' })).toBe('warn');
    expect(rateLimitTone({ limit: 5000, remaining: 4200, reset: '', waiting: 'x' })).toBe('warn');
  });
});

describe('requests and polling', () => {
  it('requestsText', () => {
    expect(requestsText({ total: 312, not_modified: 290, list: 20, content: 2, retried: 0 })).toBe(
      '312 requests: 290 unchanged (304, free), 20 list pages, 2 file contents, 0 repeated after a rate limit',
    );
  });
  it('the demo cannot be synced', () => {
    expect(canSyncSource({ syncable: false })).toBe(false);
    expect(canSyncSource({ syncable: true })).toBe(true);
  });
  it('polls fast while syncing', () => {
    expect(sourcesPollMs([{ state: 'ok' }, { state: 'syncing' }])).toBe(1500);
    expect(sourcesPollMs([{ state: 'ok' }])).toBe(10_000);
  });
});

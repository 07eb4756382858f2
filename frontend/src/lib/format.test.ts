import { describe, expect, it } from 'vitest';
import { absoluteTime, count, possessive, relativeTime, shortTime } from './format';

const now = new Date('2026-11-26T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

describe('relativeTime', () => {
  const cases: [string, string | undefined, string][] = [
    ['seconds', ago(10), 'just now'],
    ['a minute', ago(70), '1 min ago'],
    ['minutes', ago(5 * 60), '5 min ago'],
    ['an hour', ago(60 * 60), '1 hour ago'],
    ['hours', ago(3 * 3600), '3 hours ago'],
    ['a day', ago(26 * 3600), '1 day ago'],
    ['days', ago(4 * 86400), '4 days ago'],
    ['months', ago(65 * 86400), '2 months ago'],
    ['a year', ago(400 * 86400), '1 year ago'],
    ['future (clock skew)', new Date(now.getTime() + 10 * 60_000).toISOString(), 'in 10 min'],
    ['missing', undefined, 'never'],
    ['garbage', 'not a date', 'never'],
  ];
  for (const [name, value, want] of cases) {
    it(name, () => expect(relativeTime(value, now)).toBe(want));
  }
});

describe('absoluteTime and shortTime', () => {
  const opts = { locale: 'en-GB', timeZone: 'UTC' };
  it('absoluteTime gives date, time and zone', () => {
    expect(absoluteTime('2026-11-26T09:33:08Z', opts)).toBe('26 Nov 2026, 09:33:08 UTC');
  });
  it('shortTime gives only the time today', () => {
    expect(shortTime('2026-11-26T09:33:08Z', now, opts)).toBe('09:33');
  });
  it('shortTime adds the day for another day', () => {
    expect(shortTime('2026-11-20T09:33:08Z', now, opts)).toBe('20 Nov, 09:33');
  });
  it('shortTime adds the year for another year', () => {
    expect(shortTime('2025-11-20T09:33:08Z', now, opts)).toBe('20 Nov 2025, 09:33');
  });
  it('empty for missing times', () => {
    expect(absoluteTime(undefined, opts)).toBe('');
    expect(shortTime(undefined, now, opts)).toBe('');
  });
});

describe('count', () => {
  it('pluralises', () => {
    expect(count(1, 'service')).toBe('1 service');
    expect(count(75, 'service')).toBe('75 services');
    expect(count(10000, 'service')).toBe('10,000 services');
    expect(count(2, 'dependency', 'dependencies')).toBe('2 dependencies');
  });
});

describe('possessive', () => {
  it("writes a name's possessive without \"s's\"", () => {
    expect(possessive('payments')).toBe("payments'");
    expect(possessive('Logistics')).toBe("Logistics'");
    expect(possessive('search')).toBe("search's");
    expect(possessive('production')).toBe("production's");
  });
});

import { describe, expect, it } from 'vitest';
import {
  humanSeconds,
  MESSAGE_RETENTION,
  parseSeconds,
  queueNameProblem,
  secondsProblem,
  topicNameProblem,
  VISIBILITY_TIMEOUT,
} from './awsNames';

describe('queueNameProblem', () => {
  const cases: [name: string, fifo: boolean, want: string | undefined][] = [
    ['payments-events', false, undefined],
    ['Payments_Events-01', false, undefined],
    ['orders.fifo', true, undefined],
    ['', false, 'required'],
    ['a'.repeat(80), false, undefined],
    ['a'.repeat(81), false, 'at most 80 characters (has 81)'],
    [`${'a'.repeat(76)}.fifo`, true, 'at most 80 characters (has 81)'],
    [`${'a'.repeat(75)}.fifo`, true, undefined],
    ['orders.fifo', false, 'ends in .fifo, which only a FIFO queue may (tick FIFO)'],
    ['orders', true, "a FIFO queue's name must end in .fifo"],
    ['.fifo', true, 'needs characters before .fifo'],
    ['pay events', false, "may contain only letters, digits, hyphens and underscores (found ' ')"],
    ['pay.events', false, "may contain only letters, digits, hyphens and underscores (found '.')"],
    ['café', false, "may contain only letters, digits, hyphens and underscores (found 'é')"],
  ];
  it.each(cases)('%j fifo=%s → %j', (name, fifo, want) => {
    expect(queueNameProblem(name, fifo)).toBe(want);
  });
  it('counts bytes like the portal', () => {
    expect(queueNameProblem('é'.repeat(41), false)).toBe('at most 80 characters (has 82)');
  });
});

describe('topicNameProblem', () => {
  it('allows 256 characters and speaks of topics', () => {
    expect(topicNameProblem('t'.repeat(256), false)).toBeUndefined();
    expect(topicNameProblem('t'.repeat(257), false)).toBe('at most 256 characters (has 257)');
    expect(topicNameProblem('t', true)).toBe("a FIFO topic's name must end in .fifo");
    expect(topicNameProblem('t.fifo', false)).toBe('ends in .fifo, which only a FIFO topic may (tick FIFO)');
  });
});

describe('seconds fields', () => {
  it('parses whole numbers only', () => {
    expect(parseSeconds('')).toBeUndefined();
    expect(parseSeconds(' 30 ')).toBe(30);
    expect(parseSeconds('1.5')).toBeNaN();
    expect(parseSeconds('-1')).toBeNaN();
  });
  const cases: [text: string, range: typeof VISIBILITY_TIMEOUT, want: string | undefined][] = [
    ['', VISIBILITY_TIMEOUT, undefined],
    ['0', VISIBILITY_TIMEOUT, undefined],
    ['43200', VISIBILITY_TIMEOUT, undefined],
    ['43201', VISIBILITY_TIMEOUT, 'must be 0–43200 (12 hours)'],
    ['ten', VISIBILITY_TIMEOUT, 'a whole number of seconds'],
    ['59', MESSAGE_RETENTION, 'must be 60–1209600 (14 days)'],
    ['1209600', MESSAGE_RETENTION, undefined],
    ['1209601', MESSAGE_RETENTION, 'must be 60–1209600 (14 days)'],
  ];
  it.each(cases)('%j → %j', (text, range, want) => {
    expect(secondsProblem(text, range)).toBe(want);
  });
  it('reads seconds as a person would', () => {
    expect(humanSeconds(30)).toBe('30 s');
    expect(humanSeconds(300)).toBe('5 min');
    expect(humanSeconds(345_600)).toBe('4 days');
    expect(humanSeconds(43_200)).toBe('12 hours');
    expect(humanSeconds(93_600)).toBe('1 day 2 hours');
    expect(humanSeconds(1_209_600)).toBe('14 days');
  });
});

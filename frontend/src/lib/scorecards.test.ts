import { describe, expect, it } from 'vitest';
import { dayLabel, levelLabel, nextLevelText, ownerNotice, rulesInOrder, weeklyPoints } from './scorecards';
import type { ScorecardRuleResult } from '../api/client';

const rule = (name: string, status: ScorecardRuleResult['status'], level: ScorecardRuleResult['level']): ScorecardRuleResult => ({
  name,
  title: name.toUpperCase(),
  description: '',
  remediation: '',
  level,
  weight: 1,
  expression: 'true',
  built_in: true,
  status,
});

describe('scorecards', () => {
  it('orders failed rules first, lowest level first', () => {
    const rules = [rule('a', 'passed', 'bronze'), rule('b', 'failed', 'gold'), rule('c', 'unknown', 'silver'), rule('d', 'failed', 'bronze')];
    expect(rulesInOrder(rules).map((r) => r.name)).toEqual(['d', 'b', 'c', 'a']);
  });

  it('says what the next level needs', () => {
    const rules = [rule('repo-readme', 'failed', 'bronze'), rule('repo-codeowners', 'failed', 'bronze')];
    expect(nextLevelText({ next: { level: 'bronze', rules: ['repo-readme', 'repo-codeowners'] }, rules })).toBe(
      'For Bronze: fix REPO-README and REPO-CODEOWNERS.',
    );
    expect(nextLevelText({ next: undefined, rules })).toBe('');
    expect(levelLabel('none')).toBe('No level');
  });

  it('warns owners when below the threshold or a level dropped', () => {
    const base = { service: 'pay', score: 80, threshold: 70, below: false, level: 'silver' as const };
    expect(ownerNotice(base)).toBeNull();
    expect(ownerNotice({ ...base, previous: 'bronze' })).toBeNull();
    expect(ownerNotice({ ...base, score: 55, below: true })).toBe(
      'pay scores 55, below the threshold of 70: production deploys are refused until it reaches it.',
    );
    expect(ownerNotice({ ...base, level: 'bronze', previous: 'gold' })).toBe('pay dropped from Gold to Bronze.');
  });

  it('labels days and makes weekly points from a daily history', () => {
    expect(dayLabel('2026-09-01')).toBe('Sep 1');
    const history = [
      { day: '2026-08-01', score: 40 },
      { day: '2026-08-20', score: 60 },
      { day: '2026-09-02', score: 75 },
    ];
    const points = weeklyPoints(history, new Date('2026-09-03T10:00:00Z'), 5);
    expect(points.map((p) => `${p.day}=${p.score}`)).toEqual(['2026-08-06=40', '2026-08-13=40', '2026-08-20=60', '2026-08-27=60', '2026-09-03=75']);
    expect(weeklyPoints([], new Date('2026-09-03T10:00:00Z'))).toEqual([]);
  });
});

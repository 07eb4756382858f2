// Scorecards: how a service's readiness reads for a person — levels, scores against the threshold, what to fix,
// the notice owners see when their service is below par, and the points a trend chart draws.
import type { Level, ScorePoint, ServiceScorecard, ScorecardRuleResult } from '../api/client';

export const LEVELS: readonly Level[] = ['none', 'bronze', 'silver', 'gold'];

const LEVEL_LABEL: Record<Level, string> = { none: 'No level', bronze: 'Bronze', silver: 'Silver', gold: 'Gold' };

/** "Bronze", "No level". */
export function levelLabel(level: string): string {
  return (LEVEL_LABEL as Record<string, string>)[level] ?? level;
}

/** The rank of a level, none 0 … gold 3; -1 for anything else. */
export function levelRank(level: string): number {
  return (LEVELS as readonly string[]).indexOf(level);
}

/** "failed" rules first, then "unknown", then "passed"; within each, the lower level first (fix those first). */
export function rulesInOrder(rules: readonly ScorecardRuleResult[]): ScorecardRuleResult[] {
  const statusRank = { failed: 0, unknown: 1, passed: 2 } as const;
  return [...rules].sort(
    (a, b) => statusRank[a.status] - statusRank[b.status] || levelRank(a.level) - levelRank(b.level) || a.name.localeCompare(b.name),
  );
}

/** What the next level needs, as a sentence; "" at the top or when nothing known blocks it. */
export function nextLevelText(card: Pick<ServiceScorecard, 'next' | 'rules'>): string {
  const next = card.next;
  if (!next) return '';
  const titles = next.rules.map((n) => card.rules.find((r) => r.name === n)?.title || n);
  if (titles.length === 0) return `Nothing known blocks ${levelLabel(next.level)}: rules that could not be evaluated may.`;
  return `For ${levelLabel(next.level)}: fix ${joinAnd(titles)}.`;
}

function joinAnd(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The notice owners get on their service when it is below par; null when there is nothing to warn about. */
export function ownerNotice(card: Pick<ServiceScorecard, 'service' | 'score' | 'threshold' | 'below' | 'level' | 'previous'>): string | null {
  const dropped = card.previous !== undefined && card.previous !== '' && levelRank(card.level) < levelRank(card.previous);
  if (!card.below && !dropped) return null;
  const parts: string[] = [];
  if (card.below) parts.push(`scores ${card.score}, below the threshold of ${card.threshold}: production deploys are refused until it reaches it`);
  if (dropped) parts.push(`dropped from ${levelLabel(card.previous ?? '')} to ${levelLabel(card.level)}`);
  return `${card.service} ${joinAnd(parts)}.`;
}

/** A point of a trend chart: its day as a short label, and the score. */
export interface ChartPoint {
  day: string;
  label: string;
  score: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-09-01" → "Sep 1". */
export function dayLabel(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  return `${MONTHS[Number(m[2]) - 1] ?? m[2]} ${Number(m[3])}`;
}

export function chartPoints(points: readonly ScorePoint[]): ChartPoint[] {
  return points.map((p) => ({ day: p.day, label: dayLabel(p.day), score: p.score }));
}

/**
 * A service's daily history as weekly points ending today, as the trend API gives a team's: the last score on or
 * before each of the last `weeks` week ends (days before the first point are left out).
 */
export function weeklyPoints(history: readonly ScorePoint[], today: Date, weeks = 12): ScorePoint[] {
  const out: ScorePoint[] = [];
  for (let w = weeks - 1; w >= 0; w--) {
    const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 7 * w));
    const day = d.toISOString().slice(0, 10);
    let last: ScorePoint | undefined;
    for (const p of history) if (p.day <= day) last = p;
    if (last) out.push({ day, score: last.score, level: last.level });
  }
  return out;
}

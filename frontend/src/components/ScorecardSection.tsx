import type { ServiceScorecard } from '../api/client';
import { nextLevelText, rulesInOrder, weeklyPoints } from '../lib/scorecards';
import { scorecardsHash } from '../lib/router';
import { LevelBadge, ScoreBar } from './LevelBadge';
import { possessive } from '../lib/format';
import { ScoreTrend } from './ScoreTrend';
import styles from './ScorecardSection.module.css';

const STATUS_LABEL = { passed: 'Passed', failed: 'Failed', unknown: 'Unknown' } as const;

/**
 * A service's scorecard on its page: score and level, what the next level needs, each rule passed, failed or
 * unknown with why and how to fix it, and the trend over twelve weeks.
 */
export function ScorecardSection({ card, today }: { card: ServiceScorecard; today: Date }) {
  const next = nextLevelText(card);
  return (
    <section className="panel" aria-labelledby="scorecard-heading" data-testid="scorecard">
      <div className="section-tools">
        <h2 id="scorecard-heading">Scorecard</h2>
        <a href={scorecardsHash({ team: card.owner })}>{possessive(card.owner)} scorecards</a>
      </div>
      <div className={styles.summary}>
        <ScoreBar score={card.score} below={card.below} />
        <LevelBadge level={card.level} />
        <span className="muted">threshold {card.threshold}</span>
        {next && <span className={styles.next}>{next}</span>}
      </div>
      <ul className={styles.rules} aria-label="Rules">
        {rulesInOrder(card.rules).map((r) => (
          <li key={r.name} className={`${styles.rule} ${styles[r.status]}`} data-rule={r.name} data-status={r.status}>
            <div className={styles.ruleHead}>
              <span className={styles.status}>{STATUS_LABEL[r.status]}</span>
              <strong>{r.title || r.name}</strong>
              <LevelBadge level={r.level} />
              <span className="muted">weight {r.weight}</span>
            </div>
            {r.status !== 'passed' && r.message && <p className={styles.why}>{r.message}</p>}
            {r.status === 'failed' && r.remediation && (
              <p className={styles.fix}>
                <span className={styles.fixLabel}>How to fix:</span> {r.remediation}
              </p>
            )}
            {r.status === 'passed' && r.description && <p className="muted">{r.description}</p>}
          </li>
        ))}
      </ul>
      <ScoreTrend title="Score over 12 weeks" points={weeklyPoints(card.history, today)} threshold={card.threshold} />
    </section>
  );
}

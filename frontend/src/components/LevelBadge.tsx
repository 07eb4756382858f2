import { levelLabel } from '../lib/scorecards';
import styles from './LevelBadge.module.css';

/** A level as a badge: Gold, Silver, Bronze, or No level. */
export function LevelBadge({ level }: { level: string }) {
  return (
    <span className={`${styles.level} ${styles[level] ?? ''}`} data-level={level}>
      {levelLabel(level)}
    </span>
  );
}

/** A score out of 100 with a bar, red below the threshold. */
export function ScoreBar({ score, below }: { score: number; below: boolean }) {
  return (
    <span className={styles.score} title={below ? 'Below the threshold' : undefined}>
      <span className={styles.track} aria-hidden="true">
        <span className={`${styles.fill} ${below ? styles.below : ''}`} style={{ width: `${Math.max(0, Math.min(100, score))}%` }} />
      </span>
      <span className={styles.number}>{score}</span>
    </span>
  );
}

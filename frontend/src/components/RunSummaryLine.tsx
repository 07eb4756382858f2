import type { RunSummary } from '../lib/runProgress';
import styles from './RunSummaryLine.module.css';

/** Where a run is, in one sentence, with a bar of its finished steps. */
export function RunSummaryLine({ summary }: { summary: RunSummary }) {
  const pct = summary.total > 0 ? Math.round((summary.done / summary.total) * 100) : 0;
  return (
    <div className={`${styles.summary} ${styles[summary.tone] ?? ''}`}>
      <div
        className={styles.bar}
        role="progressbar"
        aria-label="Steps finished"
        aria-valuemin={0}
        aria-valuemax={summary.total}
        aria-valuenow={summary.done}
        aria-valuetext={`${summary.done} of ${summary.total} steps finished`}
      >
        <span className={styles.fill} style={{ width: `${pct}%` }} />
      </div>
      <p className={styles.text} data-testid="run-summary" aria-live="polite">
        {summary.text}
      </p>
    </div>
  );
}

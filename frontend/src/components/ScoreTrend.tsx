import { lazy, Suspense } from 'react';
import type { ScorePoint } from '../api/client';
import { chartPoints } from '../lib/scorecards';
import styles from './ScoreTrend.module.css';

const TrendChart = lazy(() => import('./TrendChart'));

interface Props {
  /** What the chart shows, for people and screen readers ("payments' average score"). */
  title: string;
  points: readonly ScorePoint[];
  threshold?: number;
}

/** A score over the last twelve weeks: a line chart, with the numbers in words beside it for screen readers. */
export function ScoreTrend({ title, points, threshold }: Props) {
  const data = chartPoints(points);
  const first = data[0];
  const last = data[data.length - 1];
  const summary =
    first && last
      ? first === last
        ? `${last.score} on ${last.label}`
        : `from ${first.score} on ${first.label} to ${last.score} on ${last.label}`
      : 'no scores yet';
  return (
    <figure className={styles.trend} data-testid="score-trend" data-points={data.length}>
      <figcaption className={styles.caption}>
        {title}: <span className="muted">{summary}</span>
      </figcaption>
      {data.length === 0 ? (
        <p className="muted">No history yet: scores are kept per day from the first scoring on.</p>
      ) : (
        <Suspense fallback={<p className="muted">Loading the chart…</p>}>
          <div className={styles.chart} aria-hidden="true">
            <TrendChart points={data} threshold={threshold} />
          </div>
        </Suspense>
      )}
    </figure>
  );
}

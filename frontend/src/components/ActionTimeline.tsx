import type { ActionEvent } from '../api/client';
import { isActionState, STATE_BADGES, type Tone } from '../lib/actionState';
import { cx } from '../lib/classNames';
import { absoluteTime, shortTime } from '../lib/format';
import styles from './ActionTimeline.module.css';

/** Each step's dot is coloured by the state it reached. */
const TONE: Record<Tone, string | undefined> = { ok: styles.ok, error: styles.error, waiting: styles.waiting, active: styles.active, neutral: undefined };

function stateLabel(s: string | undefined): string {
  if (!s) return '';
  return isActionState(s) ? STATE_BADGES[s].label : s;
}

/** An action's history, oldest first: when, who (the worker is "system"), from which state to which, and why. */
export function ActionTimeline({ history, now }: { history: readonly ActionEvent[]; now: Date }) {
  if (history.length === 0) return <p className="muted">No history yet.</p>;
  return (
    <ol className={styles.timeline} aria-label="History">
      {history.map((e, i) => {
        const to = isActionState(e.to) ? STATE_BADGES[e.to] : undefined;
        return (
          <li key={`${e.at}-${i}`} className={cx(styles.item, TONE[to?.tone ?? 'neutral'])} data-to={e.to}>
            <span className={styles.dot} aria-hidden="true" />
            <div className={styles.head}>
              <span>
                {e.from ? (
                  <>
                    {stateLabel(e.from)} → <strong>{stateLabel(e.to)}</strong>
                  </>
                ) : (
                  <strong>{stateLabel(e.to)}</strong>
                )}
              </span>
              <span className={styles.actor}>{e.actor === 'system' ? 'by the portal' : `by ${e.actor}`}</span>
              <time className={styles.time} dateTime={e.at} title={absoluteTime(e.at)}>
                {shortTime(e.at, now)}
              </time>
            </div>
            {e.message && <p className={styles.message}>{e.message}</p>}
          </li>
        );
      })}
    </ol>
  );
}

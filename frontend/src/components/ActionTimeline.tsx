import type { ActionEvent } from '../api/client';
import { STATE_BADGES } from '../lib/actionState';
import { absoluteTime, shortTime } from '../lib/format';
import { isActionState } from '../lib/actionState';
import styles from './ActionTimeline.module.css';

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
          <li key={`${e.at}-${i}`} className={`timeline-item tone-${to?.tone ?? 'neutral'}`} data-to={e.to}>
            <span className="timeline-dot" aria-hidden="true" />
            <div className="timeline-head">
              <span className="timeline-transition">
                {e.from ? (
                  <>
                    {stateLabel(e.from)} → <strong>{stateLabel(e.to)}</strong>
                  </>
                ) : (
                  <strong>{stateLabel(e.to)}</strong>
                )}
              </span>
              <span className="timeline-actor">{e.actor === 'system' ? 'by the portal' : `by ${e.actor}`}</span>
              <time className="timeline-time" dateTime={e.at} title={absoluteTime(e.at)}>
                {shortTime(e.at, now)}
              </time>
            </div>
            {e.message && <p className="timeline-message">{e.message}</p>}
          </li>
        );
      })}
    </ol>
  );
}

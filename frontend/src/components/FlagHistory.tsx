import { useState } from 'react';
import type { FlagHistoryEntry, JsonValue } from '../api/client';
import { useNow } from '../hooks/useNow';
import { diffLine } from '../lib/flags';
import { absoluteTime, shortTime } from '../lib/format';
import { CodeFigure } from './CodeBlock';
import { cx } from '../lib/classNames';
import styles from './FlagHistory.module.css';

const ACTION_TEXT: Record<FlagHistoryEntry['action'], string> = {
  create: 'created',
  update: 'changed',
  delete: 'closed',
  import: 'imported',
};

/** A difference's line is marked by what happened to the value. */
const OP: Record<FlagHistoryEntry['diff'][number]['op'], string | undefined> = { add: styles.add, remove: styles.remove, replace: styles.replace };

const PAGE = 20;

/**
 * Every change of a flag, newest first: who, when, why, and a readable line per difference; the full JSON on
 * demand. Changes of different sizes do not fit a fixed-height virtual list, so older ones come 20 at a time.
 */
export function FlagHistory({ entries }: { entries: readonly FlagHistoryEntry[] }) {
  const [shown, setShown] = useState(PAGE);
  if (entries.length === 0) return <p className="muted">No changes recorded.</p>;
  return (
    <>
      <ol className={styles['flag-history']} aria-label="Changes">
        {entries.slice(0, shown).map((e) => (
          <FlagHistoryItem key={e.id} entry={e} />
        ))}
      </ol>
      {entries.length > shown && (
        <button type="button" className="button" onClick={() => setShown((n) => n + PAGE)}>
          Show {Math.min(PAGE, entries.length - shown)} older changes ({entries.length - shown} left)
        </button>
      )}
    </>
  );
}

function FlagHistoryItem({ entry: e }: { entry: FlagHistoryEntry }) {
  const now = useNow();
  const [open, setOpen] = useState(false);
  const before = (e.before ?? null) as JsonValue;
  const after = (e.after ?? null) as JsonValue;
  // A creation's diff is the whole flag; its lines are the definition itself, shown as JSON instead.
  const lines = e.action === 'create' || e.action === 'delete' ? [] : e.diff.map((op) => diffLine(op, before, after));
  return (
    <li className={styles.change} data-version={e.version} data-action={e.action}>
      <div className={styles.head}>
        <strong>{e.action === 'delete' ? `closed at v${e.version}` : `v${e.version} ${ACTION_TEXT[e.action]}`}</strong>
        <span className={styles.actor}>by {e.actor}</span>
        {e.team && <span className="muted">team {e.team}</span>}
        <time className={styles.time} dateTime={e.at} title={absoluteTime(e.at)}>
          {shortTime(e.at, now)}
        </time>
      </div>
      {e.comment && <p className={styles.comment}>“{e.comment}”</p>}
      {lines.length > 0 ? (
        <ul className={styles.lines} aria-label={`What changed in version ${e.version}`}>
          {e.diff.map((op, i) => (
            <li key={`${op.path}|${i}`} className={cx(styles.line, OP[op.op])}>
              {lines[i]}
            </li>
          ))}
        </ul>
      ) : e.action === 'update' || e.action === 'import' ? (
        <p className={`muted ${styles.none}`}>No difference in the definition (team, owner or comment only).</p>
      ) : null}
      <button type="button" className="button button-link" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {open ? 'Hide the JSON' : e.action === 'create' ? 'Show the definition' : 'Show before and after'}
      </button>
      {open && (
        <div className={styles.json}>
          {e.before && (
            <CodeFigure caption="Before" className={styles.figure}>
              {JSON.stringify(e.before, null, 2)}
            </CodeFigure>
          )}
          {e.after && (
            <CodeFigure caption="After" className={styles.figure}>
              {JSON.stringify(e.after, null, 2)}
            </CodeFigure>
          )}
        </div>
      )}
    </li>
  );
}

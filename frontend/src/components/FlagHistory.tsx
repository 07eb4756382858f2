import { useState } from 'react';
import type { FlagHistoryEntry } from '../api/client';
import { useNow } from '../hooks/useNow';
import { absoluteTime, shortTime } from '../lib/format';
import { FlagChange } from './FlagChange';
import styles from './FlagHistory.module.css';

const ACTION_TEXT: Record<FlagHistoryEntry['action'], string> = {
  create: 'created',
  update: 'changed',
  delete: 'closed',
  import: 'imported',
};

const PAGE = 20;

/**
 * Every change of a flag, newest first: who, when, why, and the change in words as the editor's review and an
 * approver saw it (FlagChange); the full JSON on demand. Changes of different sizes do not fit a fixed-height virtual list, so older ones come 20 at a time.
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
      <FlagChange
        before={e.before}
        after={e.after}
        label={`What changed in version ${e.version}`}
        none="No difference in the definition (team, owner or comment only)."
      />
    </li>
  );
}

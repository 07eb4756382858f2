import { useState } from 'react';
import type { FlagDefinition } from '../api/client';
import { flagChangeLines, type ChangeLine } from '../lib/flagChanges';
import { cx } from '../lib/classNames';
import { CodeFigure } from './CodeBlock';
import styles from './FlagChange.module.css';

const KIND: Record<ChangeLine['kind'], string | undefined> = { added: styles.added, removed: styles.removed, changed: styles.changed };

interface Props {
  before: FlagDefinition | null;
  after: FlagDefinition | null;
  teamBefore?: string;
  teamAfter?: string;
  /** Names the list for assistive technology and tests: "Changes to new-checkout in production". */
  label: string;
  /** Said when nothing in the definition differs. */
  none?: string;
  /** Open the JSON from the start. */
  jsonOpen?: boolean;
}

/**
 * A flag change as people read it — the state, the default, each variant, each targeting rule and everyone else in
 * words — with the flagd JSON before and after one click away. The editor's review, an approver's view of a held
 * change and the flag's history all show a change with it, so a change reads the same wherever it is seen.
 */
export function FlagChange({ before, after, teamBefore, teamAfter, label, none = 'No difference in the definition.', jsonOpen = false }: Props) {
  const [open, setOpen] = useState(jsonOpen);
  const lines = flagChangeLines({ definition: before, team: teamBefore }, { definition: after, team: teamAfter });
  return (
    <div className={styles.change}>
      {lines.length === 0 ? (
        <p className={`muted ${styles.none}`}>{none}</p>
      ) : (
        <ul className={styles.lines} aria-label={label}>
          {lines.map((l, i) => (
            <li key={`${l.what}|${i}`} className={cx(styles.line, KIND[l.kind])} data-kind={l.kind}>
              <span className={styles.what}>{l.what}:</span>{' '}
              {l.kind === 'changed' ? (
                <>
                  <del className={styles.before}>{l.before}</del> → <ins className={styles.after}>{l.after}</ins>
                </>
              ) : l.kind === 'added' ? (
                <ins className={styles.after}>{l.after}</ins>
              ) : (
                <>
                  removed (was <del className={styles.before}>{l.before}</del>)
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="button button-link" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {open ? 'Hide the JSON' : before && after ? 'Show the JSON before and after' : 'Show the JSON'}
      </button>
      {open && (
        <div className={styles.json}>
          {before && (
            <CodeFigure caption="Before" className={styles.figure}>
              {JSON.stringify(before, null, 2)}
            </CodeFigure>
          )}
          {after && (
            <CodeFigure caption="After" className={styles.figure}>
              {JSON.stringify(after, null, 2)}
            </CodeFigure>
          )}
        </div>
      )}
    </div>
  );
}

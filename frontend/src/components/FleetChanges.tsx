import { cx } from '../lib/classNames';
import { changeLine, type ConfigChange } from '../lib/fleet';
import styles from './FleetChanges.module.css';

const OP_CLASS: Record<ConfigChange['op'], string | undefined> = { added: styles.add, removed: styles.remove, changed: styles.replace };

/** What a fleet configuration version changes, one line per setting. */
export function FleetChanges({ changes, label, testId }: { changes: readonly ConfigChange[]; label: string; testId?: string }) {
  return (
    <ul className={styles.lines} aria-label={label} data-testid={testId}>
      {changes.map((c) => (
        <li key={c.path} className={cx(styles.line, OP_CLASS[c.op])} data-op={c.op} data-path={c.path}>
          {changeLine(c)}
        </li>
      ))}
    </ul>
  );
}

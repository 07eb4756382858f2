import { changeLine, type ConfigChange } from '../lib/fleet';

const OP_CLASS: Record<ConfigChange['op'], string> = { added: 'diff-add', removed: 'diff-remove', changed: 'diff-replace' };

/** What a fleet configuration version changes, one line per setting. */
export function FleetChanges({ changes, label, testId }: { changes: readonly ConfigChange[]; label: string; testId?: string }) {
  return (
    <ul className="diff-lines" aria-label={label} data-testid={testId}>
      {changes.map((c) => (
        <li key={c.path} className={`diff-line ${OP_CLASS[c.op]}`} data-op={c.op} data-path={c.path}>
          {changeLine(c)}
        </li>
      ))}
    </ul>
  );
}

import type { FieldProblem } from '../api/client';
import { cx } from '../lib/classNames';
import styles from './FlagJsonEditor.module.css';

/** How the expert JSON relates to the form. */
export type JsonSync =
  | { kind: 'synced' }
  /** The form has a value that is not valid yet (a number typed as "12a"); the JSON waits for it. */
  | { kind: 'waiting' }
  /** Valid JSON the form cannot show: saving uses the JSON. */
  | { kind: 'json-only'; reason: string; path: string }
  /** Not a flag definition (yet): what is wrong. */
  | { kind: 'invalid'; problem: string };

interface Props {
  text: string;
  sync: JsonSync;
  onChange: (text: string) => void;
  /** The portal's problems that have no field in the form, with their JSON Pointers. */
  problems: readonly FieldProblem[];
  onResetToForm?: () => void;
}

/** The sync line reads as a warning while the JSON and the form part ways, as an error while the JSON is not a flag. */
const SYNC_TONE: Record<JsonSync['kind'], string | undefined> = { synced: undefined, waiting: styles.warn, 'json-only': styles.warn, invalid: styles.error };

/** The flag's flagd JSON, editable; it follows the form and the form follows it wherever the form can show it. */
export function FlagJsonEditor({ text, sync, onChange, problems, onResetToForm }: Props) {
  return (
    <div>
      <textarea
        className={`mono ${styles['json-text']}`}
        aria-label="Flag definition (flagd JSON)"
        data-testid="flag-json"
        spellCheck={false}
        rows={Math.min(30, Math.max(10, text.split('\n').length + 1))}
        value={text}
        aria-invalid={sync.kind === 'invalid' || undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      <p className={cx(styles['json-sync'], SYNC_TONE[sync.kind])} role="status" data-testid="json-sync">
        {sync.kind === 'synced' && 'The form and this JSON show the same flag; edit either.'}
        {sync.kind === 'waiting' && 'This JSON follows the form again once the form’s values are valid.'}
        {sync.kind === 'json-only' && (
          <>
            The form cannot show this JSON ({sync.reason}, at <code>{sync.path}</code>), so it can only be edited here; saving sends this JSON.{' '}
            {onResetToForm && (
              <button type="button" className="button button-link" onClick={onResetToForm}>
                Go back to what the form shows
              </button>
            )}
          </>
        )}
        {sync.kind === 'invalid' && <>Not a flag definition yet: {sync.problem}</>}
      </p>
      {problems.length > 0 && (
        <div role="alert">
          <ul className={styles['json-problems']} aria-label="Problems the portal found">
            {problems.map((p) => (
              <li key={`${p.field}|${p.problem}`}>
                <code>{p.field || '(the flag)'}</code> {p.problem}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

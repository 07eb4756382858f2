import { useState } from 'react';
import { api, type ActionPreview as Preview } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { copyText } from '../lib/clipboard';
import { CodeFigure } from './CodeBlock';
import { FlagChange } from './FlagChange';
import { ErrorState } from './Notice';
import styles from './ActionPreview.module.css';

interface Props {
  actionId: string;
  /** Open from the start (a request waiting for a decision); otherwise behind "Show what it does", loaded when opened. */
  open: boolean;
  /** Heading level and wording for the inbox's smaller panel. */
  compact?: boolean;
}

/**
 * What a request will do, before anyone decides — the same way its result shows what it did: in sentences, the
 * Terraform or manifests exactly as they will be applied (a secret's value never), and for a flag change the flag
 * before and after in words with the JSON on request. Warnings come first: a flag that changed since the request
 * means approving applies nothing.
 */
export function ActionPreview({ actionId, open: openAtFirst, compact }: Props) {
  const [open, setOpen] = useState(openAtFirst);
  const load = useLoad((signal) => api.getActionPreview(actionId, signal), actionId, { enabled: open });
  const Heading = compact ? 'h3' : 'h2';
  return (
    <section className={compact ? styles.compact : 'panel'} aria-labelledby={`preview-${actionId}`} data-testid="action-preview">
      <div className="section-tools">
        <Heading id={`preview-${actionId}`}>What it does</Heading>
        {!openAtFirst && (
          <button type="button" className="button" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
            {open ? 'Hide' : 'Show what it does'}
          </button>
        )}
      </div>
      {!open ? (
        <p className="muted">What was to be applied: the Terraform, manifests or flag change, as the approver saw it.</p>
      ) : load.data ? (
        <PreviewBody preview={load.data} />
      ) : load.error?.status === 404 ? (
        <p className="muted">The portal cannot say what this request does: {load.error.message}</p>
      ) : load.error ? (
        <ErrorState title="What it does could not be loaded" error={load.error} onRetry={load.reload} />
      ) : (
        <p className="muted" role="status">
          Loading what it does…
        </p>
      )}
    </section>
  );
}

function PreviewBody({ preview: p }: { preview: Preview }) {
  const [copied, setCopied] = useState('');
  const f = p.flag;
  const where = f ? (f.key ? `${f.key} in ${f.environment}` : `the flags of ${f.environment}`) : '';
  return (
    <div className={styles.body}>
      {p.warnings.map((w) => (
        <p key={w} className="inline-warning" role="alert">
          {w}
        </p>
      ))}
      {p.summary.length > 0 && (
        <ul className={styles.summary} aria-label="What it does">
          {p.summary.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ul>
      )}
      {f && f.action !== 'import' && (
        <FlagChange
          before={f.before}
          after={f.after}
          teamBefore={f.team_before}
          teamAfter={f.team_after}
          label={`Changes to ${where}`}
          none="No difference in the definition (team, owner or comment only)."
        />
      )}
      {f?.import && (
        <dl className="facts facts-column" aria-label={`The import into ${f.environment}`}>
          {(
            [
              ['Added', f.import.added],
              ['Changed', f.import.changed],
              ['Removed', f.import.removed],
            ] as const
          ).map(([label, keys]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd className="mono">{keys.length > 0 ? keys.join(', ') : 'none'}</dd>
            </div>
          ))}
          <div>
            <dt>Unchanged</dt>
            <dd>{f.import.unchanged}</dd>
          </div>
        </dl>
      )}
      {p.files.map((file) => (
        <CodeFigure
          key={file.path}
          testId={`preview-file-${file.path}`}
          caption={
            <>
              <span className="mono">{file.path}</span>
              <button
                type="button"
                className="button button-link"
                onClick={() => void copyText(file.content).then((ok) => setCopied(ok ? `${file.path} copied.` : 'Copying failed: select the text and copy it.'))}
              >
                Copy
              </button>
            </>
          }
        >
          <code>{file.content}</code>
        </CodeFigure>
      ))}
      {copied && (
        <p className="muted" role="status">
          {copied}
        </p>
      )}
    </div>
  );
}

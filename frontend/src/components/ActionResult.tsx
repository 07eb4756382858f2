import { useState } from 'react';
import { resultEntries } from '../lib/actionText';
import { copyText } from '../lib/clipboard';
import { CodeFigure } from './CodeBlock';
import { ExternalLink } from './ExternalLink';
import styles from './ActionResult.module.css';

/** What an action produced: queue URL and ARNs, the pull request, or the previewed Terraform with its path. */
export function ActionResult({ result }: { result: Record<string, string> }) {
  const entries = resultEntries(result);
  const [copied, setCopied] = useState('');
  if (entries.length === 0) return <p className="muted">Nothing yet.</p>;
  const code = entries.filter((e) => e.kind === 'code');
  const facts = entries.filter((e) => e.kind !== 'code');
  const path = result.terraform_path;
  return (
    <div className={styles.result} data-testid="action-result">
      <dl className="facts facts-column">
        {facts.map((e) => (
          <div key={e.key}>
            <dt>{e.label}</dt>
            <dd className={e.kind === 'mono' ? 'mono' : undefined}>
              {e.kind === 'link' ? <ExternalLink href={e.value}>{e.value}</ExternalLink> : e.value}
            </dd>
          </div>
        ))}
      </dl>
      {code.map((e) => (
        <CodeFigure
          key={e.key}
          testId={`result-${e.key}`}
          caption={
            <>
              <span className="mono">{e.key === 'terraform' && path ? path : e.label}</span>
              <button
                type="button"
                className="button button-link"
                onClick={() =>
                  void copyText(e.value).then((ok) => setCopied(ok ? `${e.label} copied.` : 'Copying failed: select the text and copy it.'))
                }
              >
                Copy
              </button>
            </>
          }
        >
          <code>{e.value}</code>
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

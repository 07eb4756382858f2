import type { Finding } from '../api/client';
import { cx } from '../lib/classNames';
import { EmptyState } from './Notice';
import styles from './FindingsList.module.css';

const ICON: Record<Finding['severity'], string> = { error: '✖', warning: '▲', info: 'ℹ' };
const SEVERITY: Record<Finding['severity'], string | undefined> = { error: styles.error, warning: styles.warning, info: styles.info };

/** Readiness and data findings about a service: what is wrong, why, and where it was found. */
export function FindingsList({ findings }: { findings: Finding[] }) {
  if (findings.length === 0) {
    return <EmptyState title="No findings">Nothing needs attention in this service&apos;s catalog data.</EmptyState>;
  }
  const order: Record<Finding['severity'], number> = { error: 0, warning: 1, info: 2 };
  const sorted = [...findings].sort((a, b) => order[a.severity] - order[b.severity]);
  return (
    <ul className={styles.findings}>
      {sorted.map((f, i) => (
        <li key={i} className={cx(styles.finding, SEVERITY[f.severity])} data-severity={f.severity}>
          <span className={styles.icon} role="img" aria-label={f.severity} title={f.severity}>
            {ICON[f.severity]}
          </span>
          <div>
            <div className={styles.summary}>
              {f.summary}
              <span className="tag" title="Where this finding came from">
                {f.source}
              </span>
            </div>
            {f.detail && (
              <div className={styles.detail} data-testid="finding-detail">
                {f.detail}
              </div>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}

import type { Finding } from '../api/client';
import { EmptyState } from './Notice';

const ICON: Record<Finding['severity'], string> = { error: '✖', warning: '▲', info: 'ℹ' };

/** Readiness and data findings about a service: what is wrong, why, and where it was found. */
export function FindingsList({ findings }: { findings: Finding[] }) {
  if (findings.length === 0) {
    return <EmptyState title="No findings">Nothing needs attention in this service&apos;s catalog data.</EmptyState>;
  }
  const order: Record<Finding['severity'], number> = { error: 0, warning: 1, info: 2 };
  const sorted = [...findings].sort((a, b) => order[a.severity] - order[b.severity]);
  return (
    <ul className="findings">
      {sorted.map((f, i) => (
        <li key={i} className={`finding finding-${f.severity}`} data-severity={f.severity}>
          <span className="finding-icon" role="img" aria-label={f.severity} title={f.severity}>
            {ICON[f.severity]}
          </span>
          <div className="finding-body">
            <div className="finding-summary">
              {f.summary}
              <span className="tag" title="Where this finding came from">
                {f.source}
              </span>
            </div>
            {f.detail && (
              <div className="finding-detail" data-testid="finding-detail">
                {f.detail}
              </div>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}

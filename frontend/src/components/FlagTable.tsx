import type { ReactNode } from 'react';
import type { FlagRow } from '../api/client';
import { useNow } from '../hooks/useNow';
import { defaultText, type FlagSortKey } from '../lib/flags';
import { absoluteTime, relativeTime } from '../lib/format';
import { flagHash, navigate } from '../lib/router';
import { Badge } from './Badge';
import { EnvironmentBadge, FlagStateBadge } from './FlagBadges';
import { cellClass, rowClass, VirtualRows, type VirtualColumn } from './VirtualRows';
import styles from './FlagTable.module.css';

export const FLAG_ROW_HEIGHT = 46;

/** The columns; Flag and Last change sort (keys A–Z, then environments in the portal's order; the newest change first). */
const COLUMNS: Array<VirtualColumn & { sort?: { key: FlagSortKey; order: 'ascending' | 'descending' } }> = [
  { label: 'Flag', sort: { key: 'key', order: 'ascending' } },
  { label: 'Environment' },
  { label: 'Team', className: styles.text },
  { label: 'State' },
  { label: 'Variants' },
  { label: 'Default' },
  { label: 'Rollout', className: styles.text },
  { label: 'Owner', className: styles.text },
  { label: 'Last change', sort: { key: 'updated_at', order: 'descending' } },
];

interface Props {
  rows: readonly FlagRow[];
  sort: FlagSortKey;
  onSort: (key: FlagSortKey) => void;
  staleAfterDays: number;
  /** Shown instead of rows (loading, empty, error). */
  body?: ReactNode;
  busy?: boolean;
}

/** Every flag of every environment: one virtualised row per flag and environment, stale ones marked ready to close. */
export function FlagTable({ rows, sort, onSort, staleAfterDays, body, busy }: Props) {
  const now = useNow();
  const columns: VirtualColumn[] = COLUMNS.map(({ sort: by, ...c }) =>
    by ? { ...c, sorted: sort === by.key ? by.order : 'none', onSort: () => onSort(by.key) } : c,
  );
  return (
    <VirtualRows<FlagRow>
      label="Feature flags"
      className={styles.table}
      columns={columns}
      items={rows}
      rowHeight={FLAG_ROW_HEIGHT}
      rowKey={(r) => `${r.environment}/${r.key}`}
      body={body}
      busy={busy}
      renderRow={(r, i, style) => (
        <div
          key={`${r.environment}/${r.key}`}
          className={rowClass()}
          role="row"
          aria-rowindex={i + 2}
          data-flag={r.key}
          data-environment={r.environment}
          style={style}
          onClick={() => navigate(flagHash(r.environment, r.key))}
        >
          <div className={cellClass(styles.stacked)} role="cell" data-column="flag">
            <a className={`${styles['flag-key']} mono`} href={flagHash(r.environment, r.key)} onClick={(e) => e.stopPropagation()} title={r.key}>
              {r.key}
            </a>
            {r.stale && (
              <Badge
                tone="stale"
                className={styles.stale}
                title={`${r.stale_reason ?? 'Stale'}: the code can drop the flag (after ${staleAfterDays} days unchanged)`}
                data-testid="stale-badge"
              >
                ready to close
              </Badge>
            )}
          </div>
          <div className={cellClass()} role="cell" data-column="environment">
            <EnvironmentBadge environment={r.environment} />
          </div>
          <div className={cellClass(styles.text)} role="cell" data-column="team" title={r.team || 'no team: only admins may change it'}>
            {r.team || <span className="muted">none</span>}
          </div>
          <div className={cellClass()} role="cell" data-column="state">
            <FlagStateBadge state={r.state} />
          </div>
          <div className={cellClass('mono')} role="cell" data-column="variants" title={`${r.type}: ${r.variants.join(', ')}`}>
            {r.variants.join(', ')}
          </div>
          <div className={cellClass('mono', r.default === null && 'muted')} role="cell" data-column="default">
            {defaultText(r.default)}
          </div>
          <div className={cellClass(styles.text)} role="cell" data-column="rollout" title={r.rollout}>
            {r.rollout}
          </div>
          <div className={cellClass(styles.text)} role="cell" data-column="owner" title={r.owner}>
            {r.owner || <span className="muted">—</span>}
          </div>
          <div className={cellClass(styles.stacked, styles.changed)} role="cell" data-column="changed">
            <span className={styles['changed-by']} title={r.updated_by}>
              {r.updated_by}
            </span>
            <time dateTime={r.updated_at} title={`${absoluteTime(r.updated_at)} (version ${r.version})`}>
              {relativeTime(r.updated_at, now)}
            </time>
          </div>
        </div>
      )}
    />
  );
}

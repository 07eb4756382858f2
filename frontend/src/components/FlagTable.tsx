import type { ReactNode } from 'react';
import type { FlagRow } from '../api/client';
import { useNow } from '../hooks/useNow';
import { defaultText, type FlagSortKey } from '../lib/flags';
import { absoluteTime, relativeTime } from '../lib/format';
import { flagHash, navigate } from '../lib/router';
import { VirtualRows, type VirtualColumn } from './VirtualRows';

export const FLAG_ROW_HEIGHT = 46;

const COLUMNS = [
  { label: 'Flag', className: 'col-flag' },
  { label: 'Environment', className: 'col-env' },
  { label: 'Team', className: 'col-team' },
  { label: 'State', className: 'col-state' },
  { label: 'Variants', className: 'col-variants' },
  { label: 'Default', className: 'col-default' },
  { label: 'Rollout', className: 'col-rollout' },
  { label: 'Owner', className: 'col-owner' },
  { label: 'Last change', className: 'col-changed' },
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
  // Keys A–Z (then environments in the portal's order), or the newest change first.
  const columns: VirtualColumn[] = COLUMNS.map((c) =>
    c.className === 'col-flag'
      ? { ...c, sorted: sort === 'key' ? 'ascending' : 'none', onSort: () => onSort('key') }
      : c.className === 'col-changed'
        ? { ...c, sorted: sort === 'updated_at' ? 'descending' : 'none', onSort: () => onSort('updated_at') }
        : c,
  );
  return (
    <VirtualRows<FlagRow>
      label="Feature flags"
      className="flag-table"
      columns={columns}
      items={rows}
      rowHeight={FLAG_ROW_HEIGHT}
      rowKey={(r) => `${r.environment}/${r.key}`}
      body={body}
      busy={busy}
      renderRow={(r, i, style) => (
        <div
          key={`${r.environment}/${r.key}`}
          className="tr row"
          role="row"
          aria-rowindex={i + 2}
          data-flag={r.key}
          data-environment={r.environment}
          style={style}
          onClick={() => navigate(flagHash(r.environment, r.key))}
        >
          <div className="td col-flag" role="cell" data-column="flag">
            <a className="flag-key mono" href={flagHash(r.environment, r.key)} onClick={(e) => e.stopPropagation()} title={r.key}>
              {r.key}
            </a>
            {r.stale && (
              <span
                className="badge badge-stale"
                title={`${r.stale_reason ?? 'Stale'}: the code can drop the flag (after ${staleAfterDays} days unchanged)`}
                data-testid="stale-badge"
              >
                ready to close
              </span>
            )}
          </div>
          <div className="td col-env" role="cell" data-column="environment">
            <span className={`env env-${r.environment}`}>{r.environment}</span>
          </div>
          <div className="td col-team" role="cell" data-column="team" title={r.team || 'no team: only admins may change it'}>
            {r.team || <span className="muted">none</span>}
          </div>
          <div className="td col-state" role="cell" data-column="state">
            <span className={`badge flag-state flag-state-${r.state.toLowerCase()}`}>{r.state === 'ENABLED' ? 'enabled' : 'disabled'}</span>
          </div>
          <div className="td col-variants mono" role="cell" data-column="variants" title={`${r.type}: ${r.variants.join(', ')}`}>
            {r.variants.join(', ')}
          </div>
          <div className={`td col-default mono${r.default === null ? ' muted' : ''}`} role="cell" data-column="default">
            {defaultText(r.default)}
          </div>
          <div className="td col-rollout" role="cell" data-column="rollout" title={r.rollout}>
            {r.rollout}
          </div>
          <div className="td col-owner" role="cell" data-column="owner" title={r.owner}>
            {r.owner || <span className="muted">—</span>}
          </div>
          <div className="td col-changed" role="cell" data-column="changed">
            <span className="changed-by" title={r.updated_by}>
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

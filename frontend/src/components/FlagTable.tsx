import type { CSSProperties, ReactNode } from 'react';
import type { FlagRow } from '../api/client';
import { useNow } from '../hooks/useNow';
import { useMe } from '../hooks/useMe';
import { type FlagGroup, type FlagSort, type FlagSortKey } from '../lib/flags';
import { absoluteTime, relativeTime } from '../lib/format';
import { can, whyNot } from '../lib/permissions';
import { flagHash, navigate } from '../lib/router';
import { Badge } from './Badge';
import { cellClass, rowClass, VirtualRows, type VirtualColumn } from './VirtualRows';
import styles from './FlagTable.module.css';

export const FLAG_ROW_HEIGHT = 50;

interface Props {
  groups: readonly FlagGroup[];
  /** The environments shown side by side, in the portal's order. */
  environments: readonly string[];
  /** The roles that approve a change, for environments whose changes wait (the switch says so). */
  approvers: Readonly<Record<string, readonly string[]>>;
  sort: FlagSort;
  onSort: (key: FlagSortKey) => void;
  /** A switch was flipped: the caller reviews the change with the user and sends it. */
  onSwitch: (row: FlagRow) => void;
  staleAfterDays: number;
  /** Shown instead of rows (loading, empty, error). */
  body?: ReactNode;
  busy?: boolean;
}

/**
 * Every flag on one row with its environments side by side (as LaunchDarkly and Unleash show them): in each, an
 * on/off switch and the rollout in short, linking to the flag there. A switch does not act by itself: it opens the
 * change for review, and the change goes through the same approval as any other (production waits for one).
 */
export function FlagTable({ groups, environments, approvers, sort, onSort, onSwitch, staleAfterDays, body, busy }: Props) {
  const now = useNow();
  const columns: VirtualColumn[] = [
    { label: 'Flag', sorted: ariaSort(sort, 'key'), onSort: () => onSort('key') },
    { label: 'Team', className: styles.text },
    ...environments.map((env) => ({
      label: env,
      title: approvers[env]?.length ? `Changes in ${env} wait for approval` : `Changes in ${env} apply at once`,
    })),
    { label: 'Owner', className: styles.text },
    { label: 'Last change', sorted: ariaSort(sort, 'updated_at'), onSort: () => onSort('updated_at') },
  ];
  // The environments' columns share what the fixed columns leave.
  const grid = { '--flag-environments': environments.length } as CSSProperties;
  return (
    <div className={styles.wrap} style={grid}>
      <VirtualRows<FlagGroup>
        label="Feature flags"
        className={styles.table}
        columns={columns}
        items={groups}
        rowHeight={FLAG_ROW_HEIGHT}
        rowKey={(g) => g.key}
        body={body}
        busy={busy}
        renderRow={(g, i, style) => {
          const first = environments.find((env) => g.byEnvironment[env]) ?? environments[0] ?? '';
          return (
            <div
              key={g.key}
              className={rowClass()}
              role="row"
              aria-rowindex={i + 2}
              data-flag={g.key}
              style={style}
              onClick={() => navigate(flagHash(first, g.key))}
            >
              <div className={cellClass(styles.stacked)} role="cell" data-column="flag">
                <a className={`${styles['flag-key']} mono`} href={flagHash(first, g.key)} onClick={(e) => e.stopPropagation()} title={g.key}>
                  {g.key}
                </a>
                {g.stale && (
                  <Badge
                    tone="stale"
                    className={styles.stale}
                    title={`${Object.values(g.byEnvironment)
                      .filter((r) => r.stale)
                      .map((r) => `${r.environment}: ${r.stale_reason ?? 'stale'}`)
                      .join('; ')} — the code can drop the flag (after ${staleAfterDays} days unchanged)`}
                    data-testid="stale-badge"
                  >
                    ready to close
                  </Badge>
                )}
              </div>
              <div className={cellClass(styles.text)} role="cell" data-column="team" title={g.teams.join(', ') || 'no team: only admins may change it'}>
                {g.teams.join(', ') || <span className="muted">none</span>}
              </div>
              {environments.map((env) => {
                const r = g.byEnvironment[env];
                return r ? (
                  <EnvironmentCell key={env} row={r} onSwitch={onSwitch} approval={(approvers[env]?.length ?? 0) > 0} />
                ) : (
                  <div key={env} className={cellClass('muted', styles.absent)} role="cell" data-column={`env-${env}`} data-state="absent">
                    not in {env}
                  </div>
                );
              })}
              <div className={cellClass(styles.text)} role="cell" data-column="owner" title={g.owners.join(', ')}>
                {g.owners.join(', ') || <span className="muted">—</span>}
              </div>
              <div className={cellClass(styles.stacked, styles.changed)} role="cell" data-column="changed">
                <span className={styles['changed-by']} title={`${g.last.updated_by} in ${g.last.environment}`}>
                  {g.last.updated_by}
                </span>
                <time dateTime={g.last.updated_at} title={`${absoluteTime(g.last.updated_at)} in ${g.last.environment} (version ${g.last.version})`}>
                  {relativeTime(g.last.updated_at, now)}
                </time>
              </div>
            </div>
          );
        }}
      />
    </div>
  );
}

/** A sortable column's aria-sort: the way the table is sorted by it, or none. */
function ariaSort(sort: FlagSort, key: FlagSortKey): 'ascending' | 'descending' | 'none' {
  if (sort.key !== key) return 'none';
  return sort.order === 'desc' ? 'descending' : 'ascending';
}

/** One environment of a flag: its on/off switch and its rollout in short. */
function EnvironmentCell({ row: r, onSwitch, approval }: { row: FlagRow; onSwitch: (row: FlagRow) => void; approval: boolean }) {
  const { me } = useMe();
  const on = r.state === 'ENABLED';
  const may = !me || (r.team ? can(me, 'flags:write', r.team, r.environment) : can(me, 'flags:import', undefined, r.environment));
  const why = may ? '' : r.team ? whyNot(me, 'flags:write', r.team) : 'This flag has no team; only administrators may change it.';
  const label = `${r.key} in ${r.environment}`;
  return (
    <div className={cellClass(styles.environment)} role="cell" data-column={`env-${r.environment}`} data-state={r.state}>
      <button
        type="button"
        role="switch"
        aria-checked={on}
        aria-label={label}
        className={`${styles.switch}${on ? ` ${styles.on}` : ''}`}
        disabled={!may}
        title={may ? `${on ? 'On' : 'Off'} in ${r.environment}: switch it ${on ? 'off' : 'on'} (you review the change first${approval ? '; it waits for approval' : ''})` : why}
        onClick={(e) => {
          e.stopPropagation();
          onSwitch(r);
        }}
      >
        <span className={styles.knob} aria-hidden="true" />
      </button>
      <a className={styles.rollout} href={flagHash(r.environment, r.key)} onClick={(e) => e.stopPropagation()} title={`${r.rollout} (default ${r.default ?? 'the code default'})`}>
        {on ? r.rollout : 'off: code default'}
      </a>
      {r.stale && <span className={styles.dot} title={r.stale_reason} aria-label="ready to close" />}
    </div>
  );
}

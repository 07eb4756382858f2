import { api, type FleetInstall } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useNow } from '../hooks/useNow';
import { filterCount, INSTALL_FILTER_LABELS, installConfigState } from '../lib/fleet';
import { absoluteTime, count, relativeTime } from '../lib/format';
import { fleetInstallsHash, INSTALL_FILTERS, navigate, type InstallFilter, type InstallFilters } from '../lib/router';
import { EmptyState, ErrorState, LoadingState } from './Notice';
import { Badge } from './Badge';
import { cellClass, rowClass, VirtualRows } from './VirtualRows';
import styles from './FleetInstalls.module.css';

const COLUMNS = [
  { label: 'User', className: styles['col-user'] ?? '' },
  { label: 'Team', className: styles['col-team'] ?? '' },
  { label: 'OS', className: styles['col-os'] ?? '' },
  { label: 'App version', className: styles['col-app'] ?? '' },
  { label: 'Configuration', className: styles['col-config'] ?? '' },
  { label: 'Last seen', className: styles['col-seen'] ?? '' },
];

/** How often the list refreshes while open: an admin watching installs pick up a push sees it happen. */
export const INSTALLS_REFRESH_MS = 3000;

/**
 * Every desktop install as it last reported to this portal — user, team, OS, app version, the configuration version
 * it applied (or why it refused the newest), when it was last seen — filtered by "not on the latest config",
 * "below the minimum app version" and "not seen for 7 days" (filters in the URL, with their counts), and by team.
 * Virtualised: a fleet has thousands of installs.
 */
export function FleetInstalls({ filters, teams }: { filters: InstallFilters; teams: readonly string[] }) {
  const now = useNow();
  const key = `${filters.filter}|${filters.team}`;
  const list = useLoad((signal) => api.listFleetInstalls({ filter: filters.filter || undefined, team: filters.team || undefined }, signal), key, {
    pollMs: () => INSTALLS_REFRESH_MS,
  });
  const data = list.data;
  const latest = data?.latest_version ?? 0;
  const update = (patch: Partial<InstallFilters>) => navigate(fleetInstallsHash({ ...filters, ...patch }), { replace: true });
  const counts = data?.counts ?? {};

  let body;
  if (!data && list.error) body = <ErrorState title="The installs could not be loaded" error={list.error} onRetry={list.reload} />;
  else if (!data)
    body = (
      <LoadingState>Loading installs…</LoadingState>
    );
  else if (data.items.length === 0 && !list.stale)
    body =
      filterCount(counts, '') === 0 ? (
        <EmptyState title="No install has reported yet">
          <p>Desktops report themselves on their first sync with this portal (atrium --portal URL --token T).</p>
        </EmptyState>
      ) : (
        <EmptyState title={`No installs: ${INSTALL_FILTER_LABELS[filters.filter].toLowerCase()}${filters.team ? ` in team ${filters.team}` : ''}`}>
          <p>{filters.filter === 'stale_config' ? `Every install applied version ${latest}.` : 'Try another filter or team.'}</p>
        </EmptyState>
      );

  const filterButton = (f: InstallFilter) => (
    <button
      key={f || 'all'}
      type="button"
      className={`button ${styles.filter}`}
      aria-pressed={filters.filter === f}
      data-filter={f || 'all'}
      onClick={() => update({ filter: f })}
    >
      {INSTALL_FILTER_LABELS[f]} <span className={styles.count}>{data ? filterCount(counts, f) : '…'}</span>
    </button>
  );

  return (
    <section className={styles.installs} aria-label="Installs">
      <div className="toolbar">
        <div className={styles.filters} role="group" aria-label="Show">
          {filterButton('')}
          {INSTALL_FILTERS.map(filterButton)}
        </div>
        <label className={`facet-filter${filters.team ? ' facet-filter-active' : ''}`}>
          <span className="facet-label">Team</span>
          <select aria-label="Team" value={filters.team} onChange={(e) => update({ team: e.target.value })}>
            <option value="">All teams</option>
            {[...new Set([...teams, ...(filters.team ? [filters.team] : [])])].sort().map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <span className="list-total" data-testid="installs-total" aria-live="polite">
          {data ? `${count(data.items.length, 'install')} shown${latest > 0 ? ` · latest configuration: version ${latest}` : ''}` : ''}
        </span>
      </div>
      {list.error && data && (
        <p className="inline-error" role="alert">
          Refreshing failed: {list.error.message} The list shows the last answer.
        </p>
      )}
      <VirtualRows<FleetInstall>
        label="Installs"
        className={`${styles.table} fleet-installs`}
        columns={COLUMNS}
        items={data?.items ?? []}
        rowHeight={36}
        rowKey={(i) => i.id}
        body={body}
        busy={list.stale}
        renderRow={(i, _index, style) => {
          const state = installConfigState(i, latest);
          return (
            <div className={rowClass({ clickable: false }, styles.row)} role="row" style={style} data-install={i.id} data-user={i.user}>
              <div className={cellClass(styles['col-user'])} role="cell" title={i.id}>
                {i.user}
              </div>
              <div className={cellClass(styles['col-team'])} role="cell">
                {i.team || <span className="muted">—</span>}
              </div>
              <div className={cellClass(styles['col-os'])} role="cell">
                {i.os}
              </div>
              <div className={cellClass(styles['col-app'])} role="cell">
                {i.app_version}
                {i.below_minimum && (
                  <Badge tone="warn" title={`The minimum for this install is ${i.min_app_version ?? ''}`}>
                    below {i.min_app_version}
                  </Badge>
                )}
              </div>
              <div className={cellClass(styles['col-config'], styles[state.tone])} role="cell" data-testid="install-config" title={i.config_error ?? undefined}>
                {state.text}
              </div>
              <div className={cellClass(styles['col-seen'])} role="cell" title={absoluteTime(i.last_seen)}>
                {relativeTime(i.last_seen, now)}
                {i.unseen && <Badge tone="warn">unseen</Badge>}
              </div>
            </div>
          );
        }}
      />
    </section>
  );
}

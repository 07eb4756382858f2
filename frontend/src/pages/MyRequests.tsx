import { useCallback } from 'react';
import { api, type Action } from '../api/client';
import { useActionChanges } from '../hooks/useApprovalCount';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { useNow } from '../hooks/useNow';
import { teamLabel } from '../lib/teams';
import { ACTION_STATES, isFinal, STATE_BADGES } from '../lib/actionState';
import { actionTitle } from '../lib/actionText';
import { absoluteTime, count, relativeTime } from '../lib/format';
import { can, whyNot } from '../lib/permissions';
import { actionHash, navigate, newRequestHash, requestsHash, type RequestFilters } from '../lib/router';
import { ActionOwner } from '../components/ActionOwner';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { Segmented } from '../components/Segmented';
import { StateBadge } from '../components/StateBadge';
import { cellClass, rowClass, VirtualRows } from '../components/VirtualRows';
import styles from './MyRequests.module.css';

export const REQUEST_ROW_HEIGHT = 44;
/** How often the list is refreshed while one of its requests is still moving. */
export const LIST_POLL_MS = 4000;

const COLUMNS = [{ label: 'Requested' }, { label: 'What' }, { label: 'Service' }, { label: 'Where' }, { label: 'State' }, { label: 'Requester' }];

/** Requests (mine, or everyone's), newest first, with state badges; refreshes while any is still moving. */
export function MyRequests({ filters, refreshKey }: { filters: RequestFilters; refreshKey: string }) {
  const { me } = useMe();
  const now = useNow();
  const key = JSON.stringify(filters);
  const list = useLoad(
    (signal) => api.listActions({ mine: filters.all ? undefined : true, state: filters.state || undefined, team: filters.team || undefined, limit: 500 }, signal),
    key,
    { pollMs: (actions) => (actions.some((a) => !isFinal(a.state)) ? LIST_POLL_MS : null) },
  );
  const teams = useLoad((signal) => api.listTeams(signal), refreshKey);
  const { reload } = list;
  useActionChanges(useCallback(() => reload(), [reload]));

  const update = (patch: Partial<RequestFilters>) => navigate(requestsHash({ ...filters, ...patch }));
  const mayRequest = !me || can(me, 'actions:request');
  const actions = list.data ?? [];

  let body;
  if (!list.data && list.error) {
    body = <ErrorState title="Requests could not be loaded" error={list.error} onRetry={list.reload} />;
  } else if (!list.data) {
    body = (
      <LoadingState>
        Loading requests…
      </LoadingState>
    );
  } else if (actions.length === 0) {
    const filtered = Boolean(filters.state || filters.team);
    body = filtered ? (
      <EmptyState title="No requests match these filters">
        <button type="button" className="button" onClick={() => navigate(requestsHash({ all: filters.all }))}>
          Clear filters
        </button>
      </EmptyState>
    ) : (
      <EmptyState title={filters.all ? 'Nobody has requested anything yet' : 'You have not requested anything yet'}>
        {mayRequest && (
          <p>
            <a href={newRequestHash()}>Request an SQS queue or SNS topic</a> for one of your services.
          </p>
        )}
      </EmptyState>
    );
  }

  return (
    <section className="list-page" aria-label="Requests">
      <div className="toolbar">
        <h1 className="toolbar-title">{filters.all ? 'All requests' : 'My requests'}</h1>
        <Segmented
          kind="toggle"
          label="Whose requests"
          options={[
            { value: false, label: 'Mine' },
            { value: true, label: "Everyone's" },
          ]}
          value={filters.all}
          onChange={(all) => update({ all })}
        />
        <label className="facet-filter">
          <span className="facet-label">State</span>
          <select value={filters.state} onChange={(e) => update({ state: e.target.value as RequestFilters['state'] })}>
            <option value="">All states</option>
            {ACTION_STATES.map((s) => (
              <option key={s} value={s}>
                {STATE_BADGES[s].label}
              </option>
            ))}
          </select>
        </label>
        <label className="facet-filter">
          <span className="facet-label">Team</span>
          <select value={filters.team} onChange={(e) => update({ team: e.target.value })}>
            <option value="">All teams</option>
            {(teams.data?.items ?? []).map((t) => (
              <option key={t.name} value={t.name}>
                {teamLabel(t)}
              </option>
            ))}
            {filters.team && !teams.data?.items.some((t) => t.name === filters.team) && <option value={filters.team}>{filters.team}</option>}
          </select>
        </label>
        <span className="list-total" aria-live="polite" data-testid="requests-total">
          {list.data ? count(actions.length, 'request') : ''}
        </span>
        {mayRequest ? (
          <a className="button button-primary" href={newRequestHash()}>
            New request
          </a>
        ) : (
          <button type="button" className="button button-primary" disabled title={whyNot(me, 'actions:request')}>
            New request
          </button>
        )}
      </div>
      {list.error && list.data && (
        <div className="inline-error" role="alert">
          Refreshing failed: {list.error.message}{' '}
          <button type="button" className="button button-link" onClick={list.reload}>
            Retry
          </button>
        </div>
      )}
      {!mayRequest && me && <p className="inline-note">{whyNot(me, 'actions:request')}</p>}
      <VirtualRows<Action>
        label="Requests"
        className={styles.table}
        columns={COLUMNS}
        items={actions}
        rowHeight={REQUEST_ROW_HEIGHT}
        rowKey={(a) => a.id}
        busy={list.stale}
        body={body}
        renderRow={(a, i, style) => (
          <div key={a.id} className={rowClass()} role="row" aria-rowindex={i + 2} data-action={a.id} style={style} onClick={() => navigate(actionHash(a.id))}>
            <div className={cellClass()} role="cell">
              <time dateTime={a.created_at} title={absoluteTime(a.created_at)}>
                {relativeTime(a.created_at, now)}
              </time>
            </div>
            <div className={cellClass()} role="cell">
              <a href={actionHash(a.id)} onClick={(e) => e.stopPropagation()}>
                {actionTitle(a)}
              </a>
            </div>
            <div className={cellClass()} role="cell">
              <ActionOwner action={a} />
            </div>
            <div className={cellClass()} role="cell">
              {a.environment} / {a.region}
            </div>
            <div className={cellClass()} role="cell">
              <StateBadge state={a.state} />
            </div>
            <div className={cellClass()} role="cell">
              {a.requester}
            </div>
          </div>
        )}
      />
    </section>
  );
}

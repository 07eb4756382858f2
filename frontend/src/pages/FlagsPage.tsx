import { useMemo, useState } from 'react';
import { api, type FlagList, type FlagRow, type PendingChange } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { FLAG_SORT, flagColumns, flagSortedBy, flagTeams, groupFlags, type FlagSort } from '../lib/flags';
import { count } from '../lib/format';
import { can } from '../lib/permissions';
import { EMPTY_FLAG_FILTERS, flagsHash, navigate, newFlagHash, type FlagFilters } from '../lib/router';
import { FacetFilter } from '../components/FacetFilter';
import { FlagImportExport } from '../components/FlagImportExport';
import { FlagSwitchDialog } from '../components/FlagSwitchDialog';
import { FlagTable } from '../components/FlagTable';
import { PendingApprovalNotice } from '../components/PendingApprovalNotice';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { SearchBox } from '../components/SearchBox';

interface Props {
  filters: FlagFilters;
  /** Changes with the portal in use; the table reloads then. */
  portalKey: string;
}

/**
 * Every flag in one table, its environments side by side with an on/off switch each: filter by environment (then
 * the only column) and team, show only flags ready to close, search by key. The API answers all rows at once, so
 * filters apply as the user types; the list is virtualised. A switch is reviewed before it is sent, and waits for
 * approval where the environment's changes do.
 */
export function FlagsPage({ filters, portalKey }: Props) {
  const { me } = useMe();
  const list = useLoad<FlagList>((signal) => api.listFlags({}, signal), portalKey);
  const [sort, setSort] = useState<FlagSort>(FLAG_SORT);
  const [tools, setTools] = useState(false);
  const [switching, setSwitching] = useState<FlagRow | null>(null);
  const [pending, setPending] = useState<{ pending: PendingChange; what: string } | null>(null);
  const data = list.data;
  const environments = useMemo(() => data?.environments ?? [], [data]);
  const columns = useMemo(() => flagColumns(filters, environments), [filters, environments]);
  const rows = useMemo(() => (data ? groupFlags(data.items, filters, environments, sort) : []), [data, filters, environments, sort]);
  const approvers = data?.approvers ?? {};
  const teams = useMemo(() => (data ? flagTeams(data.items, columns) : []), [data, columns]);
  const envFacets = useMemo(
    () => environments.map((e) => ({ value: e, count: data?.items.filter((r) => r.environment === e).length ?? 0 })),
    [environments, data],
  );
  // Flags (not flag-environments) ready to close, in the columns shown.
  const staleCount = new Set(data?.items.filter((r) => r.stale && columns.includes(r.environment)).map((r) => r.key)).size;
  const update = (patch: Partial<FlagFilters>, replace = false) => navigate(flagsHash({ ...filters, ...patch }), { replace });
  const filtered = Boolean(filters.environment || filters.team || filters.stale || filters.q.trim());

  let body;
  if (!data && list.error) {
    body = <ErrorState title="The flags could not be loaded" error={list.error} onRetry={list.reload} />;
  } else if (!data) {
    body = (
      <LoadingState>
        Loading flags…
      </LoadingState>
    );
  } else if (rows.length === 0) {
    body = filtered ? (
      <EmptyState title="No flags match these filters">
        <p>{filters.stale ? `No flag is ready to close: flags count as stale after ${data.stale_after_days} days fully rolled out or off.` : 'Try another environment, team or key.'}</p>
        <button type="button" className="button" onClick={() => navigate(flagsHash({}))}>
          Clear filters
        </button>
      </EmptyState>
    ) : (
      <EmptyState title="No flags yet">
        <p>Create one with New flag, or import a flagd file.</p>
      </EmptyState>
    );
  }

  return (
    <section className="list-page" aria-label="Feature flags">
      <div className="toolbar">
        <h1 className="toolbar-title">Feature flags</h1>
        <SearchBox value={filters.q} onSearch={(q) => update({ q }, true)} label="Search flags by key" placeholder="Search flag keys…" narrow />
        <FacetFilter label="Environment" allLabel="All environments" facets={envFacets} value={filters.environment} onChange={(environment) => update({ environment })} />
        <FacetFilter label="Team" allLabel="All teams" facets={teams} value={filters.team} onChange={(team) => update({ team })} />
        <label className="checkbox" title={data ? `Fully rolled out or off, and unchanged for ${data.stale_after_days} days` : undefined}>
          <input type="checkbox" checked={filters.stale} onChange={(e) => update({ stale: e.target.checked })} />
          Ready to close only{staleCount > 0 ? ` (${staleCount})` : ''}
        </label>
        {filtered && (
          <button type="button" className="button button-link" onClick={() => navigate(flagsHash(EMPTY_FLAG_FILTERS))}>
            Clear filters
          </button>
        )}
        <span className="list-total" data-testid="flags-total" aria-live="polite">
          {data ? count(rows.length, 'flag') : ''}
        </span>
        <button type="button" className="button" aria-expanded={tools} onClick={() => setTools((t) => !t)}>
          Import / export
        </button>
        {(!me || can(me, 'flags:write')) && (
          <a className="button button-primary" href={newFlagHash(filters.environment)}>
            New flag
          </a>
        )}
      </div>
      {list.error && data && (
        <div className="inline-error" role="alert">
          Refreshing failed: {list.error.message}{' '}
          <button type="button" className="button button-link" onClick={list.reload}>
            Retry
          </button>
        </div>
      )}
      {tools && data && <FlagImportExport environments={environments} environment={filters.environment} onImported={list.reload} />}
      {pending && <PendingApprovalNotice pending={pending.pending} what={pending.what} />}
      {switching && (
        <FlagSwitchDialog
          key={`${switching.environment}/${switching.key}`}
          row={switching}
          approvers={approvers[switching.environment] ?? []}
          onCancel={() => setSwitching(null)}
          onApplied={() => {
            setSwitching(null);
            setPending(null);
            list.reload();
          }}
          onPending={(p, what) => {
            setSwitching(null);
            setPending({ pending: p, what });
          }}
        />
      )}
      <FlagTable
        groups={rows}
        environments={columns}
        approvers={approvers}
        sort={sort}
        onSort={(key) => setSort((s) => flagSortedBy(s, key))}
        onSwitch={(r) => {
          setPending(null);
          setSwitching(r);
        }}
        staleAfterDays={data?.stale_after_days ?? 30}
        body={body}
        busy={!data}
      />
    </section>
  );
}

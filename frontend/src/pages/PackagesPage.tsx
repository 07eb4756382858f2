import { useEffect, useMemo, useState } from 'react';
import { api, isAbortError, type Facets } from '../api/client';
import { useDownload } from '../hooks/useDownload';
import { usePackagePages } from '../hooks/usePackagePages';
import { count, possessive } from '../lib/format';
import { hasPackageFilters, packageQuery, sortedBy } from '../lib/packages';
import { EMPTY_PACKAGE_FILTERS, navigate, packagesHash, type PackageFilters } from '../lib/router';
import { DownloadNotice } from '../components/DownloadNotice';
import { FacetFilter } from '../components/FacetFilter';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { PackagesTable } from '../components/PackagesTable';
import { SearchBox } from '../components/SearchBox';

interface Props {
  filters: PackageFilters;
  /** Changes when the replica changes; the table then reloads from the top. */
  refreshKey: string;
}


/**
 * Which services use package X, in which versions; what is outdated in team T. Filters and order live in the
 * URL; the table pages through the API as it scrolls; "Export CSV" downloads the same rows from the API.
 */
export function PackagesPage({ filters, refreshKey }: Props) {
  const query = useMemo(() => packageQuery(filters), [filters]);
  const pages = usePackagePages(query, refreshKey);
  const [facets, setFacets] = useState<Facets | undefined>(undefined);
  const download = useDownload();

  useEffect(() => {
    const controller = new AbortController();
    api.getFacets(controller.signal).then(setFacets, (err: unknown) => {
      if (!isAbortError(err)) setFacets(undefined);
    });
    return () => controller.abort();
  }, [refreshKey]);

  const update = (patch: Partial<PackageFilters>, replace = false) => navigate(packagesHash({ ...filters, ...patch }), { replace });
  const filtered = hasPackageFilters(filters);
  const rows = pages.stale && pages.total === null ? [] : pages.items;

  let body;
  if (pages.total === null && pages.error) {
    body = <ErrorState title="The packages could not be loaded" error={pages.error} onRetry={pages.reload} />;
  } else if (pages.total === null) {
    body = (
      <LoadingState>
        Loading packages…
      </LoadingState>
    );
  } else if (pages.total === 0 && !pages.stale) {
    body = filtered ? (
      <EmptyState title="No packages match these filters">
        <p>{filters.outdated ? 'Nothing is behind its newest release here — or the newest versions are not known yet (see Sources).' : 'Try another name, ecosystem or team.'}</p>
        <button type="button" className="button" onClick={() => navigate(packagesHash({ sort: filters.sort, order: filters.order }))}>
          Clear filters
        </button>
      </EmptyState>
    ) : (
      <EmptyState title="No dependencies known yet">
        <p>Atrium reads package.json and go.mod of each service&apos;s repository; they appear here after a sync.</p>
      </EmptyState>
    );
  }

  const teamLabel = filters.owner ? ` of ${possessive(filters.owner)} services` : '';
  return (
    <section className="list-page" aria-label="Packages">
      <div className="toolbar">
        <h1 className="toolbar-title">Packages</h1>
        <SearchBox value={filters.q} onSearch={(q) => update({ q }, true)} label="Search packages" placeholder="Search package names…" narrow />
        <label className={`facet-filter${filters.ecosystem ? ' facet-filter-active' : ''}`}>
          <span className="facet-label">Ecosystem</span>
          <select aria-label="Ecosystem" value={filters.ecosystem} onChange={(e) => update({ ecosystem: e.target.value === 'npm' || e.target.value === 'go' ? e.target.value : '' })}>
            <option value="">All ecosystems</option>
            <option value="npm">npm</option>
            <option value="go">Go modules</option>
          </select>
        </label>
        <FacetFilter label="Team" allLabel="All teams" facets={facets?.owners} value={filters.owner} onChange={(owner) => update({ owner })} />
        <label className="checkbox">
          <input type="checkbox" checked={filters.outdated} onChange={(e) => update({ outdated: e.target.checked })} />
          Outdated only
        </label>
        {filtered && (
          <button type="button" className="button button-link" onClick={() => navigate(packagesHash({ ...EMPTY_PACKAGE_FILTERS, sort: filters.sort, order: filters.order }))}>
            Clear filters
          </button>
        )}
        <span className="list-total" data-testid="packages-total" aria-live="polite" aria-busy={pages.stale || undefined}>
          {pages.total === null ? '' : count(pages.total, 'package')}
        </span>
        <button
          type="button"
          className="button"
          disabled={download.state.kind === 'running' || pages.total === 0}
          onClick={() => void download.run(() => api.downloadPackagesCsv(query))}
        >
          {download.state.kind === 'running' ? 'Exporting…' : 'Export CSV'}
        </button>
      </div>
      <DownloadNotice state={download.state} what={`${pages.total === null ? 'the' : count(pages.total, 'package')} matching these filters${teamLabel}`} copyLabel="Copy the CSV" testId="packages-export" onSaveAgain={() => void download.saveAgain()} />
      {pages.error && pages.total !== null && (
        <div className="inline-error" role="alert">
          {pages.error.message}{' '}
          <button type="button" className="button button-link" onClick={pages.reload}>
            Retry
          </button>
        </div>
      )}
      <PackagesTable
        rows={rows}
        filters={filters}
        onSort={(key) => navigate(packagesHash(sortedBy(filters, key)))}
        onEndReached={pages.more}
        body={body}
        busy={pages.loading}
        pending={pages.stale}
        footer={pages.loading && pages.items.length > 0 && !pages.stale ? 'Loading more packages…' : undefined}
      />
    </section>
  );
}

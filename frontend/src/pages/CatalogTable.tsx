import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { api, isAbortError, type Facets, type ServiceRow, type SortKey } from '../api/client';
import { useNow } from '../hooks/useNow';
import { useServicePages } from '../hooks/useServicePages';
import { quietSignals } from '../lib/dependencies';
import { absoluteTime, count, relativeTime } from '../lib/format';
import { catalogHash, navigate, serviceHash, type CatalogFilters } from '../lib/router';
import { reportReadyOnce } from '../lib/usage';
import { cx } from '../lib/classNames';
import { ExternalLink } from '../components/ExternalLink';
import { FacetFilter } from '../components/FacetFilter';
import { LifecycleBadge } from '../components/LifecycleBadge';
import { NewServiceButton } from '../components/NewServiceButton';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { Badge } from '../components/Badge';
import { SearchBox } from '../components/SearchBox';
import { SortButton } from '../components/SortButton';
import { cellClass, rowClass, tableStyles as table } from '../components/VirtualRows';
import styles from './CatalogTable.module.css';

export const ROW_HEIGHT = 44;

interface Column {
  label: string;
  sort?: SortKey;
  className?: string;
}

const COLUMNS: Column[] = [
  { label: 'Service', sort: 'name' },
  { label: 'Owner', sort: 'owner' },
  { label: 'Language', sort: 'language' },
  { label: 'Lifecycle', sort: 'lifecycle' },
  { label: 'Repository', sort: 'repository', className: styles['col-repo'] },
  { label: 'Last synced', sort: 'synced_at', className: styles['col-synced'] },
  { label: 'Signals' },
];

/** Where the user had scrolled, per query, so coming back from a service page lands on the same rows. */
const scrollMemory = new Map<string, number>();

interface Props {
  filters: CatalogFilters;
  /** Changes when the replica changes; the table then refetches what is on screen, keeping scroll and filters. */
  refreshKey: string;
  /** True while the replica has never finished a sync, so an empty catalog means "wait", not "nothing here". */
  initialSync: boolean;
}

function repoLabel(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname.replace(/^\/+|\/+$/g, '') || u.host;
  } catch {
    return url;
  }
}

function hasFilters(f: CatalogFilters): boolean {
  return Boolean(f.q.trim() || f.owner || f.language || f.lifecycle);
}

/** The service catalog: search, filters, a sortable virtualised table paging through the API. */
export function CatalogTable({ filters, refreshKey, initialSync }: Props) {
  const data = useServicePages(filters, refreshKey);
  const { total, rowAt, error, ensureRange, retry, queryKey, pending } = data;
  const [facets, setFacets] = useState<Facets | undefined>(undefined);
  const scrollRef = useRef<HTMLDivElement>(null);
  const restore = useRef<number | null>(scrollMemory.get(queryKey) ?? null);
  const shownKey = useRef(queryKey);
  const now = useNow();

  useEffect(() => {
    const controller = new AbortController();
    api.getFacets(controller.signal).then(setFacets, (err: unknown) => {
      if (!isAbortError(err)) setFacets(undefined); // the table shows the error; filters fall back to "All"
    });
    return () => controller.abort();
  }, [refreshKey]);

  const virtualizer = useVirtualizer({
    count: total ?? 0,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 15,
  });
  const items = virtualizer.getVirtualItems();
  const firstIndex = items[0]?.index ?? 0;
  const lastIndex = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    if (total !== null && total > 0) ensureRange(firstIndex, lastIndex);
  }, [firstIndex, lastIndex, total, ensureRange]);

  // A new query starts at the top; coming back to a query scrolls to where the user was.
  useLayoutEffect(() => {
    if (shownKey.current === queryKey) return;
    shownKey.current = queryKey;
    restore.current = null;
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
  }, [queryKey]);
  useLayoutEffect(() => {
    if (total !== null && restore.current !== null && scrollRef.current) {
      scrollRef.current.scrollTop = restore.current;
      restore.current = null;
    }
  }, [total]);

  useEffect(() => {
    if (total !== null && !pending && !initialSync) reportReadyOnce(total);
  }, [total, pending, initialSync]);

  const update = (patch: Partial<CatalogFilters>, replace = false) =>
    navigate(catalogHash({ ...filters, ...patch }), { replace });

  const sortBy = (key: SortKey) => {
    if (filters.sort === key) {
      update({ sort: key, order: filters.order === 'desc' ? 'asc' : 'desc' });
    } else {
      update({ sort: key, order: key === 'synced_at' ? 'desc' : 'asc' });
    }
  };

  const filtered = hasFilters(filters);

  let body;
  if (total === null && error) {
    body = <ErrorState title="The catalog could not be loaded" error={error} onRetry={retry} />;
  } else if (total === null) {
    body = (
      <LoadingState>
        Loading services…
      </LoadingState>
    );
  } else if (total === 0) {
    body = filtered ? (
      <EmptyState title="No services match these filters">
        <p>Try fewer words or another team, language or lifecycle.</p>
        <button type="button" className="button" onClick={() => navigate(catalogHash({}))}>
          Clear filters
        </button>
      </EmptyState>
    ) : initialSync ? (
      <EmptyState title="The catalog is syncing">
        <p>Services appear here as soon as the first sync finishes; the indicator at the top right shows progress.</p>
      </EmptyState>
    ) : (
      <EmptyState title="The catalog is empty">
        <p>
          No services are known yet. Add an <code>atrium.yaml</code> to your repositories, or connect to your team&apos;s
          portal in <a href="#/settings">Settings</a>.
        </p>
      </EmptyState>
    );
  }

  return (
    <section className="list-page" aria-label="Service catalog">
      <div className="toolbar">
        <SearchBox value={filters.q} onSearch={(q) => update({ q }, true)} />
        <FacetFilter
          label="Team"
          allLabel="All teams"
          facets={facets?.owners}
          value={filters.owner}
          onChange={(owner) => update({ owner })}
        />
        <FacetFilter
          label="Language"
          allLabel="All languages"
          facets={facets?.languages}
          value={filters.language}
          onChange={(language) => update({ language })}
        />
        <FacetFilter
          label="Lifecycle"
          allLabel="All lifecycles"
          facets={facets?.lifecycles}
          value={filters.lifecycle}
          onChange={(lifecycle) => update({ lifecycle })}
        />
        {filtered && (
          <button type="button" className="button button-link" onClick={() => navigate(catalogHash({ sort: filters.sort, order: filters.order }))}>
            Clear filters
          </button>
        )}
        <span className="list-total" data-testid="catalog-total" aria-live="polite" aria-busy={pending || undefined}>
          {total === null ? '' : count(total, 'service')}
        </span>
        <NewServiceButton />
      </div>
      {error && total !== null && (
        <div className="inline-error" role="alert">
          {error.message}{' '}
          <button type="button" className="button button-link" onClick={retry}>
            Retry
          </button>
        </div>
      )}
      <div
        className={cx(table.table, pending && table.pending, styles.table)}
        role="table"
        aria-label="Services"
        aria-rowcount={(total ?? 0) + 1}
        aria-busy={pending || undefined}
      >
        <div className={table.thead} role="rowgroup">
          <div role="row">
            {COLUMNS.map((c) => {
              const active = c.sort !== undefined && filters.sort === c.sort;
              const ariaSort = active ? (filters.order === 'desc' ? 'descending' : 'ascending') : undefined;
              return (
                <div key={c.label} className={cx(table.th, c.className)} role="columnheader" aria-sort={ariaSort}>
                  {c.sort ? (
                    <SortButton sorted={ariaSort} onClick={() => c.sort && sortBy(c.sort)}>
                      {c.label}
                    </SortButton>
                  ) : (
                    c.label
                  )}
                </div>
              );
            })}
          </div>
        </div>
        <div
          className={table.tbody}
          role="rowgroup"
          ref={scrollRef}
          data-testid="catalog-rows"
          onScroll={(e) => scrollMemory.set(queryKey, e.currentTarget.scrollTop)}
        >
          {body ?? (
            <div className={table['tbody-inner']} style={{ height: virtualizer.getTotalSize() }}>
              {items.map((vi) => {
                const row = rowAt(vi.index);
                const style = { height: vi.size, transform: `translateY(${vi.start}px)` };
                return row ? (
                  <ServiceRowView key={vi.key} row={row} index={vi.index} style={style} now={now} />
                ) : (
                  <div key={vi.key} className={rowClass({}, styles.loading)} role="row" aria-rowindex={vi.index + 2} style={style}>
                    <div className={cellClass(styles.placeholder)} role="cell" />
                  </div>
                );
              })}
            </div>
          )}
        </div>
      </div>
    </section>
  );
}

interface RowProps {
  row: ServiceRow;
  index: number;
  style: { height: number; transform: string };
  now: Date;
}

function ServiceRowView({ row, index, style, now }: RowProps) {
  const open = () => navigate(serviceHash(row.name));
  return (
    <div
      className={rowClass()}
      role="row"
      aria-rowindex={index + 2}
      data-service={row.name}
      style={style}
      onClick={open}
    >
      <div className={cellClass(styles.service)} role="cell" data-column="service">
        <a className={styles['service-name']} href={serviceHash(row.name)} onClick={(e) => e.stopPropagation()}>
          {row.name}
        </a>
        <span className={styles['service-title']} title={row.description || undefined}>
          {row.title || row.description || '\u00a0'}
        </span>
      </div>
      <div className={cellClass()} role="cell" data-column="owner">
        {row.owner}
      </div>
      <div className={cellClass()} role="cell" data-column="language">
        {row.language}
      </div>
      <div className={cellClass()} role="cell" data-column="lifecycle">
        <LifecycleBadge lifecycle={row.lifecycle} />
      </div>
      <div className={cellClass(styles['col-repo'])} role="cell" data-column="repository">
        {row.repository ? (
          <ExternalLink href={row.repository} title={row.repository}>
            {repoLabel(row.repository)}
          </ExternalLink>
        ) : (
          <span className="muted">—</span>
        )}
      </div>
      <div className={cellClass(styles['col-synced'])} role="cell" data-column="synced">
        <time dateTime={row.synced_at} title={absoluteTime(row.synced_at)}>
          {relativeTime(row.synced_at, now)}
        </time>
      </div>
      <div className={cellClass()} role="cell" data-column="signals">
        {row.findings > 0 && (
          <Badge tone="error" title={count(row.findings, 'finding')}>
            {count(row.findings, 'finding')}
          </Badge>
        )}
        {row.outdated > 0 && (
          <Badge tone="warn" title={`${count(row.outdated, 'dependency', 'dependencies')} behind the newest release`}>
            {row.outdated} outdated
          </Badge>
        )}
        {row.findings === 0 && row.outdated === 0 && <QuietSignals language={row.language} />}
      </div>
    </div>
  );
}

/** The signals cell without a signal: all well, or — for a language Atrium does not read — not checked. */
function QuietSignals({ language }: { language: string }) {
  const q = quietSignals(language);
  return (
    <span className="muted" title={q.title} data-signals={q.checked ? 'none' : 'not-checked'}>
      {q.text}
    </span>
  );
}

import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { api, isAbortError, type Facets, type ServiceRow, type SortKey } from '../api/client';
import { useNow } from '../hooks/useNow';
import { afterPaint } from '../hooks/usePagedWindow';
import { useServicePages } from '../hooks/useServicePages';
import { absoluteTime, count, relativeTime } from '../lib/format';
import { catalogHash, navigate, serviceHash, teamHash, type CatalogFilters, type CatalogSignal } from '../lib/router';
import { highlight, searchTerms, type Term } from '../lib/search';
import { reportReadyOnce } from '../lib/usage';
import { cx } from '../lib/classNames';
import { ExternalLink } from '../components/ExternalLink';
import { FacetFilter } from '../components/FacetFilter';
import { LifecycleBadge } from '../components/LifecycleBadge';
import { NewServiceButton } from '../components/NewServiceButton';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { SearchBox } from '../components/SearchBox';
import { ServiceSignals } from '../components/ServiceSignals';
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
  { label: 'Signals', sort: 'signals' },
];

const SIGNAL_CHOICES: { value: CatalogSignal; label: string }[] = [
  { value: '', label: 'All services' },
  { value: 'findings', label: 'With findings' },
  { value: 'outdated', label: 'Outdated dependencies' },
  { value: 'degraded', label: 'Degraded deployments' },
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
  return Boolean(f.q.trim() || f.owner || f.language || f.lifecycle || f.system || f.signal);
}

/** How long the location waits for typing to pause before it takes the search text. */
const LOCATION_DELAY_MS = 300;

/**
 * The search text as typed, ahead of the location: a keystroke re-renders the catalog at once, and the location
 * takes the text when typing pauses (history.replaceState costs milliseconds of the main thread, and re-renders the
 * whole app). A change of the location from elsewhere (back, "Clear filters") wins. flush writes a pending text at
 * once (before leaving for a service page, so that "back" returns to it).
 */
function useLiveQuery(filters: CatalogFilters): { filters: CatalogFilters; search: (q: string) => void; flush: () => void } {
  const [live, setLive] = useState<string | null>(null);
  const sent = useRef(filters.q); // the last search text put in the location
  const latest = useRef(filters);
  const pending = useRef<{ q: string; timer: number } | null>(null);
  const effective = useMemo(() => (live === null ? filters : { ...filters, q: live }), [filters, live]);
  useEffect(() => {
    latest.current = effective;
  });
  const write = useCallback(() => {
    const p = pending.current;
    if (!p) return;
    window.clearTimeout(p.timer);
    pending.current = null;
    sent.current = p.q;
    navigate(catalogHash({ ...latest.current, q: p.q }), { replace: true });
  }, []);
  // Only a change of the location's text is news (live changing is our own typing).
  useEffect(() => {
    if (filters.q !== sent.current && filters.q !== latest.current.q) {
      // The location changed under us (back, "Clear filters"): follow it, and drop a write not yet made.
      if (pending.current) window.clearTimeout(pending.current.timer);
      pending.current = null;
      setLive(null);
    }
  }, [filters.q]);
  useEffect(() => {
    // Going elsewhere (a link, back) before typing paused: the text not yet written stays unwritten.
    const drop = () => {
      if (pending.current) window.clearTimeout(pending.current.timer);
      pending.current = null;
    };
    window.addEventListener('hashchange', drop);
    window.addEventListener('popstate', drop);
    return () => {
      drop();
      window.removeEventListener('hashchange', drop);
      window.removeEventListener('popstate', drop);
    };
  }, []);
  const search = useCallback(
    (q: string) => {
      setLive(q);
      if (pending.current) window.clearTimeout(pending.current.timer);
      pending.current = { q, timer: window.setTimeout(write, LOCATION_DELAY_MS) };
    },
    [write],
  );
  return { filters: effective, search, flush: write };
}

/** The service catalog: search, filters, a sortable virtualised table paging through the API. */
export function CatalogTable({ filters: located, refreshKey, initialSync }: Props) {
  const { filters, search, flush } = useLiveQuery(located);
  const terms = useMemo(() => searchTerms(filters.q), [filters.q]);
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

  // A new query starts at the top; coming back to a query scrolls to where the user was. The position is the one
  // the scroll events left: reading or writing scrollTop here would make the browser lay out the page at every
  // keystroke.
  const scrolled = useRef(0);
  useLayoutEffect(() => {
    if (shownKey.current === queryKey) return;
    shownKey.current = queryKey;
    restore.current = null;
    if (scrollRef.current && scrolled.current !== 0) scrollRef.current.scrollTop = 0;
  }, [queryKey]);
  useLayoutEffect(() => {
    if (total !== null && restore.current !== null && scrollRef.current) {
      scrollRef.current.scrollTop = restore.current;
      restore.current = null;
    }
  }, [total]);

  // ui.ready once the first rows are painted (bench/desktop-coldstart.sh times the window's start to it).
  useEffect(() => {
    if (total !== null && !pending && !initialSync) return afterPaint(() => reportReadyOnce(total));
  }, [total, pending, initialSync]);

  const update = (patch: Partial<CatalogFilters>, replace = false) =>
    navigate(catalogHash({ ...filters, ...patch }), { replace });

  const sortBy = (key: SortKey) => {
    if (filters.sort === key) {
      update({ sort: key, order: filters.order === 'desc' ? 'asc' : 'desc' });
    } else {
      update({ sort: key, order: key === 'synced_at' || key === 'signals' ? 'desc' : 'asc' });
    }
  };

  const filtered = hasFilters(filters);

  // The keyboard: ArrowDown from the search box to the first row; ArrowUp/Down, PageUp/Down, Home/End between rows
  // (each row's name is a link: Enter opens it); ArrowUp from the first row back to the box.
  const focusRow = (i: number) => {
    const n = total ?? 0;
    if (n === 0) return;
    const target = Math.max(0, Math.min(n - 1, i));
    const link = () => scrollRef.current?.querySelector<HTMLElement>(`[aria-rowindex="${target + 2}"] a[data-row-link]`);
    const now = link();
    if (now) {
      now.focus();
      return;
    }
    virtualizer.scrollToIndex(target, { align: 'auto' });
    requestAnimationFrame(() => requestAnimationFrame(() => link()?.focus()));
  };
  const onRowsKey = (e: KeyboardEvent) => {
    const row = (e.target as HTMLElement).closest('[aria-rowindex]');
    if (!row) return;
    const i = Number(row.getAttribute('aria-rowindex')) - 2;
    const moves: Record<string, number> = { ArrowDown: i + 1, ArrowUp: i - 1, PageDown: i + 10, PageUp: i - 10, Home: 0, End: (total ?? 1) - 1 };
    const to = moves[e.key];
    if (to === undefined) return;
    e.preventDefault();
    if (to < 0) document.querySelector<HTMLInputElement>('main input[type="search"]')?.focus();
    else focusRow(to);
  };

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
        <SearchBox value={filters.q} onSearch={search} onArrowDown={() => focusRow(0)} />
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
        <label className={`facet-filter${filters.signal ? ' facet-filter-active' : ''}`}>
          <span className="facet-label">Signals</span>
          <select aria-label="Signals" value={filters.signal ?? ''} onChange={(e) => update({ signal: e.target.value as CatalogSignal })}>
            {SIGNAL_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        {filters.system && (
          <span className={styles['system-filter']} data-testid="system-filter">
            System <strong>{filters.system}</strong>
            <button type="button" className="button button-link" aria-label={`Show every system, not only ${filters.system}`} onClick={() => update({ system: '' })}>
              ✕
            </button>
          </span>
        )}
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
        data-rows-for={pending ? undefined : filters.q}
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
          onKeyDown={onRowsKey}
          onScroll={(e) => {
            scrolled.current = e.currentTarget.scrollTop;
            scrollMemory.set(queryKey, scrolled.current);
          }}
        >
          {body ?? (
            <div className={table['tbody-inner']} style={{ height: virtualizer.getTotalSize() }}>
              {items.map((vi) => {
                const row = rowAt(vi.index);
                return row ? (
                  <ServiceRowView key={vi.key} row={row} index={vi.index} start={vi.start} size={vi.size} now={now} terms={terms} beforeOpen={flush} />
                ) : (
                  <div
                    key={vi.key}
                    className={rowClass({}, styles.loading)}
                    role="row"
                    aria-rowindex={vi.index + 2}
                    style={{ height: vi.size, transform: `translateY(${vi.start}px)` }}
                  >
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
  start: number;
  size: number;
  now: Date;
  /** The search's terms, marked where they matched. */
  terms: readonly Term[];
  /** Called before the row opens its service (the location takes the search text first). */
  beforeOpen: () => void;
}

/** text with the words the terms matched marked. */
function Marked({ text, terms }: { text: string; terms: readonly Term[] }) {
  const pieces = highlight(text, terms);
  if (pieces.length === 1 && !pieces[0]?.hit) return text;
  return pieces.map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : p.text));
}

function hits(text: string, terms: readonly Term[]): boolean {
  return terms.length > 0 && highlight(text, terms).some((p) => p.hit);
}

/**
 * The line under a service's name: its title, or — when the search matched its description or a tag and not the
 * title — the text that matched, so that every row says why it is there.
 */
function Subtitle({ row, terms }: { row: ServiceRow; terms: readonly Term[] }) {
  const title = row.title || '';
  if (terms.length > 0 && !hits(title, terms)) {
    if (hits(row.description, terms)) {
      return (
        <span className={styles['service-title']} title={row.description} data-matched="description">
          <Marked text={row.description} terms={terms} />
        </span>
      );
    }
    const tags = row.tags.filter((t) => hits(t, terms));
    if (tags.length > 0) {
      return (
        <span className={styles['service-title']} data-matched="tags">
          {tags.map((t, i) => (
            <span key={t}>
              {i > 0 && ', '}#<Marked text={t} terms={terms} />
            </span>
          ))}
        </span>
      );
    }
  }
  return (
    <span className={styles['service-title']} title={row.description || undefined}>
      {title ? <Marked text={title} terms={terms} /> : row.description || '\u00a0'}
    </span>
  );
}

/** One row; memoised, so that the re-render marking the table busy at a keystroke leaves the rows alone. */
const ServiceRowView = memo(function ServiceRowView({ row, index, start, size, now, terms, beforeOpen }: RowProps) {
  const open = () => {
    beforeOpen();
    navigate(serviceHash(row.name));
  };
  const style = { height: size, transform: `translateY(${start}px)` };
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
        <a
          className={styles['service-name']}
          href={serviceHash(row.name)}
          data-row-link
          onClick={(e) => {
            e.stopPropagation();
            beforeOpen();
          }}
        >
          <Marked text={row.name} terms={terms} />
        </a>
        <Subtitle row={row} terms={terms} />
      </div>
      <div className={cellClass()} role="cell" data-column="owner">
        <a className={styles.owner} href={teamHash(row.owner)} onClick={(e) => e.stopPropagation()} title={`Team ${row.owner}: its services, scores and requests`}>
          <Marked text={row.owner} terms={terms} />
        </a>
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
      <div className={cellClass(styles.signals)} role="cell" data-column="signals">
        <ServiceSignals service={row} />
      </div>
    </div>
  );
});


// Pages of a long list fetched as a virtualised view scrolls: the catalog (useServicePages) and the matrix
// (useMatrixPages) share this; each says how to fetch one page.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { asApiError, isAbortError, type ApiError } from '../api/client';

/** One page's answer: the total, the rows, and what the page says about every row (the matrix's columns). */
export interface WindowPage<Row, Meta> {
  total: number;
  rows: Row[];
  meta: Meta;
}

/** Where a paged list comes from. Keep it a module constant: the hook's callbacks depend on it. */
export interface WindowSource<Q, Row, Meta> {
  pageSize: number;
  fetch(query: Q, limit: number, offset: number, signal: AbortSignal): Promise<WindowPage<Row, Meta>>;
  /** Meta before the first answer. */
  initialMeta: Meta;
  /**
   * A key of meta: a page whose meta's key differs from the one shown replaces the other pages (they are fetched
   * again when in view), so rows of different shapes never show together. Without it, meta is the last answer's.
   */
  metaKey?(meta: Meta): string;
  /**
   * The first page of query worked out, without asking, from an earlier query's complete answer (all its rows in
   * its first page), or null when that answer cannot say. The request is made anyway; its answer replaces this.
   */
  refine?(query: Q, from: { query: Q; total: number; rows: readonly Row[] }): { total: number; rows: Row[] } | null;
}

export interface PagedWindow<Row, Meta> {
  /** Matching rows in all pages; null until the first page has answered. */
  total: number | null;
  meta: Meta;
  /** The row at index, or undefined while its page is loading. */
  rowAt: (index: number) => Row | undefined;
  error: ApiError | null;
  /** Asks for the pages holding rows first..last (inclusive); call as the visible range changes. */
  ensureRange: (first: number, last: number) => void;
  /** Fetches the wanted pages again after an error. */
  retry: () => void;
  /** Changes when a new query starts (not on background refresh). */
  queryKey: string;
  /** True while the rows shown answer an earlier query. */
  pending: boolean;
}

interface PageState<Row, Meta> {
  /** The query these rows answer; while a new query is on its way the previous rows stay on screen. */
  forQuery: string;
  total: number | null;
  meta: Meta;
  pages: ReadonlyMap<number, Row[]>;
  stale: ReadonlySet<number>;
  error: ApiError | null;
}

interface Generation<Q> {
  key: string;
  /** The query and the replica version: the first pages' cache key. */
  cacheKey: string;
  refreshKey: string;
  query: Q;
  controller: AbortController;
  inflight: Set<number>;
}

/** How many first pages a list keeps, by query and replica version. */
const FIRST_PAGES = 32;

function emptyState<Row, Meta>(meta: Meta): PageState<Row, Meta> {
  return { forQuery: '', total: null, meta, pages: new Map(), stale: new Set(), error: null };
}

/** Runs fn after the browser painted the next frame; returns a cancel. */
export function afterPaint(fn: () => void): () => void {
  let timer: number | undefined;
  const frame = requestAnimationFrame(() => {
    timer = window.setTimeout(fn, 0);
  });
  return () => {
    cancelAnimationFrame(frame);
    window.clearTimeout(timer);
  };
}

/** The first page of g's query from the cache: its own answer, else one refined from a complete earlier answer. */
function knownFirstPage<Q, Row, Meta>(
  cache: ReadonlyMap<string, { refreshKey: string; query: Q; page: WindowPage<Row, Meta> }>,
  g: Pick<Generation<Q>, 'cacheKey' | 'refreshKey' | 'query'>,
  source: WindowSource<Q, Row, Meta>,
): WindowPage<Row, Meta> | null {
  const own = cache.get(g.cacheKey);
  if (own) return own.page;
  if (!source.refine) return null;
  // The most recent answers first: the query typed just before is the likeliest to hold this one's rows.
  for (const e of [...cache.values()].reverse()) {
    if (e.refreshKey !== g.refreshKey) continue;
    const got = source.refine(g.query, { query: e.query, total: e.page.total, rows: e.page.rows });
    if (got) return { ...got, meta: e.page.meta };
  }
  return null;
}

/**
 * Loads source page by page for query (a JSON value; its JSON is the query's key). A new query keeps the previous
 * rows on screen (pending) until its first page answers, and cancels requests in flight (AbortController), so stale
 * answers never show. A new refreshKey (the replica changed) keeps the rows on screen and refetches the pages in
 * view in the background, so scroll position and filters stay; the other pages are refetched when scrolled to.
 * The first pages of the last few queries are kept: going back to one (Backspace in a search box) shows its rows at
 * once, while the request made anyway replaces them.
 */
export function usePagedWindow<Q, Row, Meta>(source: WindowSource<Q, Row, Meta>, query: Q, refreshKey: string): PagedWindow<Row, Meta> {
  const queryKey = JSON.stringify(query);
  const [state, setState] = useState<PageState<Row, Meta>>(() => emptyState(source.initialMeta));
  const gen = useRef<Generation<Q> | null>(null);
  const wanted = useRef<[number, number]>([0, 0]);
  const last = useRef<{ queryKey: string; refreshKey: string } | null>(null);
  const firstPages = useRef(new Map<string, { refreshKey: string; query: Q; page: WindowPage<Row, Meta> }>());
  const { pageSize } = source;

  const fetchPage = useCallback(
    (page: number) => {
      const g = gen.current;
      if (!g || g.inflight.has(page)) return;
      g.inflight.add(page);
      source.fetch(g.query, pageSize, page * pageSize, g.controller.signal).then(
        (res) => {
          if (gen.current !== g) return;
          g.inflight.delete(page);
          if (page === 0) {
            const cache = firstPages.current;
            cache.delete(g.cacheKey);
            cache.set(g.cacheKey, { refreshKey: g.refreshKey, query: g.query, page: res });
            if (cache.size > FIRST_PAGES) cache.delete(cache.keys().next().value as string);
          }
          setState((s) => {
            const fresh = { forQuery: g.key, total: res.total, meta: res.meta, error: null };
            const otherShape = source.metaKey !== undefined && source.metaKey(s.meta) !== source.metaKey(res.meta);
            if (s.forQuery !== g.key || otherShape) {
              // First answer to a new query (or rows of another shape): replace what is shown in one go.
              return { ...fresh, pages: new Map([[page, res.rows]]), stale: new Set<number>() };
            }
            const pages = new Map(s.pages);
            pages.set(page, res.rows);
            const stale = new Set(s.stale);
            stale.delete(page);
            return { ...fresh, pages, stale };
          });
        },
        (err: unknown) => {
          if (isAbortError(err) || gen.current !== g) return;
          g.inflight.delete(page);
          const error = asApiError(err);
          setState((s) => (s.forQuery === g.key ? { ...s, error } : { ...emptyState<Row, Meta>(source.initialMeta), forQuery: g.key, error }));
        },
      );
    },
    [source, pageSize],
  );

  useEffect(() => {
    const prev = last.current;
    last.current = { queryKey, refreshKey };
    const g: Generation<Q> = {
      key: queryKey,
      cacheKey: `${refreshKey}|${queryKey}`,
      refreshKey,
      query: JSON.parse(queryKey) as Q,
      controller: new AbortController(),
      inflight: new Set(),
    };
    gen.current = g;
    const known = !prev || prev.queryKey !== queryKey ? knownFirstPage(firstPages.current, g, source) : null;
    if (known) {
      // A query answered before on this replica, or one an earlier complete answer holds: its first page at once
      // (committed before the browser paints), marked stale so that the request below replaces it.
      setState({ forQuery: queryKey, total: known.total, meta: known.meta, pages: new Map([[0, known.rows]]), stale: new Set([0]), error: null });
    } else {
      setState((s) => ({ ...s, stale: new Set(s.pages.keys()), error: null }));
    }
    let cancel = () => {};
    if (!prev || prev.queryKey !== queryKey) {
      // New query: the previous rows stay (dimmed) until its first page answers, so typing does not flash.
      wanted.current = [0, 0];
      // Rows already known are painted first; asking (a few ms of the main thread) waits until they are.
      if (known) cancel = afterPaint(() => fetchPage(0));
      else fetchPage(0);
    } else {
      // Same query, newer replica: keep showing what we have, refetch what is on screen.
      const [first, lastPage] = wanted.current;
      for (let p = first; p <= lastPage; p++) fetchPage(p);
    }
    return () => {
      cancel();
      g.controller.abort();
    };
  }, [queryKey, refreshKey, fetchPage, source]);

  const { pages, stale, error } = state;

  const ensureRange = useCallback(
    (firstRow: number, lastRow: number) => {
      const first = Math.floor(Math.max(0, firstRow) / pageSize);
      const lastPage = Math.floor(Math.max(0, lastRow) / pageSize);
      wanted.current = [first, lastPage];
      if (error) return; // wait for retry(), rather than hammering a failing API
      for (let p = first; p <= lastPage; p++) {
        if (!pages.has(p) || stale.has(p)) fetchPage(p);
      }
    },
    [pages, stale, error, fetchPage, pageSize],
  );

  const retry = useCallback(() => {
    setState((s) => ({ ...s, error: null }));
    const [first, lastPage] = wanted.current;
    for (let p = first; p <= lastPage; p++) fetchPage(p);
  }, [fetchPage]);

  const rowAt = useCallback((index: number) => pages.get(Math.floor(index / pageSize))?.[index % pageSize], [pages, pageSize]);

  // A new query whose first page is known shows it in the very render that asks for it (the effect above stores
  // it a moment later): no frame shows the previous rows.
  const known = useMemo(
    () =>
      state.forQuery === queryKey
        ? null
        : knownFirstPage(firstPages.current, { cacheKey: `${refreshKey}|${queryKey}`, refreshKey, query: JSON.parse(queryKey) as Q }, source),
    [state.forQuery, queryKey, refreshKey, source],
  );
  const knownRowAt = useCallback((index: number) => (known && index < known.rows.length ? known.rows[index] : undefined), [known]);
  if (known) return { total: known.total, meta: known.meta, rowAt: knownRowAt, error: null, ensureRange, retry, queryKey, pending: false };

  const pending = state.forQuery !== queryKey;
  return { total: state.total, meta: state.meta, rowAt, error: pending ? null : error, ensureRange, retry, queryKey, pending };
}

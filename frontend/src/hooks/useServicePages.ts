// The catalog table's data: pages of GET /api/v1/services fetched as the user scrolls, for any number of rows.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, isAbortError, type ServiceQuery, type ServiceRow } from '../api/client';
import type { CatalogFilters } from '../lib/router';

export const PAGE_SIZE = 200;

export interface ServicePages {
  /** Matching services in all pages; null until the first page has answered. */
  total: number | null;
  /** The row at index, or undefined while its page is loading. */
  rowAt: (index: number) => ServiceRow | undefined;
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

interface PageState {
  /** The query these rows answer; while a new query is on its way the previous rows stay on screen. */
  forQuery: string;
  total: number | null;
  pages: ReadonlyMap<number, ServiceRow[]>;
  stale: ReadonlySet<number>;
  error: ApiError | null;
}

interface Generation {
  key: string;
  query: ServiceQuery;
  controller: AbortController;
  inflight: Set<number>;
}

export function toServiceQuery(f: CatalogFilters): ServiceQuery {
  const q: ServiceQuery = {};
  if (f.q.trim()) q.q = f.q.trim();
  if (f.owner) q.owner = f.owner;
  if (f.language) q.language = f.language;
  if (f.lifecycle) q.lifecycle = f.lifecycle;
  if (f.sort) {
    q.sort = f.sort;
    q.order = f.order ?? 'asc';
  }
  return q;
}

const EMPTY: PageState = { forQuery: '', total: null, pages: new Map(), stale: new Set(), error: null };

/**
 * Loads the catalog page by page for filters. A new query drops what was loaded and cancels requests in flight
 * (AbortController), so stale answers never show. A new refreshKey (the replica changed) keeps the rows on screen
 * and refetches the visible pages in the background, so scroll position and filters stay.
 */
export function useServicePages(filters: CatalogFilters, refreshKey: string): ServicePages {
  const query = toServiceQuery(filters);
  const queryKey = JSON.stringify(query);
  const [state, setState] = useState<PageState>(EMPTY);
  const gen = useRef<Generation | null>(null);
  const wanted = useRef<[number, number]>([0, 0]);
  const last = useRef<{ queryKey: string; refreshKey: string } | null>(null);

  const fetchPage = useCallback((page: number) => {
    const g = gen.current;
    if (!g || g.inflight.has(page)) return;
    g.inflight.add(page);
    api.listServices({ ...g.query, limit: PAGE_SIZE, offset: page * PAGE_SIZE }, g.controller.signal).then(
      (res) => {
        if (gen.current !== g) return;
        g.inflight.delete(page);
        setState((s) => {
          if (s.forQuery !== g.key) {
            // First answer to a new query: replace the previous query's rows in one go.
            return { forQuery: g.key, total: res.total, pages: new Map([[page, res.items]]), stale: new Set(), error: null };
          }
          const pages = new Map(s.pages);
          pages.set(page, res.items);
          const stale = new Set(s.stale);
          stale.delete(page);
          return { forQuery: g.key, total: res.total, pages, stale, error: null };
        });
      },
      (err: unknown) => {
        if (isAbortError(err) || gen.current !== g) return;
        g.inflight.delete(page);
        const error = err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err));
        setState((s) => (s.forQuery === g.key ? { ...s, error } : { ...EMPTY, forQuery: g.key, error }));
      },
    );
  }, []);

  useEffect(() => {
    const prev = last.current;
    last.current = { queryKey, refreshKey };
    const g: Generation = {
      key: queryKey,
      query: JSON.parse(queryKey) as ServiceQuery,
      controller: new AbortController(),
      inflight: new Set(),
    };
    gen.current = g;
    if (!prev || prev.queryKey !== queryKey) {
      // New query: the previous rows stay (dimmed) until its first page answers, so typing does not flash.
      wanted.current = [0, 0];
      setState((s) => ({ ...s, stale: new Set(s.pages.keys()), error: null }));
      fetchPage(0);
    } else {
      // Same query, newer replica: keep showing what we have, refetch what is on screen.
      setState((s) => ({ ...s, stale: new Set(s.pages.keys()), error: null }));
      const [first, lastPage] = wanted.current;
      for (let p = first; p <= lastPage; p++) fetchPage(p);
    }
    return () => g.controller.abort();
  }, [queryKey, refreshKey, fetchPage]);

  const { pages, stale, error } = state;

  const ensureRange = useCallback(
    (firstRow: number, lastRow: number) => {
      const first = Math.floor(Math.max(0, firstRow) / PAGE_SIZE);
      const lastPage = Math.floor(Math.max(0, lastRow) / PAGE_SIZE);
      wanted.current = [first, lastPage];
      if (error) return; // wait for retry(), rather than hammering a failing API
      for (let p = first; p <= lastPage; p++) {
        if (!pages.has(p) || stale.has(p)) fetchPage(p);
      }
    },
    [pages, stale, error, fetchPage],
  );

  const retry = useCallback(() => {
    setState((s) => ({ ...s, error: null }));
    const [first, lastPage] = wanted.current;
    for (let p = first; p <= lastPage; p++) fetchPage(p);
  }, [fetchPage]);

  const rowAt = useCallback(
    (index: number) => pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE],
    [pages],
  );

  const pending = state.forQuery !== queryKey;
  return { total: state.total, rowAt, error: pending ? null : error, ensureRange, retry, queryKey, pending };
}

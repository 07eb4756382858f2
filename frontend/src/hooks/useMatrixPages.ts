// The matrix's data: pages of GET /api/v1/kube/matrix fetched as the grid scrolls, for any number of services.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, asApiError, isAbortError, type ApiError, type MatrixCluster, type MatrixQuery, type MatrixRow } from '../api/client';
import { columnsKey, toMatrixQuery } from '../lib/matrix';
import type { MatrixFilters } from '../lib/router';

/** Services per call: a fleet's rows carry a cell per cluster (50 clusters: about 5 kB a row). */
export const MATRIX_PAGE = 100;

export interface MatrixPages {
  /** Services in all pages; null until the first page has answered. */
  total: number | null;
  /** The columns, in the order of every row's cells. */
  clusters: MatrixCluster[];
  /** The row at index, or undefined while its page is loading. */
  rowAt: (index: number) => MatrixRow | undefined;
  error: ApiError | null;
  /** Asks for the pages holding rows first..last (inclusive); call as the visible range changes. */
  ensureRange: (first: number, last: number) => void;
  retry: () => void;
  /** Changes when a new query starts (not on background refresh). */
  queryKey: string;
  /** True while the rows shown answer an earlier query. */
  pending: boolean;
}

interface PageState {
  forQuery: string;
  total: number | null;
  clusters: MatrixCluster[];
  pages: ReadonlyMap<number, MatrixRow[]>;
  stale: ReadonlySet<number>;
  error: ApiError | null;
}

interface Generation {
  key: string;
  query: MatrixQuery;
  controller: AbortController;
  inflight: Set<number>;
}

const EMPTY: PageState = { forQuery: '', total: null, clusters: [], pages: new Map(), stale: new Set(), error: null };

/**
 * Loads the matrix page by page for filters, like the catalog: a new query keeps the previous rows on screen
 * (dimmed) until its first page answers and cancels what is in flight; a new refreshKey (the replica changed)
 * refetches the visible pages in the background. Every page carries the columns; a page whose columns differ
 * from those shown (a cluster appeared meanwhile) replaces the others, which are fetched again when in view, so
 * cells never land under another cluster's header.
 */
export function useMatrixPages(filters: MatrixFilters, refreshKey: string): MatrixPages {
  const queryKey = JSON.stringify(toMatrixQuery(filters));
  const [state, setState] = useState<PageState>(EMPTY);
  const gen = useRef<Generation | null>(null);
  const wanted = useRef<[number, number]>([0, 0]);
  const last = useRef<{ queryKey: string; refreshKey: string } | null>(null);

  const fetchPage = useCallback((page: number) => {
    const g = gen.current;
    if (!g || g.inflight.has(page)) return;
    g.inflight.add(page);
    api.getKubeMatrix({ ...g.query, limit: MATRIX_PAGE, offset: page * MATRIX_PAGE }, g.controller.signal).then(
      (res) => {
        if (gen.current !== g) return;
        g.inflight.delete(page);
        setState((s) => {
          const fresh = { forQuery: g.key, total: res.total, clusters: res.clusters, error: null };
          if (s.forQuery !== g.key || columnsKey(s.clusters) !== columnsKey(res.clusters)) {
            return { ...fresh, pages: new Map([[page, res.services]]), stale: new Set<number>() };
          }
          const pages = new Map(s.pages);
          pages.set(page, res.services);
          const stale = new Set(s.stale);
          stale.delete(page);
          return { ...fresh, pages, stale };
        });
      },
      (err: unknown) => {
        if (isAbortError(err) || gen.current !== g) return;
        g.inflight.delete(page);
        const error = asApiError(err);
        setState((s) => (s.forQuery === g.key ? { ...s, error } : { ...EMPTY, forQuery: g.key, error }));
      },
    );
  }, []);

  useEffect(() => {
    const prev = last.current;
    last.current = { queryKey, refreshKey };
    const g: Generation = { key: queryKey, query: JSON.parse(queryKey) as MatrixQuery, controller: new AbortController(), inflight: new Set() };
    gen.current = g;
    setState((s) => ({ ...s, stale: new Set(s.pages.keys()), error: null }));
    if (!prev || prev.queryKey !== queryKey) {
      wanted.current = [0, 0];
      fetchPage(0);
    } else {
      const [first, lastPage] = wanted.current;
      for (let p = first; p <= lastPage; p++) fetchPage(p);
    }
    return () => g.controller.abort();
  }, [queryKey, refreshKey, fetchPage]);

  const { pages, stale, error } = state;

  const ensureRange = useCallback(
    (firstRow: number, lastRow: number) => {
      const first = Math.floor(Math.max(0, firstRow) / MATRIX_PAGE);
      const lastPage = Math.floor(Math.max(0, lastRow) / MATRIX_PAGE);
      wanted.current = [first, lastPage];
      if (error) return; // wait for retry() rather than hammering a failing API
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

  const rowAt = useCallback((index: number) => pages.get(Math.floor(index / MATRIX_PAGE))?.[index % MATRIX_PAGE], [pages]);

  const pending = state.forQuery !== queryKey;
  return { total: state.total, clusters: state.clusters, rowAt, error: pending ? null : error, ensureRange, retry, queryKey, pending };
}

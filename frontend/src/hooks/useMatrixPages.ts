// The matrix's data: pages of GET /api/v1/kube/matrix fetched as the grid scrolls, for any number of services.
import { api, type ApiError, type MatrixCluster, type MatrixQuery, type MatrixRow } from '../api/client';
import { columnsKey, toMatrixQuery } from '../lib/matrix';
import type { MatrixFilters } from '../lib/router';
import { usePagedWindow, type WindowSource } from './usePagedWindow';

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

const MATRIX: WindowSource<MatrixQuery, MatrixRow, MatrixCluster[]> = {
  pageSize: MATRIX_PAGE,
  fetch: async (query, limit, offset, signal) => {
    const res = await api.getKubeMatrix({ ...query, limit, offset }, signal);
    return { total: res.total, rows: res.services, meta: res.clusters };
  },
  initialMeta: [],
  // Every page carries the columns: a page whose columns differ from those shown replaces the others.
  metaKey: columnsKey,
};

/**
 * Loads the matrix page by page for filters, like the catalog (usePagedWindow): a new query keeps the previous rows
 * on screen (dimmed) until its first page answers and cancels what is in flight; a new refreshKey (the replica
 * changed) refetches the visible pages in the background. Every page carries the columns; a page whose columns
 * differ from those shown (a cluster appeared meanwhile) replaces the others, which are fetched again when in view,
 * so cells never land under another cluster's header.
 */
export function useMatrixPages(filters: MatrixFilters, refreshKey: string): MatrixPages {
  const { total, meta, rowAt, error, ensureRange, retry, queryKey, pending } = usePagedWindow(MATRIX, toMatrixQuery(filters), refreshKey);
  return { total, clusters: meta, rowAt, error, ensureRange, retry, queryKey, pending };
}

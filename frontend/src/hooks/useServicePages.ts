// The catalog table's data: pages of GET /api/v1/services fetched as the user scrolls, for any number of rows.
import { api, type ApiError, type ServiceQuery, type ServiceRow } from '../api/client';
import type { CatalogFilters } from '../lib/router';
import { refineServices } from '../lib/search';
import { usePagedWindow, type WindowSource } from './usePagedWindow';

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

export function toServiceQuery(f: CatalogFilters): ServiceQuery {
  const q: ServiceQuery = {};
  if (f.q.trim()) q.q = f.q.trim();
  if (f.owner) q.owner = f.owner;
  if (f.language) q.language = f.language;
  if (f.lifecycle) q.lifecycle = f.lifecycle;
  if (f.system) q.system = f.system;
  if (f.signal) q.signal = f.signal;
  if (f.sort) {
    q.sort = f.sort;
    q.order = f.order ?? 'asc';
  }
  return q;
}

const SERVICES: WindowSource<ServiceQuery, ServiceRow, null> = {
  pageSize: PAGE_SIZE,
  fetch: async (query, limit, offset, signal) => {
    const res = await api.listServices({ ...query, limit, offset }, signal);
    return { total: res.total, rows: res.items, meta: null };
  },
  initialMeta: null,
  // Typing on from a query whose every row is on hand (the demo's whole catalog is one page) needs no round trip.
  refine: refineServices,
};

/**
 * Loads the catalog page by page for filters (usePagedWindow): a new query drops what was loaded and cancels
 * requests in flight, so stale answers never show; a new refreshKey (the replica changed) keeps the rows on screen
 * and refetches the visible pages in the background, so scroll position and filters stay.
 */
export function useServicePages(filters: CatalogFilters, refreshKey: string): ServicePages {
  const { total, rowAt, error, ensureRange, retry, queryKey, pending } = usePagedWindow(SERVICES, toServiceQuery(filters), refreshKey);
  return { total, rowAt, error, ensureRange, retry, queryKey, pending };
}

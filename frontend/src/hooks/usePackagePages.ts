import { api, type PackageQuery, type PackageRow } from '../api/client';
import { nextOffset, useLoadMore, type MoreSource } from './useLoadMore';

export const PACKAGE_PAGE = 200;

const PACKAGES: MoreSource<PackageQuery, PackageRow, number> = {
  fetch: async (query, offset, signal) => {
    const page = await api.listPackages({ ...query, limit: PACKAGE_PAGE, offset: offset ?? 0 }, signal);
    return { items: page.items, total: page.total, next: nextOffset(offset, page.items.length, page.total) };
  },
};

/**
 * The packages table, 200 rows per call as the virtualised list scrolls (useLoadMore). A new query keeps the
 * previous rows on screen (stale) until its first page answers; a change of the replica (refreshKey) reloads from
 * the top.
 */
export function usePackagePages(query: PackageQuery, refreshKey: string) {
  return useLoadMore(PACKAGES, query, { refreshKey });
}

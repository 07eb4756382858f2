import { useCallback, useEffect, useRef, useState } from 'react';
import { api, asApiError, isAbortError, type ApiError, type PackageQuery, type PackageRow } from '../api/client';

export const PACKAGE_PAGE = 200;

interface Pages {
  key: string;
  items: PackageRow[];
  total: number | null;
  loading: boolean;
  error: ApiError | null;
}

/**
 * The packages table, 200 rows per call as the virtualised list scrolls. A new query keeps the previous rows on
 * screen (stale) until its first page answers; a change of the replica (refreshKey) reloads from the top.
 */
export function usePackagePages(query: PackageQuery, refreshKey: string) {
  const key = JSON.stringify(query);
  const [pages, setPages] = useState<Pages>({ key: '', items: [], total: null, loading: false, error: null });
  const controller = useRef<AbortController | null>(null);
  const [attempt, setAttempt] = useState(0);

  const fetchPage = useCallback(
    (offset: number) => {
      controller.current?.abort();
      const c = new AbortController();
      controller.current = c;
      setPages((p) => ({ ...p, loading: true, error: null }));
      api.listPackages({ ...(JSON.parse(key) as PackageQuery), limit: PACKAGE_PAGE, offset }, c.signal).then(
        (page) =>
          setPages((p) => ({
            key,
            items: offset === 0 ? page.items : [...p.items, ...page.items],
            total: page.total,
            loading: false,
            error: null,
          })),
        (err: unknown) => {
          if (isAbortError(err)) return;
          setPages((p) => ({ ...p, loading: false, error: asApiError(err) }));
        },
      );
    },
    [key],
  );

  useEffect(() => {
    fetchPage(0);
    return () => controller.current?.abort();
  }, [fetchPage, refreshKey, attempt]);

  const more = useCallback(() => {
    if (pages.loading || pages.error || pages.key !== key || pages.total === null || pages.items.length >= pages.total) return;
    fetchPage(pages.items.length);
  }, [pages, key, fetchPage]);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { ...pages, stale: pages.key !== key, more, reload };
}

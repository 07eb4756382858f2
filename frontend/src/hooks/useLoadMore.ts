// Lists read from the top, one page at a time, as a virtualised list reaches its end: the packages table
// (usePackagePages), the audit log and the unmapped workloads share this; each says how to fetch one page.
import { useCallback, useEffect, useRef, useState } from 'react';
import { asApiError, isAbortError, type ApiError } from '../api/client';

/** One page's answer: its items, the total when the API counts them, and where the next page starts (none: the end). */
export interface MorePage<Item, Cursor> {
  items: Item[];
  total: number | null;
  next: Cursor | undefined;
}

/** Where a list comes from. Keep it a module constant: the hook's callbacks depend on it. */
export interface MoreSource<Q, Item, Cursor> {
  /** The page at cursor (undefined: the first page). */
  fetch(query: Q, cursor: Cursor | undefined, signal: AbortSignal): Promise<MorePage<Item, Cursor>>;
  /**
   * Whether a new query empties the list at once (the audit log) rather than keeping the previous query's items on
   * screen, marked stale, until its first page answers (packages).
   */
  clearOnNewQuery?: boolean;
}

export interface LoadMore<Item, Cursor> {
  /** The query the items answer (JSON). */
  key: string;
  items: Item[];
  total: number | null;
  /** Where the next page starts; undefined at the end. */
  next: Cursor | undefined;
  loading: boolean;
  error: ApiError | null;
  /** The items answer an earlier query. */
  stale: boolean;
  /** Fetches the next page, unless one is on its way, the last failed, or the list is complete. */
  more: () => void;
  /** Reads the list again from the top. */
  reload: () => void;
}

interface State<Item, Cursor> {
  key: string;
  items: Item[];
  total: number | null;
  next: Cursor | undefined;
  loading: boolean;
  error: ApiError | null;
}

/**
 * Loads source for query (a JSON value) from the top while enabled, and again when refreshKey changes; more()
 * appends the next page. A request still on its way when another starts is cancelled.
 */
export function useLoadMore<Q, Item, Cursor>(
  source: MoreSource<Q, Item, Cursor>,
  query: Q,
  { refreshKey = '', enabled = true }: { refreshKey?: string; enabled?: boolean } = {},
): LoadMore<Item, Cursor> {
  const key = JSON.stringify(query);
  const [state, setState] = useState<State<Item, Cursor>>({ key: '', items: [], total: null, next: undefined, loading: false, error: null });
  const controller = useRef<AbortController | null>(null);
  const [attempt, setAttempt] = useState(0);

  const fetchPage = useCallback(
    (cursor: Cursor | undefined) => {
      controller.current?.abort();
      const c = new AbortController();
      controller.current = c;
      setState((s) =>
        source.clearOnNewQuery && cursor === undefined && s.key !== key
          ? { key, items: [], total: null, next: undefined, loading: true, error: null }
          : { ...s, loading: true, error: null },
      );
      source.fetch(JSON.parse(key) as Q, cursor, c.signal).then(
        (page) =>
          setState((s) => ({
            key,
            items: cursor === undefined ? page.items : [...s.items, ...page.items],
            total: page.total,
            next: page.next,
            loading: false,
            error: null,
          })),
        (err: unknown) => {
          if (isAbortError(err)) return;
          setState((s) => ({ ...s, loading: false, error: asApiError(err) }));
        },
      );
    },
    [source, key],
  );

  useEffect(() => {
    if (!enabled) return;
    fetchPage(undefined);
    return () => controller.current?.abort();
  }, [fetchPage, enabled, refreshKey, attempt]);

  const more = useCallback(() => {
    if (state.loading || state.error || state.key !== key || state.next === undefined) return;
    fetchPage(state.next);
  }, [state, key, fetchPage]);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { ...state, stale: state.key !== key, more, reload };
}

/** The cursor of offset-paged APIs: the next offset while the total says more are left. */
export function nextOffset(offset: number | undefined, got: number, total: number): number | undefined {
  const next = (offset ?? 0) + got;
  return next < total ? next : undefined;
}

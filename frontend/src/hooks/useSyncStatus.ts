import { useEffect, useState } from 'react';
import { api, ApiError, isAbortError, type SyncStatus } from '../api/client';

export interface SyncState {
  status: SyncStatus | null;
  error: ApiError | null;
}

/** Polls GET /api/v1/sync/status every intervalMs (the next poll starts when the last one has answered). */
export function useSyncStatus(intervalMs = 2000): SyncState {
  const [state, setState] = useState<SyncState>({ status: null, error: null });
  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    const poll = async () => {
      try {
        const status = await api.getSyncStatus(controller.signal);
        // Polling must not re-render the app every 2 s when nothing changed.
        setState((s) => (!s.error && JSON.stringify(s.status) === JSON.stringify(status) ? s : { status, error: null }));
      } catch (err) {
        if (isAbortError(err)) return;
        setState((s) => ({ status: s.status, error: err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err)) }));
      }
      if (!controller.signal.aborted) timer = window.setTimeout(poll, intervalMs);
    };
    void poll();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [intervalMs]);
  return state;
}

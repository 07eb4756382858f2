import { useCallback, useEffect, useRef, useState } from 'react';
import { asApiError, isAbortError, type ApiError } from '../api/client';

export interface Loaded<T> {
  /** The latest answer; while a new key loads, the previous key's answer (see stale). */
  data: T | undefined;
  error: ApiError | null;
  /** True while data answers an earlier key. */
  stale: boolean;
  reload: () => void;
}

interface Options<T> {
  /** After each answer: ms until the next refresh, or null to stop (e.g. once an action is final). */
  pollMs?: (data: T) => number | null;
  /** false: load nothing (e.g. the user may not see it). */
  enabled?: boolean;
}

/**
 * Loads something from the API for key, cancelling the previous load when key changes, and optionally refreshes
 * it while pollMs says so. A failed refresh keeps the data on screen, reports the error and keeps polling, so a
 * page watching an action survives the portal blinking.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, key: string, opts: Options<T> = {}): Loaded<T> {
  const enabled = opts.enabled ?? true;
  const loadRef = useRef(load);
  const pollRef = useRef(opts.pollMs);
  useEffect(() => {
    loadRef.current = load;
    pollRef.current = opts.pollMs;
  });
  const [state, setState] = useState<{ key: string | null; data: T | undefined; error: ApiError | null }>({
    key: null,
    data: undefined,
    error: null,
  });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    let timer: number | undefined;
    let last: T | undefined;
    const run = async () => {
      try {
        const data = await loadRef.current(controller.signal);
        last = data;
        setState({ key, data, error: null });
      } catch (err) {
        if (isAbortError(err) || controller.signal.aborted) return;
        setState((s) => ({ key, data: s.data, error: asApiError(err) }));
      }
      if (controller.signal.aborted) return;
      const next = last !== undefined ? pollRef.current?.(last) : null;
      if (next) timer = window.setTimeout(() => void run(), next);
    };
    void run();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [key, attempt, enabled]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { data: state.data, error: state.key === key ? state.error : null, stale: state.key !== key, reload };
}

import { useCallback, useEffect, useRef, useState } from 'react';
import { api, asApiError, isAbortError, type Action, type ApiError } from '../api/client';
import { FOLLOW_START, followReducer, LONG_POLL_SECONDS, nextRequest, type FollowEvent, type FollowState, type NextRequest } from '../lib/runProgress';

export interface FollowedAction {
  action: Action | null;
  /** The last request failed; the action on screen is the last one the portal sent. */
  error: ApiError | null;
  /**
   * Ask again now, after a change made here (a decision, a retry, a cancel): their answers lack what only GET says
   * (may_retry, may_cancel), and the long poll for the version on screen answers at once with the changed action.
   */
  reload: () => void;
}

/** Resolves after ms, or at once when signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) {
      resolve();
      return;
    }
    const t = window.setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        window.clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Follows action id until it is final: one plain request, then long polls (GET …?wait=30&version=N) that answer at
 * each new version — one request per change, never a loop faster than the portal's answers (runProgress's
 * nextRequest decides). A failed request keeps the action on screen with the error and asks again with a back-off;
 * unmounting (or a new id) aborts the request in flight.
 */
export function useFollowAction(id: string): FollowedAction {
  const stateRef = useRef<FollowState>(FOLLOW_START);
  const [state, setState] = useState<FollowState>(FOLLOW_START);
  const [restart, setRestart] = useState(0);
  // Set by reload: the next loop asks once even for an action that was final (a retry makes it move again).
  const forceRef = useRef(false);

  const apply = useCallback((e: FollowEvent) => {
    stateRef.current = followReducer(stateRef.current, e);
    setState(stateRef.current);
  }, []);

  useEffect(() => {
    if (stateRef.current.action && stateRef.current.action.id !== id) {
      stateRef.current = FOLLOW_START;
      setState(FOLLOW_START);
    }
    const controller = new AbortController();
    const { signal } = controller;
    let force = forceRef.current;
    forceRef.current = false;
    const loop = async () => {
      let changed = true;
      let elapsed = 0;
      for (;;) {
        const next: NextRequest = force ? { kind: 'get', delayMs: 0 } : nextRequest(stateRef.current, changed, elapsed);
        force = false;
        if (next.kind === 'stop') return;
        await sleep(next.delayMs, signal);
        if (signal.aborted) return;
        const before = stateRef.current.action?.version;
        const t0 = performance.now();
        try {
          const a: Action = next.kind === 'wait' ? await api.waitForAction(id, next.version, LONG_POLL_SECONDS, signal) : await api.getAction(id, signal);
          if (signal.aborted) return;
          changed = a.version !== before;
          apply({ type: 'answer', action: a });
        } catch (err) {
          if (isAbortError(err) || signal.aborted) return;
          const e = asApiError(err);
          // A portal older than the long poll refuses its parameters: follow it by plain requests instead.
          if (next.kind === 'wait' && e.status === 400) apply({ type: 'no_long_poll' });
          else apply({ type: 'failed', error: e });
          changed = false;
        }
        elapsed = performance.now() - t0;
      }
    };
    void loop();
    return () => controller.abort();
  }, [id, restart, apply]);

  const reload = useCallback(() => {
    forceRef.current = true;
    setRestart((n) => n + 1);
  }, []);
  return { action: state.action, error: state.error, reload };
}

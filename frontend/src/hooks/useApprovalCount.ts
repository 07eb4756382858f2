import { useEffect, useState } from 'react';
import { api, isAbortError } from '../api/client';

const CHANGED = 'atrium:actions-changed';

/** Tells views showing actions (the approvals badge, lists) that one was requested or decided here. */
export function announceActionChange(): void {
  window.dispatchEvent(new Event(CHANGED));
}

/** Calls onChange whenever announceActionChange() is called. */
export function useActionChanges(onChange: () => void): void {
  useEffect(() => {
    window.addEventListener(CHANGED, onChange);
    return () => window.removeEventListener(CHANGED, onChange);
  }, [onChange]);
}

/**
 * How many requests wait for the user's approval (GET /api/v1/approvals), polled every intervalMs and refreshed at
 * once when an action changes here. null while unknown or when enabled is false (the user approves nothing).
 */
export function useApprovalCount(enabled: boolean, key: string, intervalMs = 15_000): number | null {
  const [count, setCount] = useState<{ key: string; n: number } | null>(null);
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    let timer: number | undefined;
    const poll = async () => {
      window.clearTimeout(timer);
      try {
        const list = await api.listApprovals(controller.signal);
        setCount({ key, n: list.length });
      } catch (err) {
        if (isAbortError(err)) return;
        // Keep the last count: a badge that vanishes when the portal blinks helps nobody.
      }
      if (!controller.signal.aborted) timer = window.setTimeout(() => void poll(), intervalMs);
    };
    const now = () => void poll();
    void poll();
    window.addEventListener(CHANGED, now);
    return () => {
      controller.abort();
      window.clearTimeout(timer);
      window.removeEventListener(CHANGED, now);
    };
  }, [enabled, key, intervalMs]);
  return enabled && count?.key === key ? count.n : null;
}

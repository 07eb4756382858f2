import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import { api, asApiError, isAbortError, type ApiError, type Me } from '../api/client';

export interface MeState {
  /** Who the user is for the portal in use; null until it answered (or when it cannot be reached). */
  me: Me | null;
  error: ApiError | null;
  /**
   * Ask again. forget: the user may be someone else now (another token was saved in Settings), so the identity
   * held so far is dropped at once rather than kept while the portal answers.
   */
  reload: (opts?: { forget?: boolean }) => void;
}

export const MeContext = createContext<MeState>({ me: null, error: null, reload: () => undefined });

/** The signed-in user, from GET /api/v1/me, as loaded by the app shell. */
export function useMe(): MeState {
  return useContext(MeContext);
}

/**
 * Loads GET /api/v1/me once per portal (key: mode and portal URL; "" while unknown) and again on reload().
 * Switching portals forgets the previous identity at once; a failed reload for the same portal keeps the identity
 * it had, so a portal blinking does not take the user's buttons away.
 */
export function useMeLoader(portalKey: string): MeState {
  const [state, setState] = useState<{ key: string; me: Me | null; error: ApiError | null }>({ key: portalKey, me: null, error: null });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (portalKey === '') return; // the portal in use is not known yet
    const controller = new AbortController();
    api.getMe(controller.signal).then(
      (me) => setState({ key: portalKey, me, error: null }),
      (err: unknown) => {
        if (isAbortError(err)) return;
        setState((s) => ({ key: portalKey, me: s.key === portalKey ? s.me : null, error: asApiError(err) }));
      },
    );
    return () => controller.abort();
  }, [portalKey, attempt]);
  const reload = useCallback((opts?: { forget?: boolean }) => {
    if (opts?.forget) setState((s) => ({ ...s, me: null, error: null }));
    setAttempt((n) => n + 1);
  }, []);
  const current = state.key === portalKey;
  return { me: current ? state.me : null, error: current ? state.error : null, reload };
}

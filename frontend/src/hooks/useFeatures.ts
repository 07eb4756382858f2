import { createContext, useContext, useEffect, useState } from 'react';
import { api, asApiError, isAbortError } from '../api/client';
import type { FeatureState } from '../lib/features';

/** The app's features as loaded by the shell; components ask it whether to link to a gated page. */
export const FeaturesContext = createContext<FeatureState>({ kind: 'failed', message: 'not loaded' });

export function useFeatures(): FeatureState {
  return useContext(FeaturesContext);
}

/**
 * Loads GET /api/v1/ui/features once per portal (key: mode and portal URL, "" while unknown), so connecting to
 * another portal in Settings re-reads which pages it turns on. A failed load leaves every page at its code default.
 */
export function useFeaturesLoader(portalKey: string): FeatureState {
  const [state, setState] = useState<{ key: string; value: FeatureState }>({ key: '', value: { kind: 'loading' } });
  useEffect(() => {
    if (portalKey === '') return;
    const controller = new AbortController();
    api.getUIFeatures(controller.signal).then(
      (features) => setState({ key: portalKey, value: { kind: 'loaded', features } }),
      (err: unknown) => {
        if (isAbortError(err)) return;
        setState({ key: portalKey, value: { kind: 'failed', message: asApiError(err).message } });
      },
    );
    return () => controller.abort();
  }, [portalKey]);
  // A new portal keeps the previous answer on screen until its own arrives, so nav items do not blink.
  return state.key === '' ? { kind: 'loading' } : state.value;
}

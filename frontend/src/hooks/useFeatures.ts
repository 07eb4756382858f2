import { createContext, useContext, useEffect, useState } from 'react';
import { api, asApiError, isAbortError } from '../api/client';
import type { FeatureState } from '../lib/features';

/** The app's features as loaded by the shell; components ask it whether to link to a gated page. */
export const FeaturesContext = createContext<FeatureState>({ kind: 'failed', message: 'not loaded' });

export function useFeatures(): FeatureState {
  return useContext(FeaturesContext);
}

const SETTINGS_SAVED = 'atrium:settings-saved';

/** Tells the shell that Settings connected to a portal (or saved a token): its page flags may differ. */
export function announceSettingsSaved(): void {
  window.dispatchEvent(new Event(SETTINGS_SAVED));
}

/** How long to wait before asking again while the desktop's OpenFeature provider has not got the flag set. */
export function notReadyRetryMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** attempt);
}

/**
 * Loads GET /api/v1/ui/features once per portal (key: mode and portal URL, "" while unknown), again when Settings
 * saves or the install's fleet configuration changes (revision: the fleet configuration may switch pages), and — while the desktop's provider is not READY yet (its answers are then the code defaults) — again
 * after 1, 2, 4 … 30 s until it is. A failed load leaves every page at its code default.
 */
export function useFeaturesLoader(portalKey: string, revision = ''): FeatureState {
  const [state, setState] = useState<{ key: string; value: FeatureState }>({ key: '', value: { kind: 'loading' } });
  const [saved, setSaved] = useState(0);
  useEffect(() => {
    const onSaved = () => setSaved((n) => n + 1);
    window.addEventListener(SETTINGS_SAVED, onSaved);
    return () => window.removeEventListener(SETTINGS_SAVED, onSaved);
  }, []);
  useEffect(() => {
    if (portalKey === '') return;
    const controller = new AbortController();
    let timer: number | undefined;
    let attempt = 0;
    const load = () => {
      api.getUIFeatures(controller.signal).then(
        (features) => {
          setState({ key: portalKey, value: { kind: 'loaded', features } });
          if (features.provider !== 'READY' && !controller.signal.aborted) timer = window.setTimeout(load, notReadyRetryMs(attempt++));
        },
        (err: unknown) => {
          if (isAbortError(err)) return;
          setState({ key: portalKey, value: { kind: 'failed', message: asApiError(err).message } });
        },
      );
    };
    load();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [portalKey, saved, revision]);
  // A new portal keeps the previous answer on screen until its own arrives, so nav items do not blink.
  return state.key === '' ? { kind: 'loading' } : state.value;
}

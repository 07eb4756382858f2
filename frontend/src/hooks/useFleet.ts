import { createContext, useContext, useEffect, useState } from 'react';
import { api, asApiError, isAbortError, type ApiError, type FleetEffective } from '../api/client';

export interface FleetState {
  effective: FleetEffective | null;
  error: ApiError | null;
  /** Replaces the answer with one the local API gave after a change here (preferences saved, a key trusted). */
  set: (e: FleetEffective) => void;
}

/** What the fleet configuration makes of this install, as the shell loaded it (effective null until it has). */
export const FleetContext = createContext<FleetState>({ effective: null, error: null, set: () => undefined });

export function useFleet(): FleetState {
  return useContext(FleetContext);
}

/**
 * Loads GET /api/v1/fleet/effective whenever the install's fleet revision changes — the sync status reports it, so
 * a pushed configuration shows within one status poll of being applied, without a restart. revision "" (no status
 * yet, or a desktop without the fleet) loads nothing. A failed load keeps the last answer.
 */
export function useFleetLoader(revision: string): FleetState {
  const [state, setState] = useState<{ effective: FleetEffective | null; error: ApiError | null }>({ effective: null, error: null });
  useEffect(() => {
    if (revision === '') return;
    const controller = new AbortController();
    api.getFleetEffective(controller.signal).then(
      (effective) => setState({ effective, error: null }),
      (err: unknown) => {
        if (!isAbortError(err)) setState((s) => ({ effective: s.effective, error: asApiError(err) }));
      },
    );
    return () => controller.abort();
  }, [revision]);
  return { ...state, set: (effective) => setState({ effective, error: null }) };
}

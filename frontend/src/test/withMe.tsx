import type { ReactNode } from 'react';
import type { Me } from '../api/client';
import { MeContext } from '../hooks/useMe';

/** Renders children as signed in as me (null: the portal has not said who the user is). */
export function WithMe({ me, children }: { me: Me | null; children: ReactNode }) {
  return <MeContext.Provider value={{ me, error: null, reload: () => undefined }}>{children}</MeContext.Provider>;
}

import type { FlagState } from '../api/client';
import { Badge, type BadgeTone } from './Badge';

const ENVIRONMENT_TONE: Partial<Record<string, BadgeTone>> = { production: 'error', staging: 'warn', dev: 'info' };

/** A flag's environment; production stands out (any other environment shows plain). */
export function EnvironmentBadge({ environment }: { environment: string }) {
  return (
    <Badge shape="label" tone={ENVIRONMENT_TONE[environment] ?? 'neutral'}>
      {environment}
    </Badge>
  );
}

/** Whether a flag is on at all (its state), as the portal says it. */
export function FlagStateBadge({ state }: { state: FlagState }) {
  return <Badge tone={state === 'ENABLED' ? 'ok' : 'neutral'}>{state === 'ENABLED' ? 'enabled' : 'disabled'}</Badge>;
}

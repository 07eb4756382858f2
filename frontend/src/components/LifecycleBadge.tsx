import { Badge, type BadgeTone } from './Badge';

const TONE: Partial<Record<string, BadgeTone>> = { production: 'ok', experimental: 'info', deprecated: 'warn' };

/** A service's lifecycle from its descriptor (any other value shows plain). */
export function LifecycleBadge({ lifecycle }: { lifecycle: string }) {
  return (
    <Badge shape="label" tone={TONE[lifecycle] ?? 'neutral'}>
      {lifecycle}
    </Badge>
  );
}

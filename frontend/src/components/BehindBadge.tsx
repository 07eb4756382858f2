import type { ComponentPropsWithoutRef } from 'react';
import type { Behind } from '../lib/semver';
import { Badge, type BadgeTone } from './Badge';

const TONE: Record<Behind | 'none', BadgeTone> = { major: 'error', minor: 'warn', patch: 'info', none: 'ok' };

/** How far a version is behind the newest release (none: current), coloured by how far. */
export function BehindBadge({ level, ...rest }: { level: Behind | 'none' } & ComponentPropsWithoutRef<'span'>) {
  return <Badge tone={TONE[level]} {...rest} />;
}

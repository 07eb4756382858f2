// Drift items for people: where they are, what kind, what to do. The portal detects them; the UI reads them from
// the replica (offline too) and offers acknowledging, silencing and fixing where the user may.
import type { DriftFixKind, DriftItem, DriftKind, DriftPlace, DriftStatus, Me } from '../api/client';
import { can, PLATFORM_TEAM } from './permissions';

export const DRIFT_KINDS: DriftKind[] = ['missing', 'unmanaged', 'changed'];

/** What each kind means, in a phrase. */
export const KIND_LABEL: Record<DriftKind, string> = {
  missing: 'Missing',
  unmanaged: 'Unmanaged',
  changed: 'Changed',
};

export const KIND_HELP: Record<DriftKind, string> = {
  missing: 'absent where its siblings exist, or where it was declared or created',
  unmanaged: 'live, declared nowhere',
  changed: 'live differs from its gitops declaration',
};

/** What a fix button says. */
export const FIX_LABEL: Record<DriftFixKind, string> = {
  pull_request: 'Open pull request',
  reapply: 'Re-apply gitops state',
  create: 'Create missing copy',
};

export const FIX_HELP: Record<DriftFixKind, string> = {
  pull_request: 'A pull request to the gitops repository bringing the declaration in line with live.',
  reapply: "The cluster's agent applies the declaration again: live goes back to what gitops says.",
  create: 'The same request as the original, in this place: it goes through the environment’s approvals.',
};

/** "production eu-west-1 · prod-eu-1" */
export function placeOf(it: Pick<DriftItem, 'environment' | 'region' | 'cluster'>): string {
  return [it.environment, it.region].filter(Boolean).join(' ') + (it.cluster ? ` · ${it.cluster}` : '');
}

/** "production ap-south-1 (AWS)", "production eu-west-1 · cluster prod-eu-1" */
export function placeLabel(p: DriftPlace): string {
  return p.cluster ? `${p.environment} ${p.region} · cluster ${p.cluster}` : `${p.environment} ${p.region} (AWS)`;
}

/** The places the last detection could not see: nothing is concluded there. */
export function unknownPlaces(st: DriftStatus | undefined): DriftPlace[] {
  return (st?.places ?? []).filter((p) => p.state === 'unknown');
}

/** How many items of each kind, open ones only (acknowledged and silenced count; resolved do not). */
export function countByKind(items: readonly DriftItem[]): Record<DriftKind, number> {
  const out: Record<DriftKind, number> = { missing: 0, unmanaged: 0, changed: 0 };
  for (const it of items) if (it.state !== 'resolved') out[it.kind] += 1;
  return out;
}

/** The team a permission about it is asked on (see PLATFORM_TEAM). */
export function teamOf(it: DriftItem): string {
  return it.team || PLATFORM_TEAM;
}

export function mayAcknowledge(me: Me | null | undefined, it: DriftItem): boolean {
  return can(me, 'drift:acknowledge', teamOf(it));
}

export function mayFix(me: Me | null | undefined, it: DriftItem): boolean {
  return can(me, 'drift:fix', teamOf(it), it.environment);
}

/** Whether an item matches a search: service, team, resource, region, environment, cluster or summary. */
export function matches(it: DriftItem, q: string): boolean {
  const needle = q.trim().toLowerCase();
  if (!needle) return true;
  return [it.service, it.team, it.resource, it.environment, it.region, it.cluster ?? '', it.summary].some((v) =>
    v.toLowerCase().includes(needle),
  );
}

/** Silence durations offered, in hours (0: acknowledge until it resolves). */
export const SILENCES: { hours: number; label: string }[] = [
  { hours: 0, label: 'until it resolves (acknowledge)' },
  { hours: 24, label: 'for a day' },
  { hours: 24 * 7, label: 'for a week' },
  { hours: 24 * 30, label: 'for 30 days' },
];

/** The end of a silence of hours from now (undefined: an acknowledgement). */
export function silenceUntil(hours: number, now: number): string | undefined {
  return hours > 0 ? new Date(now + hours * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined;
}

/** "acknowledged by dana: reason", "silenced by pat until …: reason" */
export function ackLabel(it: DriftItem, format: (iso: string) => string): string {
  const a = it.acknowledgement;
  if (!a) return '';
  if (it.state === 'silenced' && a.until) return `silenced by ${a.by} until ${format(a.until)}: ${a.reason}`;
  if (it.state === 'open' && a.until) return `was silenced by ${a.by} until ${format(a.until)}: ${a.reason}`;
  return `acknowledged by ${a.by}: ${a.reason}`;
}

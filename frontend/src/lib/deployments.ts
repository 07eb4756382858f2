// A service's deployments (the service document's `deployments`) as its page shows them: grouped by environment,
// the image split into repository and tag, the autoscaler and health as short texts. Pure functions.
import type { Deployment } from '../api/client';

export interface EnvironmentGroup {
  environment: string;
  deployments: Deployment[];
}

/**
 * Deployments grouped by environment, environments and rows in the matrix's order (environment, region, cluster
 * by name; then namespace, kind and name), so the page and the matrix list clusters alike.
 */
export function groupByEnvironment(deployments: readonly Deployment[]): EnvironmentGroup[] {
  const sorted = [...deployments].sort(
    (a, b) =>
      a.environment.localeCompare(b.environment) ||
      a.region.localeCompare(b.region) ||
      a.cluster.localeCompare(b.cluster) ||
      a.namespace.localeCompare(b.namespace) ||
      a.kind.localeCompare(b.kind) ||
      a.name.localeCompare(b.name),
  );
  const groups: EnvironmentGroup[] = [];
  for (const d of sorted) {
    const last = groups[groups.length - 1];
    if (last && last.environment === d.environment) last.deployments.push(d);
    else groups.push({ environment: d.environment, deployments: [d] });
  }
  return groups;
}

/**
 * The image reference without its tag or digest ("registry.example.com/payments/api"), for showing next to the
 * version. A port in the registry host ("localhost:5000/api") is not a tag.
 */
export function imageRepository(image: string): string {
  const at = image.indexOf('@');
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** "2–8, now 3" (and "→ 5" while it scales), or "" without an autoscaler. */
export function autoscalerText(d: Pick<Deployment, 'autoscaler'>): string {
  const a = d.autoscaler;
  if (!a) return '';
  const moving = a.desired !== a.current ? ` → ${a.desired}` : '';
  return `${a.min}–${a.max}, now ${a.current}${moving}`;
}

/** The autoscaler in full, for a title: "HorizontalPodAutoscaler: min 2, max 8, current 3, desired 3". */
export function autoscalerTitle(d: Pick<Deployment, 'autoscaler'>): string {
  const a = d.autoscaler;
  if (!a) return 'No HorizontalPodAutoscaler targets this workload.';
  return `HorizontalPodAutoscaler: min ${a.min}, max ${a.max}, current ${a.current}, desired ${a.desired}`;
}

export type HealthTone = 'ok' | 'busy' | 'warn' | 'error' | 'neutral';

/** The health badge: its words and tone; an unknown health (an older portal) reads "unknown". */
export function healthBadge(health: Deployment['health']): { label: string; tone: HealthTone } {
  switch (health) {
    case 'healthy':
      return { label: 'healthy', tone: 'ok' };
    case 'progressing':
      return { label: 'progressing', tone: 'busy' };
    case 'degraded':
      return { label: 'degraded', tone: 'warn' };
    case 'unavailable':
      return { label: 'unavailable', tone: 'error' };
    case 'scaled_to_zero':
      return { label: 'scaled to zero', tone: 'neutral' };
    default:
      return { label: 'unknown', tone: 'neutral' };
  }
}

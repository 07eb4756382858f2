// The desktop's own pages are gated by feature flags kept in the portal (the portal dogfoods its flags): the local
// API evaluates the atrium-ui-* flags through OpenFeature and answers GET /api/v1/ui/features. This module decides,
// from that answer, which pages and nav items to show.
import type { UIFeatures } from '../api/client';

export type PageFeature =
  | 'atrium-ui-flags-page'
  | 'atrium-ui-packages-page'
  | 'atrium-ui-self-service'
  | 'atrium-ui-matrix-page'
  | 'atrium-ui-secrets-page';

/**
 * Each page's code default, the same as the desktop's (app/features.go): used while the portal's flag set has not
 * arrived, when the portal lacks the flag, and when the features cannot be read at all.
 */
export const CODE_DEFAULTS: Readonly<Record<PageFeature, boolean>> = {
  'atrium-ui-flags-page': true,
  'atrium-ui-packages-page': true,
  'atrium-ui-self-service': true,
  'atrium-ui-matrix-page': false,
  'atrium-ui-secrets-page': true,
};

/** What users call each gated page. */
export const PAGE_NAMES: Readonly<Record<PageFeature, string>> = {
  'atrium-ui-flags-page': 'Flags',
  'atrium-ui-packages-page': 'Packages',
  'atrium-ui-self-service': 'Self-service',
  'atrium-ui-matrix-page': 'Matrix',
  'atrium-ui-secrets-page': 'Secrets',
};

/**
 * Reasons of a page the fleet configuration decides (app/features.go), which wins over the page's flag: the
 * configuration itself, or the user's own preference where the configuration allows one.
 */
export const REASON_FLEET = 'FLEET';
export const REASON_FLEET_USER = 'FLEET_USER';

/** Who decided that a page is on or off: its feature flag, the fleet configuration, or the user's preference. */
export function decidedBy(state: FeatureState, feature: PageFeature): 'flag' | 'fleet' | 'user' {
  if (state.kind !== 'loaded') return 'flag';
  const reason = state.features.features[feature]?.reason;
  return reason === REASON_FLEET ? 'fleet' : reason === REASON_FLEET_USER ? 'user' : 'flag';
}

/**
 * What the app knows of its features: nothing yet (the first answer is one loopback round trip away), the local
 * API's answer, or that it could not be had (then every page follows its code default).
 */
export type FeatureState = { kind: 'loading' } | { kind: 'loaded'; features: UIFeatures } | { kind: 'failed'; message: string };

/** Whether feature is on; undefined while it is not known yet. */
export function featureOn(state: FeatureState, feature: PageFeature): boolean | undefined {
  switch (state.kind) {
    case 'loading':
      return undefined;
    case 'failed':
      return CODE_DEFAULTS[feature];
    case 'loaded':
      return state.features.features[feature]?.enabled ?? CODE_DEFAULTS[feature];
  }
}

/** What the app does with a route: show it, wait for the features, or say the page is turned off by feature. */
export type Gate = { kind: 'show' } | { kind: 'wait' } | { kind: 'off'; feature: PageFeature };

/** The gate of a page gated by feature (the route table's `feature`; undefined: never gated). */
export function gateRoute(state: FeatureState, feature: PageFeature | undefined): Gate {
  if (!feature) return { kind: 'show' };
  const on = featureOn(state, feature);
  if (on === undefined) return { kind: 'wait' };
  return on ? { kind: 'show' } : { kind: 'off', feature };
}

/** Whether a nav item for feature belongs in the header: only once the feature is known to be on (no flicker). */
export function showInNav(state: FeatureState, feature: PageFeature): boolean {
  return featureOn(state, feature) === true;
}

/**
 * Why a page that is off is off, for the notice a direct link shows: the flag's name, and, when the answer says
 * more (an evaluation error, a provider that has not got the flag set), that too.
 */
export function offReason(state: FeatureState, feature: PageFeature): string {
  const page = PAGE_NAMES[feature];
  const by = decidedBy(state, feature);
  if (state.kind === 'loaded' && by !== 'flag') {
    const variant = state.features.features[feature]?.variant ?? '';
    if (by === 'user') return `You turned the ${page} page off in your preferences (Settings).`;
    const version = /^fleet v(\d+)$/.exec(variant)?.[1];
    return `The ${page} page is turned off by your platform team's fleet configuration${version ? ` (version ${version})` : ''}.`;
  }
  const base = `The ${page} page is turned off by the portal's feature flag ${feature}`;
  if (state.kind === 'failed') return `${base} (its code default; the desktop could not read its features: ${state.message}).`;
  if (state.kind === 'loading') return `${base}.`;
  const f = state.features.features[feature];
  const where = ` in ${state.features.environment}`;
  if (!f) return `${base} (the portal has no such flag${where}, so the page's code default applies).`;
  if (f.error) return `${base} (evaluating it failed with ${f.error}, so the page's code default applies).`;
  const variant = f.variant ? `variant "${f.variant}"` : 'its default';
  return `${base}${where}: it serves ${variant} (${f.reason}).`;
}

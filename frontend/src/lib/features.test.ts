import { describe, expect, it } from 'vitest';
import type { UIFeatures } from '../api/client';
import { ROUTES, type RouteName } from '../routes';
import { CODE_DEFAULTS, decidedBy, featureOn, gateRoute, offReason, showInNav, type FeatureState } from './features';

function loaded(features: UIFeatures['features'], provider = 'READY'): FeatureState {
  return { kind: 'loaded', features: { environment: 'production', provider, features } };
}

const allOn = loaded({
  'atrium-ui-flags-page': { enabled: true, variant: 'on', reason: 'STATIC' },
  'atrium-ui-packages-page': { enabled: true, variant: 'on', reason: 'STATIC' },
  'atrium-ui-self-service': { enabled: true, variant: 'on', reason: 'STATIC' },
  'atrium-ui-matrix-page': { enabled: true, variant: 'on', reason: 'SPLIT' },
});
const flagsOff = loaded({
  'atrium-ui-flags-page': { enabled: false, variant: 'off', reason: 'STATIC' },
  'atrium-ui-packages-page': { enabled: true, variant: 'on', reason: 'STATIC' },
});

describe("the route table's feature gates", () => {
  const cases: [RouteName, string | undefined][] = [
    ['flags', 'atrium-ui-flags-page'],
    ['flag', 'atrium-ui-flags-page'],
    ['flag_edit', 'atrium-ui-flags-page'],
    ['flag_new', 'atrium-ui-flags-page'],
    ['packages', 'atrium-ui-packages-page'],
    ['package', 'atrium-ui-packages-page'],
    ['requests', 'atrium-ui-self-service'],
    ['request_new', 'atrium-ui-self-service'],
    ['action', 'atrium-ui-self-service'],
    ['approvals', 'atrium-ui-self-service'],
    ['matrix', 'atrium-ui-matrix-page'],
    ['secrets', 'atrium-ui-secrets-page'],
    ['catalog', undefined],
    ['service', undefined],
    ['sources', undefined],
    ['audit', undefined],
    ['tokens', undefined],
    ['settings', undefined],
    ['fleet', undefined],
    ['adoption', undefined],
    ['not_found', undefined],
  ];
  for (const [name, want] of cases) it(name, () => expect(ROUTES[name].feature).toBe(want));
});

describe('gateRoute', () => {
  const cases: [string, FeatureState, RouteName, ReturnType<typeof gateRoute>][] = [
    ['an ungated page shows at once', { kind: 'loading' }, 'catalog', { kind: 'show' }],
    ['a gated page waits for the features', { kind: 'loading' }, 'flags', { kind: 'wait' }],
    ['on', allOn, 'flags', { kind: 'show' }],
    ['off', flagsOff, 'flag', { kind: 'off', feature: 'atrium-ui-flags-page' }],
    ['a flag the portal lacks: the code default (on)', flagsOff, 'approvals', { kind: 'show' }],
    ['a flag the portal lacks: the code default (off)', flagsOff, 'matrix', { kind: 'off', feature: 'atrium-ui-matrix-page' }],
    ['features unreadable: code defaults', { kind: 'failed', message: 'x' }, 'packages', { kind: 'show' }],
    ['features unreadable: the matrix stays off', { kind: 'failed', message: 'x' }, 'matrix', { kind: 'off', feature: 'atrium-ui-matrix-page' }],
    ['the portal turned the matrix on', allOn, 'matrix', { kind: 'show' }],
  ];
  for (const [name, state, route, want] of cases) it(name, () => expect(gateRoute(state, ROUTES[route].feature)).toEqual(want));
});

describe('nav', () => {
  it('shows a gated item only once it is known to be on', () => {
    expect(showInNav({ kind: 'loading' }, 'atrium-ui-flags-page')).toBe(false);
    expect(showInNav(allOn, 'atrium-ui-flags-page')).toBe(true);
    expect(showInNav(flagsOff, 'atrium-ui-flags-page')).toBe(false);
    expect(showInNav({ kind: 'failed', message: 'x' }, 'atrium-ui-self-service')).toBe(CODE_DEFAULTS['atrium-ui-self-service']);
  });
  it('featureOn is undefined while loading', () => {
    expect(featureOn({ kind: 'loading' }, 'atrium-ui-packages-page')).toBeUndefined();
  });
});

describe('offReason names the flag', () => {
  it('when the portal turned it off', () => {
    expect(offReason(flagsOff, 'atrium-ui-flags-page')).toBe(
      'The Flags page is turned off by the portal\'s feature flag atrium-ui-flags-page in production: it serves variant "off" (STATIC).',
    );
  });
  it('when the portal lacks the flag', () => {
    expect(offReason(flagsOff, 'atrium-ui-matrix-page')).toBe(
      "The Matrix page is turned off by the portal's feature flag atrium-ui-matrix-page (the portal has no such flag in production, so the page's code default applies).",
    );
  });
  it('when evaluating failed', () => {
    const s = loaded({ 'atrium-ui-flags-page': { enabled: false, reason: 'ERROR', error: 'TYPE_MISMATCH' } });
    expect(offReason(s, 'atrium-ui-flags-page')).toContain('evaluating it failed with TYPE_MISMATCH');
  });
  it('when the fleet configuration turned it off', () => {
    const s = loaded({ 'atrium-ui-secrets-page': { enabled: false, variant: 'fleet v7', reason: 'FLEET' } });
    expect(offReason(s, 'atrium-ui-secrets-page')).toBe("The Secrets page is turned off by your platform team's fleet configuration (version 7).");
    expect(decidedBy(s, 'atrium-ui-secrets-page')).toBe('fleet');
  });
  it('when the user turned it off where the configuration allows', () => {
    const s = loaded({ 'atrium-ui-packages-page': { enabled: false, variant: 'your preference', reason: 'FLEET_USER' } });
    expect(offReason(s, 'atrium-ui-packages-page')).toBe('You turned the Packages page off in your preferences (Settings).');
    expect(decidedBy(s, 'atrium-ui-packages-page')).toBe('user');
    expect(decidedBy(flagsOff, 'atrium-ui-flags-page')).toBe('flag');
  });
  it('when the features could not be read', () => {
    expect(offReason({ kind: 'failed', message: 'Could not reach the Atrium API' }, 'atrium-ui-matrix-page')).toContain(
      'the desktop could not read its features: Could not reach the Atrium API',
    );
  });
});

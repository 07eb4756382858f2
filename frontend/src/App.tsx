import { useCallback, useEffect, useRef, useState } from 'react';
import { onUnauthorized, type ApiError } from './api/client';
import { AccessNotice } from './components/AccessNotice';
import { CommandPalette } from './components/CommandPalette';
import { SkipLink } from './components/SkipLink';
import { FeatureOffNotice } from './components/FeatureOffNotice';
import { FleetNotices } from './components/FleetNotices';
import { OrgLinks } from './components/OrgLinks';
import { IdentityChip } from './components/IdentityChip';
import { PersonaBanner } from './components/Personas';
import { SyncStatus } from './components/SyncStatus';
import { useApprovalCount } from './hooks/useApprovalCount';
import { useShortcuts } from './hooks/useShortcuts';
import { FeaturesContext, useFeaturesLoader } from './hooks/useFeatures';
import { FleetContext, useFleetLoader } from './hooks/useFleet';
import { MeContext, useMeLoader } from './hooks/useMe';
import { useSyncStatus } from './hooks/useSyncStatus';
import type { Me } from './api/client';
import { gateRoute, showInNav, type FeatureState } from './lib/features';
import { can } from './lib/permissions';
import { paletteCommands } from './lib/commands';
import { landingHash } from './lib/fleet';
import { navigate, rememberFilters, SOURCES_HASH, withLastFilters } from './lib/router';
import { replicaKey } from './lib/syncText';
import { reportUsage } from './lib/usage';
import { ROUTE_NAMES, ROUTES, routeDef, routeHash, useRoute, type RouteDef, type RouteName } from './routes';
import styles from './App.module.css';

/** Whether the nav item of def belongs in the header for me (null while /me has not answered). */
function showNavItem(def: RouteDef<unknown>, features: FeatureState, me: Me | null | undefined): boolean {
  const nav = def.nav;
  if (!nav) return false;
  if (def.feature && !showInNav(features, def.feature)) return false;
  if (!nav.permission) return true;
  // While the portal has not said who the user is, only what everyone may.
  return me ? can(me, nav.permission) : !nav.waitForMe;
}

export function App() {
  const route = useRoute();
  const sync = useSyncStatus(2000);
  const refreshKey = replicaKey(sync.status);
  const initialSync = !sync.status || (!sync.status.as_of && sync.status.state !== 'up_to_date');
  const [denied, setDenied] = useState<ApiError | null>(null);
  // Who the user is depends on the portal in use: ask again whenever it changes.
  const portalKey = sync.status ? `${sync.status.mode}|${sync.status.portal_url ?? ''}` : '';
  const identity = useMeLoader(portalKey);
  const { me, reload: reloadMe } = identity;
  const offline = sync.status?.state === 'offline';
  const wasOffline = useRef(offline);
  useEffect(() => {
    // Back from offline: the portal may know the user by now.
    if (wasOffline.current && !offline) reloadMe();
    wasOffline.current = offline;
  }, [offline, reloadMe]);
  const mayApprove = can(me, 'actions:approve');
  // The fleet configuration this install applied; its revision comes with every sync status (no restart).
  const fleetRevision = sync.status?.fleet_revision ?? '';
  const fleet = useFleetLoader(fleetRevision);
  const features = useFeaturesLoader(portalKey, fleetRevision);
  // The app opens on the configured landing page when it was opened without a page of its own (no hash).
  const landed = useRef(false);
  const landingPage = fleet.effective?.landing_page;
  useEffect(() => {
    if (landed.current || fleet.effective === null) return;
    landed.current = true;
    const to = landingHash(landingPage);
    const hash = window.location.hash;
    if (to && (hash === '' || hash === '#' || hash === '#/')) navigate(to, { replace: true });
  }, [fleet.effective, landingPage]);
  const selfService = showInNav(features, 'atrium-ui-self-service');
  const waiting = useApprovalCount(mayApprove && selfService, `${portalKey}|${me?.subject ?? ''}`);

  useEffect(() => onUnauthorized(setDenied), []);
  const [palette, setPalette] = useState(false);
  const openPalette = useCallback(() => setPalette(true), []);
  useShortcuts(openPalette);

  const def = routeDef(route);
  // One page view per route (not per filter change): "catalog", "service:NAME", "settings", ...
  const routeName = route.name;
  const viewKey = def.view ? def.view(route) : route.name;
  useEffect(() => {
    reportUsage({ kind: 'page.view', page: routeName });
  }, [viewKey, routeName]);

  useEffect(() => {
    const d = routeDef(route);
    if (d.remember) rememberFilters(d.format(route));
    document.title = d.title(route);
  }, [route]);

  const gate = gateRoute(features, def.feature);
  let content;
  if (denied) {
    content = <AccessNotice error={denied} />;
  } else if ((!sync.status && !sync.error) || gate.kind === 'wait') {
    // Wait for the first sync status (one local round trip) so views start with the replica's key and do not
    // load everything twice; a page a feature flag gates waits for the features too (one more round trip).
    content = null;
  } else if (gate.kind === 'off') {
    content = <FeatureOffNotice feature={gate.feature} state={features} />;
  } else {
    content = def.component(route, { refreshKey, initialSync, portalKey, mode: sync.status?.mode ?? '' });
  }

  const current = (name: RouteName, also: readonly RouteName[] = []) => (route.name === name || also.includes(route.name) ? 'page' : undefined);
  // A nav item opens its page as it is on screen, else as it was last shown (remembered filters) or its home.
  const navHref = (name: RouteName): string => {
    if (route.name === name) return routeHash(route);
    const d = ROUTES[name] as RouteDef<unknown>;
    const home = d.format(d.nav?.home);
    return d.remember ? withLastFilters(home) : home;
  };
  const navNames = ROUTE_NAMES.filter((name) => showNavItem(ROUTES[name] as RouteDef<unknown>, features, me));
  return (
    <MeContext.Provider value={identity}>
      <FleetContext.Provider value={fleet}>
      <FeaturesContext.Provider value={features}>
      <div className={styles.app}>
        <SkipLink target="main" />
        <header className={styles['app-header']}>
          <a className={styles.brand} href="#/">
            <span className={styles['brand-mark']} aria-hidden="true" />
            Atrium
          </a>
          <nav className={styles.nav} aria-label="Main">
            {navNames.map((name) => {
              const nav = (ROUTES[name] as RouteDef<unknown>).nav!;
              return (
                <a key={name} href={navHref(name)} aria-current={current(name, nav.also)}>
                  {nav.label}
                  {nav.approvalsBadge && waiting !== null && waiting > 0 && (
                    <span className={styles['nav-count']} data-testid="approvals-count" aria-label={`, ${waiting} waiting`}>
                      {waiting}
                    </span>
                  )}
                </a>
              );
            })}
          </nav>
          <a className={styles['sync-link']} href={SOURCES_HASH} aria-current={current('sources')} title="Sources: sync progress, errors and rate limits">
            <SyncStatus status={sync.status} error={sync.error} />
          </a>
          <button type="button" className={styles['palette-button']} onClick={openPalette} title="Go to a page, an action or a service (Ctrl+K)">
            Go to… <kbd>Ctrl K</kbd>
          </button>
          <OrgLinks links={fleet.effective?.links ?? []} />
          <IdentityChip />
        </header>
        <PersonaBanner />
        {fleet.effective && <FleetNotices effective={fleet.effective} onTrusted={fleet.set} />}
        <main id="main" tabIndex={-1} className={styles['app-main']}>
          {content}
        </main>
        {palette && (
          <CommandPalette
            commands={paletteCommands(navNames.map((name) => ({ name, label: (ROUTES[name] as RouteDef<unknown>).nav!.label, href: navHref(name) })))}
            onClose={() => setPalette(false)}
          />
        )}
      </div>
      </FeaturesContext.Provider>
      </FleetContext.Provider>
    </MeContext.Provider>
  );
}

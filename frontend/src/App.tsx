import { useEffect, useRef, useState } from 'react';
import { onUnauthorized, type ApiError } from './api/client';
import { AccessNotice } from './components/AccessNotice';
import { ActionPage } from './components/ActionPage';
import { ApprovalInbox } from './components/ApprovalInbox';
import { AuditLogTable } from './components/AuditLogTable';
import { CatalogTable } from './components/CatalogTable';
import { ClustersPage } from './components/ClustersPage';
import { FeatureOffNotice } from './components/FeatureOffNotice';
import { FlagEditor } from './components/FlagEditor';
import { FlagPage } from './components/FlagPage';
import { FlagsPage } from './components/FlagsPage';
import { IdentityChip } from './components/IdentityChip';
import { MatrixPage } from './components/MatrixPage';
import { MyRequests } from './components/MyRequests';
import { PackagePage } from './components/PackagePage';
import { PackagesPage } from './components/PackagesPage';
import { RequestResourceForm } from './components/RequestResourceForm';
import { ServicePage } from './components/ServicePage';
import { SettingsPage } from './components/SettingsPage';
import { SourcesPage } from './components/SourcesPage';
import { SyncStatus } from './components/SyncStatus';
import { TokenAdmin } from './components/TokenAdmin';
import { useApprovalCount } from './hooks/useApprovalCount';
import { FeaturesContext, useFeaturesLoader } from './hooks/useFeatures';
import { MeContext, useMeLoader } from './hooks/useMe';
import { useSyncStatus } from './hooks/useSyncStatus';
import { gateRoute, showInNav } from './lib/features';
import { can } from './lib/permissions';
import {
  APPROVALS_HASH,
  auditHash,
  lastCatalogHash,
  lastFlagsHash,
  lastMatrixHash,
  lastPackagesHash,
  rememberCatalog,
  rememberFlags,
  rememberMatrix,
  rememberPackages,
  requestsHash,
  routeHash,
  SETTINGS_HASH,
  SOURCES_HASH,
  TOKENS_HASH,
  useRoute,
  type Route,
} from './lib/router';
import { replicaKey } from './lib/syncText';
import { reportUsage } from './lib/usage';

function pageTitle(r: Route): string {
  switch (r.name) {
    case 'catalog':
      return 'Atrium — Catalog';
    case 'service':
      return `${r.service} — Atrium`;
    case 'settings':
      return 'Settings — Atrium';
    case 'requests':
      return 'My requests — Atrium';
    case 'request_new':
      return 'Request a resource — Atrium';
    case 'action':
      return `Request ${r.id} — Atrium`;
    case 'approvals':
      return 'Approvals — Atrium';
    case 'audit':
      return 'Audit log — Atrium';
    case 'tokens':
      return 'API tokens — Atrium';
    case 'flags':
      return 'Feature flags — Atrium';
    case 'flag':
      return `${r.key} (${r.environment}) — Atrium`;
    case 'flag_edit':
      return `Edit ${r.key} (${r.environment}) — Atrium`;
    case 'flag_new':
      return 'New flag — Atrium';
    case 'packages':
      return 'Packages — Atrium';
    case 'package':
      return `${r.package} — Atrium`;
    case 'sources':
      return 'Sources — Atrium';
    case 'matrix':
      return 'What runs where — Atrium';
    case 'clusters':
      return 'Clusters — Atrium';
    case 'not_found':
      return 'Not found — Atrium';
  }
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
  const features = useFeaturesLoader(portalKey);
  const selfService = showInNav(features, 'atrium-ui-self-service');
  const waiting = useApprovalCount(mayApprove && selfService, `${portalKey}|${me?.subject ?? ''}`);

  useEffect(() => onUnauthorized(setDenied), []);

  // One page view per route (not per filter change): "catalog", "service", "settings", ...
  const routeName = route.name;
  const viewKey =
    route.name === 'service'
      ? `service:${route.service}`
      : route.name === 'action'
        ? `action:${route.id}`
        : route.name === 'flag' || route.name === 'flag_edit'
          ? `${route.name}:${route.environment}/${route.key}`
          : route.name === 'package'
            ? `package:${route.ecosystem}/${route.package}`
            : route.name;
  useEffect(() => {
    reportUsage({ kind: 'page.view', page: routeName });
  }, [viewKey, routeName]);

  useEffect(() => {
    if (route.name === 'catalog') rememberCatalog(routeHash(route));
    if (route.name === 'flags') rememberFlags(routeHash(route));
    if (route.name === 'packages') rememberPackages(routeHash(route));
    if (route.name === 'matrix') rememberMatrix(routeHash(route));
    document.title = pageTitle(route);
  }, [route]);

  const gate = gateRoute(features, route.name);
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
    switch (route.name) {
      case 'catalog':
        content = <CatalogTable filters={route.filters} refreshKey={refreshKey} initialSync={initialSync} />;
        break;
      case 'service':
        content = <ServicePage key={route.service} name={route.service} refreshKey={refreshKey} />;
        break;
      case 'settings':
        content = <SettingsPage />;
        break;
      case 'requests':
        content = <MyRequests filters={route.filters} refreshKey={refreshKey} />;
        break;
      case 'request_new':
        content = <RequestResourceForm key={`${portalKey}|${route.service}`} service={route.service} portalKey={portalKey} />;
        break;
      case 'action':
        content = <ActionPage key={route.id} id={route.id} />;
        break;
      case 'approvals':
        content = <ApprovalInbox />;
        break;
      case 'audit':
        content = <AuditLogTable filters={route.filters} />;
        break;
      case 'tokens':
        content = <TokenAdmin />;
        break;
      case 'flags':
        content = <FlagsPage filters={route.filters} portalKey={portalKey} />;
        break;
      case 'flag':
        content = <FlagPage key={`${route.environment}/${route.key}`} environment={route.environment} flagKey={route.key} />;
        break;
      case 'flag_edit':
        content = <FlagEditor key={`${route.environment}/${route.key}`} environment={route.environment} flagKey={route.key} portalKey={portalKey} />;
        break;
      case 'flag_new':
        content = <FlagEditor key={`new/${route.environment}`} environment={route.environment} flagKey={null} portalKey={portalKey} />;
        break;
      case 'packages':
        content = <PackagesPage filters={route.filters} refreshKey={refreshKey} />;
        break;
      case 'package':
        content = <PackagePage key={`${route.ecosystem}/${route.package}`} ecosystem={route.ecosystem} name={route.package} owner={route.owner} refreshKey={refreshKey} />;
        break;
      case 'sources':
        content = <SourcesPage portalKey={portalKey} />;
        break;
      case 'matrix':
        content = <MatrixPage filters={route.filters} refreshKey={refreshKey} />;
        break;
      case 'clusters':
        content = <ClustersPage portalKey={portalKey} mode={sync.status?.mode ?? ''} />;
        break;
      case 'not_found':
        content = (
          <div className="page">
            <div className="notice notice-empty" role="alert">
              <p className="notice-title">There is no page at {route.path}</p>
              <p className="notice-body">
                <a href="#/">Go to the catalog</a>.
              </p>
            </div>
          </div>
        );
        break;
    }
  }

  const current = (...names: Route['name'][]) => (names.includes(route.name) ? 'page' : undefined);
  // Nav items for what the user may do; while the portal has not said who they are, only what everyone may.
  const showRequests = selfService && (!me || can(me, 'actions:read'));
  const showFlags = showInNav(features, 'atrium-ui-flags-page') && (!me || can(me, 'flags:read'));
  const showPackages = showInNav(features, 'atrium-ui-packages-page');
  const showMatrix = showInNav(features, 'atrium-ui-matrix-page') && (!me || can(me, 'catalog:read'));
  return (
    <MeContext.Provider value={identity}>
      <FeaturesContext.Provider value={features}>
      <div className="app">
        <header className="app-header">
          <a className="brand" href="#/">
            <span className="brand-mark" aria-hidden="true" />
            Atrium
          </a>
          <nav className="app-nav" aria-label="Main">
            <a href={route.name === 'catalog' ? routeHash(route) : lastCatalogHash()} aria-current={current('catalog', 'service')}>
              Catalog
            </a>
            {showMatrix && (
              <a href={route.name === 'matrix' ? routeHash(route) : lastMatrixHash()} aria-current={current('matrix')}>
                Matrix
              </a>
            )}
            {showPackages && (
              <a href={route.name === 'packages' ? routeHash(route) : lastPackagesHash()} aria-current={current('packages', 'package')}>
                Packages
              </a>
            )}
            {showFlags && (
              <a href={route.name === 'flags' ? routeHash(route) : lastFlagsHash()} aria-current={current('flags', 'flag', 'flag_edit', 'flag_new')}>
                Flags
              </a>
            )}
            {showRequests && (
              <a href={route.name === 'requests' ? routeHash(route) : requestsHash()} aria-current={current('requests', 'request_new', 'action')}>
                Self-service
              </a>
            )}
            {mayApprove && selfService && (
              <a href={APPROVALS_HASH} aria-current={current('approvals')}>
                Approvals
                {waiting !== null && waiting > 0 && (
                  <span className="nav-count" data-testid="approvals-count" aria-label={`, ${waiting} waiting`}>
                    {waiting}
                  </span>
                )}
              </a>
            )}
            {can(me, 'audit:read') && (
              <a href={route.name === 'audit' ? routeHash(route) : auditHash()} aria-current={current('audit')}>
                Audit
              </a>
            )}
            {can(me, 'tokens:manage') && (
              <a href={TOKENS_HASH} aria-current={current('tokens')}>
                Tokens
              </a>
            )}
            <a href={SETTINGS_HASH} aria-current={current('settings')}>
              Settings
            </a>
          </nav>
          <a className="sync-link" href={SOURCES_HASH} aria-current={current('sources')} title="Sources: sync progress, errors and rate limits">
            <SyncStatus status={sync.status} error={sync.error} />
          </a>
          <IdentityChip />
        </header>
        <main className="app-main">{content}</main>
      </div>
      </FeaturesContext.Provider>
    </MeContext.Provider>
  );
}

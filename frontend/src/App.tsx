import { useEffect, useRef, useState } from 'react';
import { onUnauthorized, type ApiError } from './api/client';
import { AccessNotice } from './components/AccessNotice';
import { ActionPage } from './components/ActionPage';
import { ApprovalInbox } from './components/ApprovalInbox';
import { AuditLogTable } from './components/AuditLogTable';
import { CatalogTable } from './components/CatalogTable';
import { IdentityChip } from './components/IdentityChip';
import { MyRequests } from './components/MyRequests';
import { RequestResourceForm } from './components/RequestResourceForm';
import { ServicePage } from './components/ServicePage';
import { SettingsPage } from './components/SettingsPage';
import { SyncStatus } from './components/SyncStatus';
import { TokenAdmin } from './components/TokenAdmin';
import { useApprovalCount } from './hooks/useApprovalCount';
import { MeContext, useMeLoader } from './hooks/useMe';
import { useSyncStatus } from './hooks/useSyncStatus';
import { can } from './lib/permissions';
import {
  APPROVALS_HASH,
  auditHash,
  lastCatalogHash,
  rememberCatalog,
  requestsHash,
  routeHash,
  SETTINGS_HASH,
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
  const waiting = useApprovalCount(mayApprove, `${portalKey}|${me?.subject ?? ''}`);

  useEffect(() => onUnauthorized(setDenied), []);

  // One page view per route (not per filter change): "catalog", "service", "settings", ...
  const routeName = route.name;
  const viewKey = route.name === 'service' ? `service:${route.service}` : route.name === 'action' ? `action:${route.id}` : route.name;
  useEffect(() => {
    reportUsage({ kind: 'page.view', page: routeName });
  }, [viewKey, routeName]);

  useEffect(() => {
    if (route.name === 'catalog') rememberCatalog(routeHash(route));
    document.title = pageTitle(route);
  }, [route]);

  let content;
  if (denied) {
    content = <AccessNotice error={denied} />;
  } else if (!sync.status && !sync.error) {
    // Wait for the first sync status (one local round trip) so views start with the replica's key and do not
    // load everything twice.
    content = null;
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
  const showRequests = !me || can(me, 'actions:read');
  return (
    <MeContext.Provider value={identity}>
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
            {showRequests && (
              <a href={route.name === 'requests' ? routeHash(route) : requestsHash()} aria-current={current('requests', 'request_new', 'action')}>
                Self-service
              </a>
            )}
            {mayApprove && (
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
          <SyncStatus status={sync.status} error={sync.error} />
          <IdentityChip />
        </header>
        <main className="app-main">{content}</main>
      </div>
    </MeContext.Provider>
  );
}

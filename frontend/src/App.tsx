import { useEffect, useState } from 'react';
import { onUnauthorized, type ApiError } from './api/client';
import { AccessNotice } from './components/AccessNotice';
import { CatalogTable } from './components/CatalogTable';
import { ServicePage } from './components/ServicePage';
import { SettingsPage } from './components/SettingsPage';
import { SyncStatus } from './components/SyncStatus';
import { useSyncStatus } from './hooks/useSyncStatus';
import { lastCatalogHash, rememberCatalog, routeHash, SETTINGS_HASH, useRoute, type Route } from './lib/router';
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

  useEffect(() => onUnauthorized(setDenied), []);

  // One page view per route (not per filter change): "catalog", "service", "settings".
  const routeName = route.name;
  const viewKey = route.name === 'service' ? `service:${route.service}` : route.name;
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

  return (
    <div className="app">
      <header className="app-header">
        <a className="brand" href="#/">
          <span className="brand-mark" aria-hidden="true" />
          Atrium
        </a>
        <nav className="app-nav" aria-label="Main">
          <a href={route.name === 'catalog' ? routeHash(route) : lastCatalogHash()} aria-current={route.name === 'catalog' || route.name === 'service' ? 'page' : undefined}>
            Catalog
          </a>
          <a href={SETTINGS_HASH} aria-current={route.name === 'settings' ? 'page' : undefined}>
            Settings
          </a>
        </nav>
        <SyncStatus status={sync.status} error={sync.error} />
      </header>
      <main className="app-main">{content}</main>
    </div>
  );
}

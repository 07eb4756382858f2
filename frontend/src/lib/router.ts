// Hash routing: the app's location lives after "#", so it works from the Wails asset server and from `atrium web`
// without server-side routes. Catalog filters live in the hash's query so that a reload keeps them:
//   #/?q=pay&owner=payments&sort=name&order=desc    #/services/payments-api    #/settings
import { useMemo, useSyncExternalStore } from 'react';
import type { SortKey, SortOrder } from '../api/client';

export const SORT_KEYS: readonly SortKey[] = ['name', 'owner', 'language', 'lifecycle', 'repository', 'synced_at'];

export interface CatalogFilters {
  q: string;
  owner: string;
  language: string;
  lifecycle: string;
  sort?: SortKey;
  order?: SortOrder;
}

export type Route =
  | { name: 'catalog'; filters: CatalogFilters }
  | { name: 'service'; service: string }
  | { name: 'settings' }
  | { name: 'not_found'; path: string };

export const EMPTY_FILTERS: CatalogFilters = { q: '', owner: '', language: '', lifecycle: '' };

function isSortKey(s: string | null): s is SortKey {
  return s !== null && (SORT_KEYS as readonly string[]).includes(s);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Parses a location hash ("#/services/x", "#/?q=pay", "" …) into a route. */
export function parseHash(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const qi = raw.indexOf('?');
  const pathPart = qi >= 0 ? raw.slice(0, qi) : raw;
  const params = new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : '');
  const segments = pathPart.split('/').filter((s) => s !== '');
  if (segments.length === 0) {
    const filters: CatalogFilters = {
      q: params.get('q') ?? '',
      owner: params.get('owner') ?? '',
      language: params.get('language') ?? '',
      lifecycle: params.get('lifecycle') ?? '',
    };
    const sort = params.get('sort');
    if (isSortKey(sort)) {
      filters.sort = sort;
      filters.order = params.get('order') === 'desc' ? 'desc' : 'asc';
    }
    return { name: 'catalog', filters };
  }
  if (segments[0] === 'services' && segments.length === 2 && segments[1]) {
    return { name: 'service', service: decode(segments[1]) };
  }
  if (segments[0] === 'settings' && segments.length === 1) return { name: 'settings' };
  return { name: 'not_found', path: decode(pathPart) };
}

/** The hash of the catalog with filters; empty values are left out. */
export function catalogHash(f: Partial<CatalogFilters> = {}): string {
  const params = new URLSearchParams();
  if (f.q?.trim()) params.set('q', f.q);
  if (f.owner) params.set('owner', f.owner);
  if (f.language) params.set('language', f.language);
  if (f.lifecycle) params.set('lifecycle', f.lifecycle);
  if (f.sort) {
    params.set('sort', f.sort);
    params.set('order', f.order ?? 'asc');
  }
  const qs = params.toString();
  return qs ? `#/?${qs}` : '#/';
}

export function serviceHash(name: string): string {
  return `#/services/${encodeURIComponent(name)}`;
}

export const SETTINGS_HASH = '#/settings';

export function routeHash(r: Route): string {
  switch (r.name) {
    case 'catalog':
      return catalogHash(r.filters);
    case 'service':
      return serviceHash(r.service);
    case 'settings':
      return SETTINGS_HASH;
    case 'not_found':
      return `#${r.path}`;
  }
}

const NAVIGATE = 'atrium:navigate';

/** Goes to hash; `replace` rewrites the current history entry (used while typing in the search box). */
export function navigate(hash: string, opts: { replace?: boolean } = {}): void {
  if (window.location.hash === hash) return;
  if (opts.replace) {
    window.history.replaceState(window.history.state, '', hash);
    window.dispatchEvent(new Event(NAVIGATE));
  } else {
    window.location.hash = hash;
  }
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE, onChange);
  return () => {
    window.removeEventListener('hashchange', onChange);
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE, onChange);
  };
}

function currentHash(): string {
  return window.location.hash;
}

/** The current route, re-rendering on every hash change. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, currentHash, () => '');
  return useMemo(() => parseHash(hash), [hash]);
}

let lastCatalog = '#/';

/** Remembers the catalog's hash (with its filters) so "back to catalog" links return to the same view. */
export function rememberCatalog(hash: string): void {
  lastCatalog = hash || '#/';
}

export function lastCatalogHash(): string {
  return lastCatalog;
}

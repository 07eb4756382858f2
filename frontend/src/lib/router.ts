// Hash routing: the app's location lives after "#", so it works from the Wails asset server and from `atrium web`
// without server-side routes. Catalog filters live in the hash's query so that a reload keeps them:
//   #/?q=pay&owner=payments&sort=name&order=desc    #/services/payments-api    #/settings
// Self-service: #/self-service (my requests, ?state=&team=&all=1), #/self-service/new?service=payments-api,
// #/self-service/ACTION_ID, #/approvals, #/audit?actor=&action=&resource=&since=&until=, #/admin/tokens.
import { useMemo, useSyncExternalStore } from 'react';
import type { ActionState, SortKey, SortOrder } from '../api/client';
import { isActionState } from './actionState';

export const SORT_KEYS: readonly SortKey[] = ['name', 'owner', 'language', 'lifecycle', 'repository', 'synced_at'];

export interface CatalogFilters {
  q: string;
  owner: string;
  language: string;
  lifecycle: string;
  sort?: SortKey;
  order?: SortOrder;
}

/** Filters of the requests list. */
export interface RequestFilters {
  state: ActionState | '';
  team: string;
  /** Everyone's requests rather than only mine. */
  all: boolean;
}

/** Filters of the audit log; since and until are RFC 3339 times. */
export interface AuditFilters {
  actor: string;
  action: string;
  resource: string;
  since: string;
  until: string;
}

export type Route =
  | { name: 'catalog'; filters: CatalogFilters }
  | { name: 'service'; service: string }
  | { name: 'settings' }
  | { name: 'requests'; filters: RequestFilters }
  | { name: 'request_new'; service: string }
  | { name: 'action'; id: string }
  | { name: 'approvals' }
  | { name: 'audit'; filters: AuditFilters }
  | { name: 'tokens' }
  | { name: 'not_found'; path: string };

export const EMPTY_REQUEST_FILTERS: RequestFilters = { state: '', team: '', all: false };
export const EMPTY_AUDIT_FILTERS: AuditFilters = { actor: '', action: '', resource: '', since: '', until: '' };

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
  if (segments[0] === 'self-service') {
    if (segments.length === 1) {
      const state = params.get('state') ?? '';
      return {
        name: 'requests',
        filters: { state: isActionState(state) ? state : '', team: params.get('team') ?? '', all: params.get('all') === '1' },
      };
    }
    if (segments.length === 2 && segments[1] === 'new') return { name: 'request_new', service: params.get('service') ?? '' };
    if (segments.length === 2 && segments[1]) return { name: 'action', id: decode(segments[1]) };
  }
  if (segments[0] === 'approvals' && segments.length === 1) return { name: 'approvals' };
  if (segments[0] === 'audit' && segments.length === 1) {
    return {
      name: 'audit',
      filters: {
        actor: params.get('actor') ?? '',
        action: params.get('action') ?? '',
        resource: params.get('resource') ?? '',
        since: params.get('since') ?? '',
        until: params.get('until') ?? '',
      },
    };
  }
  if (segments[0] === 'admin' && segments[1] === 'tokens' && segments.length === 2) return { name: 'tokens' };
  return { name: 'not_found', path: decode(pathPart) };
}

function withQuery(path: string, params: URLSearchParams): string {
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export function requestsHash(f: Partial<RequestFilters> = {}): string {
  const params = new URLSearchParams();
  if (f.state) params.set('state', f.state);
  if (f.team) params.set('team', f.team);
  if (f.all) params.set('all', '1');
  return withQuery('#/self-service', params);
}

/** The request form, for service when given (from a service page). */
export function newRequestHash(service = ''): string {
  const params = new URLSearchParams();
  if (service) params.set('service', service);
  return withQuery('#/self-service/new', params);
}

export function actionHash(id: string): string {
  return `#/self-service/${encodeURIComponent(id)}`;
}

export const APPROVALS_HASH = '#/approvals';
export const TOKENS_HASH = '#/admin/tokens';

export function auditHash(f: Partial<AuditFilters> = {}): string {
  const params = new URLSearchParams();
  for (const k of ['actor', 'action', 'resource', 'since', 'until'] as const) {
    const v = f[k]?.trim();
    if (v) params.set(k, v);
  }
  return withQuery('#/audit', params);
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
    case 'requests':
      return requestsHash(r.filters);
    case 'request_new':
      return newRequestHash(r.service);
    case 'action':
      return actionHash(r.id);
    case 'approvals':
      return APPROVALS_HASH;
    case 'audit':
      return auditHash(r.filters);
    case 'tokens':
      return TOKENS_HASH;
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

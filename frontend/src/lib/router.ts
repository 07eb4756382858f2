// Hash routing: the app's location lives after "#", so it works from the Wails asset server and from `atrium web`
// without server-side routes. Catalog filters live in the hash's query so that a reload keeps them:
//   #/?q=pay&owner=payments&sort=name&order=desc    #/services/payments-api    #/settings
// Self-service: #/self-service (my requests, ?state=&team=&all=1), #/self-service/new?service=payments-api,
// #/self-service/ACTION_ID, #/approvals, #/audit?actor=&action=&resource=&since=&until=, #/admin/tokens.
// Flags: #/flags?environment=&team=&stale=1&q=, #/flags/ENV/KEY, #/flags/ENV/KEY/edit, #/flags/new?environment=.
// Packages: #/packages?q=&ecosystem=&owner=&outdated=1&sort=&order=, #/packages/ECOSYSTEM/NAME?owner= (NAME encoded
// into one segment: @types%2Fnode). #/sources. What runs where: #/matrix?team=&environment=&region=, #/clusters.
import { useMemo, useSyncExternalStore } from 'react';
import type { ActionState, Ecosystem, PackageSortKey, SortKey, SortOrder } from '../api/client';
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

/** Filters of the flag table; empty strings mean "all". */
export interface FlagFilters {
  environment: string;
  team: string;
  /** Only flags ready to close. */
  stale: boolean;
  /** Part of the key. */
  q: string;
}

export const PACKAGE_SORT_KEYS: readonly PackageSortKey[] = ['name', 'ecosystem', 'services', 'outdated', 'major', 'minor', 'patch'];

/** Filters and order of the packages table. */
export interface PackageFilters {
  q: string;
  ecosystem: Ecosystem | '';
  /** A team: count only its services ("what is outdated in team T"). */
  owner: string;
  /** Only packages some counted service uses behind the newest version. */
  outdated: boolean;
  sort?: PackageSortKey;
  order?: SortOrder;
}

/** Filters of the services × clusters matrix; each may hold several values, comma-separated, as the API takes them. */
export interface MatrixFilters {
  team: string;
  environment: string;
  region: string;
}

export const EMPTY_MATRIX_FILTERS: MatrixFilters = { team: '', environment: '', region: '' };

export const EMPTY_FLAG_FILTERS: FlagFilters = { environment: '', team: '', stale: false, q: '' };
export const EMPTY_PACKAGE_FILTERS: PackageFilters = { q: '', ecosystem: '', owner: '', outdated: false };

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
  | { name: 'flags'; filters: FlagFilters }
  | { name: 'flag'; environment: string; key: string }
  | { name: 'flag_edit'; environment: string; key: string }
  | { name: 'flag_new'; environment: string }
  | { name: 'packages'; filters: PackageFilters }
  | { name: 'package'; ecosystem: string; package: string; owner: string }
  | { name: 'sources' }
  | { name: 'matrix'; filters: MatrixFilters }
  | { name: 'clusters' }
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
  if (segments[0] === 'flags') {
    if (segments.length === 1) {
      return {
        name: 'flags',
        filters: {
          environment: params.get('environment') ?? '',
          team: params.get('team') ?? '',
          stale: params.get('stale') === '1',
          q: params.get('q') ?? '',
        },
      };
    }
    if (segments.length === 2 && segments[1] === 'new') return { name: 'flag_new', environment: params.get('environment') ?? '' };
    const [, env, key, verb] = segments;
    if (env && key && segments.length === 3) return { name: 'flag', environment: decode(env), key: decode(key) };
    if (env && key && verb === 'edit' && segments.length === 4) return { name: 'flag_edit', environment: decode(env), key: decode(key) };
  }
  if (segments[0] === 'packages') {
    if (segments.length === 1) {
      const eco = params.get('ecosystem');
      const filters: PackageFilters = {
        q: params.get('q') ?? '',
        ecosystem: eco === 'npm' || eco === 'go' ? eco : '',
        owner: params.get('owner') ?? '',
        outdated: params.get('outdated') === '1',
      };
      const sort = params.get('sort');
      if (sort !== null && (PACKAGE_SORT_KEYS as readonly string[]).includes(sort)) {
        filters.sort = sort as PackageSortKey;
        filters.order = params.get('order') === 'desc' ? 'desc' : 'asc';
      }
      return { name: 'packages', filters };
    }
    // A module path typed without encoding (#/packages/go/github.com/pkg/errors) is the rest of the path.
    const [, eco, ...name] = segments;
    if (eco && name.length > 0) {
      return { name: 'package', ecosystem: decode(eco), package: name.map(decode).join('/'), owner: params.get('owner') ?? '' };
    }
  }
  if (segments[0] === 'sources' && segments.length === 1) return { name: 'sources' };
  if (segments[0] === 'matrix' && segments.length === 1) {
    return {
      name: 'matrix',
      filters: { team: params.get('team') ?? '', environment: params.get('environment') ?? '', region: params.get('region') ?? '' },
    };
  }
  if (segments[0] === 'clusters' && segments.length === 1) return { name: 'clusters' };
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
export const SOURCES_HASH = '#/sources';
export const CLUSTERS_HASH = '#/clusters';

/** The matrix with filters; empty values are left out. */
export function matrixHash(f: Partial<MatrixFilters> = {}): string {
  const params = new URLSearchParams();
  for (const k of ['team', 'environment', 'region'] as const) {
    const v = f[k]?.trim();
    if (v) params.set(k, v);
  }
  return withQuery('#/matrix', params);
}

export function flagsHash(f: Partial<FlagFilters> = {}): string {
  const params = new URLSearchParams();
  if (f.environment) params.set('environment', f.environment);
  if (f.team) params.set('team', f.team);
  if (f.stale) params.set('stale', '1');
  if (f.q?.trim()) params.set('q', f.q);
  return withQuery('#/flags', params);
}

export function flagHash(environment: string, key: string): string {
  return `#/flags/${encodeURIComponent(environment)}/${encodeURIComponent(key)}`;
}

export function flagEditHash(environment: string, key: string): string {
  return `${flagHash(environment, key)}/edit`;
}

export function newFlagHash(environment = ''): string {
  const params = new URLSearchParams();
  if (environment) params.set('environment', environment);
  return withQuery('#/flags/new', params);
}

export function packagesHash(f: Partial<PackageFilters> = {}): string {
  const params = new URLSearchParams();
  if (f.q?.trim()) params.set('q', f.q);
  if (f.ecosystem) params.set('ecosystem', f.ecosystem);
  if (f.owner) params.set('owner', f.owner);
  if (f.outdated) params.set('outdated', '1');
  if (f.sort) {
    params.set('sort', f.sort);
    params.set('order', f.order ?? 'asc');
  }
  return withQuery('#/packages', params);
}

/** A package's page; the name is one encoded segment (@types%2Fnode), owner narrows it to a team's services. */
export function packageHash(ecosystem: string, name: string, owner = ''): string {
  const params = new URLSearchParams();
  if (owner) params.set('owner', owner);
  return withQuery(`#/packages/${encodeURIComponent(ecosystem)}/${encodeURIComponent(name)}`, params);
}

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
    case 'flags':
      return flagsHash(r.filters);
    case 'flag':
      return flagHash(r.environment, r.key);
    case 'flag_edit':
      return flagEditHash(r.environment, r.key);
    case 'flag_new':
      return newFlagHash(r.environment);
    case 'packages':
      return packagesHash(r.filters);
    case 'package':
      return packageHash(r.ecosystem, r.package, r.owner);
    case 'sources':
      return SOURCES_HASH;
    case 'matrix':
      return matrixHash(r.filters);
    case 'clusters':
      return CLUSTERS_HASH;
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
let lastFlags = '#/flags';
let lastPackages = '#/packages';
let lastMatrix = '#/matrix';

/** Remembers the matrix's hash (with its filters) for the nav item and "back to the matrix" links. */
export function rememberMatrix(hash: string): void {
  lastMatrix = hash || '#/matrix';
}

export function lastMatrixHash(): string {
  return lastMatrix;
}

/** Remembers the flag table's hash (with its filters) for "back to flags" links. */
export function rememberFlags(hash: string): void {
  lastFlags = hash || '#/flags';
}

export function lastFlagsHash(): string {
  return lastFlags;
}

/** Remembers the packages table's hash (with its filters) for "back to packages" links. */
export function rememberPackages(hash: string): void {
  lastPackages = hash || '#/packages';
}

export function lastPackagesHash(): string {
  return lastPackages;
}

/** Remembers the catalog's hash (with its filters) so "back to catalog" links return to the same view. */
export function rememberCatalog(hash: string): void {
  lastCatalog = hash || '#/';
}

export function lastCatalogHash(): string {
  return lastCatalog;
}

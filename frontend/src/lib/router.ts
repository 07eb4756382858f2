// Hash routing: the app's location lives after "#", so it works from the Wails asset server and from `atrium web`
// without server-side routes. This module holds the URL grammar's pieces: the filter types, the hash builders links
// use, navigation, and the filters each page was last shown with. The route table (src/routes.tsx) parses hashes
// into routes and formats them back with these builders. Filters live in the hash's query so that a reload keeps them:
//   #/?q=pay&owner=payments&sort=name&order=desc    #/services/payments-api    #/settings
// Self-service: #/self-service (my requests, ?state=&team=&all=1), #/self-service/new?service=payments-api,
// #/self-service/ACTION_ID, #/approvals, #/audit?actor=&action=&resource=&since=&until=, #/admin/tokens.
// The golden path: #/new-service (the templates), #/new-service?template=NAME (its form and dry run).
// Flags: #/flags?environment=&team=&stale=1&q=, #/flags/ENV/KEY, #/flags/ENV/KEY/edit, #/flags/new?environment=.
// Packages: #/packages?q=&ecosystem=&owner=&outdated=1&sort=&order=, #/packages/ECOSYSTEM/NAME?owner= (NAME encoded
// into one segment: @types%2Fnode). #/sources. Teams: #/teams/NAME. What runs where: #/matrix?team=&environment=&region=, #/clusters.
// Scorecards: #/scorecards?team=&below=1.
import { useSyncExternalStore } from 'react';
import type { ActionState, Ecosystem, PackageSortKey, SortKey, SortOrder } from '../api/client';

export const SORT_KEYS: readonly SortKey[] = ['name', 'owner', 'language', 'lifecycle', 'repository', 'synced_at', 'signals'];

/** The catalog's signal filter: services with findings, dependencies behind, or deployments degraded. */
export type CatalogSignal = '' | 'findings' | 'outdated' | 'degraded';
export const CATALOG_SIGNALS: readonly CatalogSignal[] = ['findings', 'outdated', 'degraded'];

export interface CatalogFilters {
  q: string;
  owner: string;
  language: string;
  lifecycle: string;
  /** A system (the service page links to its system's services); absent and '' mean every system. */
  system?: string;
  /** Absent and '' mean every service. */
  signal?: CatalogSignal;
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

/** Filters of the scorecards page: one team (or all), and whether only services below the threshold are listed. */
export interface ScorecardFilters {
  team: string;
  below: boolean;
}

export const EMPTY_SCORECARD_FILTERS: ScorecardFilters = { team: '', below: false };

/** #/scorecards?team=&below=1 */
export function scorecardsHash(f: Partial<ScorecardFilters> = {}): string {
  const params = new URLSearchParams();
  if (f.team?.trim()) params.set('team', f.team.trim());
  if (f.below) params.set('below', '1');
  return withQuery('#/scorecards', params);
}

export const EMPTY_FLAG_FILTERS: FlagFilters = { environment: '', team: '', stale: false, q: '' };
export const EMPTY_PACKAGE_FILTERS: PackageFilters = { q: '', ecosystem: '', owner: '', outdated: false };

export const EMPTY_REQUEST_FILTERS: RequestFilters = { state: '', team: '', all: false };
export const EMPTY_AUDIT_FILTERS: AuditFilters = { actor: '', action: '', resource: '', since: '', until: '' };

export const EMPTY_FILTERS: CatalogFilters = { q: '', owner: '', language: '', lifecycle: '' };

/** A query string's part of path; empty parameters make no "?". */
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
  if (f.system) params.set('system', f.system);
  if (f.signal) params.set('signal', f.signal);
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

/** A team's page: its services, scores and requests. */
export function teamHash(name: string): string {
  return `#/teams/${encodeURIComponent(name)}`;
}

/** Creating a service on the golden path: the templates, or the form of one. */
export function newServiceHash(template = ''): string {
  const params = new URLSearchParams();
  if (template) params.set('template', template);
  return withQuery('#/new-service', params);
}

export const SETTINGS_HASH = '#/settings';
export const SOURCES_HASH = '#/sources';
export const CLUSTERS_HASH = '#/clusters';
export const SECRETS_HASH = '#/secrets';
export const DRIFT_HASH = '#/drift';

/** The Fleet page: the configuration in force, its editor and preview (admins). */
export const FLEET_HASH = '#/admin/fleet';

/** The fleet configuration's history, with one version open (0: none). */
export function fleetHistoryHash(version = 0): string {
  const params = new URLSearchParams();
  if (version > 0) params.set('version', String(version));
  return withQuery('#/admin/fleet/history', params);
}

/** Which installs the installs list shows: all, or those of one filter (GET /api/v1/fleet/installs), of a team. */
export type InstallFilter = '' | 'stale_config' | 'below_minimum' | 'unseen';
export const INSTALL_FILTERS: readonly Exclude<InstallFilter, ''>[] = ['stale_config', 'below_minimum', 'unseen'];

export interface InstallFilters {
  filter: InstallFilter;
  team: string;
}

export const EMPTY_INSTALL_FILTERS: InstallFilters = { filter: '', team: '' };

export function fleetInstallsHash(f: Partial<InstallFilters> = {}): string {
  const params = new URLSearchParams();
  if (f.filter) params.set('filter', f.filter);
  if (f.team?.trim()) params.set('team', f.team.trim());
  return withQuery('#/admin/fleet/installs', params);
}

/** The adoption KPI over the last weeks weeks (26 by default, left out of the hash). */
export function adoptionHash(weeks = 26): string {
  const params = new URLSearchParams();
  if (weeks !== 26) params.set('weeks', String(weeks));
  return withQuery('#/adoption', params);
}

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

/** The current location hash, re-rendering on every change. */
export function useHash(): string {
  return useSyncExternalStore(subscribe, currentHash, () => '');
}

// The filters each page was last shown with, by the page's path ("#/flags"): the route table remembers them for the
// pages that ask (the catalog, flags, packages, the matrix), so their nav items and "back" links return to them.
const lastFilters = new Map<string, string>();

function pathOf(hash: string): string {
  const qi = hash.indexOf('?');
  return qi >= 0 ? hash.slice(0, qi) : hash;
}

/** Remembers hash as the way its page was last shown. */
export function rememberFilters(hash: string): void {
  lastFilters.set(pathOf(hash), hash);
}

/** The page of hash with the filters it was last shown with (hash itself when it was not shown yet). */
export function withLastFilters(hash: string): string {
  return lastFilters.get(pathOf(hash)) ?? hash;
}

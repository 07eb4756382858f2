// The route table: every page of the app, once. Each entry says where the page lives (path), how a hash becomes its
// parameters (parse) and back (format), the document title, the feature flag that gates it, its nav item (with the
// permission it needs), whether its filters are remembered for the nav and "back" links, and what it renders.
// App, the nav, titles, usage events and the remembered filters all read this table; the hash builders links use
// (catalogHash, flagHash, ...) live in lib/router.ts, and each entry's format is one of them.
import { useMemo, type ReactNode } from 'react';
import { ActionPage } from './pages/ActionPage';
import { AdoptionPage, WEEK_CHOICES } from './pages/AdoptionPage';
import { ApprovalInbox } from './pages/ApprovalInbox';
import { AuditLogTable } from './pages/AuditLogTable';
import { CatalogTable } from './pages/CatalogTable';
import { ClustersPage } from './pages/ClustersPage';
import { FlagEditor } from './pages/FlagEditor';
import { FlagPage } from './pages/FlagPage';
import { FlagsPage } from './pages/FlagsPage';
import { FleetPage } from './pages/FleetPage';
import { MatrixPage } from './pages/MatrixPage';
import { MyRequests } from './pages/MyRequests';
import { NewServicePage } from './pages/NewServicePage';
import { PackagePage } from './pages/PackagePage';
import { PackagesPage } from './pages/PackagesPage';
import { RequestResourceForm } from './pages/RequestResourceForm';
import { ScorecardsPage } from './pages/ScorecardsPage';
import { SecretsPage } from './pages/SecretsPage';
import { DriftPage } from './pages/DriftPage';
import { ServicePage } from './pages/ServicePage';
import { SettingsPage } from './pages/SettingsPage';
import { SourcesPage } from './pages/SourcesPage';
import { TeamPage } from './pages/TeamPage';
import { TokenAdmin } from './pages/TokenAdmin';
import { Notice, NoticeBody } from './components/Notice';
import type { PageFeature } from './lib/features';
import { isActionState } from './lib/actionState';
import type { Permission } from './lib/permissions';
import {
  actionHash,
  adoptionHash,
  APPROVALS_HASH,
  auditHash,
  CATALOG_SIGNALS,
  catalogHash,
  CLUSTERS_HASH,
  DRIFT_HASH,
  EMPTY_AUDIT_FILTERS,
  EMPTY_FILTERS,
  EMPTY_FLAG_FILTERS,
  EMPTY_MATRIX_FILTERS,
  EMPTY_PACKAGE_FILTERS,
  EMPTY_REQUEST_FILTERS,
  EMPTY_SCORECARD_FILTERS,
  flagEditHash,
  flagHash,
  flagsHash,
  FLEET_HASH,
  fleetHistoryHash,
  fleetInstallsHash,
  INSTALL_FILTERS,
  matrixHash,
  newFlagHash,
  newRequestHash,
  newServiceHash,
  PACKAGE_SORT_KEYS,
  SECRETS_HASH,
  packageHash,
  packagesHash,
  requestsHash,
  scorecardsHash,
  serviceHash,
  SETTINGS_HASH,
  teamHash,
  SORT_KEYS,
  SOURCES_HASH,
  TOKENS_HASH,
  useHash,
  type AuditFilters,
  type CatalogFilters,
  type CatalogSignal,
  type FlagFilters,
  type InstallFilter,
  type InstallFilters,
  type MatrixFilters,
  type PackageFilters,
  type RequestFilters,
  type ScorecardFilters,
} from './lib/router';
import type { PackageSortKey, SortKey } from './api/client';

/** A route whose hash holds nothing but its path. */
type NoParams = Record<never, never>;

/** Each route's parameters (what its hash holds). */
interface RouteParams {
  catalog: { filters: CatalogFilters };
  service: { service: string };
  team: { team: string };
  new_service: { template: string };
  matrix: { filters: MatrixFilters };
  clusters: NoParams;
  scorecards: { filters: ScorecardFilters };
  packages: { filters: PackageFilters };
  package: { ecosystem: string; package: string; owner: string };
  secrets: NoParams;
  drift: NoParams;
  flags: { filters: FlagFilters };
  flag_new: { environment: string };
  flag: { environment: string; key: string };
  flag_edit: { environment: string; key: string };
  requests: { filters: RequestFilters };
  request_new: { service: string };
  action: { id: string };
  approvals: NoParams;
  audit: { filters: AuditFilters };
  tokens: NoParams;
  fleet: NoParams;
  fleet_history: { version: number };
  fleet_installs: { filters: InstallFilters };
  adoption: { weeks: number };
  settings: NoParams;
  sources: NoParams;
  not_found: { path: string };
}

export type RouteName = keyof RouteParams;

/** A parsed location: the route's name and its parameters. */
export type Route = { [N in RouteName]: { name: N } & RouteParams[N] }[RouteName];

/** What a page gets from the app besides its parameters. */
export interface PageContext {
  /** Changes when the replica does (lists refetch what is on screen). */
  refreshKey: string;
  /** The first sync has not finished: an empty catalog is not yet a fact. */
  initialSync: boolean;
  /** The portal in use (mode and URL): what the user may do and see depends on it. */
  portalKey: string;
  /** "local" or "portal"; empty until the first sync status. */
  mode: string;
}

/** A hash matched against an entry's path. */
export interface RouteMatch {
  /** A named segment of the path (":name", "*name"), decoded. */
  segment(name: string): string;
  query: URLSearchParams;
  /** The whole path, decoded. */
  path: string;
}

/** A nav item in the header. */
export interface NavItem<P> {
  label: string;
  /** What the item opens when its page is not on screen (its remembered filters, when the entry remembers them). */
  home: P;
  /** Other routes under this item (it is marked current on them). */
  also?: readonly RouteName[];
  /** The permission the item needs. */
  permission?: Permission;
  /**
   * Whether the item waits for /me before showing. Items everyone may use show while /me has not answered; those
   * only some may use (approvals, audit, tokens) wait.
   */
  waitForMe?: boolean;
  /** Shows the number of requests waiting for approval. */
  approvalsBadge?: boolean;
}

export interface RouteDef<P> {
  /** Literal segments, ":name" for one segment, "*name" for the rest (at least one segment); "*" matches anything. */
  path: string;
  parse(m: RouteMatch): P;
  format(p: P): string;
  title(p: P): string;
  /** The desktop's feature flag that gates the page (lib/features.ts). */
  feature?: PageFeature;
  nav?: NavItem<P>;
  /** The nav item and "back" links return to the filters the page was last shown with. */
  remember?: boolean;
  /** One page view per value (usage events): by default the route's name, so filter changes are not views. */
  view?(p: P): string;
  component(p: P, ctx: PageContext): ReactNode;
}

const none = {} as NoParams;

/** A query parameter as a whole number above 0, else 0. */
function positiveInt(v: string | null): number {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function catalogFilters(q: URLSearchParams): CatalogFilters {
  const filters: CatalogFilters = { q: q.get('q') ?? '', owner: q.get('owner') ?? '', language: q.get('language') ?? '', lifecycle: q.get('lifecycle') ?? '' };
  const system = q.get('system');
  if (system) filters.system = system;
  const signal = q.get('signal');
  if (signal !== null && (CATALOG_SIGNALS as readonly string[]).includes(signal)) filters.signal = signal as CatalogSignal;
  const sort = q.get('sort');
  if (sort !== null && (SORT_KEYS as readonly string[]).includes(sort)) {
    filters.sort = sort as SortKey;
    filters.order = q.get('order') === 'desc' ? 'desc' : 'asc';
  }
  return filters;
}

function packageFilters(q: URLSearchParams): PackageFilters {
  const eco = q.get('ecosystem');
  const filters: PackageFilters = {
    q: q.get('q') ?? '',
    ecosystem: eco === 'npm' || eco === 'go' ? eco : '',
    owner: q.get('owner') ?? '',
    outdated: q.get('outdated') === '1',
  };
  const sort = q.get('sort');
  if (sort !== null && (PACKAGE_SORT_KEYS as readonly string[]).includes(sort)) {
    filters.sort = sort as PackageSortKey;
    filters.order = q.get('order') === 'desc' ? 'desc' : 'asc';
  }
  return filters;
}

/** The table, in the nav's order; where two paths could match a hash, the first wins (".../new" before ".../:id"). */
export const ROUTES: { readonly [N in RouteName]: RouteDef<RouteParams[N]> } = {
  catalog: {
    path: '/',
    parse: (m) => ({ filters: catalogFilters(m.query) }),
    format: (p) => catalogHash(p.filters),
    title: () => 'Atrium — Catalog',
    nav: { label: 'Catalog', home: { filters: EMPTY_FILTERS }, also: ['service', 'team'] },
    remember: true,
    component: (p, ctx) => <CatalogTable filters={p.filters} refreshKey={ctx.refreshKey} initialSync={ctx.initialSync} />,
  },
  service: {
    path: '/services/:service',
    parse: (m) => ({ service: m.segment('service') }),
    format: (p) => serviceHash(p.service),
    title: (p) => `${p.service} — Atrium`,
    view: (p) => `service:${p.service}`,
    component: (p, ctx) => <ServicePage key={p.service} name={p.service} refreshKey={ctx.refreshKey} />,
  },
  team: {
    path: '/teams/:team',
    parse: (m) => ({ team: m.segment('team') }),
    format: (p) => teamHash(p.team),
    title: (p) => `Team ${p.team} — Atrium`,
    view: (p) => `team:${p.team}`,
    component: (p, ctx) => <TeamPage key={p.team} team={p.team} refreshKey={ctx.refreshKey} />,
  },
  new_service: {
    // #/new-service lists the templates; #/new-service?template=NAME is the form and dry run of one.
    path: '/new-service',
    parse: (m) => ({ template: m.query.get('template') ?? '' }),
    format: (p) => newServiceHash(p.template),
    title: (p) => (p.template ? `New service from ${p.template} — Atrium` : 'New service — Atrium'),
    // A new service is a request on the action pipeline: its run is a request's page.
    feature: 'atrium-ui-self-service',
    nav: { label: 'New service', home: { template: '' }, permission: 'actions:request', waitForMe: true },
    view: () => 'new_service',
    component: (p, ctx) => <NewServicePage key={`${ctx.portalKey}|${p.template}`} template={p.template} portalKey={ctx.portalKey} />,
  },
  matrix: {
    path: '/matrix',
    parse: (m) => ({ filters: { team: m.query.get('team') ?? '', environment: m.query.get('environment') ?? '', region: m.query.get('region') ?? '' } }),
    format: (p) => matrixHash(p.filters),
    title: () => 'What runs where — Atrium',
    feature: 'atrium-ui-matrix-page',
    nav: { label: 'Matrix', home: { filters: EMPTY_MATRIX_FILTERS }, permission: 'catalog:read' },
    remember: true,
    component: (p, ctx) => <MatrixPage filters={p.filters} refreshKey={ctx.refreshKey} />,
  },
  clusters: {
    path: '/clusters',
    parse: () => none,
    format: () => CLUSTERS_HASH,
    title: () => 'Clusters — Atrium',
    component: (_, ctx) => <ClustersPage portalKey={ctx.portalKey} mode={ctx.mode} />,
  },
  scorecards: {
    path: '/scorecards',
    parse: (m) => ({ filters: { team: m.query.get('team') ?? '', below: m.query.get('below') === '1' } }),
    format: (p) => scorecardsHash(p.filters),
    title: () => 'Scorecards — Atrium',
    nav: { label: 'Scorecards', home: { filters: EMPTY_SCORECARD_FILTERS }, permission: 'catalog:read' },
    remember: true,
    component: (p, ctx) => <ScorecardsPage filters={p.filters} refreshKey={ctx.refreshKey} />,
  },
  packages: {
    path: '/packages',
    parse: (m) => ({ filters: packageFilters(m.query) }),
    format: (p) => packagesHash(p.filters),
    title: () => 'Packages — Atrium',
    feature: 'atrium-ui-packages-page',
    nav: { label: 'Packages', home: { filters: EMPTY_PACKAGE_FILTERS }, also: ['package'] },
    remember: true,
    component: (p, ctx) => <PackagesPage filters={p.filters} refreshKey={ctx.refreshKey} />,
  },
  package: {
    // A module path typed without encoding (#/packages/go/github.com/pkg/errors) is the rest of the path.
    path: '/packages/:ecosystem/*package',
    parse: (m) => ({ ecosystem: m.segment('ecosystem'), package: m.segment('package'), owner: m.query.get('owner') ?? '' }),
    format: (p) => packageHash(p.ecosystem, p.package, p.owner),
    title: (p) => `${p.package} — Atrium`,
    feature: 'atrium-ui-packages-page',
    view: (p) => `package:${p.ecosystem}/${p.package}`,
    component: (p, ctx) => (
      <PackagePage key={`${p.ecosystem}/${p.package}`} ecosystem={p.ecosystem} name={p.package} owner={p.owner} refreshKey={ctx.refreshKey} />
    ),
  },
  secrets: {
    path: '/secrets',
    parse: () => none,
    format: () => SECRETS_HASH,
    title: () => 'Secrets — Atrium',
    feature: 'atrium-ui-secrets-page',
    nav: { label: 'Secrets', home: none, permission: 'secrets:read' },
    component: (_, ctx) => <SecretsPage refreshKey={ctx.refreshKey} />,
  },
  drift: {
    path: '/drift',
    parse: () => none,
    format: () => DRIFT_HASH,
    title: () => 'Drift — Atrium',
    feature: 'atrium-ui-drift-page',
    nav: { label: 'Drift', home: none, permission: 'drift:read' },
    component: (_, ctx) => <DriftPage refreshKey={ctx.refreshKey} />,
  },
  flags: {
    path: '/flags',
    parse: (m) => ({
      filters: { environment: m.query.get('environment') ?? '', team: m.query.get('team') ?? '', stale: m.query.get('stale') === '1', q: m.query.get('q') ?? '' },
    }),
    format: (p) => flagsHash(p.filters),
    title: () => 'Feature flags — Atrium',
    feature: 'atrium-ui-flags-page',
    nav: { label: 'Flags', home: { filters: EMPTY_FLAG_FILTERS }, also: ['flag', 'flag_edit', 'flag_new'], permission: 'flags:read' },
    remember: true,
    component: (p, ctx) => <FlagsPage filters={p.filters} portalKey={ctx.portalKey} />,
  },
  flag_new: {
    path: '/flags/new',
    parse: (m) => ({ environment: m.query.get('environment') ?? '' }),
    format: (p) => newFlagHash(p.environment),
    title: () => 'New flag — Atrium',
    feature: 'atrium-ui-flags-page',
    component: (p, ctx) => <FlagEditor key={`new/${p.environment}`} environment={p.environment} flagKey={null} portalKey={ctx.portalKey} />,
  },
  flag: {
    path: '/flags/:environment/:key',
    parse: (m) => ({ environment: m.segment('environment'), key: m.segment('key') }),
    format: (p) => flagHash(p.environment, p.key),
    title: (p) => `${p.key} (${p.environment}) — Atrium`,
    feature: 'atrium-ui-flags-page',
    view: (p) => `flag:${p.environment}/${p.key}`,
    component: (p) => <FlagPage key={`${p.environment}/${p.key}`} environment={p.environment} flagKey={p.key} />,
  },
  flag_edit: {
    path: '/flags/:environment/:key/edit',
    parse: (m) => ({ environment: m.segment('environment'), key: m.segment('key') }),
    format: (p) => flagEditHash(p.environment, p.key),
    title: (p) => `Edit ${p.key} (${p.environment}) — Atrium`,
    feature: 'atrium-ui-flags-page',
    view: (p) => `flag_edit:${p.environment}/${p.key}`,
    component: (p, ctx) => <FlagEditor key={`${p.environment}/${p.key}`} environment={p.environment} flagKey={p.key} portalKey={ctx.portalKey} />,
  },
  requests: {
    path: '/self-service',
    parse: (m) => {
      const state = m.query.get('state') ?? '';
      return { filters: { state: isActionState(state) ? state : '', team: m.query.get('team') ?? '', all: m.query.get('all') === '1' } };
    },
    format: (p) => requestsHash(p.filters),
    title: () => 'My requests — Atrium',
    feature: 'atrium-ui-self-service',
    nav: { label: 'Self-service', home: { filters: EMPTY_REQUEST_FILTERS }, also: ['request_new', 'action'], permission: 'actions:read' },
    component: (p, ctx) => <MyRequests filters={p.filters} refreshKey={ctx.refreshKey} />,
  },
  request_new: {
    path: '/self-service/new',
    parse: (m) => ({ service: m.query.get('service') ?? '' }),
    format: (p) => newRequestHash(p.service),
    title: () => 'Request a resource — Atrium',
    feature: 'atrium-ui-self-service',
    component: (p, ctx) => <RequestResourceForm key={`${ctx.portalKey}|${p.service}`} service={p.service} portalKey={ctx.portalKey} />,
  },
  action: {
    path: '/self-service/:id',
    parse: (m) => ({ id: m.segment('id') }),
    format: (p) => actionHash(p.id),
    title: (p) => `Request ${p.id} — Atrium`,
    feature: 'atrium-ui-self-service',
    view: (p) => `action:${p.id}`,
    component: (p) => <ActionPage key={p.id} id={p.id} />,
  },
  approvals: {
    path: '/approvals',
    parse: () => none,
    format: () => APPROVALS_HASH,
    title: () => 'Approvals — Atrium',
    feature: 'atrium-ui-self-service',
    nav: { label: 'Approvals', home: none, permission: 'actions:approve', waitForMe: true, approvalsBadge: true },
    component: () => <ApprovalInbox />,
  },
  audit: {
    path: '/audit',
    parse: (m) => ({
      filters: {
        actor: m.query.get('actor') ?? '',
        action: m.query.get('action') ?? '',
        resource: m.query.get('resource') ?? '',
        since: m.query.get('since') ?? '',
        until: m.query.get('until') ?? '',
      },
    }),
    format: (p) => auditHash(p.filters),
    title: () => 'Audit log — Atrium',
    nav: { label: 'Audit', home: { filters: EMPTY_AUDIT_FILTERS }, permission: 'audit:read', waitForMe: true },
    component: (p) => <AuditLogTable filters={p.filters} />,
  },
  tokens: {
    path: '/admin/tokens',
    parse: () => none,
    format: () => TOKENS_HASH,
    title: () => 'API tokens — Atrium',
    nav: { label: 'Tokens', home: none, permission: 'tokens:manage', waitForMe: true },
    component: () => <TokenAdmin />,
  },
  fleet: {
    path: '/admin/fleet',
    parse: () => none,
    format: () => FLEET_HASH,
    title: () => 'Fleet — Atrium',
    nav: { label: 'Fleet', home: none, also: ['fleet_history', 'fleet_installs'], permission: 'fleet:manage', waitForMe: true },
    component: () => <FleetPage tab="config" />,
  },
  fleet_history: {
    path: '/admin/fleet/history',
    parse: (m) => ({ version: positiveInt(m.query.get('version')) }),
    format: (p) => fleetHistoryHash(p.version),
    title: (p) => (p.version > 0 ? `Fleet version ${p.version} — Atrium` : 'Fleet history — Atrium'),
    component: (p) => <FleetPage tab="history" version={p.version} />,
  },
  fleet_installs: {
    path: '/admin/fleet/installs',
    parse: (m) => {
      const f = m.query.get('filter') ?? '';
      const filter: InstallFilter = (INSTALL_FILTERS as readonly string[]).includes(f) ? (f as InstallFilter) : '';
      return { filters: { filter, team: m.query.get('team') ?? '' } };
    },
    format: (p) => fleetInstallsHash(p.filters),
    title: () => 'Fleet installs — Atrium',
    view: () => 'fleet_installs',
    component: (p) => <FleetPage tab="installs" filters={p.filters} />,
  },
  adoption: {
    path: '/adoption',
    parse: (m) => {
      const w = positiveInt(m.query.get('weeks'));
      return { weeks: (WEEK_CHOICES as readonly number[]).includes(w) ? w : 26 };
    },
    format: (p) => adoptionHash(p.weeks),
    title: () => 'Adoption — Atrium',
    nav: { label: 'Adoption', home: { weeks: 26 }, permission: 'usage:read', waitForMe: true },
    view: () => 'adoption',
    component: (p) => <AdoptionPage weeks={p.weeks} />,
  },
  settings: {
    path: '/settings',
    parse: () => none,
    format: () => SETTINGS_HASH,
    title: () => 'Settings — Atrium',
    nav: { label: 'Settings', home: none },
    component: () => <SettingsPage />,
  },
  sources: {
    path: '/sources',
    parse: () => none,
    format: () => SOURCES_HASH,
    title: () => 'Sources — Atrium',
    nav: { label: 'Sources', home: none, permission: 'sources:read' },
    component: (_, ctx) => <SourcesPage portalKey={ctx.portalKey} />,
  },
  not_found: {
    path: '*',
    parse: (m) => ({ path: m.path }),
    format: (p) => `#${p.path}`,
    title: () => 'Not found — Atrium',
    component: (p) => (
      <div className="page">
        <Notice kind="empty" role="alert" title={`There is no page at ${p.path}`}>
          <NoticeBody>
            <a href="#/">Go to the catalog</a>.
          </NoticeBody>
        </Notice>
      </div>
    ),
  },
};

export const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];

/**
 * The entry of a route, typed for its parameters. (TypeScript cannot relate ROUTES[r.name] to r's own parameters
 * for a union, so this says it once.)
 */
export function routeDef(r: Route): RouteDef<Route> {
  return ROUTES[r.name] as unknown as RouteDef<Route>;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The named segments of path's pattern in segments, or null when the pattern does not match. */
function matchPath(pattern: string, segments: string[]): Record<string, string> | null {
  if (pattern === '*') return {};
  const parts = pattern.split('/').filter((s) => s !== '');
  const named: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    if (part.startsWith('*')) {
      if (segments.length <= i) return null;
      named[part.slice(1)] = segments.slice(i).map(decode).join('/');
      return named;
    }
    const segment = segments[i];
    if (segment === undefined) return null;
    if (part.startsWith(':')) named[part.slice(1)] = decode(segment);
    else if (part !== segment) return null;
  }
  return parts.length === segments.length ? named : null;
}

/** Parses a location hash ("#/services/x", "#/?q=pay", "" …) into a route. */
export function parseHash(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const qi = raw.indexOf('?');
  const pathPart = qi >= 0 ? raw.slice(0, qi) : raw;
  const query = new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : '');
  const segments = pathPart.split('/').filter((s) => s !== '');
  for (const name of ROUTE_NAMES) {
    const named = matchPath(ROUTES[name].path, segments);
    if (named) {
      const params = (ROUTES[name] as RouteDef<object>).parse({ segment: (n) => named[n] ?? '', query, path: decode(pathPart) });
      return { name, ...params } as Route;
    }
  }
  // Unreachable: not_found matches every path.
  return { name: 'not_found', path: decode(pathPart) };
}

/** The hash of a route. */
export function routeHash(r: Route): string {
  return routeDef(r).format(r);
}

/** The current route, re-rendering on every hash change. */
export function useRoute(): Route {
  const hash = useHash();
  return useMemo(() => parseHash(hash), [hash]);
}

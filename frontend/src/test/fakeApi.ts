// A stand-in for the Atrium API in component tests: a fetch that answers like the real endpoints over a
// generated catalog, records every request, and honours AbortSignal.
import { vi } from 'vitest';
import type { DriftList, FleetEffective, Secret, SecretConventions } from '../api/client';
import type { Action, ActionOptions, Facets, Matrix, MatrixCell, MatrixCluster, MatrixRow, Me, Service, ServiceRow, SyncStatus, UIFeatures } from '../api/client';

export interface Recorded {
  method: string;
  url: URL;
  body: unknown;
  headers: Headers;
  signal: AbortSignal | undefined;
}

/** The local demo's user: admin of the in-process portal. */
export const ADMIN: Me = {
  subject: 'root',
  via: 'local',
  grants: [{ role: 'admin' }],
  scopes: [],
  permissions: [
    'actions:approve',
    'actions:read',
    'actions:request',
    'audit:read',
    'catalog:read',
    'drift:acknowledge',
    'drift:fix',
    'drift:read',
    'flags:evaluate',
    'flags:import',
    'flags:read',
    'flags:write',
    'fleet:manage',
    'kube:claim',
    'secrets:read',
    'secrets:reveal',
    'secrets:write',
    'sources:read',
    'sources:sync',
    'tokens:manage',
    'usage:read',
    'usage:write',
  ],
};

/** A developer of the payments team. */
export const DEVELOPER: Me = {
  subject: 'ana',
  via: 'token',
  grants: [{ role: 'developer', team: 'payments' }],
  scopes: [],
  permissions: [
    'actions:read',
    'actions:request@payments',
    'catalog:read',
    'drift:acknowledge@payments',
    'drift:fix@payments',
    'drift:read',
    'flags:evaluate',
    'flags:read',
    'secrets:read',
    'secrets:reveal@payments',
    'secrets:write@payments',
    'sources:read',
    'usage:write',
  ],
};

/** An owner of the payments team: may change payments' flags. */
export const OWNER: Me = {
  subject: 'olga',
  via: 'token',
  grants: [{ role: 'team_owner', team: 'payments' }],
  scopes: [],
  permissions: [
    'actions:approve@payments',
    'actions:read',
    'actions:request@payments',
    'catalog:read',
    'flags:evaluate',
    'flags:read',
    'flags:write@payments',
    'sources:read',
    'usage:write',
  ],
};

/** Local mode's environments: dev without approval, staging by team owners, production by platform approvers. */
export const OPTIONS: ActionOptions = {
  kinds: ['sqs_queue', 'sns_topic'],
  environments: [
    { name: 'dev', regions: ['eu-west-1', 'us-east-1'], delivery: 'preview', approvers: [] },
    { name: 'production', regions: ['eu-west-1', 'us-east-1'], delivery: 'preview', approvers: ['platform_approver'] },
    { name: 'staging', regions: ['eu-west-1', 'us-east-1'], delivery: 'preview', approvers: ['team_owner'] },
  ],
};

/** The desktop's page flags, all on (the demo's production set). */
export const ALL_FEATURES_ON: UIFeatures = {
  environment: 'production',
  provider: 'READY',
  features: {
    'atrium-ui-flags-page': { enabled: true, variant: 'on', reason: 'STATIC' },
    'atrium-ui-packages-page': { enabled: true, variant: 'on', reason: 'STATIC' },
    'atrium-ui-self-service': { enabled: true, variant: 'on', reason: 'STATIC' },
    'atrium-ui-matrix-page': { enabled: true, variant: 'on', reason: 'SPLIT' },
    'atrium-ui-secrets-page': { enabled: true, variant: 'on', reason: 'STATIC' },
  },
};

/** An install with no fleet configuration applied yet; tests override what they are about. */
export function makeEffective(patch: Partial<FleetEffective> = {}): FleetEffective {
  return {
    revision: '0.1',
    version: 0,
    team: '',
    features: {},
    sync: {},
    links: [],
    modes: {},
    from: {},
    app_version: '1.0.0',
    update_required: false,
    preferences: { features: {} },
    ...patch,
  };
}

/** The features with one page turned off, as the portal answers when its flag serves "off". */
export function featuresWithOff(key: string): UIFeatures {
  return { ...ALL_FEATURES_ON, features: { ...ALL_FEATURES_ON.features, [key]: { enabled: false, variant: 'off', reason: 'STATIC' } } };
}

export function makeRows(n: number): ServiceRow[] {
  const owners = ['payments', 'search', 'platform'];
  return Array.from({ length: n }, (_, i) => ({
    name: `svc-${String(i).padStart(4, '0')}`,
    title: `Service ${i}`,
    description: `Does thing ${i}`,
    owner: owners[i % owners.length] ?? 'platform',
    language: i % 2 ? 'Go' : 'TypeScript',
    lifecycle: 'production',
    type: 'service',
    repository: `https://github.com/sphera/svc-${i}`,
    tags: [],
    synced_at: new Date(Date.now() - 5 * 60_000).toISOString(),
    findings: i % 7 === 0 ? 1 : 0,
    outdated: i % 3,
  }));
}

export interface FakeApiOptions {
  rows?: ServiceRow[];
  services?: Record<string, Service>;
  sync?: SyncStatus;
  /** GET /api/v1/me; default ADMIN. */
  me?: Me;
  /** GET /api/v1/ui/features; default every page on. */
  features?: UIFeatures;
  /** GET /api/v1/kube/matrix answers from these columns and rows (filtered and paged like the API); default DEMO_MATRIX. */
  matrix?: Omit<Matrix, 'total'>;
  /** GET /api/v1/secrets (filtered by service); default none. */
  secrets?: Secret[];
  /** GET /api/v1/secrets/conventions; default SECRET_CONVENTIONS. */
  secretConventions?: SecretConventions;
  /** GET /api/v1/fleet/effective, and its revision in the sync status; default none (no fleet_revision). */
  fleet?: FleetEffective;
  /** GET /api/v1/drift (filtered by service and kind); default none. */
  drift?: DriftList;
  /** Answer a request yourself (return undefined to fall through). */
  override?: (r: Recorded) => Response | Promise<Response> | undefined;
}

/** Local mode's conventions: a vault per environment, reveal in dev for the owning team. */
export const SECRET_CONVENTIONS: SecretConventions = {
  configured: true,
  naming: '{team}/{service}/{name}',
  name_pattern: '^[a-z][a-z0-9-]{0,62}$',
  max_value_bytes: 65536,
  reveal_seconds: 30,
  required: ['dev', 'production'],
  environments: [
    { name: 'dev', backend: 'local', regions: ['eu-west-1', 'us-east-1'], clusters: [], deployed_only: false, reveal: ['developer', 'team_owner'], approvers: [] },
    { name: 'production', backend: 'local', regions: ['eu-west-1', 'us-east-1'], clusters: [], deployed_only: true, reveal: [], approvers: ['platform_approver'] },
  ],
};

export const json = (v: unknown, status = 200) =>
  new Response(JSON.stringify(v), { status, headers: { 'Content-Type': 'application/json' } });

export function fakeApi(opts: FakeApiOptions = {}) {
  const rows = opts.rows ?? makeRows(500);
  const requests: Recorded[] = [];
  const facets: Facets = {
    owners: [
      { value: 'payments', count: 167 },
      { value: 'platform', count: 166 },
      { value: 'search', count: 167 },
    ],
    languages: [
      { value: 'Go', count: 250 },
      { value: 'TypeScript', count: 250 },
    ],
    lifecycles: [{ value: 'production', count: 500 }],
  };
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input, 'http://127.0.0.1');
    const r: Recorded = {
      method: init?.method ?? 'GET',
      url,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      headers: new Headers(init?.headers),
      signal: init?.signal ?? undefined,
    };
    requests.push(r);
    if (r.signal?.aborted) throw new DOMException('The operation was aborted.', 'AbortError');
    const custom = opts.override?.(r);
    if (custom) return custom;
    const p = url.pathname;
    if (p === '/api/v1/services') {
      const q = url.searchParams.get('q') ?? '';
      const owner = url.searchParams.get('owner') ?? '';
      let matched = rows.filter((s) => (!q || s.name.includes(q)) && (!owner || s.owner === owner));
      if (url.searchParams.get('order') === 'desc') matched = [...matched].reverse();
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 50);
      return json({ items: matched.slice(offset, offset + limit), total: matched.length });
    }
    if (p.startsWith('/api/v1/services/')) {
      const name = decodeURIComponent(p.slice('/api/v1/services/'.length));
      const s = opts.services?.[name];
      return s ? json(s) : json({ error: { code: 'not_found', message: `no service named "${name}"` } }, 404);
    }
    if (p === '/api/v1/facets') return json(facets);
    if (p === '/api/v1/sync/status')
      return json(
        opts.sync ?? {
          mode: 'local',
          state: 'up_to_date',
          done: 1,
          total: 1,
          services: rows.length,
          as_of: new Date().toISOString(),
          origin: 'local',
          data_version: 'test.1',
          ...(opts.fleet ? { fleet_revision: opts.fleet.revision } : {}),
        },
      );
    if (p === '/api/v1/fleet/effective' && opts.fleet) return json(opts.fleet);
    if (p === '/api/v1/usage/events') return new Response(null, { status: 204 });
    if (p === '/api/v1/settings') return json({ portal_url: '', token_set: false, token_store: 'file', mode: 'local' });
    if (p === '/api/v1/me') return json(opts.me ?? ADMIN);
    if (p === '/api/v1/ui/features') return json(opts.features ?? ALL_FEATURES_ON);
    if (p === '/api/v1/actions/options') return json(OPTIONS);
    if (p === '/api/v1/approvals') return json({ actions: [] });
    if (p === '/api/v1/actions' && r.method === 'GET') return json({ actions: [] });
    if (p === '/api/v1/kube/matrix') return json(matrixAnswer(opts.matrix ?? DEMO_MATRIX, url.searchParams));
    if (p === '/api/v1/secrets' && r.method === 'GET') {
      const svc = url.searchParams.get('service');
      return json({ secrets: (opts.secrets ?? []).filter((x) => !svc || x.service === svc) });
    }
    if (p === '/api/v1/secrets/conventions') return json(opts.secretConventions ?? SECRET_CONVENTIONS);
    if (p === '/api/v1/drift' && r.method === 'GET') {
      const svc = url.searchParams.get('service');
      const kind = url.searchParams.get('kind');
      const list = opts.drift ?? { items: [], status: { places: [], declarations: 0 } };
      return json({ ...list, items: list.items.filter((x) => (!svc || x.service === svc) && (!kind || x.kind === kind)) });
    }
    if (p === '/api/v1/teams')
      return json({ items: ['payments', 'platform', 'search'].map((name) => ({ name, display_name: name[0]?.toUpperCase() + name.slice(1) })) });
    return json({ error: { code: 'not_found', message: `no API endpoint ${r.method} ${p}` } }, 404);
  });
  vi.stubGlobal('fetch', fetchMock);
  return {
    requests,
    serviceRequests: () => requests.filter((r) => r.url.pathname === '/api/v1/services'),
  };
}

/** A catalog service with what the pages need. */
export function makeService(name: string, owner: string): Service {
  return {
    name,
    title: name,
    description: `${name} does things`,
    owner,
    lifecycle: 'production',
    type: 'service',
    language: 'Go',
    tags: [],
    links: [],
    repository: { url: `https://github.com/sphera/${name}` },
    source: 'demo',
    dependencies: [],
    deployments: [],
    findings: [],
    synced_at: new Date().toISOString(),
  };
}

/** An action as the portal answers it; override what the test is about. */
export function makeAction(patch: Partial<Action> = {}): Action {
  const at = '2026-11-26T09:00:00Z';
  return {
    id: 'act_0123abcd',
    requester: 'ana',
    team: 'payments',
    service: 'payments-api',
    kind: 'sqs_queue',
    params: { name: 'payments-events' },
    environment: 'dev',
    region: 'eu-west-1',
    delivery: 'preview',
    idempotency_key: 'k1',
    state: 'approved',
    approvers: [],
    result: {},
    attempts: 0,
    version: 1,
    cancel_requested: false,
    steps: [],
    created_at: at,
    updated_at: at,
    approvals: [],
    history: [{ at, actor: 'ana', to: 'approved', message: 'requested; no approval needed in dev' }],
    ...patch,
  };
}

const cell = (status: MatrixCell['status'], versions: string[], extra: Partial<MatrixCell> = {}): MatrixCell => ({
  status,
  versions,
  ready: versions.length ? 2 : 0,
  desired: versions.length ? 2 : 0,
  workloads: versions.length ? 1 : 0,
  ...(versions.length ? { health: 'healthy' as const } : {}),
  ...extra,
});

/** Like the local demo: two production regions and a staging cluster; one service lags, one is missing, one degraded. */
export const DEMO_MATRIX: Omit<Matrix, 'total'> = {
  clusters: [
    { name: 'prod-eu-west-1', region: 'eu-west-1', environment: 'production' },
    { name: 'prod-us-east-1', region: 'us-east-1', environment: 'production' },
    { name: 'staging-eu-west-1', region: 'eu-west-1', environment: 'staging' },
  ],
  services: [
    { service: 'currency-rates', owner: 'payments', cells: [cell('absent', []), cell('absent', []), cell('same', ['1.7.0'])] },
    {
      service: 'payments-api',
      owner: 'payments',
      cells: [cell('same', ['1.1.3']), cell('same', ['1.1.3'], { ready: 4, desired: 5, health: 'degraded' }), cell('same', ['1.2.0'])],
    },
    { service: 'referral-service', owner: 'growth', cells: [cell('same', ['1.6.2']), cell('missing', [], { expected: ['1.6.2'] }), cell('same', ['1.7.0'])] },
    { service: 'refund-processor', owner: 'payments', cells: [cell('differs', ['1.2.0']), cell('differs', ['1.1.0']), cell('same', ['1.3.0'])] },
  ],
};

/** The matrix API's filters and paging over rows: team narrows rows, environment rows and columns, region columns. */
export function matrixAnswer(m: Omit<Matrix, 'total'>, q: URLSearchParams): Matrix {
  const set = (k: string) => (q.get(k) ? new Set((q.get(k) ?? '').split(',')) : null);
  const teams = set('team');
  const envs = set('environment');
  const regions = set('region');
  const envCols = m.clusters.map((c, i) => (!envs || envs.has(c.environment) ? i : -1)).filter((i) => i >= 0);
  const cols = envCols.filter((i) => !regions || regions.has(m.clusters[i]?.region ?? ''));
  const rows: MatrixRow[] = m.services
    .filter((r) => (!teams || teams.has(r.owner)) && envCols.some((i) => r.cells[i]?.status !== 'absent'))
    .map((r) => ({ ...r, cells: cols.map((i) => r.cells[i]).filter((c): c is MatrixCell => c !== undefined) }));
  const offset = Number(q.get('offset') ?? 0);
  const limit = Number(q.get('limit') ?? 100);
  const clusters: MatrixCluster[] = cols.map((i) => m.clusters[i]).filter((c): c is MatrixCluster => c !== undefined);
  return { clusters, services: rows.slice(offset, offset + limit), total: rows.length };
}

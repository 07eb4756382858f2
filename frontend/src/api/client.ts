// The UI's one way to the backend: typed wrappers over fetch for /api/v1/..., with types generated from
// backend/api/openapi.yaml (src/api/schema.d.ts; `npm run gen:api`, checked by `npm run gen:check`).
import { launchToken } from './launchToken';
import type { components, operations } from './schema';

type Schemas = components['schemas'];
type JsonOk<Op extends keyof operations, Status extends number = 200> = operations[Op]['responses'] extends Record<
  Status,
  { content: { 'application/json': infer T } }
>
  ? T
  : never;

export type ServiceRow = Schemas['ServiceRow'];
export type ServicePage = JsonOk<'listServices'>;
export type Service = JsonOk<'getService'>;
export type Dependency = Schemas['Dependency'];
export type Deployment = Schemas['Deployment'];
export type Finding = Schemas['Finding'];
export type Link = Schemas['Link'];
export type Facet = Schemas['Facet'];
export type Facets = JsonOk<'getFacets'>;
export type SyncStatus = JsonOk<'getSyncStatus'>;
export type Settings = JsonOk<'getSettings'>;
export type SettingsUpdate = Schemas['SettingsUpdate'];
export type UsageEvent = Schemas['UsageEvent'];
export type FieldProblem = Schemas['FieldProblem'];
export type ServiceQuery = NonNullable<operations['listServices']['parameters']['query']>;
export type SortKey = NonNullable<ServiceQuery['sort']>;
export type SortOrder = NonNullable<ServiceQuery['order']>;
export type Team = Schemas['Team'];

export type Me = JsonOk<'getMe'>;
export type PersonaList = JsonOk<'getPersonas'>;
export type Persona = Schemas['Persona'];
export type Grant = Schemas['Grant'];
export type Role = Grant['role'];
export type SignInMethods = JsonOk<'getSignInMethods'>;
export type Token = Schemas['Token'];
export type TokenCreate = Schemas['TokenCreate'];
export type TokenCreated = Schemas['TokenCreated'];
export type AuditEvent = Schemas['AuditEvent'];
export type AuditPage = Schemas['AuditPage'];
export type AuditQuery = Omit<NonNullable<operations['queryAudit']['parameters']['query']>, 'format'>;
export type Action = Schemas['Action'];
export type ActionState = Action['state'];
export type ActionKind = Action['kind'];
export type ActionEvent = Schemas['ActionEvent'];
export type Approval = Schemas['Approval'];
export type ActionOptions = JsonOk<'getActionOptions'>;
export type ActionEnvironment = ActionOptions['environments'][number];
export type ApproverRole = ActionEnvironment['approvers'][number];
export type ActionRequest = Schemas['ActionRequest'];
export type SqsQueueParams = Schemas['SqsQueueParams'];
export type SnsTopicParams = Schemas['SnsTopicParams'];
export type KnownQueue = Schemas['KnownQueue'];
/** What an action will do (GET /actions/{id}/preview); a flag change's definitions are flag definitions. */
export type ActionPreview = Omit<Schemas['ActionPreview'], 'flag'> & {
  flag?: Omit<Schemas['FlagChangePreview'], 'before' | 'after'> & { before: FlagDefinition | null; after: FlagDefinition | null };
};
export type ActionQuery = NonNullable<operations['listActions']['parameters']['query']>;
export type ActionStep = Schemas['ActionStep'];
export type StepState = ActionStep['state'];

// The golden path: templates, their parameters, the dry run.
export type TemplateSummary = Schemas['TemplateSummary'];
export type TemplateValidation = Schemas['TemplateValidation'];
export type Plan = Schemas['Plan'];
export type PlanFile = Schemas['PlanFile'];
export type PlanStep = Plan['steps'][number];
export type PlanDeploy = Plan['deploy'][number];
/** A template's parameters: any JSON values, as its schema describes them. */
export type TemplateParams = Record<string, unknown>;

export type UIFeatures = JsonOk<'getUIFeatures'>;
export type UIFeature = UIFeatures['features'][string];

/** Any JSON value: flag variants, JsonLogic rules, diff values. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type FlagRow = Schemas['FlagRow'];
export type FlagState = FlagRow['state'];
export type FlagList = Schemas['FlagList'];
export type FlagQuery = NonNullable<operations['listFlags']['parameters']['query']>;
export type FlagEnvironment = JsonOk<'listFlagEnvironments'>['items'][number];
export type FlagMetadata = Schemas['FlagMetadata'];
/**
 * One flag in flagd's format. The OpenAPI file describes `targeting` as an object without properties, which the
 * generator turns into Record<string, never>; it is any JsonLogic object, and variants are any JSON values.
 */
export type FlagDefinition = Omit<Schemas['FlagdFlag'], 'targeting' | 'variants'> & {
  variants: Record<string, JsonValue>;
  targeting?: JsonObject;
};
export type FlagDetail = Omit<Schemas['FlagDetail'], 'definition'> & { definition: FlagDefinition };
export type FlagPut = Omit<Schemas['FlagPut'], 'flag'> & { flag: FlagDefinition };
export type FlagDiffOp = Omit<Schemas['FlagDiffOp'], 'before' | 'after'> & { before?: JsonValue; after?: JsonValue };
export type FlagHistoryEntry = Omit<Schemas['FlagHistoryEntry'], 'before' | 'after' | 'diff'> & {
  before: FlagDefinition | null;
  after: FlagDefinition | null;
  diff: FlagDiffOp[];
};
export type PendingChange = Schemas['PendingChange']['pending'];
export type FlagImportResult = Schemas['FlagImportResult'];
/** What a flag write did: applied at once, or held for approval as a flag_change request. */
export type FlagWriteResult =
  | { kind: 'applied'; flag: FlagDetail }
  | { kind: 'deleted' }
  | { kind: 'imported'; result: FlagImportResult }
  | { kind: 'pending'; pending: PendingChange };

export type PackageRow = Schemas['PackageRow'];
export type PackagePage = Schemas['PackagePage'];
export type PackageUse = Schemas['PackageUse'];
export type PackageDetail = Schemas['PackageDetail'];
export type Ecosystem = PackageRow['ecosystem'];
export type PackageQuery = Omit<NonNullable<operations['listPackages']['parameters']['query']>, 'format'>;
export type PackageSortKey = NonNullable<PackageQuery['sort']>;

export type SourceStatus = Schemas['SourceStatus'];
export type SourceDetail = Schemas['SourceDetail'];
export type RateLimit = Schemas['RateLimit'];
export type ItemError = Schemas['ItemError'];

export type Matrix = Schemas['Matrix'];
export type MatrixCluster = Schemas['MatrixCluster'];
export type MatrixRow = Schemas['MatrixRow'];
export type MatrixCell = Schemas['MatrixCell'];
export type MatrixQuery = NonNullable<operations['getKubeMatrix']['parameters']['query']>;
export type Health = NonNullable<MatrixCell['health']>;
export type KubeCluster = Schemas['KubeCluster'];
export type ClusterState = KubeCluster['state'];
export type UnmappedWorkload = Schemas['UnmappedWorkload'];
export type UnmappedPage = Schemas['UnmappedPage'];
export type UnmappedQuery = NonNullable<operations['listUnmappedWorkloads']['parameters']['query']>;
export type Claim = Schemas['Claim'];
export type ClaimRequest = Schemas['ClaimRequest'];
export type ClaimResult = JsonOk<'claimWorkload', 201>;
export type WorkloadKind = ClaimRequest['kind'];

export type ScorecardList = JsonOk<'listScorecards'>;
export type ScorecardRow = Schemas['ScorecardRow'];
export type ScorecardQuery = NonNullable<operations['listScorecards']['parameters']['query']>;
export type ScoreRules = Schemas['ScoreRules'];
export type ScoreRule = Schemas['ScoreRule'];
export type TeamScore = Schemas['TeamScore'];
export type ScoreTrend = Schemas['ScoreTrend'];
export type ScorePoint = Schemas['ScorePoint'];
export type ServiceScorecard = JsonOk<'getServiceScorecard'>;
export type ScorecardRuleResult = Schemas['ScorecardRuleResult'];
export type Level = Schemas['Scorecard']['level'];
export type GateDecision = Schemas['GateDecision'];
export type Secret = Schemas['Secret'];
export type SecretPlace = Schemas['SecretPlace'];
export type SecretLocation = Schemas['SecretLocation'];
export type SecretBackend = SecretPlace['backend'];
export type SecretConventions = Schemas['SecretConventions'];
export type SecretEnvironment = SecretConventions['environments'][number];
export type SecretCreate = Schemas['SecretCreate'];
export type SecretRotation = Schemas['SecretRotation'];
export type SecretRevealRequest = Schemas['SecretRevealRequest'];
export type SecretRevealed = Schemas['SecretRevealed'];
export type DriftItem = Schemas['DriftItem'];
export type DriftKind = DriftItem['kind'];
export type DriftState = DriftItem['state'];
export type DriftFixKind = Schemas['DriftFixRequest']['kind'];
export type DriftList = JsonOk<'listDrift'>;
export type DriftStatus = Schemas['DriftStatus'];
export type DriftPlace = Schemas['DriftPlace'];
export type DriftFixResult = JsonOk<'fixDrift'>;
export type DriftQuery = NonNullable<operations['listDrift']['parameters']['query']>;

// The fleet configuration (admins), the install's own view of it, and the adoption KPI.
export type FleetDocument = Schemas['FleetDocument'];
export type FleetSettings = Schemas['FleetSettings'];
export type FleetBanner = Schemas['FleetBanner'];
export type FleetLink = Schemas['FleetLink'];
export type FleetVersion = Schemas['FleetVersion'];
export type FleetPreview = Schemas['FleetPreview'];
export type FleetPreviewGroup = Schemas['FleetPreviewGroup'];
export type FleetInstall = Schemas['FleetInstall'];
export type FleetInstallList = Schemas['FleetInstallList'];
export type FleetInstallQuery = NonNullable<operations['listFleetInstalls']['parameters']['query']>;
export type FleetEffective = Schemas['FleetEffective'];
export type Preferences = Schemas['Preferences'];
export type Adoption = Schemas['Adoption'];
export type AdoptionWeek = Schemas['AdoptionWeek'];
export type AdoptionTeam = Schemas['AdoptionTeam'];
export type AdoptionFeature = Schemas['AdoptionFeature'];
/** Which of the KPI's tables a CSV holds. */
export type AdoptionTable = 'weeks' | 'teams' | 'features';

/** POST /api/v1/auth/oidc/start: the URL to open in the system browser. */
export type SignInStart = JsonOk<'startSignIn'>;
/** GET /api/v1/auth/oidc/status. */
export type SignInProgress = JsonOk<'getSignInStatus'>;

/** A file the API made for download (CSV, flagd JSON), with the name it suggested. */
export interface DownloadedFile {
  name: string;
  text: string;
  type: string;
}

/** A failed API call, with a message a person can act on. status 0 means the API could not be reached. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldProblem[];
  /** portal_unreachable only: false when the request certainly did not leave this computer. */
  readonly sent: boolean | undefined;

  constructor(status: number, code: string, message: string, fields: FieldProblem[] = [], sent?: boolean) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.sent = sent;
  }

  /** The problem the server named for one input field, if any. */
  fieldProblem(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.problem;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFieldProblem(v: unknown): v is FieldProblem {
  return isRecord(v) && typeof v.field === 'string' && typeof v.problem === 'string';
}

/**
 * Turns an error response into an ApiError. Bodies of the API's Error shape ({error:{code,message,fields}}) keep
 * the server's message, with field problems appended; anything else (a proxy's HTML page, an empty body) gets a
 * message saying what the status means and what to try.
 */
export function parseApiError(status: number, statusText: string, body: string): ApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const e = isRecord(parsed) && isRecord(parsed.error) ? parsed.error : undefined;
  if (e && typeof e.message === 'string') {
    const code = typeof e.code === 'string' && e.code !== '' ? e.code : `http_${status}`;
    const fields = Array.isArray(e.fields) ? e.fields.filter(isFieldProblem) : [];
    let message = e.message.trim() || fallbackMessage(status, statusText);
    if (fields.length > 0) {
      message += ` (${fields.map((f) => `${f.field}: ${f.problem}`).join('; ')})`;
    }
    return new ApiError(status, code, message, fields, typeof e.sent === 'boolean' ? e.sent : undefined);
  }
  return new ApiError(status, `http_${status}`, fallbackMessage(status, statusText));
}

function fallbackMessage(status: number, statusText: string): string {
  const what = `The Atrium API answered ${status}${statusText ? ` ${statusText}` : ''} without details`;
  if (status === 401) return `${what}: open the URL that \`atrium web\` printed, or reload the app.`;
  if (status === 404) return `${what}: this version of the UI may not match the running atrium; reload the page.`;
  if (status >= 500) return `${what}: check the terminal or log of atrium for the cause, then retry.`;
  return `${what}; reload the page and try again.`;
}

/** Whether err is the cancellation of a request (AbortController), which callers ignore. */
export function isAbortError(err: unknown): boolean {
  return err instanceof DOMException ? err.name === 'AbortError' : isRecord(err) && err.name === 'AbortError';
}

type UnauthorizedListener = (err: ApiError) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Calls listener whenever the API answers 401, so the app can say how to get in instead of showing errors. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => {
    unauthorizedListeners.delete(listener);
  };
}

type QueryValue = string | number | boolean | undefined | null;

interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** A body sent as it is (a file the user picked), as application/json. */
  rawBody?: string;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export function buildUrl(path: string, query?: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * Sends a request and returns the response when it is 2xx; anything else becomes an ApiError.
 *
 * `atrium web` authenticates the page by its launch token in an Authorization header, never a cookie, so no
 * credentials are sent by the browser itself ('omit'). Every change is labelled application/json, with or without a
 * body: the API refuses other bodies (a page of another origin can post only text/plain, urlencoded and multipart),
 * and the desktop window's asset server cannot tell an empty body from an absent one.
 */
async function send(method: string, path: string, opts: RequestOptions, accept: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept, ...opts.headers };
  const token = launchToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const init: RequestInit = { method, headers, credentials: 'omit' };
  if (opts.signal) init.signal = opts.signal;
  if (method !== 'GET' && method !== 'HEAD') headers['Content-Type'] = 'application/json';
  if (opts.rawBody !== undefined) {
    init.body = opts.rawBody;
  } else if (opts.body !== undefined) {
    init.body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), init);
  } catch (err) {
    if (isAbortError(err)) throw err;
    throw new ApiError(
      0,
      'network',
      `Could not reach the Atrium API (${err instanceof Error ? err.message : String(err)}). ` +
        'Check that atrium is still running, then retry.',
    );
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    const err = parseApiError(res.status, res.statusText, text);
    if (res.status === 401) {
      if (isPortalChallenge(res.headers.get('WWW-Authenticate'))) throw portalRefused(err);
      unauthorizedListeners.forEach((l) => l(err));
    }
    throw err;
  }
  return res;
}

/**
 * Whether a 401 is the team portal's (forwarded by the local API: realm "atrium") rather than the local API's own
 * (realm "atrium-web": the browser lacks the launch token). The portal's means the user's portal token is
 * missing, revoked or expired — something to fix in Settings, not a reason to hide the app.
 */
export function isPortalChallenge(header: string | null): boolean {
  return header !== null && /realm="atrium"/.test(header);
}

function portalRefused(err: ApiError): ApiError {
  return new ApiError(
    401,
    'portal_unauthorized',
    `The team portal refused your sign-in (${err.message}). Paste a valid API token in Settings, or ask an admin for one.`,
  );
}

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(method, path, opts, 'application/json');
  return readJson<T>(res, method, path);
}

async function readJson<T>(res: Response, method: string, path: string): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(
      res.status,
      'bad_response',
      `The Atrium API sent a response to ${method} ${path} that is not JSON; the UI and atrium may be different versions — reload the page.`,
    );
  }
}

export const api = {
  listServices(query: ServiceQuery, signal?: AbortSignal): Promise<ServicePage> {
    return request('GET', '/api/v1/services', { query: { ...query }, signal });
  },
  getService(name: string, signal?: AbortSignal): Promise<Service> {
    return request('GET', `/api/v1/services/${encodeURIComponent(name)}`, { signal });
  },
  getFacets(signal?: AbortSignal): Promise<Facets> {
    return request('GET', '/api/v1/facets', { signal });
  },
  getSyncStatus(signal?: AbortSignal): Promise<SyncStatus> {
    return request('GET', '/api/v1/sync/status', { signal });
  },
  getSettings(signal?: AbortSignal): Promise<Settings> {
    return request('GET', '/api/v1/settings', { signal });
  },
  putSettings(update: SettingsUpdate): Promise<Settings> {
    return request('PUT', '/api/v1/settings', { body: update });
  },
  postUsageEvent(event: UsageEvent): Promise<void> {
    return request('POST', '/api/v1/usage/events', { body: event });
  },
  listTeams(signal?: AbortSignal): Promise<{ items: Team[] }> {
    return request('GET', '/api/v1/teams', { signal });
  },

  getMe(signal?: AbortSignal): Promise<Me> {
    return request('GET', '/api/v1/me', { signal });
  },
  /** Local mode's demo personas (404 not_local with a team portal). */
  getPersonas(signal?: AbortSignal): Promise<PersonaList> {
    return request('GET', '/api/v1/local/personas', { signal });
  },
  /** Act as another demo persona from now on (local mode only). */
  putPersona(id: string): Promise<PersonaList> {
    return request('PUT', '/api/v1/local/persona', { body: { id } });
  },
  getSignInMethods(signal?: AbortSignal): Promise<SignInMethods> {
    return request('GET', '/api/v1/auth/methods', { signal });
  },
  /** Starts single sign-on with the team portal's identity provider; open auth_url in the system browser. */
  startSignIn(): Promise<SignInStart> {
    return request('POST', '/api/v1/auth/oidc/start');
  },
  getSignInStatus(signal?: AbortSignal): Promise<SignInProgress> {
    return request('GET', '/api/v1/auth/oidc/status', { signal });
  },

  listTokens(signal?: AbortSignal): Promise<Token[]> {
    return request<{ tokens: Token[] }>('GET', '/api/v1/tokens', { signal }).then((r) => r.tokens);
  },
  createToken(t: TokenCreate): Promise<TokenCreated> {
    return request('POST', '/api/v1/tokens', { body: t });
  },
  revokeToken(id: string): Promise<Token> {
    return request('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
  },

  queryAudit(query: AuditQuery, signal?: AbortSignal): Promise<AuditPage> {
    return request('GET', '/api/v1/audit', { query: { ...query }, signal });
  },
  /** The audit log as JSON lines (one event per line, newest first), up to `limit` (at most 10000) events. */
  async exportAudit(query: AuditQuery, signal?: AbortSignal): Promise<string> {
    const res = await send('GET', '/api/v1/audit', { query: { ...query, format: 'jsonl' }, signal }, 'application/x-ndjson');
    return res.text();
  },

  getActionOptions(signal?: AbortSignal): Promise<ActionOptions> {
    return request('GET', '/api/v1/actions/options', { signal });
  },
  /** The SQS queues a topic of env's region may subscribe: existing, previewed, or requested and on their way. */
  /** What action id will do (or did): sentences, the files it applies, a flag's before and after; 404 no_preview. */
  getActionPreview(id: string, signal?: AbortSignal): Promise<ActionPreview> {
    return request('GET', `/api/v1/actions/${encodeURIComponent(id)}/preview`, { signal });
  },
  listKnownQueues(environment: string, region: string, signal?: AbortSignal): Promise<{ items: KnownQueue[] }> {
    return request('GET', '/api/v1/actions/queues', { query: { environment, region }, signal });
  },
  /**
   * Requests an action. idempotencyKey must be the same for every retry of one intended request, so that the
   * portal stores it once however often it arrives.
   */
  requestAction(req: ActionRequest, idempotencyKey: string): Promise<Action> {
    return request('POST', '/api/v1/actions', { body: req, headers: { 'Idempotency-Key': idempotencyKey } });
  },
  listActions(query: ActionQuery, signal?: AbortSignal): Promise<Action[]> {
    return request<{ actions: Action[] }>('GET', '/api/v1/actions', { query: { ...query }, signal }).then((r) => r.actions);
  },
  getAction(id: string, signal?: AbortSignal): Promise<Action> {
    return request('GET', `/api/v1/actions/${encodeURIComponent(id)}`, { signal });
  },
  /**
   * The action at its next version: the portal answers as soon as the action's version differs from version, or
   * after waitSeconds with the action as it is (a long poll, how a run is followed step by step).
   */
  waitForAction(id: string, version: number, waitSeconds: number, signal?: AbortSignal): Promise<Action> {
    return request('GET', `/api/v1/actions/${encodeURIComponent(id)}`, { query: { wait: waitSeconds, version }, signal });
  },
  /** The plan stored with a service_create action when it was requested (404 no_plan for other kinds). */
  getActionPlan(id: string, signal?: AbortSignal): Promise<Plan> {
    return request('GET', `/api/v1/actions/${encodeURIComponent(id)}/plan`, { signal });
  },
  /** Runs a failed action again from its failed step (the steps that succeeded are not run again). */
  retryAction(id: string): Promise<Action> {
    return request('POST', `/api/v1/actions/${encodeURIComponent(id)}/retry`, { body: {} });
  },
  /** Cancels an action that has not finished; a running step finishes first (cancel_requested). */
  cancelAction(id: string, reason: string): Promise<Action> {
    return request('POST', `/api/v1/actions/${encodeURIComponent(id)}/cancel`, { body: reason ? { reason } : {} });
  },
  approveAction(id: string, reason: string): Promise<Action> {
    return request('POST', `/api/v1/actions/${encodeURIComponent(id)}/approve`, { body: reason ? { reason } : {} });
  },
  rejectAction(id: string, reason: string): Promise<Action> {
    return request('POST', `/api/v1/actions/${encodeURIComponent(id)}/reject`, { body: { reason } });
  },
  listApprovals(signal?: AbortSignal): Promise<Action[]> {
    return request<{ actions: Action[] }>('GET', '/api/v1/approvals', { signal }).then((r) => r.actions);
  },

  // The golden path (404 not_configured when the portal has none).
  listTemplates(signal?: AbortSignal): Promise<TemplateSummary[]> {
    return request<{ templates: TemplateSummary[] }>('GET', '/api/v1/templates', { signal }).then((r) => r.templates);
  },
  getTemplate(name: string, signal?: AbortSignal): Promise<TemplateSummary> {
    return request('GET', `/api/v1/templates/${encodeURIComponent(name)}`, { signal });
  },
  /** Every problem of parameters at its field (a JSON Pointer), including the name taken and the team unknown. */
  validateTemplate(name: string, parameters: TemplateParams, signal?: AbortSignal): Promise<TemplateValidation> {
    return request('POST', `/api/v1/templates/${encodeURIComponent(name)}/validate`, { body: { parameters }, signal });
  },
  /** The dry run: the whole plan, or a 400 naming every bad parameter. Nothing is created. */
  planTemplate(name: string, parameters: TemplateParams, signal?: AbortSignal): Promise<Plan> {
    return request('POST', `/api/v1/templates/${encodeURIComponent(name)}/plan`, { body: { parameters }, signal });
  },

  // Feature flags, packages and sources.
  getUIFeatures(signal?: AbortSignal): Promise<UIFeatures> {
    return request('GET', '/api/v1/ui/features', { signal });
  },

  listFlags(query: FlagQuery, signal?: AbortSignal): Promise<FlagList> {
    return request('GET', '/api/v1/flags', { query: { ...query }, signal });
  },
  listFlagEnvironments(signal?: AbortSignal): Promise<FlagEnvironment[]> {
    return request<{ items: FlagEnvironment[] }>('GET', '/api/v1/flags/environments', { signal }).then((r) => r.items);
  },
  getFlag(environment: string, key: string, signal?: AbortSignal): Promise<FlagDetail> {
    return request('GET', flagPath(environment, key), { signal });
  },
  getFlagHistory(environment: string, key: string, signal?: AbortSignal): Promise<FlagHistoryEntry[]> {
    return request<{ items: FlagHistoryEntry[] }>('GET', `${flagPath(environment, key)}/history`, { signal }).then((r) => r.items);
  },
  /**
   * Creates or changes a flag: applied (200) or, where policy says so, held for approval (202). With createOnly the
   * portal refuses (409) to replace a flag that exists (If-None-Match: *).
   */
  async putFlag(environment: string, key: string, put: FlagPut, createOnly = false): Promise<FlagWriteResult> {
    const path = flagPath(environment, key);
    const headers = createOnly ? { 'If-None-Match': '*' } : undefined;
    const out = await flagWrite(await send('PUT', path, { body: put, headers }, 'application/json'), 'PUT', path);
    return out.kind === 'ok' ? { kind: 'applied', flag: out.body as FlagDetail } : out;
  },
  /** Closes (removes) a flag: deleted (204) or held for approval (202). */
  async deleteFlag(environment: string, key: string, comment = ''): Promise<FlagWriteResult> {
    const path = flagPath(environment, key);
    const out = await flagWrite(await send('DELETE', path, { query: { comment } }, 'application/json'), 'DELETE', path);
    return out.kind === 'ok' ? { kind: 'deleted' } : out;
  },
  /** An environment's flag set as a flagd file, as the API names it (flags-ENV.json). */
  exportFlags(environment: string, signal?: AbortSignal): Promise<DownloadedFile> {
    return download('/api/v1/flags/export', { environment }, 'application/json', `flags-${environment}.json`, signal);
  },
  /** Replaces an environment's flag set with a flagd file, sent as the user gave it; 400 names each problem. */
  async importFlags(environment: string, file: string, opts: { team?: string; comment?: string } = {}): Promise<FlagWriteResult> {
    const path = '/api/v1/flags/import';
    const res = await send('POST', path, { query: { environment, team: opts.team, comment: opts.comment }, rawBody: file }, 'application/json');
    const out = await flagWrite(res, 'POST', path);
    return out.kind === 'ok' ? { kind: 'imported', result: out.body as FlagImportResult } : out;
  },

  listPackages(query: PackageQuery, signal?: AbortSignal): Promise<PackagePage> {
    return request('GET', '/api/v1/packages', { query: { ...query }, signal });
  },
  getPackage(ecosystem: string, name: string, owner: string, signal?: AbortSignal): Promise<PackageDetail> {
    return request('GET', packagePath(ecosystem, name), { query: { owner }, signal });
  },
  /** The packages table for query as CSV (every matching row). */
  downloadPackagesCsv(query: PackageQuery, signal?: AbortSignal): Promise<DownloadedFile> {
    return download('/api/v1/packages', packagesCsvQuery(query), 'text/csv', 'packages.csv', signal);
  },
  /** One package's users as CSV. */
  downloadPackageCsv(ecosystem: string, name: string, owner = '', signal?: AbortSignal): Promise<DownloadedFile> {
    return download(packagePath(ecosystem, name), { owner, format: 'csv' }, 'text/csv', `package-${ecosystem}.csv`, signal);
  },

  listSources(signal?: AbortSignal): Promise<SourceStatus[]> {
    return request<{ items: SourceStatus[] }>('GET', '/api/v1/sources', { signal }).then((r) => r.items);
  },
  getSource(name: string, signal?: AbortSignal): Promise<SourceDetail> {
    return request('GET', `/api/v1/sources/${encodeURIComponent(name)}`, { signal });
  },
  /** Starts a sync now (admins); 409 when the source has no collector on this portal (the demo). */
  syncSource(name: string): Promise<SourceStatus> {
    return request('POST', `/api/v1/sources/${encodeURIComponent(name)}/sync`);
  },

  // Secrets: metadata for everyone (from the replica, offline too); writes as actions; reveals never cached.
  listSecrets(query: { service?: string; team?: string }, signal?: AbortSignal): Promise<Secret[]> {
    return request<{ secrets: Secret[] }>('GET', '/api/v1/secrets', { query: { ...query }, signal }).then((r) => r.secrets);
  },
  getSecretConventions(signal?: AbortSignal): Promise<SecretConventions> {
    return request('GET', '/api/v1/secrets/conventions', { signal });
  },
  /** Creates a secret; the value goes in this request's body only. The answer is the action writing it. */
  createSecret(req: SecretCreate, idempotencyKey: string): Promise<Action> {
    return request('POST', '/api/v1/secrets', { body: req, headers: { 'Idempotency-Key': idempotencyKey } });
  },
  rotateSecret(service: string, name: string, req: SecretRotation, idempotencyKey: string): Promise<Action> {
    return request('POST', `${secretPath(service, name)}/versions`, { body: req, headers: { 'Idempotency-Key': idempotencyKey } });
  },
  deleteSecret(service: string, name: string, environment: string, regions: string[], idempotencyKey: string): Promise<Action> {
    return request('DELETE', secretPath(service, name), {
      query: { environment, region: regions.length > 0 ? regions.join(',') : undefined },
      headers: { 'Idempotency-Key': idempotencyKey },
    });
  },
  /** Shows a value once (audited with the reason); the answer is never cached, and the caller wipes it after reveal_seconds. */
  revealSecret(service: string, name: string, req: SecretRevealRequest): Promise<SecretRevealed> {
    return request('POST', `${secretPath(service, name)}/reveal`, { body: req });
  },

  // The fleet configuration (admins: fleet:manage).
  getFleetConfig(signal?: AbortSignal): Promise<FleetVersion> {
    return request('GET', '/api/v1/fleet/config', { signal });
  },
  /** Which installs would get what from config, and how it differs; nothing is pushed. 400 names every problem at /config/.... */
  previewFleetConfig(config: unknown, signal?: AbortSignal): Promise<FleetPreview> {
    return request('POST', '/api/v1/fleet/preview', { body: { config }, signal });
  },
  /**
   * Pushes config as the next version, made against baseVersion: 409 when another push came first (preview
   * again). The answer is the version, signed and on its way to every install.
   */
  pushFleetConfig(config: unknown, baseVersion: number, note: string): Promise<FleetVersion> {
    return request('POST', '/api/v1/fleet/config', { body: { config, base_version: baseVersion, note: note || undefined } });
  },
  listFleetHistory(query: { limit?: number; before?: number }, signal?: AbortSignal): Promise<FleetVersion[]> {
    return request<{ items: FleetVersion[] }>('GET', '/api/v1/fleet/history', { query: { ...query }, signal }).then((r) => r.items);
  },
  getFleetVersion(version: number, signal?: AbortSignal): Promise<FleetVersion> {
    return request('GET', `/api/v1/fleet/history/${encodeURIComponent(String(version))}`, { signal });
  },
  /** Pushes an earlier version's content again, as a new version (made against baseVersion, like a push). */
  rollbackFleetConfig(version: number, baseVersion: number, note: string): Promise<FleetVersion> {
    return request('POST', '/api/v1/fleet/rollback', { body: { version, base_version: baseVersion, note: note || undefined } });
  },
  listFleetInstalls(query: FleetInstallQuery, signal?: AbortSignal): Promise<FleetInstallList> {
    return request('GET', '/api/v1/fleet/installs', { query: { ...query }, signal });
  },
  /** What the fleet configuration makes of this install (answered by the desktop itself). */
  getFleetEffective(signal?: AbortSignal): Promise<FleetEffective> {
    return request('GET', '/api/v1/fleet/effective', { signal });
  },
  /** Pins the portal's new signing key, named by its fingerprint (after the platform team rotated it). */
  trustFleetKey(keyId: string): Promise<FleetEffective> {
    return request('POST', '/api/v1/fleet/trust', { body: { key_id: keyId } });
  },
  /** The user's own choices on this install; the fleet configuration wins where it enforces a setting. */
  putPreferences(p: Preferences): Promise<FleetEffective> {
    return request('PUT', '/api/v1/preferences', { body: p });
  },

  // The adoption KPI (usage:read).
  getAdoption(weeks: number, signal?: AbortSignal): Promise<Adoption> {
    return request('GET', '/api/v1/kpi/adoption', { query: { weeks }, signal });
  },
  /** One of the KPI's tables as CSV, as the portal names it (adoption-weeks-DAY.csv). */
  downloadAdoptionCsv(weeks: number, table: AdoptionTable, signal?: AbortSignal): Promise<DownloadedFile> {
    return download('/api/v1/kpi/adoption', { weeks, format: 'csv', table }, 'text/csv', `adoption-${table}.csv`, signal);
  },
  // Drift: items for everyone (from the replica, offline too); acknowledging, silencing and fixing on the portal.
  listDrift(query: DriftQuery, signal?: AbortSignal): Promise<DriftList> {
    return request('GET', '/api/v1/drift', { query: { ...query }, signal });
  },
  /** Acknowledges an item (until it resolves) or, with until, silences it until then; the reason is audited. */
  acknowledgeDrift(id: string, reason: string, until?: string): Promise<DriftItem> {
    return request('POST', `/api/v1/drift/${encodeURIComponent(id)}/acknowledge`, { body: until ? { reason, until } : { reason } });
  },
  unacknowledgeDrift(id: string): Promise<DriftItem> {
    return request('DELETE', `/api/v1/drift/${encodeURIComponent(id)}/acknowledgement`);
  },
  /** Starts one of an item's fixes: a pull request, a re-apply by the cluster's agent, or the missing copy (an action). */
  fixDrift(id: string, kind: DriftFixKind, idempotencyKey: string): Promise<DriftFixResult> {
    return request('POST', `/api/v1/drift/${encodeURIComponent(id)}/fix`, { body: { kind }, headers: { 'Idempotency-Key': idempotencyKey } });
  },

  // Kubernetes: what runs where.
  /** A page of the services × clusters matrix (answered by the desktop's replica, offline too). */
  getKubeMatrix(query: MatrixQuery, signal?: AbortSignal): Promise<Matrix> {
    return request('GET', '/api/v1/kube/matrix', { query: { ...query }, signal });
  },
  listKubeClusters(signal?: AbortSignal): Promise<KubeCluster[]> {
    return request<{ items: KubeCluster[] }>('GET', '/api/v1/kube/clusters', { signal }).then((r) => r.items);
  },
  listUnmappedWorkloads(query: UnmappedQuery, signal?: AbortSignal): Promise<UnmappedPage> {
    return request('GET', '/api/v1/kube/unmapped', { query: { ...query }, signal });
  },
  listKubeClaims(signal?: AbortSignal): Promise<Claim[]> {
    return request<{ items: Claim[] }>('GET', '/api/v1/kube/claims', { signal }).then((r) => r.items);
  },
  /** Maps a workload to a service (admins: kube:claim); replaces a claim of the same workload. */
  claimWorkload(claim: ClaimRequest): Promise<ClaimResult> {
    return request('POST', '/api/v1/kube/claims', { body: claim });
  },
  deleteKubeClaim(id: number): Promise<void> {
    return request('DELETE', `/api/v1/kube/claims/${encodeURIComponent(String(id))}`);
  },

  // Scorecards (answered by the desktop's replica, offline too) and the deploy gate (the portal's).
  listScorecards(query: ScorecardQuery, signal?: AbortSignal): Promise<ScorecardList> {
    return request('GET', '/api/v1/scorecards', { query: { ...query }, signal });
  },
  listScorecardTeams(team = '', signal?: AbortSignal): Promise<TeamScore[]> {
    return request<{ items: TeamScore[] }>('GET', '/api/v1/scorecards/teams', { query: { team: team || undefined }, signal }).then(
      (r) => r.items,
    );
  },
  /** The weekly trend of one service, one team, or (neither) every service. */
  getScoreTrend(of: { service?: string; team?: string }, signal?: AbortSignal): Promise<ScoreTrend> {
    return request('GET', '/api/v1/scorecards/trend', { query: { service: of.service || undefined, team: of.team || undefined }, signal });
  },
  getServiceScorecard(name: string, signal?: AbortSignal): Promise<ServiceScorecard> {
    return request('GET', `/api/v1/services/${encodeURIComponent(name)}/scorecard`, { signal });
  },
  checkDeployGate(service: string, environment: string, signal?: AbortSignal): Promise<GateDecision> {
    return request('GET', '/api/v1/gates/deploy', { query: { service, environment }, signal });
  },
};

/** The filename in a Content-Disposition header (attachment; filename="x.csv"), or fallback. */
export function dispositionName(header: string | null, fallback: string): string {
  const m = header ? /filename="([^"]+)"/.exec(header) ?? /filename=([^;\s]+)/.exec(header) : null;
  return m?.[1] ?? fallback;
}

async function download(path: string, query: Record<string, QueryValue>, accept: string, fallbackName: string, signal?: AbortSignal): Promise<DownloadedFile> {
  const res = await send('GET', path, { query, signal }, accept);
  const text = await res.text();
  return { name: dispositionName(res.headers.get('Content-Disposition'), fallbackName), text, type: accept };
}

function secretPath(service: string, name: string): string {
  return `/api/v1/secrets/${encodeURIComponent(service)}/${encodeURIComponent(name)}`;
}

function flagPath(environment: string, key: string): string {
  return `/api/v1/flags/${encodeURIComponent(environment)}/${encodeURIComponent(key)}`;
}

/** A package's API path; names with "/" (@types/node, github.com/pkg/errors) are encoded into one segment. */
export function packagePath(ecosystem: string, name: string): string {
  return `/api/v1/packages/${encodeURIComponent(ecosystem)}/${encodeURIComponent(name)}`;
}

/** The query of the packages table's CSV: the same filters and order, every row (no paging). */
function packagesCsvQuery(query: PackageQuery): Record<string, QueryValue> {
  return { ...query, limit: undefined, offset: undefined, format: 'csv' };
}

async function flagWrite(res: Response, method: string, path: string): Promise<FlagWriteResult | { kind: 'ok'; body: unknown }> {
  if (res.status === 202) {
    const body = await readJson<{ pending: PendingChange }>(res, method, path);
    return { kind: 'pending', pending: body.pending };
  }
  return { kind: 'ok', body: await readJson<unknown>(res, method, path) };
}

/** err as an ApiError (anything thrown that is not one becomes one with its text). */
export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, 'unknown', err instanceof Error ? err.message : String(err));
}

import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, buildUrl, dispositionName, isPortalChallenge, onUnauthorized, packagePath, parseApiError } from './client';

describe('parseApiError', () => {
  it('keeps the server message and code', () => {
    const e = parseApiError(404, 'Not Found', '{"error":{"code":"not_found","message":"no service named \\"nope\\""}}');
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(404);
    expect(e.code).toBe('not_found');
    expect(e.message).toBe('no service named "nope"');
  });
  it('appends field problems and keeps them for forms', () => {
    const e = parseApiError(
      400,
      'Bad Request',
      JSON.stringify({
        error: {
          code: 'bad_request',
          message: 'invalid settings',
          fields: [{ field: 'portal_url', problem: 'must be an http:// or https:// URL with a host' }],
        },
      }),
    );
    expect(e.message).toBe('invalid settings (portal_url: must be an http:// or https:// URL with a host)');
    expect(e.fieldProblem('portal_url')).toBe('must be an http:// or https:// URL with a host');
    expect(e.fieldProblem('token')).toBeUndefined();
  });
  it('explains a non-JSON error body', () => {
    const e = parseApiError(502, 'Bad Gateway', '<html>bad gateway</html>');
    expect(e.code).toBe('http_502');
    expect(e.message).toContain('502 Bad Gateway');
    expect(e.message).toContain('check the terminal or log of atrium');
  });
  it('explains an empty 401', () => {
    expect(parseApiError(401, 'Unauthorized', '').message).toContain('open the URL that `atrium web` printed');
  });
  it('ignores malformed fields', () => {
    const e = parseApiError(400, '', '{"error":{"code":"bad_request","message":"bad","fields":[{"field":1},"x"]}}');
    expect(e.fields).toEqual([]);
    expect(e.message).toBe('bad');
  });
});

describe('buildUrl', () => {
  it('drops empty values', () => {
    expect(buildUrl('/api/v1/services', { q: 'pay api', owner: '', limit: 200, offset: 0, sort: undefined })).toBe(
      '/api/v1/services?q=pay+api&limit=200&offset=0',
    );
    expect(buildUrl('/api/v1/facets')).toBe('/api/v1/facets');
  });
});

describe('request', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('throws ApiError with the message and tells 401 listeners', async () => {
    const body = '{"error":{"code":"unauthorized","message":"missing or wrong launch token: open the URL that `atrium web` printed"}}';
    vi.stubGlobal('fetch', vi.fn(async () => new Response(body, { status: 401, statusText: 'Unauthorized' })));
    const seen: ApiError[] = [];
    const off = onUnauthorized((e) => seen.push(e));
    await expect(api.getFacets()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    off();
    expect(seen).toHaveLength(1);
    expect(seen[0]?.message).toContain('launch token');
  });

  it("tells a portal's 401 (a refused portal token) apart from the launch token's, and does not hide the app for it", async () => {
    const body = '{"error":{"code":"unauthorized","message":"invalid or revoked token"}}';
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(body, { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="atrium"' } })),
    );
    const seen: ApiError[] = [];
    const off = onUnauthorized((e) => seen.push(e));
    const err = await api.getMe().catch((e: unknown) => e);
    off();
    expect(seen).toHaveLength(0);
    expect(err).toMatchObject({ status: 401, code: 'portal_unauthorized' });
    expect((err as ApiError).message).toBe(
      'The team portal refused your sign-in (invalid or revoked token). Paste a valid API token in Settings, or ask an admin for one.',
    );
    expect(isPortalChallenge('Bearer realm="atrium-web"')).toBe(false);
    expect(isPortalChallenge(null)).toBe(false);
  });

  it('reports an unreachable API as status 0 with what to do', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    const err = await api.getSettings().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(0);
    expect((err as ApiError).message).toContain('Check that atrium is still running');
  });

  it('sends JSON bodies and accepts 204', async () => {
    const fetchMock = vi.fn(async (_url: string, _init?: RequestInit) => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetchMock);
    await expect(api.postUsageEvent({ kind: 'page.view', page: 'catalog' })).resolves.toBeUndefined();
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(url).toBe('/api/v1/usage/events');
    expect(init?.method).toBe('POST');
    expect(init?.body).toBe('{"kind":"page.view","page":"catalog"}');
  });
});

describe('flags, packages and sources', () => {
  afterEach(() => vi.unstubAllGlobals());
  const respond = (status: number, body: string, headers: Record<string, string> = {}) => {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        calls.push({ url, init });
        return new Response(status === 204 ? null : body, { status, headers });
      }),
    );
    return calls;
  };

  it('putFlag tells an applied change from one held for approval (202)', async () => {
    respond(202, JSON.stringify({ pending: { id: 'act_1', message: 'needs a platform approver' } }));
    const out = await api.putFlag('production', 'new-checkout', { team: 'payments', flag: { state: 'ENABLED', variants: { on: true } } });
    expect(out).toEqual({ kind: 'pending', pending: { id: 'act_1', message: 'needs a platform approver' } });
    const calls = respond(200, JSON.stringify({ key: 'k' }));
    expect((await api.putFlag('dev', 'a.b:c', { team: 'payments', flag: { state: 'ENABLED', variants: {} } })).kind).toBe('applied');
    expect(calls[0]?.url).toBe('/api/v1/flags/dev/a.b%3Ac');
    expect(calls[0]?.init?.method).toBe('PUT');
  });

  it('deleteFlag answers deleted on 204 and passes the comment', async () => {
    const calls = respond(204, '');
    expect(await api.deleteFlag('dev', 'old-flag', 'fully rolled out')).toEqual({ kind: 'deleted' });
    expect(calls[0]?.url).toBe('/api/v1/flags/dev/old-flag?comment=fully+rolled+out');
  });

  it('importFlags sends the file as it is, and a 400 keeps every problem path', async () => {
    const problems = [{ field: '/flags/bad-flag/state', problem: '"ON" is not a state' }];
    const calls = respond(400, JSON.stringify({ error: { code: 'bad_request', message: 'invalid flag definition: 1 problem(s)', fields: problems } }));
    const file = '{ "flags": {"bad-flag": {"state": "ON"}} }';
    const err = await api.importFlags('staging', file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).fields).toEqual(problems);
    expect(calls[0]?.init?.body).toBe(file);
    expect(calls[0]?.url).toBe('/api/v1/flags/import?environment=staging');
  });

  it('exportFlags names the file as the API does', async () => {
    respond(200, '{"flags":{}}', { 'Content-Disposition': 'attachment; filename="flags-dev.json"' });
    expect(await api.exportFlags('dev')).toEqual({ name: 'flags-dev.json', text: '{"flags":{}}', type: 'application/json' });
  });

  it('builds package paths with names encoded into one segment, and fetches CSVs (never links: the API needs its header)', async () => {
    expect(packagePath('npm', '@types/node')).toBe('/api/v1/packages/npm/%40types%2Fnode');
    expect(packagePath('go', 'github.com/pkg/errors')).toBe('/api/v1/packages/go/github.com%2Fpkg%2Ferrors');
    const calls = respond(200, 'a,b\n', { 'Content-Disposition': 'attachment; filename="package-npm-react.csv"' });
    expect(await api.downloadPackageCsv('npm', 'react', 'payments')).toEqual({ name: 'package-npm-react.csv', text: 'a,b\n', type: 'text/csv' });
    await api.downloadPackageCsv('npm', 'react');
    await api.downloadPackagesCsv({ ecosystem: 'npm', owner: 'payments', outdated: true, sort: 'major', order: 'desc', limit: 200, offset: 400 });
    expect(calls.map((c) => c.url)).toEqual([
      '/api/v1/packages/npm/react?owner=payments&format=csv',
      '/api/v1/packages/npm/react?format=csv',
      '/api/v1/packages?ecosystem=npm&owner=payments&outdated=true&sort=major&order=desc&format=csv',
    ]);
    expect(calls.map((c) => (c.init?.headers as Record<string, string>).Accept)).toEqual(['text/csv', 'text/csv', 'text/csv']);
  });

  it('reads the filename of a Content-Disposition header', () => {
    expect(dispositionName('attachment; filename="package-npm-react.csv"', 'x.csv')).toBe('package-npm-react.csv');
    expect(dispositionName('attachment; filename=packages.csv', 'x.csv')).toBe('packages.csv');
    expect(dispositionName(null, 'x.csv')).toBe('x.csv');
  });
});

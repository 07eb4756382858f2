// One action on a fake portal that behaves like the real one: GET answers it; GET ?wait=S&version=N holds the
// request until the action's version differs from N (a long poll; aborting it rejects as fetch does); retry and
// cancel answer what the test decides. Tests change the action with change(), which bumps its version and answers the
// long polls waiting for it.
import type { Action, Plan } from '../api/client';
import { fakeApi, json, type FakeApiOptions, type Recorded } from './fakeApi';

export interface ActionPortalOptions extends Omit<FakeApiOptions, 'override'> {
  /** POST /retry: the change to make (answered with the changed action), or a Response to answer instead. */
  onRetry?: (a: Action) => Partial<Action> | Response;
  /** POST /cancel with its body: as onRetry. */
  onCancel?: (a: Action, body: unknown) => Partial<Action> | Response;
  /** GET /plan: the stored plan (absent: 404 no_plan). */
  plan?: Plan;
}

export function actionPortal(initial: Action, opts: ActionPortalOptions = {}) {
  let current = initial;
  const path = `/api/v1/actions/${initial.id}`;
  const waiters: { version: number; resolve: (r: Response) => void; signal?: AbortSignal }[] = [];
  const change = (patch: Partial<Action>) => {
    current = { ...current, ...patch, version: current.version + 1 };
    for (const w of waiters.splice(0)) {
      if (w.version !== current.version) w.resolve(json(current));
      else waiters.push(w);
    }
  };
  const post = (r: Recorded, handler: ((a: Action, body: unknown) => Partial<Action> | Response) | undefined) => {
    const out = handler?.(current, r.body);
    if (out instanceof Response) return out;
    if (out) change(out);
    // Like the portal: the action without the caller's may_* (those come with GET).
    const { may_retry: _r, may_cancel: _c, may_approve: _a, may_approve_reason: _w, ...plain } = current;
    return json(plain);
  };
  const api = fakeApi({
    ...opts,
    override: (r) => {
      if (r.url.pathname === `${path}/plan`) {
        return opts.plan ? json(opts.plan) : json({ error: { code: 'no_plan', message: `action ${initial.id} has no plan` } }, 404);
      }
      if (r.url.pathname === `${path}/retry` && r.method === 'POST') return post(r, opts.onRetry);
      if (r.url.pathname === `${path}/cancel` && r.method === 'POST') return post(r, opts.onCancel);
      if (r.url.pathname !== path || r.method !== 'GET') return undefined;
      const wait = r.url.searchParams.get('wait');
      const version = Number(r.url.searchParams.get('version'));
      if (!wait || version !== current.version) return json(current);
      return new Promise<Response>((resolve, reject) => {
        const w = { version, resolve, signal: r.signal };
        waiters.push(w);
        r.signal?.addEventListener('abort', () => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new DOMException('The operation was aborted.', 'AbortError'));
        });
      });
    },
  });
  return {
    ...api,
    change,
    current: () => current,
    /** Long polls waiting now. */
    waiting: () => waiters.length,
    /** The signal of the last long poll that waited. */
    lastSignal: () => waiters[waiters.length - 1]?.signal,
    /** The URLs of the GETs of the action, in order. */
    gets: () => api.requests.filter((r) => r.url.pathname === path && r.method === 'GET').map((r) => r.url),
    posts: () => api.requests.filter((r) => r.method === 'POST' && r.url.pathname.startsWith(path)),
  };
}

import { describe, expect, it } from 'vitest';
import { ApiError, type Action, type ActionStep, type Deployment } from '../api/client';
import { makeAction } from '../test/fakeApi';
import { PREVIEW_OUTPUTS, runSteps } from '../test/goldenFixtures';
import {
  devRunning,
  durationText,
  FOLLOW_START,
  followReducer,
  leftBehind,
  MAX_BACKOFF_MS,
  nextRequest,
  runSummary,
  stepBadge,
  stepDuration,
  stepOutputs,
  stepViews,
  type FollowState,
} from './runProgress';

const run = (patch: Partial<Action>) => makeAction({ kind: 'service_create', service: 'orders', delivery: 'golden', ...patch });
const now = new Date('2026-11-26T09:00:30Z');
const all = (state: ActionStep['state']): ActionStep['state'][] => Array.from({ length: 7 }, () => state);

describe('steps in words', () => {
  it.each<[string, Parameters<typeof stepBadge>[0], string]>([
    ['a pending step', { state: 'pending', output: {} }, 'waiting'],
    ['a running step', { state: 'running', output: {} }, 'running'],
    ['a succeeded step', { state: 'succeeded', output: {} }, 'done'],
    ['a failed step', { state: 'failed', output: {} }, 'failed'],
    ['a skipped step', { state: 'skipped', output: {} }, 'skipped'],
    ['a previewed step', { state: 'skipped', output: { preview: 'a team portal would have…' } }, 'preview'],
  ])('badges %s', (_, step, label) => {
    expect(stepBadge(step).label).toBe(label);
  });

  it.each([
    [0, '0.0 s'],
    [430, '0.4 s'],
    [9_960, '10.0 s'],
    [12_400, '12 s'],
    [185_000, '3 min 5 s'],
    [180_000, '3 min'],
    [3_720_000, '1 h 2 min'],
    [-5, ''],
  ])('says %d ms as %j', (ms, want) => {
    expect(durationText(ms)).toBe(want);
  });

  it('times a finished step by its ends, a running one until now, and nothing before it starts', () => {
    expect(stepDuration({ state: 'succeeded', started_at: '2026-11-26T09:00:00Z', finished_at: '2026-11-26T09:00:00.250Z' }, now)).toBe('0.3 s');
    expect(stepDuration({ state: 'running', started_at: '2026-11-26T09:00:10Z' }, now)).toBe('20 s');
    expect(stepDuration({ state: 'pending' }, now)).toBe('');
  });

  it('lists outputs in a stable order with their kinds, per cluster where they are, and hides what another says', () => {
    expect(
      stepOutputs({
        repository: 'sphera/orders',
        repository_id: '1',
        repository_url: 'https://github.com/sphera/orders',
        'url:dev-us-1': 'http://orders.payments.svc.cluster.local:8080',
        'url:dev-eu-1': 'http://orders.payments.svc.cluster.local:8080',
        url: 'http://orders.payments.svc.cluster.local:8080',
        'work_id:dev-eu-1': 'wrk_1',
        pr_number: '7',
        pr_url: 'https://github.com/sphera/infra/pull/7',
        catalog_service: 'orders',
        something_new: 'x',
        preview: 'a team portal would have…',
      }).map((o) => [o.label, o.kind]),
    ).toEqual([
      ['Repository', 'link'],
      ['Catalog entry', 'service'],
      ['Pull request', 'link'],
      ['In-cluster URL', 'mono'],
      ['something new', 'text'],
      ['Agent work in dev-eu-1', 'mono'],
    ]);
    expect(stepOutputs({ 'url:dev-eu-1': 'http://a', 'url:dev-us-1': 'http://b' }).map((o) => o.label)).toEqual([
      'In-cluster URL in dev-eu-1',
      'In-cluster URL in dev-us-1',
    ]);
  });

  it('offers a retry at the failed step only when the action failed and the caller may retry it', () => {
    const failed = run({
      state: 'failed',
      may_retry: true,
      steps: runSteps(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'failed'], {
        open_infra_pull_request: { error: 'GitHub answered 502', attempts: 3 },
      }),
    });
    const views = stepViews(failed, now);
    expect(views.map((v) => [v.number, v.badge.label, v.retry, v.current])).toEqual([
      [1, 'done', false, false],
      [2, 'done', false, false],
      [3, 'done', false, false],
      [4, 'done', false, false],
      [5, 'failed', true, true],
      [6, 'waiting', false, false],
      [7, 'waiting', false, false],
    ]);
    expect(views[4]).toMatchObject({ error: 'GitHub answered 502', attempts: 3, duration: '0.5 s' });
    expect(stepViews({ ...failed, may_retry: false }, now).some((v) => v.retry)).toBe(false);
    // Queued again after a retry: the failed step is not offered again.
    expect(stepViews({ ...failed, state: 'approved' }, now).some((v) => v.retry)).toBe(false);
  });

  it('shows a preview\'s words apart from the outputs', () => {
    const steps = runSteps(['skipped'], { create_repository: { output: { preview: PREVIEW_OUTPUTS.create_repository ?? '', repository: 'sphera/orders' } } });
    const [v] = stepViews(run({ state: 'running', steps }), now);
    expect(v?.preview).toContain('a team portal would have created the private repository sphera/orders');
    expect(v?.outputs).toEqual([]);
  });
});

describe('runSummary', () => {
  it.each<[string, Partial<Action>, string]>([
    ['waiting for approval', { state: 'pending_approval', approvers: ['team_owner'], steps: [] }, 'Waiting for approval: nothing runs before it.'],
    ['queued', { state: 'approved', steps: [] }, 'Queued: the portal starts it shortly.'],
    ['queued again after a retry', { state: 'approved', steps: runSteps(['succeeded', 'failed']) }, 'Queued to run again from step 2: Push the initial commit (11 files).'],
    ['running', { state: 'running', steps: runSteps(['succeeded', 'succeeded', 'running']) }, 'Step 3 of 7: Protect main.'],
    [
      'stopping after a cancel',
      { state: 'running', cancel_requested: true, steps: runSteps(['succeeded', 'running']) },
      'Step 2 of 7: Push the initial commit (11 files). Cancelling: it stops before the next step.',
    ],
    ['done', { state: 'succeeded', steps: runSteps(all('succeeded')) }, 'All 7 steps done.'],
    [
      'previewed',
      { state: 'succeeded', steps: runSteps(['skipped', 'skipped', 'skipped', 'succeeded'], { create_repository: { output: { preview: 'x' } } }) },
      'Previewed all 7 steps: the catalog entry is real; the rest says what a team portal would have done.',
    ],
    ['failed', { state: 'failed', steps: runSteps(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'failed']) }, 'Failed at step 5 of 7: Open the infrastructure pull request on sphera/infra.'],
    ['cancelled', { state: 'cancelled', steps: runSteps(['succeeded', 'succeeded', 'skipped']) }, 'Cancelled after 2 of 7 steps.'],
    ['cancelled while it waited', { state: 'cancelled', steps: [] }, 'Cancelled before any step ran.'],
  ])('says where a run is: %s', (_, patch, text) => {
    expect(runSummary(run(patch)).text).toBe(text);
  });

  it('counts finished steps', () => {
    expect(runSummary(run({ state: 'running', steps: runSteps(['succeeded', 'skipped', 'running']) }))).toMatchObject({ done: 2, total: 7 });
  });
});

describe('leftBehind', () => {
  it('is the portal\'s sentence with each step\'s part, for a cancelled run only', () => {
    const steps = runSteps(['succeeded', 'succeeded', 'skipped'], {
      create_repository: { left_behind: 'repository https://github.com/sphera/orders' },
      push_initial_commit: { left_behind: 'commit 3c1e9f0 on main' },
    });
    const result = { left_behind: 'left behind: repository https://github.com/sphera/orders; commit 3c1e9f0 on main' };
    expect(leftBehind(run({ state: 'cancelled', steps, result }))).toEqual({
      summary: result.left_behind,
      items: [
        { step: 'Create the repository sphera/orders', what: 'repository https://github.com/sphera/orders' },
        { step: 'Push the initial commit (11 files)', what: 'commit 3c1e9f0 on main' },
      ],
    });
    expect(leftBehind(run({ state: 'cancelled', steps: runSteps([]), result: {} }))).toEqual({ summary: 'nothing was created', items: [] });
    expect(leftBehind(run({ state: 'failed', steps, result }))).toBeNull();
  });
});

describe('following an action', () => {
  const a1 = run({ state: 'running', version: 4, steps: runSteps(['running']) });
  const err = new ApiError(502, 'portal_unreachable', 'the portal could not be reached');

  it('keeps the newest version when answers cross, and the action on screen when a request fails', () => {
    let s = followReducer(FOLLOW_START, { type: 'answer', action: a1 });
    expect(s.action?.version).toBe(4);
    s = followReducer(s, { type: 'answer', action: { ...a1, version: 6, state: 'succeeded' } });
    s = followReducer(s, { type: 'answer', action: { ...a1, version: 5 } });
    expect(s.action?.version).toBe(6);
    s = followReducer(s, { type: 'failed', error: err });
    s = followReducer(s, { type: 'failed', error: err });
    expect(s).toMatchObject({ failures: 2, error: err });
    expect(s.action?.version).toBe(6);
    s = followReducer(s, { type: 'answer', action: { ...a1, version: 6 } });
    expect(s).toMatchObject({ failures: 0, error: null });
  });

  it.each<[string, FollowState, boolean, number, ReturnType<typeof nextRequest>]>([
    ['first, a plain request', FOLLOW_START, false, 0, { kind: 'get', delayMs: 0 }],
    ['a long poll at once after a change', { ...FOLLOW_START, action: a1 }, true, 10, { kind: 'wait', version: 4, delayMs: 0 }],
    ['a long poll at once after a full wait that brought nothing', { ...FOLLOW_START, action: a1 }, false, 30_000, { kind: 'wait', version: 4, delayMs: 0 }],
    ['no faster than every 2 s when a portal answers without waiting', { ...FOLLOW_START, action: a1 }, false, 300, { kind: 'wait', version: 4, delayMs: 1700 }],
    ['nothing once final', { ...FOLLOW_START, action: { ...a1, state: 'succeeded' } }, true, 0, { kind: 'stop' }],
    ['a back-off after failures', { ...FOLLOW_START, action: a1, error: err, failures: 3 }, false, 0, { kind: 'wait', version: 4, delayMs: 8000 }],
    ['at most 30 s apart', { ...FOLLOW_START, action: a1, error: err, failures: 12 }, false, 0, { kind: 'wait', version: 4, delayMs: MAX_BACKOFF_MS }],
    ['nothing for an action the portal does not have', { ...FOLLOW_START, error: new ApiError(404, 'not_found', 'no action'), failures: 1 }, false, 0, { kind: 'stop' }],
    ['a retry of the first request after it failed', { ...FOLLOW_START, error: err, failures: 1 }, false, 0, { kind: 'get', delayMs: 2000 }],
    ['plain requests every 2 s where the portal cannot long-poll', { ...FOLLOW_START, action: a1, plain: true }, true, 5, { kind: 'get', delayMs: 2000 }],
    ['a final action whose refresh failed is asked again', { ...FOLLOW_START, action: { ...a1, state: 'failed' }, error: err, failures: 1 }, false, 0, { kind: 'wait', version: 4, delayMs: 2000 }],
  ])('%s', (_, s, changed, elapsed, want) => {
    expect(nextRequest(s, changed, elapsed)).toEqual(want);
  });
});

describe('devRunning', () => {
  const dep: Deployment = {
    cluster: 'dev-eu-west-1',
    region: 'eu-west-1',
    environment: 'dev',
    namespace: 'payments',
    kind: 'Deployment',
    name: 'orders',
    image: 'hashicorp/http-echo:1.0.0',
    version: '1.0.0',
    ready: 1,
    desired: 1,
    health: 'healthy',
    updated_at: '2026-11-26T09:01:00Z',
  };

  it('is each dev cluster the run saw available, with its URL and the catalog\'s readiness', () => {
    const a = run({ state: 'succeeded', steps: runSteps(all('succeeded')) });
    expect(devRunning(a, [dep])).toEqual([{ cluster: 'dev-eu-west-1', url: 'http://orders.payments.svc.cluster.local:8080', ready: '1/1 ready' }]);
    expect(devRunning(a, [])).toEqual([{ cluster: 'dev-eu-west-1', url: 'http://orders.payments.svc.cluster.local:8080' }]);
  });

  it('names the cluster from the deployments when the run gave one plain url', () => {
    const a = run({ state: 'succeeded', steps: runSteps(all('succeeded'), { wait_dev_available: { output: { url: 'http://x' } } }) });
    expect(devRunning(a, [dep])).toEqual([{ cluster: 'dev-eu-west-1', url: 'http://x', ready: '1/1 ready' }]);
  });

  it('is nothing before the run got there, in a preview, or without the run', () => {
    expect(devRunning(run({ state: 'running', steps: runSteps(['succeeded', 'running']) }), [dep])).toEqual([]);
    expect(devRunning(run({ state: 'succeeded', steps: runSteps(['skipped', 'skipped', 'skipped', 'succeeded', 'skipped', 'skipped', 'skipped']) }), [])).toEqual([]);
    expect(devRunning(null, [dep])).toEqual([]);
  });
});

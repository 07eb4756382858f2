// The action page of a golden-path run (service_create): steps as they go, retry from a failed step, cancel with a
// confirmation and what it left behind, local mode's preview, and the stored plan an approver reviews.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Action } from '../api/client';
import { actionPortal } from '../test/actionPortal';
import { ADMIN, DEVELOPER, makeAction, OWNER } from '../test/fakeApi';
import { ORDERS_PLAN, PREVIEW_OUTPUTS, runSteps } from '../test/goldenFixtures';
import { WithMe } from '../test/withMe';
import { ActionPage } from './ActionPage';

afterEach(() => vi.unstubAllGlobals());

const run = (patch: Partial<Action>): Action =>
  makeAction({
    id: 'act_run1',
    kind: 'service_create',
    service: 'orders',
    delivery: 'golden',
    params: { template: 'go-http-service', template_version: 'v1', parameters: { name: 'orders', team: 'payments' }, plan_digest: ORDERS_PLAN.digest },
    history: [{ at: '2026-11-26T09:00:00Z', actor: 'ana', to: 'approved', message: 'requested; no approval needed in dev' }],
    ...patch,
  });

function page(me = ADMIN) {
  return render(
    <WithMe me={me}>
      <ActionPage id="act_run1" />
    </WithMe>,
  );
}

const stepRow = (id: string) => document.querySelector<HTMLElement>(`[data-step="${id}"]`);
const stepState = (id: string) => stepRow(id)?.getAttribute('data-state');

describe('ActionPage: a run', () => {
  it('shows each step as the long poll brings it: state, duration, outputs with links, and where the run is', async () => {
    const portal = actionPortal(run({ state: 'running', steps: runSteps(['running']), may_cancel: true }));
    page();
    expect(await screen.findByRole('heading', { name: 'New service orders from go-http-service' })).toBeTruthy();
    expect(screen.getByTestId('run-summary').textContent).toBe('Step 1 of 7: Create the repository sphera/orders.');
    expect(stepState('create_repository')).toBe('running');
    expect(stepRow('create_repository')?.getAttribute('aria-current')).toBe('step');
    // The service is not in the catalog yet: no link to it.
    expect(screen.queryByRole('link', { name: 'orders' })).toBeNull();

    await waitFor(() => expect(portal.waiting()).toBe(1));
    portal.change({ steps: runSteps(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'running']) });
    await waitFor(() => expect(stepState('open_infra_pull_request')).toBe('running'));
    expect(screen.getByTestId('run-summary').textContent).toBe('Step 5 of 7: Open the infrastructure pull request on sphera/infra.');
    const repo = within(stepRow('create_repository') as HTMLElement);
    expect(repo.getByRole('link', { name: 'https://github.com/sphera/orders' }).getAttribute('href')).toBe('https://github.com/sphera/orders');
    expect(repo.getByText('0.5 s')).toBeTruthy();
    expect(within(stepRow('push_initial_commit') as HTMLElement).getByText('3c1e9f0a8b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e')).toBeTruthy();
    expect(within(stepRow('register_catalog') as HTMLElement).getByRole('link', { name: 'orders' }).getAttribute('href')).toBe('#/services/orders');
    // Registered now: the subtitle links to the service.
    expect(document.querySelector('[data-testid="action-header"] p a')?.getAttribute('href')).toBe('#/services/orders');

    portal.change({ state: 'succeeded', steps: runSteps(Array.from({ length: 7 }, () => 'succeeded' as const)), may_cancel: false });
    await waitFor(() => expect(screen.getByTestId('run-summary').textContent).toBe('All 7 steps done.'));
    expect(within(stepRow('open_infra_pull_request') as HTMLElement).getByRole('link', { name: 'https://github.com/sphera/infra/pull/7' })).toBeTruthy();
    expect(within(stepRow('wait_dev_available') as HTMLElement).getByText('http://orders.payments.svc.cluster.local:8080')).toBeTruthy();
    expect(within(stepRow('deploy_dev') as HTMLElement).getByText('Agent work in dev-eu-west-1')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Cancel…' })).toBeNull();
  });

  it('says why a step failed and retries from it: POST retry, then the run is queued again from that step', async () => {
    const failedSteps = runSteps(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'failed'], {
      open_infra_pull_request: { error: 'GitHub answered 422: the base branch main does not exist in sphera/infra', attempts: 2 },
    });
    const portal = actionPortal(run({ state: 'failed', error: 'open_infra_pull_request: GitHub answered 422', steps: failedSteps, may_retry: true }), {
      onRetry: (a) => ({ state: 'approved', error: '', steps: a.steps.map((s) => (s.state === 'failed' ? { ...s, state: 'pending' as const } : s)) }),
    });
    page();
    await waitFor(() => expect(stepRow('open_infra_pull_request')).toBeTruthy());
    const failed = within(stepRow('open_infra_pull_request') as HTMLElement);
    expect(failed.getByTestId('step-error').textContent).toBe('GitHub answered 422: the base branch main does not exist in sphera/infra');
    expect(failed.getByText('2 attempts')).toBeTruthy();
    expect(screen.getByTestId('run-summary').textContent).toBe('Failed at step 5 of 7: Open the infrastructure pull request on sphera/infra.');
    expect(screen.getByText(/retry from the failed step below/)).toBeTruthy();
    // Only the failed step offers it.
    expect(screen.getAllByRole('button', { name: 'Retry from this step' })).toHaveLength(1);

    fireEvent.click(failed.getByRole('button', { name: 'Retry from this step' }));
    await waitFor(() => expect(screen.getByTestId('run-summary').textContent).toBe('Queued: 7 steps will run in order.'));
    expect(portal.posts().map((r) => r.url.pathname)).toEqual(['/api/v1/actions/act_run1/retry']);
    expect(stepState('open_infra_pull_request')).toBe('pending');
    expect(stepState('register_catalog')).toBe('succeeded');
    expect(screen.queryByRole('button', { name: 'Retry from this step' })).toBeNull();
  });

  it('does not offer a retry to someone who may not, and says who may', async () => {
    actionPortal(run({ state: 'failed', steps: runSteps(['succeeded', 'failed'], { push_initial_commit: { error: 'boom' } }), may_retry: false }));
    page(DEVELOPER);
    await waitFor(() => expect(stepState('push_initial_commit')).toBe('failed'));
    expect(screen.queryByRole('button', { name: 'Retry from this step' })).toBeNull();
    expect(screen.getByText(/Only the requester, an owner of team payments or an admin may retry it/)).toBeTruthy();
  });

  it('shows the portal\'s refusal of a retry', async () => {
    actionPortal(run({ state: 'failed', steps: runSteps(['failed']), may_retry: true }), {
      onRetry: () => new Response(JSON.stringify({ error: { code: 'conflict', message: 'action act_run1 is approved, not failed' } }), { status: 409 }),
    });
    page();
    fireEvent.click(await screen.findByRole('button', { name: 'Retry from this step' }));
    expect((await screen.findByRole('alert')).textContent).toContain('The retry was refused: action act_run1 is approved, not failed');
  });

  it('cancels after a confirmation, says it is stopping, then lists what the cancelled run left behind', async () => {
    const portal = actionPortal(run({ state: 'running', steps: runSteps(['succeeded', 'running']), may_cancel: true }), {
      onCancel: () => ({ cancel_requested: true }),
    });
    page();
    fireEvent.click(await screen.findByRole('button', { name: 'Cancel…' }));
    const dialog = screen.getByRole('alertdialog');
    expect(dialog.textContent).toContain('Nothing is undone');
    // Cancelling the dialog sends nothing; focus starts on its Cancel, so Enter cannot cancel the run by accident.
    expect(document.activeElement?.textContent).toBe('Cancel');
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(portal.posts()).toHaveLength(0);

    fireEvent.click(screen.getByRole('button', { name: 'Cancel…' }));
    fireEvent.change(screen.getByLabelText(/Why/), { target: { value: 'wrong template' } });
    fireEvent.click(screen.getByRole('button', { name: 'Cancel the run' }));
    expect(await screen.findByTestId('cancel-requested')).toBeTruthy();
    expect(portal.posts().map((r) => [r.url.pathname, r.body])).toEqual([['/api/v1/actions/act_run1/cancel', { reason: 'wrong template' }]]);
    await waitFor(() => expect(screen.getByTestId('run-summary').textContent).toContain('Cancelling: it stops before the next step.'));

    const left = 'left behind: repository https://github.com/sphera/orders; commit 3c1e9f0 on main of sphera/orders';
    portal.change({
      state: 'cancelled',
      cancel_requested: true,
      may_cancel: false,
      reason: 'wrong template',
      result: { left_behind: left },
      steps: runSteps(['succeeded', 'succeeded', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped'], {
        create_repository: { left_behind: 'repository https://github.com/sphera/orders' },
        push_initial_commit: { left_behind: 'commit 3c1e9f0 on main of sphera/orders' },
      }),
    });
    const panel = await screen.findByTestId('left-behind');
    expect(panel.textContent).toContain('Left behind: repository https://github.com/sphera/orders; commit 3c1e9f0 on main of sphera/orders.');
    expect(within(panel).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'repository https://github.com/sphera/orders — Create the repository sphera/orders',
      'commit 3c1e9f0 on main of sphera/orders — Push the initial commit (11 files)',
    ]);
    expect(panel.textContent).toContain('Reason given: “wrong template”');
    expect(screen.getByTestId('run-summary').textContent).toBe('Cancelled after 2 of 7 steps.');
    expect(screen.queryByRole('button', { name: 'Cancel…' })).toBeNull();
  });

  it('marks local mode\'s previewed steps as previews, with what a team portal would have done', async () => {
    const steps = runSteps(['skipped', 'skipped', 'skipped', 'succeeded', 'skipped', 'skipped', 'skipped'], Object.fromEntries(
      Object.entries(PREVIEW_OUTPUTS).map(([id, preview]) => [id, { output: { preview } }]),
    ));
    actionPortal(
      run({
        state: 'succeeded',
        delivery: 'preview',
        steps,
        result: {
          preview: 'this portal previews the golden path: the catalog entry is real; the repository, its commit and protection, the infrastructure pull request and the dev deployment were not created (see each step)',
          catalog_service: 'orders',
        },
      }),
    );
    page();
    expect((await screen.findByTestId('run-preview')).textContent).toContain('Preview This portal previews the golden path: the catalog entry is real');
    const badges = Array.from(document.querySelectorAll('[data-step] [data-testid="step-state"]')).map((b) => b.textContent);
    expect(badges).toEqual(['preview', 'preview', 'preview', 'done', 'preview', 'preview', 'preview']);
    expect(stepRow('create_repository')?.textContent).toContain('A team portal would have created the private repository sphera/orders on GitHub');
    expect(stepRow('wait_dev_available')?.textContent).toContain('then reachable at http://orders.payments.svc.cluster.local:8080');
    expect(screen.getByTestId('run-summary').textContent).toContain('Previewed all 7 steps');
  });

  it('shows an approver the stored plan of a request waiting for approval, and others the plan on demand', async () => {
    const portal = actionPortal(
      run({ state: 'pending_approval', approvers: ['team_owner'], steps: [], may_approve: true }),
      { plan: ORDERS_PLAN },
    );
    page(OWNER);
    expect(await screen.findByText(/Review the plan below/)).toBeTruthy();
    const plan = await screen.findByTestId('plan-view');
    expect(plan.getAttribute('data-digest')).toBe(ORDERS_PLAN.digest);
    expect(within(plan).getByRole('tree', { name: 'Planned files' })).toBeTruthy();
    expect(within(plan).getByTestId('plan-pr-title').textContent).toBe(ORDERS_PLAN.infra_pull_request.title);
    expect(screen.getByText('The steps run once the request is approved.')).toBeTruthy();
    expect(portal.requests.filter((r) => r.url.pathname.endsWith('/plan'))).toHaveLength(1);
  });

  it('keeps the plan of a finished run closed until asked, then loads it once', async () => {
    const portal = actionPortal(run({ state: 'succeeded', steps: runSteps(Array.from({ length: 7 }, () => 'succeeded' as const)) }), { plan: ORDERS_PLAN });
    page();
    const show = await screen.findByRole('button', { name: 'Show the plan' });
    expect(screen.queryByTestId('plan-view')).toBeNull();
    expect(portal.requests.some((r) => r.url.pathname.endsWith('/plan'))).toBe(false);
    fireEvent.click(show);
    expect(await screen.findByTestId('plan-view')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Hide the plan' }).getAttribute('aria-expanded')).toBe('true');
  });
});

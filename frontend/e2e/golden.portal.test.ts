// The golden path through a team portal: a real `atrium serve` whose dev environment needs a team owner's approval
// and whose GitHub is a local server speaking GitHub's REST format (e2e/githubFake.ts), and a real `atrium web`
// connected to it. A developer creates a service (it waits for approval) and cancels another; the team owner
// reviews the stored plan, approves, sees the run fail at its first step (GitHub refuses to create the repository),
// and retries from that step once GitHub allows it: the repository is made, the run stops at the next step, and
// nothing done is done twice.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Action, TokenCreated } from '../src/api/client';
import { startGitHubFake, type GitHubFake } from './githubFake';
import { launchBrowser, newContext, portalApi, screenshot, startAtrium, startPortal, type Atrium, type Portal } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };

let github: GitHubFake;
let portal: Portal;
let atrium: Atrium;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
let developer = '';
let owner = '';
let runId = '';

beforeAll(async () => {
  github = await startGitHubFake('sphera');
  portal = await startPortal({
    env: { ATRIUM_GITHUB_TOKEN: 'ghs_e2e_not_a_real_token' },
    config: `actions:
  worker:
    poll: 1s
    max_attempts: 2
  github:
    api_url: ${github.url}
  environments:
    dev:
      regions: [eu-west-1]
      delivery: direct
      approvers: [team_owner]
golden_path:
  github:
    org: sphera
  infra:
    repo: sphera/infra
  environments:
    - name: dev
      regions: [eu-west-1]
      clusters: [{name: dev-eu-1, region: eu-west-1}]
  registry: registry.example/sphera
`,
  });
  const token = (subject: string, role: string) =>
    portalApi<TokenCreated>(portal.base, portal.token, 'POST', '/api/v1/tokens', { name: subject, subject, grants: [{ role, team: 'payments' }] });
  developer = (await token('ana', 'developer')).secret;
  owner = (await token('olga', 'team_owner')).secret;
  atrium = await startAtrium({ portal: portal.base, token: developer });
  browser = await launchBrowser();
  context = await newContext(browser);
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(atrium.url);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await atrium?.stop();
  await portal?.stop();
  await github?.stop();
});

afterEach(() => {
  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});

const stepStates = (p: Page) => p.locator('[data-step]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-step')}:${e.getAttribute('data-state')}`));

describe('the golden path through a team portal', () => {
  it('a developer creates a service for their team: after the plan, it waits for a team owner', async () => {
    await expect.poll(() => page.getByTestId('identity').textContent(), WAIT).toBe('anadeveloper of payments');
    await page.goto(`${atrium.base}/#/new-service?template=go-http-service`);
    await page.getByLabel(/Service name/).fill('ledger-e2e');
    // The only team Ana may create for is chosen for her.
    await expect.poll(() => page.getByLabel(/Owner team/).inputValue(), WAIT).toBe('payments');
    await expect.poll(() => page.getByTestId('name-status').textContent(), WAIT).toContain('✓ No service in the catalog and no repository is named ledger-e2e');
    // The portal asked its GitHub whether the repository exists.
    expect(github.calls).toContain('GET /repos/sphera/ledger-e2e');
    await page.getByRole('button', { name: 'Review plan' }).click();
    await page.getByTestId('plan-view').waitFor(WAIT);
    await expect.poll(() => page.getByTestId('approval-need').textContent(), WAIT).toContain('Needs approval in dev: an owner of team payments must approve it');
    await page.getByRole('button', { name: 'Create ledger-e2e' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toMatch(/^#\/self-service\/act_[0-9a-f]+$/);
    runId = new URL(page.url()).hash.slice('#/self-service/'.length);
    await expect.poll(() => page.locator('[data-testid="action-header"] [data-state]').first().textContent(), WAIT).toBe('pending approval');
    expect(await page.getByTestId('run-summary').textContent()).toBe('Waiting for approval: nothing runs before it.');
    expect(await page.getByRole('button', { name: 'Cancel…' }).count()).toBe(1);
    await screenshot(page, 'golden-portal-pending');
  });

  it('cancels another request while it waits: nothing was created', async () => {
    // Another request of Ana's, sent through the desktop as a script would (with its own idempotency key).
    const res = await fetch(`${atrium.base}/api/v1/actions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${atrium.token}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'e2e-cancel-1' },
      body: JSON.stringify({ kind: 'service_create', environment: 'dev', params: { template: 'node-service', parameters: { name: 'ledger-cancelled', team: 'payments' } } }),
    });
    expect(res.status).toBe(201);
    const other = (await res.json()) as Action;
    await page.goto(`${atrium.base}/#/self-service/${other.id}`);
    await page.getByRole('button', { name: 'Cancel…' }).click();
    await page.getByLabel(/Why/).fill('a duplicate of ledger-e2e');
    await screenshot(page, 'golden-portal-cancel-confirm');
    await page.getByRole('button', { name: 'Cancel the run' }).click();
    await expect.poll(() => page.locator('[data-testid="action-header"] [data-state]').first().textContent(), WAIT).toBe('cancelled');
    const left = page.getByTestId('left-behind');
    await left.waitFor(WAIT);
    expect(await left.textContent()).toContain('Nothing was created.');
    expect(await left.textContent()).toContain('Reason given: “a duplicate of ledger-e2e”');
    await screenshot(page, 'golden-portal-cancelled');
  });

  it('the team owner reviews the stored plan, approves, and sees the run fail at its first step, with why', async () => {
    await page.goto(`${atrium.base}/#/settings`);
    await page.getByLabel('Token').fill(owner);
    await page.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => page.getByTestId('identity').textContent(), WAIT).toBe('olgaowner of payments');
    await page.goto(`${atrium.base}/#/self-service/${runId}`);
    const plan = page.getByTestId('plan-view');
    await plan.waitFor(WAIT);
    await plan.getByRole('treeitem', { name: 'Dockerfile', exact: true }).click();
    await expect.poll(() => page.getByTestId('file-content').textContent(), WAIT).toContain('FROM golang');
    await page.getByText('Review the plan below').scrollIntoViewIfNeeded();
    await screenshot(page, 'golden-portal-approver');

    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.locator('[data-testid="action-header"] [data-state]').first().textContent(), WAIT).toBe('failed');
    const failed = page.locator('[data-step="create_repository"]');
    await expect.poll(() => failed.getAttribute('data-state'), WAIT).toBe('failed');
    expect(await failed.getByTestId('step-error').textContent()).toContain('Resource not accessible by integration');
    expect(await page.getByTestId('run-summary').textContent()).toBe('Failed at step 1 of 7: Create the repository sphera/ledger-e2e.');
    await failed.scrollIntoViewIfNeeded();
    await screenshot(page, 'golden-portal-failed');
  });

  it('retries from the failed step once GitHub allows it: the repository is made, and the run stops at the next step', async () => {
    github.allowCreate = true;
    await page.getByRole('button', { name: 'Retry from this step' }).click();
    await expect.poll(() => page.locator('[data-step="create_repository"]').getAttribute('data-state'), WAIT).toBe('succeeded');
    await expect.poll(() => page.locator('[data-testid="action-header"] [data-state]').first().textContent(), WAIT).toBe('failed');
    expect(await stepStates(page)).toEqual([
      'create_repository:succeeded',
      'push_initial_commit:failed',
      'protect_branch:pending',
      'register_catalog:pending',
      'open_infra_pull_request:pending',
      'deploy_dev:pending',
      'wait_dev_available:pending',
    ]);
    expect(await page.locator('[data-step="create_repository"]').getByRole('link').textContent()).toBe('https://github.com/sphera/ledger-e2e');
    expect(await page.locator('[data-step="push_initial_commit"]').getByTestId('step-error').textContent()).toContain('Resource not accessible by integration');
    await screenshot(page, 'golden-portal-retried');
    // The repository was created once; the retry of the next step does not create it again.
    expect(github.calls.filter((c) => c === 'POST /orgs/sphera/repos')).toHaveLength(2); // the refused one, and the one that made it
    await page.getByRole('button', { name: 'Retry from this step' }).click();
    await expect.poll(() => page.locator('[data-step="push_initial_commit"]').getAttribute('data-state'), WAIT).toBe('failed');
    await expect.poll(() => page.locator('[data-testid="action-header"] [data-state]').first().textContent(), WAIT).toBe('failed');
    expect(github.calls.filter((c) => c === 'POST /orgs/sphera/repos')).toHaveLength(2);
  });
});

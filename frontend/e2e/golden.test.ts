// The golden path in real Chromium against a real `atrium web` in local mode: pick the Go template, fill in its form
// (an invalid name, then one the catalog already has, then a free one), review the plan — the Dockerfile and the
// CI workflow in the file tree with their content — create it, watch the steps complete as previews, and find the
// new service in the catalog, marked as created from the template with a link to its run.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Atrium, localSession, screenshot } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };
const NAME = 'orders-e2e';

const session = localSession();
let atrium: Atrium;
let page: Page;
beforeAll(() => {
  ({ atrium, page } = session);
});

let runId = '';

/** The text under the service name: its problems, or nothing. */
async function nameProblem(p: Page): Promise<string> {
  const id = await p.getByLabel(/Service name/).getAttribute('aria-describedby');
  if (!id?.endsWith('-problem')) return '';
  return (await p.locator(`#${id}`).textContent()) ?? '';
}

describe('the golden path in local mode', () => {
  it('opens New service from the nav and shows the templates as cards', async () => {
    await page.getByRole('link', { name: 'New service' }).first().click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/new-service');
    const cards = page.getByRole('list', { name: 'Templates' }).getByRole('listitem');
    await expect.poll(() => cards.count(), WAIT).toBeGreaterThanOrEqual(2);
    const go = page.locator('[data-template="go-http-service"]');
    expect(await go.textContent()).toContain('Go HTTP service');
    expect(await go.textContent()).toContain('Go');
    expect(await page.locator('[data-template="node-service"]').textContent()).toContain('TypeScript');
    await screenshot(page, 'golden-templates');
    await go.getByRole('link').click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/new-service?template=go-http-service');
    await page.getByRole('heading', { name: 'New service from Go HTTP service' }).waitFor(WAIT);
  });

  it('checks the name as it is typed: its rules at once, then the portal says the catalog has it', async () => {
    const name = page.getByLabel(/Service name/);
    await name.fill('Orders--API');
    await expect.poll(() => nameProblem(page), WAIT).toContain('must start with a lowercase letter');
    expect(await nameProblem(page)).toContain('must not contain "--"');
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel(/Owner team/).selectOption('payments');
    await screenshot(page, 'golden-form-invalid-name');

    await name.fill('payments-api');
    await expect.poll(() => nameProblem(page), WAIT).toBe('the catalog already has a service named payments-api');
    await screenshot(page, 'golden-form-name-taken');

    await name.fill(NAME);
    await expect.poll(() => nameProblem(page), WAIT).toBe('');
    await expect.poll(() => page.getByTestId('name-status').textContent(), WAIT).toBe(`✓ No service in the catalog and no repository is named ${NAME}.`);
    await page.getByLabel(/Description/).fill('Takes orders, end to end.');
    await page.getByLabel('SQS queue').check();
    await page.getByLabel(/Secrets/).fill('db-password');
    await screenshot(page, 'golden-form-filled');
  });

  it('reviews the plan: the Dockerfile and the CI workflow in the file tree, with their content', async () => {
    expect(await page.getByRole('button', { name: `Create ${NAME}` }).count()).toBe(0);
    await page.getByRole('button', { name: 'Review plan' }).click();
    const tree = page.getByRole('tree', { name: 'Planned files' });
    await tree.waitFor(WAIT);
    const content = page.getByTestId('file-content');

    await tree.getByRole('treeitem', { name: 'Dockerfile', exact: true }).click();
    await expect.poll(() => content.getAttribute('aria-label'), WAIT).toBe('Content of Dockerfile');
    await expect.poll(() => content.textContent(), WAIT).toContain('FROM golang:1.25');
    await page.getByTestId('plan-view').scrollIntoViewIfNeeded();
    await screenshot(page, 'golden-plan-dockerfile');

    // The keyboard: from CODEOWNERS up to the workflow above it, and Enter.
    await tree.getByRole('treeitem', { name: 'CODEOWNERS' }).click();
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-node')), WAIT).toBe('repo/.github/workflows/ci.yml');
    await page.keyboard.press('Enter');
    await expect.poll(() => content.getAttribute('aria-label'), WAIT).toBe('Content of .github/workflows/ci.yml');
    await expect.poll(() => content.textContent(), WAIT).toContain('jobs:');
    await screenshot(page, 'golden-plan-ci-workflow');

    // The infrastructure pull request's Terraform for the queue, and the dev cluster's manifests.
    await tree.locator(`[data-node="infra/envs/dev/eu-west-1/${NAME}/sqs.tf"]`).click();
    await expect.poll(() => content.textContent(), WAIT).toContain('aws_sqs_queue');
    await tree.locator('[data-node="deploy:dev-eu-west-1/deployment.yaml"]').click();
    await expect.poll(() => content.textContent(), WAIT).toContain('kind: Deployment');
    expect(await page.getByTestId('plan-pr-title').textContent()).toContain(`New service ${NAME} (team payments)`);
    expect(await page.getByRole('list', { name: 'Planned steps' }).getByRole('listitem').count()).toBe(7);
    await page.getByRole('heading', { name: 'Steps' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'golden-plan-details');
  });

  it('creates the service and follows its run: every step ends, previewed, the catalog entry real', async () => {
    const create = page.getByRole('button', { name: `Create ${NAME}` });
    expect(await create.isDisabled()).toBe(false);
    expect(await page.getByTestId('approval-need').textContent()).toContain('No approval needed in dev');
    await create.click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toMatch(/^#\/self-service\/act_[0-9a-f]+$/);
    runId = new URL(page.url()).hash.slice('#/self-service/'.length);
    await expect.poll(() => page.locator('[data-testid="action-header"] [data-state]').first().textContent(), WAIT).toBe('succeeded');
    const states = await page.locator('[data-step]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-step')}:${e.getAttribute('data-state')}`));
    expect(states).toEqual([
      'create_repository:skipped',
      'push_initial_commit:skipped',
      'protect_branch:skipped',
      'register_catalog:succeeded',
      'open_infra_pull_request:skipped',
      'deploy_dev:skipped',
      'wait_dev_available:skipped',
    ]);
    expect(await page.locator('[data-step="create_repository"]').textContent()).toContain(`A team portal would have created the private repository sphera/${NAME}`);
    expect(await page.getByTestId('run-preview').textContent()).toContain('the catalog entry is real');
    expect(await page.getByTestId('run-summary').textContent()).toContain('Previewed all 7 steps');
    await screenshot(page, 'golden-run-previewed');
  });

  it('lists the new service in the catalog search; its page says it came from the template and links to the run', async () => {
    await page.goto(`${atrium.base}/#/?q=${NAME}`);
    const row = page.getByRole('table', { name: 'Services', exact: true }).locator(`a[href="#/services/${NAME}"]`).first();
    await row.waitFor(WAIT);
    await screenshot(page, 'golden-catalog-search');
    await row.click();
    const origin = page.getByTestId('service-origin');
    await origin.waitFor(WAIT);
    expect(await origin.textContent()).toContain('Created from template go-http-service@');
    await expect.poll(() => page.getByTestId('dev-preview').textContent(), WAIT).toContain('Not deployed: this portal previews the golden path');
    await screenshot(page, 'golden-service-page');
    await origin.getByRole('link', { name: 'see the run that created it' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe(`#/self-service/${runId}`);
    await page.getByRole('button', { name: 'Show the plan' }).click();
    await page.getByTestId('plan-view').waitFor(WAIT);
  });
});

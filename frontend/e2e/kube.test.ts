// What runs where, in real Chromium against a real `atrium web` in local mode. The demo has deployments in three
// clusters (dev-eu-west-1, prod-eu-west-1, prod-us-east-1, staging-eu-west-1): some services a version behind in us-east-1, some
// missing there, one degraded, experimental ones only in staging; local mode reads no live cluster.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Atrium, localSession, screenshot } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };

const session = localSession();
let atrium: Atrium;
let page: Page;
beforeAll(() => {
  ({ atrium, page } = session);
});

const hash = (p: Page) => new URL(p.url()).hash;
const grid = (p: Page) => p.getByTestId('matrix-grid');
const row = (p: Page, service: string) => grid(p).locator(`[role="row"][data-service="${service}"]`);
const cell = (p: Page, service: string, cluster: string) => row(p, service).locator(`[role="gridcell"][data-cluster="${cluster}"]`);
const rows = (p: Page) => grid(p).locator('[role="row"][data-service]');
/** The column header's cells of one level: environments, regions, or clusters. */
const columnHeaders = (p: Page, level: 'environment' | 'region' | 'cluster') => grid(p).locator(`[role="columnheader"][data-${level}]`);

/** The "N services × M clusters" count once no query is on its way. */
async function total(p: Page): Promise<string> {
  const el = p.getByTestId('matrix-total');
  return (await el.getAttribute('aria-busy')) === 'true' ? '' : ((await el.textContent()) ?? '');
}

describe('the matrix in local mode', () => {
  it('shows every service across the demo clusters, grouped by environment and region', async () => {
    await page.getByRole('link', { name: 'Matrix', exact: true }).click();
    await expect.poll(() => hash(page), WAIT).toBe('#/matrix');
    await rows(page).first().waitFor(WAIT);
    // A dev column where dev exists: the demo runs some services in a dev cluster.
    expect(await columnHeaders(page, 'environment').allTextContents()).toEqual(['dev', 'production', 'staging']);
    expect(await columnHeaders(page, 'region').allTextContents()).toEqual(['eu-west-1', 'eu-west-1', 'us-east-1', 'eu-west-1']);
    expect(await columnHeaders(page, 'cluster').evaluateAll((els) => els.map((e) => e.getAttribute('data-cluster')))).toEqual([
      'dev-eu-west-1',
      'prod-eu-west-1',
      'prod-us-east-1',
      'staging-eu-west-1',
    ]);
    await expect.poll(() => total(page), WAIT).toMatch(/^\d+ services × 4 clusters$/);
    // The columns share the window's width (1280 px: wider than their minimum of 136 px).
    const cellWidth = await columnHeaders(page, 'cluster').first().evaluate((el) => el.getBoundingClientRect().width);
    expect(cellWidth).toBeGreaterThan(200);
    await screenshot(page, 'matrix-all');
  });

  it('highlights a service a version behind in us-east-1, and says "missing here" where one is missing', async () => {
    await page.goto(`${atrium.base}/#/matrix`);
    await rows(page).first().waitFor(WAIT);
    // Rows are virtual: scroll the lagging service into view by its position, as a user would.
    const lagging = cell(page, 'refund-processor', 'prod-us-east-1');
    await scrollToRow(page, 'refund-processor');
    await lagging.waitFor(WAIT);
    expect(await lagging.getAttribute('data-status')).toBe('differs');
    expect(await lagging.getAttribute('data-behind')).toBe('true');
    expect(await lagging.textContent()).toBe('1.1.0 ↓');
    expect(await lagging.getAttribute('aria-label')).toContain('behind 1.2.0');
    // Hovering shows the cell's details in a card.
    await lagging.hover();
    const card = page.getByTestId('matrix-cell-card');
    await card.waitFor(WAIT);
    expect(await card.getByTestId('card-runs').textContent()).toBe('1.1.0 ↓ behind');
    expect(await card.textContent()).toContain('refund-processor in prod-us-east-1');
    const highlighted = await lagging.evaluate((el) => getComputedStyle(el).backgroundColor);
    const plain = await cell(page, 'refund-processor', 'staging-eu-west-1').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(highlighted).not.toBe(plain);

    await scrollToRow(page, 'referral-service');
    const missing = cell(page, 'referral-service', 'prod-us-east-1');
    await missing.waitFor(WAIT);
    expect(await missing.textContent()).toBe('missing here');
    expect(await missing.getAttribute('data-status')).toBe('missing');
    await screenshot(page, 'matrix-lagging-and-missing');
  });

  it('filters to team payments in production, keeping the filters in the URL', async () => {
    await page.goto(`${atrium.base}/#/matrix`);
    await rows(page).first().waitFor(WAIT);
    await page.getByLabel('Team', { exact: true }).selectOption('payments');
    await page.getByLabel('Environment', { exact: true }).selectOption('production');
    await expect.poll(() => hash(page), WAIT).toBe('#/matrix?team=payments&environment=production');
    await expect.poll(() => total(page), WAIT).toMatch(/^\d+ services × 2 clusters$/);
    const owners = await rows(page).getByTestId('matrix-owner').allTextContents();
    expect(owners.length).toBeGreaterThan(0);
    expect([...new Set(owners)]).toEqual(['payments']);
    expect(await columnHeaders(page, 'cluster').evaluateAll((els) => els.map((e) => e.getAttribute('data-cluster')))).toEqual(['prod-eu-west-1', 'prod-us-east-1']);
    // payments-api is degraded in us-east-1.
    const degraded = cell(page, 'payments-api', 'prod-us-east-1');
    expect(await degraded.getByTestId('cell-health').textContent()).toMatch(/^degraded \d+\/\d+$/);
    await screenshot(page, 'matrix-payments-production');

    // A reload keeps the filters.
    await page.reload();
    await expect.poll(() => total(page), WAIT).toMatch(/× 2 clusters$/);
    expect(await page.getByLabel('Team', { exact: true }).inputValue()).toBe('payments');
  });

  it("opens a service from the matrix and shows its deployments with HPA and rollout time", async () => {
    await page.goto(`${atrium.base}/#/matrix?team=payments&environment=production`);
    const fraud = row(page, 'fraud-scorer');
    await fraud.waitFor(WAIT);
    await fraud.getByRole('link', { name: 'fraud-scorer' }).click();
    await expect.poll(() => hash(page), WAIT).toBe('#/services/fraud-scorer');
    const table = page.getByRole('table', { name: 'Deployments', exact: true });
    await table.waitFor(WAIT);
    expect(await table.locator('tbody').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-environment')))).toEqual(['dev', 'production', 'staging']);
    const us = table.locator('tr[data-cluster="prod-us-east-1"]');
    expect(await us.locator('[data-column="workload"]').textContent()).toBe('Deployment fraud-scorer');
    expect(await us.locator('[data-column="autoscaler"]').textContent()).toMatch(/^\d+–\d+, now \d+/);
    expect(await us.locator('[data-column="autoscaler"]').getAttribute('title')).toMatch(/^HorizontalPodAutoscaler: min \d+, max \d+, current \d+, desired \d+$/);
    const rollout = us.locator('time');
    expect(await rollout.textContent()).toMatch(/ago$/);
    expect(await rollout.getAttribute('title')).toMatch(/\d{4}/);
    expect(await us.locator('[data-column="image"]').getAttribute('title')).toMatch(/fraud-scorer:\d+\.\d+\.\d+$/);
    await screenshot(page, 'service-deployments-fraud-scorer');

    // The degraded deployment says why.
    await page.goto(`${atrium.base}/#/services/payments-api`);
    const degraded = page.getByRole('table', { name: 'Deployments', exact: true }).locator('tr[data-cluster="prod-us-east-1"]');
    await degraded.waitFor(WAIT);
    expect(await degraded.getByTestId('health-detail').textContent()).toMatch(/^\d+ of \d+ replicas ready$/);
  });
});

describe('the clusters page in local mode', () => {
  it('is reached from the matrix and from Sources, and says there are no live clusters in local mode', async () => {
    await page.goto(`${atrium.base}/#/matrix`);
    await page.getByRole('link', { name: 'Clusters', exact: true }).click();
    await expect.poll(() => hash(page), WAIT).toBe('#/clusters');
    const notice = page.getByRole('status').filter({ hasText: 'No live clusters in local mode' });
    await notice.waitFor(WAIT);
    await expect
      .poll(() => notice.textContent(), WAIT)
      .toContain('demo clusters dev-eu-west-1, prod-eu-west-1, prod-us-east-1 and staging-eu-west-1');
    await screenshot(page, 'clusters-local-mode');

    await page.goto(`${atrium.base}/#/sources`);
    await page.getByRole('main').getByRole('link', { name: 'Clusters' }).click();
    await expect.poll(() => hash(page), WAIT).toBe('#/clusters');
  });
});

/** Scrolls the matrix until service's row is rendered (rows are virtual and ordered by name). */
async function scrollToRow(p: Page, service: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    if ((await row(p, service).count()) > 0) {
      await row(p, service).scrollIntoViewIfNeeded();
      return;
    }
    await grid(p).evaluate((el) => el.scrollBy(0, 400));
    await p.waitForTimeout(50);
  }
  throw new Error(`row ${service} never appeared in the matrix`);
}

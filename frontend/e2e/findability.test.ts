// Finding one's way, in real Chromium against `atrium web` in local mode: Sources in the nav, a team's page from a
// catalog row's owner (contact, services, scores, requests), a service's system as the catalog of that system, the
// catalog's signals filtered and sorted with degraded deployments shown.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { localSession, screenshot } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };
const s = localSession();

const catalogRows = (p: Page) => p.getByRole('table', { name: 'Services', exact: true }).locator('[data-service]');
const hash = (p: Page) => new URL(p.url()).hash;

describe('finding things', () => {
  it('reaches Sources from the nav', async () => {
    const page = s.page;
    await page.goto(`${s.atrium.base}/#/`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sources', exact: true }).click();
    await expect.poll(() => hash(page), WAIT).toBe('#/sources');
    await page.getByRole('heading', { name: 'Sources' }).first().waitFor(WAIT);
  });

  it("opens a team's page from a row's owner: contact, services, scores and requests", async () => {
    const page = s.page;
    await page.goto(`${s.atrium.base}/#/?q=payments-api`);
    const row = page.locator('[data-service="payments-api"]');
    await row.waitFor(WAIT);
    await row.locator('[data-column="owner"] a').click();
    await expect.poll(() => hash(page), WAIT).toBe('#/teams/payments');
    // The heading shows the team's name at once, its display name and contact when the teams have loaded.
    await page.getByRole('heading', { name: 'Payments', exact: true, level: 1 }).waitFor(WAIT);
    await expect.poll(() => page.getByTestId('team-contact').textContent(), WAIT).toBe('#team-payments');
    const services = page.getByRole('table', { name: 'Services of the team' });
    await services.locator('[data-service="payments-api"]').waitFor(WAIT);
    // Those with the most signals first: payments-api has a degraded deployment.
    expect(await services.locator('[data-service]').first().textContent()).toContain('degraded');
    await expect.poll(() => page.getByTestId('team-score').textContent(), WAIT).toMatch(/^Average \d+ over \d+ services/);
    await page.getByRole('heading', { name: 'Latest requests' }).waitFor(WAIT);
    await screenshot(page, 'team-page');
    await page.getByRole('link', { name: 'All of them in the catalog' }).click();
    await expect.poll(() => hash(page), WAIT).toBe('#/?owner=payments');
  });

  it("shows a service's system as the catalog of that system", async () => {
    const page = s.page;
    await page.goto(`${s.atrium.base}/#/services/payments-api`);
    await page.getByRole('link', { name: 'payments-platform' }).click();
    await expect.poll(() => hash(page), WAIT).toBe('#/?system=payments-platform');
    await expect.poll(() => page.getByTestId('system-filter').textContent(), WAIT).toContain('payments-platform');
    await expect.poll(() => catalogRows(page).evaluateAll((rs) => rs.map((r) => r.getAttribute('data-service'))), WAIT).toContain('payments-api');
    const inSystem = await catalogRows(page).count();
    await page.getByRole('button', { name: 'Show every system, not only payments-platform' }).click();
    await expect.poll(() => hash(page), WAIT).toBe('#/');
    await expect.poll(() => page.getByTestId('catalog-total').textContent(), WAIT).not.toBe(`${inSystem} services`);
  });

  it('filters the catalog by a signal and sorts by signals, degraded deployments first', async () => {
    const page = s.page;
    await page.goto(`${s.atrium.base}/#/`);
    await catalogRows(page).first().waitFor(WAIT);
    await page.getByRole('combobox', { name: 'Signals' }).selectOption('degraded');
    await expect.poll(() => hash(page), WAIT).toBe('#/?signal=degraded');
    await expect.poll(() => catalogRows(page).evaluateAll((rs) => rs.map((r) => r.getAttribute('data-service'))), WAIT).toContain('payments-api');
    const signals = await catalogRows(page).locator('[data-column="signals"]').allTextContents();
    expect(signals.every((t) => /\d+ degraded/.test(t)), signals.join(' | ')).toBe(true);

    await page.getByRole('combobox', { name: 'Signals' }).selectOption('');
    await page.getByRole('button', { name: /^Signals/ }).click();
    await expect.poll(() => hash(page), WAIT).toBe('#/?sort=signals&order=desc');
    await expect.poll(() => catalogRows(page).first().locator('[data-column="signals"]').textContent(), WAIT).toMatch(/degraded/);
    await screenshot(page, 'catalog-by-signals');
  });
});

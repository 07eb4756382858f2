// Packages and sources in real Chromium against a real `atrium web` in local mode on the demo catalog (75
// services with npm and Go dependencies, many behind their newest version; one built-in "demo" source).
import { readFileSync } from 'node:fs';
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
const packagesTable = (p: Page) => p.getByRole('table', { name: 'Packages', exact: true });
const packageRows = (p: Page) => packagesTable(p).locator('[data-package]');
/** The package page's table of the services using it. */
const usesTable = (p: Page) => p.getByRole('table', { name: /^Services using / });
const serviceRows = (p: Page) => usesTable(p).locator('[data-service]');

/** The "N packages" count once no query is on its way. */
async function total(p: Page): Promise<string> {
  const el = p.getByTestId('packages-total');
  return (await el.getAttribute('aria-busy')) === 'true' ? '' : ((await el.textContent()) ?? '');
}

describe('packages in local mode', () => {
  it('filters to the outdated npm packages of a team, opens react, and sees its services and versions', async () => {
    await page.goto(`${atrium.base}/#/`);
    await page.getByRole('link', { name: 'Packages', exact: true }).click();
    await packageRows(page).first().waitFor(WAIT);
    const all = await total(page);
    await page.getByLabel('Ecosystem').selectOption('npm');
    await page.getByLabel('Team', { exact: true }).selectOption('payments');
    await page.getByLabel('Outdated only').check();
    await expect.poll(() => hash(page), WAIT).toBe('#/packages?ecosystem=npm&owner=payments&outdated=1');
    await expect.poll(() => total(page), WAIT).not.toBe(all);
    const ecosystems = await packageRows(page).evaluateAll((rows) => [...new Set(rows.map((r) => r.getAttribute('data-ecosystem')))]);
    expect(ecosystems).toEqual(['npm']);
    // Most services a major version behind first.
    await page.getByRole('button', { name: /Major/ }).click();
    await expect.poll(() => hash(page), WAIT).toBe('#/packages?ecosystem=npm&owner=payments&outdated=1&sort=major&order=desc');
    const react = packagesTable(page).locator('[data-package="react"]');
    await react.waitFor(WAIT);
    await screenshot(page, 'packages-outdated-npm-payments');

    await react.getByRole('link', { name: 'react' }).click();
    await expect.poll(() => hash(page), WAIT).toBe('#/packages/npm/react?owner=payments');
    await page.getByRole('heading', { name: 'react', level: 1 }).waitFor(WAIT);
    const services = serviceRows(page);
    await services.first().waitFor(WAIT);
    const owners = await services.locator('[data-column="owner"]').allTextContents();
    expect(owners.length).toBeGreaterThan(0);
    expect([...new Set(owners)]).toEqual(['payments']);
    const versions = await services.locator('[data-column="version"]').allTextContents();
    for (const v of versions) expect(v).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await page.getByTestId('versions-in-use').locator('span').count()).toBeGreaterThan(0);
    await screenshot(page, 'package-react-payments');

    // Every team: more services use react.
    await page.getByLabel('Team', { exact: true }).selectOption('');
    await expect.poll(() => hash(page), WAIT).toBe('#/packages/npm/react');
    await expect.poll(() => services.count(), WAIT).toBeGreaterThan(owners.length);
  });

  it("downloads the package's users as CSV, and the filtered packages table", async () => {
    await page.goto(`${atrium.base}/#/packages/npm/react?owner=payments`);
    await serviceRows(page).first().waitFor(WAIT);
    const download = page.waitForEvent('download', { timeout: 20_000 });
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const d = await download;
    expect(d.suggestedFilename()).toBe('package-npm-react.csv');
    const csv = readFileSync(await d.path(), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('ecosystem,package,service,owner,version,constraint,latest,behind,dev');
    expect(csv.length).toBeGreaterThan(1);
    for (const line of csv.slice(1)) expect(line).toMatch(/^npm,react,[^,]+,payments,/);
    expect(await page.getByTestId('package-export').textContent()).toContain('package-npm-react.csv');

    await page.goto(`${atrium.base}/#/packages?ecosystem=go&outdated=1`);
    await packageRows(page).first().waitFor(WAIT);
    const tableDownload = page.waitForEvent('download', { timeout: 20_000 });
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const t = await tableDownload;
    expect(t.suggestedFilename()).toBe('packages.csv');
    const rows = readFileSync(await t.path(), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('ecosystem,name,latest,services,outdated,behind_major,behind_minor,behind_patch,versions');
    const shown = Number(((await total(page)) || '0').replace(/[^\d]/g, ''));
    expect(rows.length - 1).toBe(shown);
    for (const line of rows.slice(1)) expect(line.startsWith('go,')).toBe(true);
    await screenshot(page, 'packages-csv-exported');
  });

  it("links a service's dependency rows to the package page", async () => {
    await page.goto(`${atrium.base}/#/services/checkout-web`);
    const link = page.getByRole('table', { name: 'Dependencies', exact: true }).locator('a', { hasText: /^react$/ });
    await link.waitFor(WAIT);
    await link.click();
    await expect.poll(() => hash(page), WAIT).toBe('#/packages/npm/react');
    await usesTable(page).locator('[data-service="checkout-web"]').waitFor(WAIT);
  });
});

describe('sources in local mode', () => {
  it('shows the demo source, reached from the sync indicator', async () => {
    await page.goto(`${atrium.base}/#/`);
    await page.getByTestId('sync-status').click();
    await expect.poll(() => hash(page), WAIT).toBe('#/sources');
    const demo = page.getByRole('region', { name: 'Source demo' });
    await demo.waitFor(WAIT);
    expect(await demo.getByTestId('source-state').textContent()).toBe('up to date');
    expect(await demo.textContent()).toContain('75 demo services');
    expect(await demo.getByRole('button', { name: 'Sync now' }).isDisabled()).toBe(true);
    expect(await demo.getByTestId('source-last-sync').textContent()).toMatch(/ago|just now/);
    await screenshot(page, 'sources-demo');
  });
});

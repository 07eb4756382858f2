// The UI in real Chromium against a real `atrium web` in local mode on the demo catalog.
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext, screenshot, startAtrium, startPortal, type Atrium } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };

let atrium: Atrium;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
let allServices = 0;

/** The catalog's rendered rows. */
const catalogRows = (p: Page) => p.getByRole('table', { name: 'Services', exact: true }).locator('[data-service]');

async function rowNames(p: Page): Promise<string[]> {
  return catalogRows(p).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-service') ?? ''));
}

async function columnTexts(p: Page, column: string): Promise<string[]> {
  return catalogRows(p).locator(`[data-column="${column}"]`).allTextContents();
}

/** The "N services" count, or -1 while a query is on its way (the previous count is shown dimmed). */
async function total(p: Page): Promise<number> {
  const el = p.getByTestId('catalog-total');
  if ((await el.getAttribute('aria-busy')) === 'true') return -1;
  const text = (await el.textContent()) ?? '';
  const m = /^([\d,]+) services?$/.exec(text.trim());
  return m?.[1] ? Number(m[1].replace(/,/g, '')) : -1;
}

/** Opens the catalog at hash (the tab holds the launch token already) and waits until its rows are on screen. */
async function openCatalog(hash = '#/'): Promise<void> {
  await page.goto(`${atrium.base}/${hash}`);
  await catalogRows(page).first().waitFor({ timeout: 20_000 });
}

beforeAll(async () => {
  atrium = await startAtrium();
  browser = await launchBrowser();
  context = await newContext(browser);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await atrium?.stop();
});

afterEach(() => {
  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});

describe('atrium web in Chromium', () => {
  it('loads the catalog with the launch token, shows the demo services, and says it is up to date', async () => {
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const ready = page.waitForRequest(
      (r: Request) => r.url().endsWith('/api/v1/usage/events') && (r.postData() ?? '').includes('"ui.ready"'),
      { timeout: 20_000 },
    );
    await page.goto(atrium.url);
    // The page keeps the token in its sessionStorage (never a cookie) and drops it from the address bar.
    expect(new URL(page.url()).searchParams.get('token')).toBeNull();
    const sync = page.getByTestId('sync-status');
    await expect.poll(() => sync.textContent(), WAIT).toMatch(/up to date as of \d{1,2}:\d{2}/);
    expect(await sync.textContent()).toContain('local demo');
    await expect.poll(() => total(page), WAIT).toBeGreaterThanOrEqual(60);
    allServices = await total(page);
    const names = await rowNames(page);
    expect(names.length).toBeGreaterThan(10);
    expect(names.length).toBeLessThan(allServices + 1);
    // Default order is by name.
    expect([...names].sort()).toEqual(names);
    const event = JSON.parse((await ready).postData() ?? '{}') as Record<string, unknown>;
    expect(event).toEqual({ kind: 'ui.ready', page: 'catalog', count: allServices });
    // Relative time with the absolute time in a title; repository as an external link.
    const firstRow = catalogRows(page).first();
    expect(await firstRow.locator('time').getAttribute('title')).toMatch(/\d{4}/);
    const repo = firstRow.locator('[data-column="repository"] a');
    expect(await repo.getAttribute('href')).toMatch(/^https:\/\//);
    expect(await repo.getAttribute('target')).toBe('_blank');
    await screenshot(page, 'catalog');
  });

  it('narrows the rows as you type a search, and keeps it in the URL across a reload', async () => {
    await openCatalog();
    const box = page.getByRole('searchbox', { name: 'Search services' });
    await box.pressSequentially('pay', { delay: 30 });
    await expect.poll(() => total(page), WAIT).toSatisfy((n: number) => n >= 0 && n < allServices);
    const narrowed = await total(page);
    expect(narrowed).toBeGreaterThan(0);
    await expect.poll(() => rowNames(page), WAIT).toContain('payments-api');
    const names = await rowNames(page);
    expect(names).toHaveLength(narrowed);
    expect(names).not.toContain('warehouse-loader');
    // Why each row matched: the words the search matched are marked (in the name, title, owner or the text that
    // matched).
    const marked = await catalogRows(page).evaluateAll((rows) => rows.filter((r) => r.querySelector('mark')).length);
    expect(marked).toBe(names.length);
    expect(await page.locator('[data-service="payments-api"] mark').first().textContent()).toBe('pay');
    // The location takes the text once typing pauses.
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/?q=pay');
    await screenshot(page, 'search');

    await page.reload();
    await expect.poll(() => total(page), WAIT).toBe(narrowed);
    expect(await box.inputValue()).toBe('pay');

    await box.fill('');
    await expect.poll(() => total(page), WAIT).toBe(allServices);
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/');
  });

  it('filters by team and by language with counted options', async () => {
    await openCatalog();
    const team = page.getByRole('combobox', { name: 'Team' });
    const option = (await team.locator('option', { hasText: /^payments \(\d+\)$/ }).textContent()) ?? '';
    const teamCount = Number(/\((\d+)\)/.exec(option)?.[1]);
    expect(teamCount).toBeGreaterThan(0);
    await team.selectOption('payments');
    await expect.poll(() => total(page), WAIT).toBe(teamCount);
    await expect.poll(() => columnTexts(page, 'owner'), WAIT).toEqual(Array(teamCount).fill('payments'));

    await page.getByRole('combobox', { name: 'Language' }).selectOption('Go');
    await expect.poll(() => page.url(), WAIT).toContain('language=Go');
    await expect.poll(() => total(page), WAIT).toSatisfy((n: number) => n > 0 && n < teamCount);
    const n = await total(page);
    expect(n).toBeGreaterThan(0);
    await expect.poll(() => columnTexts(page, 'language'), WAIT).toEqual(Array(n).fill('Go'));
    expect(await columnTexts(page, 'owner')).toEqual(Array(n).fill('payments'));
    expect(new URL(page.url()).hash).toBe('#/?owner=payments&language=Go');
    await screenshot(page, 'filter');

    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await expect.poll(() => total(page), WAIT).toBe(allServices);
  });

  it('sorts by a column on the server, both ways', async () => {
    await openCatalog();
    const header = page.getByRole('columnheader', { name: /Owner/ });
    await header.getByRole('button').click();
    await expect.poll(() => header.getAttribute('aria-sort'), WAIT).toBe('ascending');
    await expect.poll(() => columnTexts(page, 'owner').then((o) => o[0]), WAIT).toBe('data');
    const asc = await columnTexts(page, 'owner');
    expect(asc).toEqual([...asc].sort());

    await header.getByRole('button').click();
    await expect.poll(() => header.getAttribute('aria-sort'), WAIT).toBe('descending');
    await expect.poll(() => columnTexts(page, 'owner').then((o) => o[0]), WAIT).toBe('unowned');
    const desc = await columnTexts(page, 'owner');
    expect(desc).toEqual([...desc].sort().reverse());
    expect(new URL(page.url()).hash).toBe('#/?sort=owner&order=desc');
    await screenshot(page, 'sort');
  });

  it('opens a service page from a row, with dependencies, behind badges, links and findings', async () => {
    await openCatalog('#/?q=payments-api');
    const pageView = page.waitForRequest(
      (r: Request) => r.url().endsWith('/api/v1/usage/events') && (r.postData() ?? '').includes('"page":"service"'),
      { timeout: 20_000 },
    );
    await page.locator('[data-service="payments-api"]').click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/services/payments-api');
    await page.getByRole('heading', { level: 1, name: 'payments-api' }).waitFor();
    expect(JSON.parse((await pageView).postData() ?? '{}')).toEqual({ kind: 'page.view', page: 'service' });

    const dependencies = page.getByRole('table', { name: 'Dependencies', exact: true });
    const deps = dependencies.locator('tbody tr');
    expect(await deps.count()).toBeGreaterThan(3);
    const badges = await dependencies.locator('[data-behind]').allTextContents();
    expect(badges.some((b) => ['major', 'minor', 'patch'].includes(b))).toBe(true);
    // Outdated first: no "current" badge before a behind one.
    const firstCurrent = badges.indexOf('current');
    if (firstCurrent >= 0) expect(badges.slice(firstCurrent).every((b) => b === 'current')).toBe(true);
    expect(await page.getByRole('link', { name: 'Runbook' }).getAttribute('href')).toMatch(/^https:\/\//);
    // The demo runs payments-api in its three clusters (e2e/kube.test.ts looks at the deployments closely).
    await expect.poll(() => page.getByRole('table', { name: 'Deployments', exact: true }).locator('tr[data-cluster]').count(), WAIT).toBe(3);
    await screenshot(page, 'service');

    // Back to the catalog keeps the search.
    await page.getByRole('link', { name: '← Catalog' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/?q=payments-api');
  });

  it('shows the finding of a service whose descriptor is broken', async () => {
    await page.goto(`${atrium.base}/#/services/legacy-reporting`);
    await page.getByRole('heading', { level: 1, name: 'legacy-reporting' }).waitFor({ timeout: 20_000 });
    const finding = page.locator('[data-severity="error"]');
    await finding.first().waitFor();
    expect(await finding.first().textContent()).toContain('atrium.yaml could not be read');
    expect(await finding.getByTestId('finding-detail').first().textContent()).toMatch(/line \d+/);
    await screenshot(page, 'service-broken-descriptor');

    await page.goto(`${atrium.base}/#/services/marketing-site`);
    await page.getByRole('heading', { level: 1, name: 'marketing-site' }).waitFor({ timeout: 20_000 });
    await page.locator('[data-severity="error"]', { hasText: 'package.json could not be read' }).waitFor();
    await screenshot(page, 'service-broken-manifest');
  });

  it('says when there is no such service, with a link back', async () => {
    await page.goto(`${atrium.base}/#/services/no-such-service`);
    await page.getByText('No service named no-such-service').waitFor({ timeout: 20_000 });
    await page.getByRole('link', { name: 'Back to the catalog' }).click();
    await catalogRows(page).first().waitFor({ timeout: 20_000 });
  });

  it('renders settings, and shows a field problem from the API next to the field', async () => {
    await page.goto(`${atrium.base}/#/settings`);
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor({ timeout: 20_000 });
    const current = page.getByTestId('settings-current');
    expect(await current.textContent()).toContain('Local demo');
    await page.getByLabel('Portal URL').fill('ftp://portal.invalid');
    await page.getByRole('button', { name: 'Connect' }).click();
    const problem = page.locator('#portal_url-problem');
    await problem.waitFor({ timeout: 20_000 });
    expect(await problem.textContent()).toContain('must be an http:// or https:// URL');
    expect(await page.getByLabel('Portal URL').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'settings');
  });

  it('goes offline against an unreachable portal, says so, and switches back to the local demo', async () => {
    await page.goto(`${atrium.base}/#/settings`);
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor({ timeout: 20_000 });
    // Port 1 on loopback refuses connections: a portal that is down, without leaving this machine.
    await page.getByLabel('Portal URL').fill('http://127.0.0.1:1');
    await page.getByLabel('Token').fill('e2e-token');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByText('Now using the portal at http://127.0.0.1:1').waitFor({ timeout: 20_000 });
    const current = page.getByTestId('settings-current');
    await expect.poll(() => current.textContent(), WAIT).toContain('Team portal');
    expect(await current.textContent()).toMatch(/Tokenset/);

    const sync = page.getByTestId('sync-status');
    await expect.poll(() => sync.textContent(), WAIT).toMatch(/offline — data from the local demo as of \d{1,2}:\d{2}/);
    expect(await sync.textContent()).toContain('127.0.0.1:1');
    expect(await sync.getAttribute('title')).toContain('connection refused');
    await screenshot(page, 'settings-offline');

    await page.getByRole('button', { name: 'Switch back to local demo' }).click();
    await page.getByText('Switched to local demo mode').waitFor({ timeout: 20_000 });
    await expect.poll(() => sync.textContent(), WAIT).toMatch(/up to date as of .*local demo/);
  });

  it('refreshes the catalog in place when the replica changes, keeping scroll and filters', async () => {
    await openCatalog('#/?lifecycle=production');
    const n = await total(page);
    expect(n).toBeGreaterThan(20);
    const body = page.getByTestId('catalog-rows');
    await body.evaluate((el) => {
      el.scrollTop = 400;
    });
    await expect.poll(() => body.evaluate((el) => el.scrollTop), WAIT).toBe(400);
    const refetch = page.waitForRequest((r: Request) => r.url().includes('/api/v1/services?'), { timeout: 20_000 });
    // Connecting to a team portal (a real `atrium serve`) replaces the replica's content, which changes its
    // data version; the table refetches in place.
    const portal = await startPortal();
    try {
      const res = await fetch(`${atrium.base}/api/v1/settings`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${atrium.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ portal_url: portal.base, token: portal.token }),
      });
      expect(res.status).toBe(200);
      const req = await refetch;
      expect(new URL(req.url()).searchParams.get('lifecycle')).toBe('production');
      await (await req.response())?.finished();
      expect(await body.evaluate((el) => el.scrollTop)).toBe(400);
      expect(new URL(page.url()).hash).toBe('#/?lifecycle=production');
      expect(await total(page)).toBe(n);
      expect(await page.getByRole('combobox', { name: 'Lifecycle' }).inputValue()).toBe('production');
      await expect.poll(() => page.getByTestId('sync-status').textContent(), WAIT).toContain(portal.base.slice(7));
    } finally {
      await fetch(`${atrium.base}/api/v1/settings`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${atrium.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ portal_url: '' }),
      });
      await portal.stop();
    }
  });

  it('tells a browser without the launch token how to get in', async () => {
    const stranger = await newContext(browser);
    try {
      const p = await stranger.newPage();
      p.on('pageerror', (e) => pageErrors.push(String(e)));
      const res = await p.request.get(`${atrium.base}/api/v1/services`);
      expect(res.status()).toBe(401);
      await p.goto(`${atrium.base}/`);
      await p.getByText('Atrium needs its launch token').waitFor({ timeout: 20_000 });
      expect(await p.getByTestId('access-notice').textContent()).toContain('atrium web');
      await screenshot(p, 'no-token');
    } finally {
      await stranger.close();
    }
  });
});

// The UI as the desktop window runs it, in real Chromium against a real `atrium web`: the same pages with Wails'
// Go bindings (window.go.app.OS.SaveFile) and runtime (BrowserOpenURL) present. Wails injects them in the desktop;
// here an init script stands in for them, recording what the UI asked of the OS.
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext, screenshot, startAtrium, type Atrium } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };

// Plain JavaScript run in the page before the app: the bindings' shapes as app/desktop.go and Wails define them.
const BINDINGS = `
  window.__saved = [];
  window.__opened = [];
  window.go = { app: { OS: { SaveFile: (name, content) => {
    window.__saved.push({ name, lines: content.trim().split('\\n').length });
    return Promise.resolve('/home/e2e/Documents/' + name);
  } } } };
  window.runtime = { BrowserOpenURL: (url) => { window.__opened.push(url); } };
`;

interface Saved {
  name: string;
  lines: number;
}

let atrium: Atrium;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
let downloads = 0;

beforeAll(async () => {
  atrium = await startAtrium();
  browser = await launchBrowser();
  context = await newContext(browser);
  await context.addInitScript({ content: BINDINGS });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('download', () => downloads++);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await atrium?.stop();
});

afterEach(() => {
  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});

describe("with the desktop window's bindings present", () => {
  it('loads the catalog and reports ui.ready as in a browser', async () => {
    const ready = page.waitForRequest((r: Request) => r.url().endsWith('/api/v1/usage/events') && (r.postData() ?? '').includes('"ui.ready"'), {
      timeout: 20_000,
    });
    await page.goto(atrium.url);
    await page.getByRole('table', { name: 'Services', exact: true }).locator('[data-service]').first().waitFor(WAIT);
    const event = JSON.parse((await ready).postData() ?? '{}') as { kind: string; page: string; count: number };
    expect(event.kind).toBe('ui.ready');
    expect(event.page).toBe('catalog');
    expect(event.count).toBeGreaterThan(0);
  });

  it('saves a CSV export through the save dialog binding and says where it went', async () => {
    await page.goto(`${atrium.base}/#/packages?ecosystem=npm&outdated=1`);
    await page.getByRole('table', { name: 'Packages', exact: true }).locator('[data-package]').first().waitFor(WAIT);
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const status = page.getByTestId('packages-export');
    await expect.poll(() => status.getAttribute('data-saved'), WAIT).toBe('written');
    expect(await page.getByTestId('packages-export-path').textContent()).toBe('/home/e2e/Documents/packages.csv');
    const saved = await page.evaluate(() => (window as unknown as { __saved: Saved[] }).__saved);
    expect(saved).toHaveLength(1);
    expect(saved[0]?.name).toBe('packages.csv');
    expect(saved[0]?.lines).toBeGreaterThan(1);
    expect(downloads).toBe(0);
    await screenshot(page, 'desktop-csv-saved');
  });
});

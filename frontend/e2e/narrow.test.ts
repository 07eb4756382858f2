// A 1024×700 window (the narrowest the UI is laid out for), in real Chromium against `atrium web` in local mode:
// the header keeps its status and every nav item, and the most important columns stay on screen — the catalog's
// signals, a service's deployment health, the flags' last change. Checked by bounding boxes inside the viewport;
// screenshots in test-results/narrow-*.png.
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { localSession, screenshot } from './harness';

const WIDTH = 1024;
const HEIGHT = 700;
const WAIT = { timeout: 20_000, interval: 100 };
const s = localSession(undefined, { viewport: { width: WIDTH, height: HEIGHT } });

/** Fails unless el is rendered wholly inside the window, at least minWidth wide. */
async function inView(el: Locator, what: string, minWidth = 1): Promise<void> {
  await el.waitFor(WAIT);
  const box = await el.boundingBox();
  expect(box, `${what} is rendered`).not.toBeNull();
  const b = box!;
  const at = `${what}: x ${Math.round(b.x)}..${Math.round(b.x + b.width)}, y ${Math.round(b.y)}..${Math.round(b.y + b.height)}`;
  expect(b.x, at).toBeGreaterThanOrEqual(0);
  expect(b.y, at).toBeGreaterThanOrEqual(0);
  expect(b.x + b.width, at).toBeLessThanOrEqual(WIDTH);
  expect(b.y + b.height, at).toBeLessThanOrEqual(HEIGHT);
  expect(b.width, at).toBeGreaterThanOrEqual(minWidth);
}

async function open(page: Page, hash: string): Promise<void> {
  await page.goto(`${s.atrium.base}/${hash}`);
}

describe('a 1024×700 window', () => {
  it('keeps the header status, every nav item and the catalog\'s columns on screen', async () => {
    const page = s.page;
    await open(page, '#/');
    const rows = page.getByRole('table', { name: 'Services', exact: true }).locator('[data-service]');
    await rows.first().waitFor(WAIT);
    await expect.poll(() => page.getByTestId('sync-status').textContent(), WAIT).toMatch(/up to date/);
    // The status says how fresh the data is: wide enough for its words, not a sliver.
    await inView(page.getByTestId('sync-status'), 'the sync status', 150);
    await inView(page.getByTestId('identity'), 'the identity chip', 40);
    const nav = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
    await expect.poll(() => nav.count(), WAIT).toBeGreaterThan(8);
    for (const link of await nav.all()) await inView(link, `nav item ${await link.textContent()}`, 30);
    for (const name of ['Service', 'Owner', 'Language', 'Lifecycle', 'Repository', 'Last synced', 'Signals']) {
      await inView(page.getByRole('columnheader', { name, exact: true }).first(), `the catalog's ${name} column`, 60);
    }
    await inView(rows.first().locator('[data-column="signals"]'), "the first row's signals", 60);
    await screenshot(page, 'narrow-catalog');
  });

  it("shows a service's deployment health", async () => {
    const page = s.page;
    await open(page, '#/services/payments-api');
    const table = page.getByRole('table', { name: 'Deployments', exact: true });
    await table.waitFor(WAIT);
    await table.scrollIntoViewIfNeeded();
    await inView(table.getByRole('columnheader', { name: 'Health' }), 'the Health column', 60);
    const degraded = table.locator('tr[data-cluster="prod-us-east-1"]');
    await degraded.scrollIntoViewIfNeeded();
    await inView(degraded.locator('[data-column="health"]'), 'a degraded deployment\'s health', 60);
    await screenshot(page, 'narrow-service-deployments');
  });

  it("shows the flags' last change", async () => {
    const page = s.page;
    await open(page, '#/flags');
    const table = page.getByRole('table', { name: 'Feature flags', exact: true });
    await table.locator('[role="row"]').nth(1).waitFor(WAIT);
    await inView(table.getByRole('columnheader', { name: /Last change/ }), 'the Last change column', 80);
    await inView(table.locator('[role="row"]').nth(1).locator('[role="cell"]').last(), "the first flag's last change", 80);
    await screenshot(page, 'narrow-flags');
  });
});

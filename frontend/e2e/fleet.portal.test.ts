// The fleet configuration through a team portal: a real `atrium serve` and two real `atrium web` desktops connected
// to it — the admin's and a developer's (payments-dev-1, a member of the demo directory's payments team). The admin
// writes a configuration on the Fleet page, previews it and pushes it; the developer's open window applies it within
// seconds without a reload (team banner, update notice, links, the Packages page switched off). Invalid settings are
// refused at push with their place in the document and nothing changes; a rollback from the history is applied
// the same way. The installs list shows both installs on the newest version, and the Adoption page counts the
// developer's use of the week and exports it as CSV.
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Adoption, FleetInstallList, FleetVersion, TokenCreated } from '../src/api/client';
import { launchBrowser, newContext, portalApi, screenshot, startAtrium, startPortal, type Atrium, type Portal } from './harness';

// Waiting for other processes: the portal, the desktops' sync loops (long poll), their 2 s status poll.
const WAIT = { timeout: 30_000, interval: 100 };

let portal: Portal;
let adminDesktop: Atrium;
let devDesktop: Atrium;
let browser: Browser;
let adminContext: BrowserContext;
let devContext: BrowserContext;
let admin: Page;
let dev: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  portal = await startPortal();
  const created = await portalApi<TokenCreated>(portal.base, portal.token, 'POST', '/api/v1/tokens', {
    name: 'payments-dev-1 on a laptop',
    subject: 'payments-dev-1',
    grants: [{ role: 'developer', team: 'payments' }],
  });
  adminDesktop = await startAtrium({ portal: portal.base, token: portal.token });
  devDesktop = await startAtrium({ portal: portal.base, token: created.secret });
  browser = await launchBrowser();
  adminContext = await newContext(browser);
  devContext = await newContext(browser);
  admin = await adminContext.newPage();
  dev = await devContext.newPage();
  for (const p of [admin, dev]) p.on('pageerror', (e) => pageErrors.push(String(e)));
  await admin.goto(adminDesktop.url);
  await dev.goto(devDesktop.url);
});

afterAll(async () => {
  await adminContext?.close();
  await devContext?.close();
  await browser?.close();
  await adminDesktop?.stop();
  await devDesktop?.stop();
  await portal?.stop();
});

afterEach(() => {
  expect(pageErrors, 'uncaught errors in the pages').toEqual([]);
});

const history = () => portalApi<{ items: FleetVersion[] }>(portal.base, portal.token, 'GET', '/api/v1/fleet/history').then((h) => h.items);
const navItems = async (p: Page) => (await p.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).map((t) => t.replace(/\d+$/, ''));
const text = async (p: Page, testId: string) => ((await p.getByTestId(testId).count()) > 0 ? await p.getByTestId(testId).first().textContent() : null);

const FIRST = {
  settings: {
    banner: { text: 'Portal maintenance on Friday 18:00', level: 'info' },
    features: { packages: false },
    links: [
      { title: 'Engineering docs', url: 'https://docs.example.com', kind: 'docs' },
      { title: 'On-call', url: 'https://oncall.example.com', kind: 'oncall' },
    ],
  },
  defaults: ['landing_page'],
  teams: { payments: { banner: { text: 'Payments: release freeze until Monday', level: 'warning' }, min_app_version: '1.0.0' } },
};

async function editAndPreview(config: unknown) {
  await admin.getByLabel('Fleet configuration (JSON)').fill(JSON.stringify(config, null, 2));
  await admin.getByRole('button', { name: 'Preview' }).click();
}

describe('the fleet configuration through a team portal', () => {
  it('both desktops report to the portal before anything is pushed', async () => {
    await expect.poll(() => admin.getByTestId('sync-status').textContent(), WAIT).toMatch(/up to date/);
    await expect.poll(() => dev.getByTestId('sync-status').textContent(), WAIT).toMatch(/up to date/);
    await expect
      .poll(async () => (await portalApi<FleetInstallList>(portal.base, portal.token, 'GET', '/api/v1/fleet/installs')).items.map((i) => i.user).sort(), WAIT)
      .toEqual(['admin', 'payments-dev-1']);
    // A developer has neither Fleet nor Adoption.
    await expect.poll(() => navItems(dev), WAIT).toEqual(['Catalog', 'New service', 'Matrix', 'Scorecards', 'Packages', 'Secrets', 'Drift', 'Flags', 'Self-service', 'Settings', 'Sources']);
    expect(await dev.getByTestId('fleet-banner').count()).toBe(0);
  });

  it('the admin previews a configuration for everyone and the payments team, and pushes it', async () => {
    await admin.goto(`${adminDesktop.base}/#/admin/fleet`);
    await admin.getByLabel('Fleet configuration (JSON)').waitFor(WAIT);
    expect(await admin.locator('.page-lead').textContent()).toContain('Nothing was pushed yet.');
    await editAndPreview(FIRST);
    const preview = admin.getByTestId('fleet-preview');
    await preview.waitFor(WAIT);
    const changes = await admin.getByTestId('fleet-changes').textContent();
    expect(changes).toContain('everyone › notice banner: set to {"text":"Portal maintenance on Friday 18:00","level":"info"}');
    expect(changes).toContain('team payments: set to');
    expect(await preview.getByRole('table', { name: 'Who gets what' }).locator('tr[data-team="payments"]').textContent()).toContain('team payments');
    await admin.getByRole('button', { name: 'Push version 1 to every install' }).scrollIntoViewIfNeeded();
    await screenshot(admin, 'fleet-preview');
    await admin.getByLabel('Note').fill('maintenance and the payments freeze');
    await admin.getByRole('button', { name: 'Push version 1 to every install' }).click();
    await admin.getByTestId('fleet-pushed').waitFor(WAIT);
    expect(await admin.getByTestId('fleet-pushed').textContent()).toContain('Version 1 is pushed');
    const items = await history();
    expect(items.map((v) => [v.version, v.note, v.created_by])).toEqual([[1, 'maintenance and the payments freeze', 'admin']]);
  });

  it("the developer's open window applies it within seconds: team banner, update notice, links, the Packages page off", async () => {
    // No reload: the desktop takes the push from its change feed, the page from its sync status.
    await expect.poll(() => text(dev, 'fleet-banner'), WAIT).toBe('Payments: release freeze until Monday');
    expect(await dev.getByTestId('fleet-banner').getAttribute('data-level')).toBe('warning');
    // The build's version ("dev", or the commit in a build from git without a tag) is below any minimum; the
    // notice names it as /healthz reports it.
    const health = (await (await fetch(`${devDesktop.base}/healthz`)).json()) as { version: string };
    expect(await text(dev, 'fleet-update')).toBe(`This is Atrium ${health.version}; your platform team asks for 1.0.0 or newer. Please update Atrium.`);
    await dev.getByTestId('fleet-links').locator('summary').click();
    expect(await dev.getByTestId('fleet-links').getByRole('link').allTextContents()).toEqual(['Engineering docs', 'On-call']);
    await expect.poll(() => navItems(dev), WAIT).toEqual(['Catalog', 'New service', 'Matrix', 'Scorecards', 'Secrets', 'Drift', 'Flags', 'Self-service', 'Settings', 'Sources']);
    // The admin is on no team: everyone's banner, and no update notice (no minimum for everyone).
    await expect.poll(() => text(admin, 'fleet-banner'), WAIT).toBe('Portal maintenance on Friday 18:00');
    expect(await admin.getByTestId('fleet-update').count()).toBe(0);
    await screenshot(dev, 'fleet-applied-developer');
  });

  it('lists both installs on version 1', async () => {
    await admin.goto(`${adminDesktop.base}/#/admin/fleet/installs`);
    const table = admin.getByRole('table', { name: 'Installs' });
    await expect
      .poll(async () => (await table.locator('[data-user]').allTextContents()).length, WAIT)
      .toBe(2);
    await expect
      .poll(async () => (await table.getByTestId('install-config').allTextContents()).sort(), WAIT)
      .toEqual(['v1 (latest)', 'v1 (latest)']);
    expect(await table.locator('[data-user="payments-dev-1"]').textContent()).toContain('payments');
    await admin.getByRole('button', { name: /Not on the latest config/ }).click();
    await expect.poll(() => admin.evaluate(() => window.location.hash), WAIT).toBe('#/admin/fleet/installs?filter=stale_config');
    await admin.getByText('Every install applied version 1.').waitFor(WAIT);
    await admin.getByRole('button', { name: /Below the minimum app version/ }).click();
    await expect.poll(async () => table.locator('[data-user]').allTextContents(), WAIT).toEqual([expect.stringContaining('payments-dev-1')]);
    await screenshot(admin, 'fleet-installs');
  });

  it('refuses an unknown setting and a bad value at push, with their places, and changes nothing', async () => {
    await admin.goto(`${adminDesktop.base}/#/admin/fleet`);
    await admin.getByLabel('Fleet configuration (JSON)').waitFor(WAIT);
    await editAndPreview({ settings: { bannr: { text: 'typo' }, sync: { long_poll_seconds: 600 } } });
    const problems = admin.getByTestId('fleet-problems');
    await problems.waitFor(WAIT);
    const lines = await problems.getByRole('listitem').allTextContents();
    expect(lines.some((l) => l.startsWith('everyone › bannr /settings/bannr: unknown setting'))).toBe(true);
    expect(lines.some((l) => l.startsWith('everyone › sync timings › long_poll_seconds /settings/sync/long_poll_seconds: '))).toBe(true);
    expect(await admin.getByTestId('fleet-preview').count()).toBe(0);
    expect((await history()).length).toBe(1);
    expect(await text(dev, 'fleet-banner')).toBe('Payments: release freeze until Monday');
  });

  it('a second version lifts the freeze, and a rollback from the history brings it back', async () => {
    await admin.goto(`${adminDesktop.base}/#/admin/fleet`);
    await admin.getByLabel('Fleet configuration (JSON)').waitFor(WAIT);
    const second = { ...FIRST, teams: {} };
    await editAndPreview(second);
    await admin.getByTestId('fleet-preview').waitFor(WAIT);
    expect(await admin.getByTestId('fleet-changes').textContent()).toContain('team payments: removed');
    await admin.getByRole('button', { name: 'Push version 2 to every install' }).click();
    await admin.getByTestId('fleet-pushed').waitFor(WAIT);
    await expect.poll(() => text(dev, 'fleet-banner'), WAIT).toBe('Portal maintenance on Friday 18:00');
    await expect.poll(() => dev.getByTestId('fleet-update').count(), WAIT).toBe(0);

    await admin.goto(`${adminDesktop.base}/#/admin/fleet/history?version=1`);
    const detail = admin.getByTestId('fleet-version');
    await detail.getByRole('button', { name: 'Roll back to version 1…' }).click();
    const dialog = admin.getByRole('alertdialog');
    expect(await dialog.textContent()).toContain('It becomes version 3, replacing version 2 on every install within seconds.');
    await dialog.getByLabel('Rollback note').fill('freeze extended');
    await dialog.getByRole('button', { name: 'Roll back to version 1' }).click();
    await expect.poll(() => admin.evaluate(() => window.location.hash), WAIT).toBe('#/admin/fleet/history?version=3');
    await expect.poll(() => text(dev, 'fleet-banner'), WAIT).toBe('Payments: release freeze until Monday');
    const items = await history();
    expect(items.map((v) => [v.version, v.rollback_of ?? 0, v.note ?? ''])).toEqual([
      [3, 1, 'freeze extended'],
      [2, 0, ''],
      [1, 0, 'maintenance and the payments freeze'],
    ]);
    await expect
      .poll(async () => (await portalApi<FleetInstallList>(portal.base, portal.token, 'GET', '/api/v1/fleet/installs')).counts.stale_config, WAIT)
      .toBe(0);
    await screenshot(admin, 'fleet-history');
  });

  it("counts the developer's week on the Adoption page, and exports it as CSV", async () => {
    // The desktop sends its usage events in batches (every 15 s): wait for the portal to have counted them.
    const kpi = () => portalApi<Adoption>(portal.base, portal.token, 'GET', '/api/v1/kpi/adoption?weeks=12');
    await expect.poll(async () => (await kpi()).weeks.at(-1)?.active, { timeout: 45_000, interval: 500 }).toBe(1);
    const a = await kpi();
    const developers = a.weeks.at(-1)?.developers ?? 0;
    expect(developers).toBeGreaterThan(1);
    expect(a.teams.find((t) => t.team === 'payments')?.active).toBe(1);
    expect(a.other_active).toBe(1); // the admin: not in the directory

    await admin.goto(`${adminDesktop.base}/#/adoption?weeks=12`);
    const head = admin.getByTestId('adoption-headline');
    await head.waitFor(WAIT);
    expect(await head.textContent()).toContain(`1 of ${developers} developers used Atrium in the last seven days`);
    await admin.getByTestId('adoption-chart').locator('svg.recharts-surface').waitFor(WAIT);
    expect(await admin.locator('.adoption-teams [data-team="payments"]').textContent()).toContain('1');

    const section = admin.locator('section', { has: admin.getByRole('heading', { name: /Weekly active developers/ }) });
    const download = admin.waitForEvent('download', { timeout: 20_000 });
    await section.getByRole('button', { name: 'Export CSV' }).click();
    const d = await download;
    expect(d.suggestedFilename()).toMatch(/^adoption-weeks-\d{4}-\d{2}-\d{2}\.csv$/);
    const rows = readFileSync(await d.path(), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('week,end,active,developers,percent');
    expect(rows).toHaveLength(13);
    expect(rows[12]).toMatch(new RegExp(`,1,${developers},\\d+\\.\\d$`));
    await screenshot(admin, 'adoption');
  });
});

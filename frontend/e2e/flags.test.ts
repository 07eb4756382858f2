// Feature flags in real Chromium against a real `atrium web` in local mode (the user is admin; dev and staging
// changes apply at once, production's wait for a platform approver): create a flag with a targeting rule and a 30/70
// rollout by account, review it, see it in the table and as JSON, edit it and read the change in words, close it;
// switch a flag off in the table; import a file with a bad flag; export a flag set. Last, the desktop's own page flag
// turns the Flags page off — in production, so the demo's platform approver approves it first.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FlagDefinition, FlagDetail, UIFeatures } from '../src/api/client';
import { type Atrium, localSession, screenshot } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };

const session = localSession();
let atrium: Atrium;
let page: Page;
beforeAll(() => {
  ({ atrium, page } = session);
});

const KEY = 'e2e-checkout';

/** The local API as a script would call it, with the launch token. */
async function local<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; text: string }> {
  const res = await fetch(`${atrium.base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${atrium.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed as T, text };
}

/** Opens the import/export panel (it stays open while the flag table stays on screen). */
async function openTools(p: Page): Promise<void> {
  const button = p.getByRole('button', { name: 'Import / export' });
  await button.waitFor(WAIT);
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
}

const flagTable = (p: Page) => p.getByRole('table', { name: 'Feature flags', exact: true });
const flagRows = (p: Page) => flagTable(p).locator('[data-flag]');

const EXPECTED: FlagDefinition = {
  state: 'ENABLED',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  targeting: {
    if: [
      { ends_with: [{ var: 'email' }, '@sphera.example'] },
      'on',
      { fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'accountId' }] }, ['on', 30], ['off', 70]] },
    ],
  },
  metadata: { description: 'Redesigned checkout (e2e)' },
};

describe('feature flags in local mode', () => {
  it('lists the demo flags with their environments side by side, each with a switch', async () => {
    await page.goto(`${atrium.base}/#/flags`);
    await flagRows(page).first().waitFor(WAIT);
    const headers = await flagTable(page).getByRole('columnheader').allTextContents();
    expect(headers.slice(2, 5)).toEqual(['dev', 'staging', 'production']);
    const row = flagTable(page).locator('[data-flag="new-checkout-flow"]');
    for (const env of ['dev', 'staging', 'production']) {
      expect(await row.getByRole('switch', { name: `new-checkout-flow in ${env}` }).count()).toBe(1);
    }
    await page.getByLabel('Environment', { exact: true }).selectOption('production');
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/flags?environment=production');
    await expect.poll(() => page.getByTestId('flags-total').textContent(), WAIT).toBe('11 flags');
    await screenshot(page, 'flags-table-demo');
  });

  it('creates a flag with a rule (email ends with @sphera.example → on) and a 30/70 rollout by accountId, and shows its JSON', async () => {
    await page.goto(`${atrium.base}/#/flags`);
    await page.getByRole('link', { name: 'New flag' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/flags/new');
    await page.getByLabel('Key').fill(KEY);
    await page.getByLabel('Environment', { exact: true }).selectOption('dev');
    await page.getByLabel('Team', { exact: true }).selectOption('payments');
    await page.getByLabel('Description').fill('Redesigned checkout (e2e)');

    await page.getByRole('button', { name: 'Add a rule' }).click();
    await page.getByLabel('Rule 1: attribute').fill('email');
    await page.getByLabel('Rule 1: operator').selectOption('ends_with');
    await page.getByLabel('Rule 1: value').fill('@sphera.example');
    await page.getByLabel('Rule 1: serves').selectOption('variant:on');

    await page.getByLabel('Everyone else gets').selectOption('rollout');
    await page.getByLabel('Everyone else: bucket by').selectOption('account');
    await page.getByLabel('Everyone else: share of on (%)').fill('30');
    expect(await page.getByTestId('otherwise-total').textContent()).toBe('Total 80%');
    await page.getByLabel('Everyone else: share of off (%)').fill('70');
    expect(await page.getByTestId('otherwise-total').textContent()).toBe('Total 100%');

    await page.getByRole('button', { name: 'Show the JSON' }).click();
    expect(JSON.parse(await page.getByTestId('flag-json').inputValue())).toEqual(EXPECTED);
    await page.getByRole('heading', { name: 'Targeting' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'flags-editor-new');

    await page.getByLabel('Comment').fill('launch behind a flag');
    await page.getByRole('button', { name: 'Review the new flag' }).click();
    const review = page.getByTestId('flag-review');
    await review.waitFor(WAIT);
    expect(await review.getByRole('listitem').allTextContents()).toContain('Everyone else: 30% "on" / 70% "off" by accountId');
    expect(await review.getByTestId('flag-review-approval').textContent()).toBe('Saving applies it at once in dev.');
    await review.getByRole('button', { name: 'Create flag' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe(`#/flags/dev/${KEY}`);
    await page.getByRole('region', { name: 'Who gets what' }).getByText('If email ends with "@sphera.example": "on"').waitFor(WAIT);
    expect(await page.getByRole('region', { name: 'Who gets what' }).getByText('Everyone else: 30% "on" / 70% "off" by accountId').count()).toBe(1);
    const stored = JSON.parse((await page.getByTestId('flag-definition').textContent()) ?? '') as FlagDefinition;
    expect(stored.targeting).toEqual(EXPECTED.targeting);

    // The portal serves what the form built: the flag set for in-process providers has it.
    const defs = await local<{ flags: Record<string, FlagDefinition> }>('GET', '/api/v1/flags/definitions?environment=dev');
    expect(defs.status).toBe(200);
    expect(defs.body.flags[KEY]?.targeting).toEqual(EXPECTED.targeting);

    await page.goto(`${atrium.base}/#/flags?environment=dev&q=${KEY}`);
    const row = flagTable(page).locator(`[data-flag="${KEY}"]`);
    await row.waitFor(WAIT);
    expect(await row.locator('[data-column="env-dev"] a').textContent()).toBe('1 rule; fractional by accountId 30/70');
    expect(await row.locator('[data-column="team"]').textContent()).toBe('payments');
    expect(await row.getByRole('switch', { name: `${KEY} in dev` }).getAttribute('aria-checked')).toBe('true');
    await screenshot(page, 'flags-table-created');
  });

  it('evaluates the flag through OFREP on the atrium web URL (forwarded to the in-process portal)', async () => {
    type Eval = { key: string; value: unknown; reason: string; variant: string };
    const path = `/ofrep/v1/evaluate/flags/${KEY}?environment=dev`;
    const staff = await local<Eval>('POST', path, { context: { targetingKey: 'u-1', email: 'ana@sphera.example', accountId: 'acc-1' } });
    expect(staff.status).toBe(200);
    expect(staff.body).toMatchObject({ key: KEY, value: true, variant: 'on', reason: 'TARGETING_MATCH' });
    // Everyone else: about 30% of accounts, the same answer every time for one account.
    let on = 0;
    for (let i = 0; i < 200; i++) {
      const r = await local<Eval>('POST', path, { context: { targetingKey: `u-${i}`, email: 'x@example.com', accountId: `acc-${i}` } });
      expect(r.status).toBe(200);
      if (r.body.value === true) on++;
    }
    expect(on).toBeGreaterThan(35);
    expect(on).toBeLessThan(85);
    const again = await local<Eval>('POST', path, { context: { targetingKey: 'other', email: 'x@example.com', accountId: 'acc-7' } });
    const first = await local<Eval>('POST', path, { context: { targetingKey: 'u-7', email: 'x@example.com', accountId: 'acc-7' } });
    expect(again.body.value).toBe(first.body.value); // bucketed by account, not by user
  });

  it('edits the rollout to 40/60 and shows the change in the history as a readable diff', async () => {
    await page.goto(`${atrium.base}/#/flags/dev/${KEY}`);
    await page.getByRole('link', { name: 'Edit' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe(`#/flags/dev/${KEY}/edit`);
    const on = page.getByLabel('Everyone else: share of on (%)');
    await on.waitFor(WAIT);
    expect(await on.inputValue()).toBe('30');
    await on.fill('40');
    await page.getByLabel('Everyone else: share of off (%)').fill('60');
    await page.getByLabel('Comment').fill('more accounts');
    await page.getByRole('button', { name: 'Review changes' }).click();
    const review = page.getByTestId('flag-review');
    const inWords = ['Everyone else: 30% "on" / 70% "off" by accountId → 40% "on" / 60% "off" by accountId'];
    expect(await review.getByRole('list', { name: `Changes to ${KEY} in dev` }).getByRole('listitem').allTextContents()).toEqual(inWords);
    await screenshot(page, 'flags-review');
    await review.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe(`#/flags/dev/${KEY}`);
    await page.getByText('v2 changed').waitFor(WAIT);
    // The history says the change as the review did.
    const change = page.getByRole('list', { name: 'Changes', exact: true }).locator('[data-version="2"]');
    expect(await change.getByRole('list', { name: 'What changed in version 2' }).getByRole('listitem').allTextContents()).toEqual(inWords);
    expect(await change.textContent()).toContain('“more accounts”');
    await change.getByRole('button', { name: 'Show the JSON before and after' }).click();
    await change.getByRole('figure').nth(1).waitFor(WAIT);
    await screenshot(page, 'flags-history-diff');
    const detail = await local<FlagDetail>('GET', `/api/v1/flags/dev/${KEY}`);
    expect(detail.body.version).toBe(2);
    expect(detail.body.rollout).toBe('1 rule; fractional by accountId 40/60');
  });

  it('shows the portal’s 400 next to the JSON with its path, for JSON only the expert view can edit', async () => {
    await page.goto(`${atrium.base}/#/flags/dev/${KEY}/edit`);
    await page.getByRole('button', { name: 'Show the JSON' }).click();
    const area = page.getByTestId('flag-json');
    // Conditions combined with "and" are beyond the rule builder; "maybe" is not a variant of the flag.
    const broken = {
      ...EXPECTED,
      targeting: { if: [{ and: [{ ends_with: [{ var: 'email' }, '@sphera.example'] }, { '==': [{ var: 'country' }, 'DE'] }] }, 'maybe', null] },
    };
    await area.fill(JSON.stringify(broken, null, 2));
    await page.getByTestId('form-json-only').waitFor(WAIT);
    expect(await page.getByTestId('json-sync').textContent()).toContain('conditions combined with and');
    await page.getByRole('button', { name: 'Review changes' }).click();
    await page.getByTestId('flag-review').getByRole('button', { name: 'Save changes' }).click();
    const failure = page.getByTestId('flag-save-failure');
    await failure.waitFor(WAIT);
    expect(await failure.textContent()).toContain('The portal refused the change: nothing was stored');
    const problems = page.getByRole('list', { name: 'Problems the portal found' });
    expect(await problems.textContent()).toContain('/flag/targeting/if/1');
    expect(await problems.textContent()).toContain('"maybe" is not a variant of this flag');
    await screenshot(page, 'flags-editor-portal-problem');
    const detail = await local<FlagDetail>('GET', `/api/v1/flags/dev/${KEY}`);
    expect(detail.body.version).toBe(2);
  });

  it('closes the flag after confirming; the table no longer lists it and its history stays', async () => {
    await page.goto(`${atrium.base}/#/flags/dev/${KEY}`);
    await page.getByRole('button', { name: 'Close flag' }).click();
    await page.getByLabel('Why (kept in the history)').fill('fully rolled out');
    await page.getByRole('button', { name: 'Close the flag' }).click();
    const gone = page.getByTestId('flag-gone');
    await gone.waitFor(WAIT);
    expect(await gone.textContent()).toContain(`Closed: ${KEY} no longer exists in dev`);
    await page.getByText('closed at v2').waitFor(WAIT);
    await screenshot(page, 'flags-closed');
    await page.goto(`${atrium.base}/#/flags?environment=dev&q=${KEY}`);
    await page.getByText('No flags match these filters').waitFor(WAIT);
  });

  it('imports a flagd file with a bad flag: nothing is stored, and each problem is shown with its path', async () => {
    await page.goto(`${atrium.base}/#/flags?environment=staging`);
    await openTools(page);
    await page.getByLabel('Environment to import into').selectOption('staging');
    const file = JSON.stringify({
      flags: {
        'good-flag': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on' },
        'bad-flag': { state: 'ON', variants: { on: true }, defaultVariant: 'maybe', targeting: { fractional: [['on', 30.5]] } },
      },
    });
    await page.getByLabel('Flagd file', { exact: true }).setInputFiles({ name: 'flags-bad.json', mimeType: 'application/json', buffer: Buffer.from(file) });
    await page.getByText('flags-bad.json').waitFor(WAIT);
    await page.getByRole('button', { name: 'Import into staging' }).click();
    await page.getByRole('button', { name: "Replace staging's flags" }).click();
    const problems = page.getByTestId('flag-import-problems');
    await problems.waitFor(WAIT);
    const paths = await problems.locator('[data-path]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')));
    expect(paths).toContain('/flags/bad-flag/state');
    expect(paths).toContain('/flags/bad-flag/defaultVariant');
    expect(await problems.textContent()).toContain('"ON" is not a state');
    await screenshot(page, 'flags-import-problems');
    // Nothing was stored: staging still has its demo flags and no good-flag.
    const list = await local<{ items: { key: string }[] }>('GET', '/api/v1/flags?environment=staging');
    expect(list.body.items.map((f) => f.key)).not.toContain('good-flag');
    expect(list.body.items.length).toBe(11);
  });

  it('exports the flag set of an environment as a flagd file', async () => {
    await page.goto(`${atrium.base}/#/flags`);
    await openTools(page);
    await page.getByLabel('Environment to export').selectOption('production');
    const download = page.waitForEvent('download', { timeout: 20_000 });
    await page.getByRole('button', { name: 'Export flagd file' }).click();
    const d = await download;
    expect(d.suggestedFilename()).toBe('flags-production.json');
    const path = await d.path();
    const exported = JSON.parse(readFileSync(path, 'utf8')) as { flags: Record<string, FlagDefinition> };
    expect(Object.keys(exported.flags)).toContain('new-checkout-flow');
    expect(exported.flags['atrium-ui-flags-page']?.defaultVariant).toBe('on');
    expect(await page.getByTestId('flag-export-status').textContent()).toContain('flags-production.json');
    await screenshot(page, 'flags-export');
  });

  it('switches a flag off in the table: reviewed first; in production it waits for a platform approver, who approves it', async () => {
    await page.goto(`${atrium.base}/#/flags?q=new-checkout-flow`);
    const row = flagTable(page).locator('[data-flag="new-checkout-flow"]');
    const prod = row.getByRole('switch', { name: 'new-checkout-flow in production' });
    await prod.waitFor(WAIT);
    expect(await prod.getAttribute('aria-checked')).toBe('true');
    await prod.click();
    const dialog = page.getByRole('alertdialog', { name: 'Switch new-checkout-flow off in production?' });
    await dialog.waitFor(WAIT);
    await expect
      .poll(() => dialog.getByRole('listitem').allTextContents(), WAIT)
      .toEqual(['State: enabled → disabled (everyone gets the code default)']);
    expect(await dialog.getByTestId('switch-approval').textContent()).toContain('Changes in production wait for approval by a platform approver');
    await screenshot(page, 'flags-switch-review');
    await dialog.getByRole('button', { name: 'Send for approval' }).click();
    const pending = page.getByTestId('flag-pending');
    await pending.waitFor(WAIT);
    expect(await pending.textContent()).toContain('Switching new-checkout-flow off in production is waiting for approval');
    const id = (await pending.getByRole('link', { name: /^act_/ }).textContent()) ?? '';
    // Nothing changed yet.
    expect((await local<FlagDetail>('GET', '/api/v1/flags/production/new-checkout-flow')).body.state).toBe('ENABLED');

    // The demo's platform approver approves it (the admin may not approve their own request).
    expect((await local('POST', `/api/v1/actions/${id}/approve`, { reason: 'mine' })).status).toBe(403);
    expect((await local('PUT', '/api/v1/local/persona', { id: 'pat' })).status).toBe(200);
    expect((await local('POST', `/api/v1/actions/${id}/approve`, { reason: 'switch it off' })).status).toBe(200);
    expect((await local('PUT', '/api/v1/local/persona', { id: 'you' })).status).toBe(200);
    await expect.poll(async () => (await local<FlagDetail>('GET', '/api/v1/flags/production/new-checkout-flow')).body.state, WAIT).toBe('DISABLED');
    await page.reload();
    await expect.poll(() => row.getByRole('switch', { name: 'new-checkout-flow in production' }).getAttribute('aria-checked'), WAIT).toBe('false');
    // dev waits for nobody: switched there, it applies at once.
    await row.getByRole('switch', { name: 'new-checkout-flow in dev' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Switch off in dev' }).click();
    await expect.poll(() => row.getByRole('switch', { name: 'new-checkout-flow in dev' }).getAttribute('aria-checked'), WAIT).toBe('false');
    await screenshot(page, 'flags-switched');
  });

  it("turns its own Flags page off with the portal's flag atrium-ui-flags-page: the nav item goes after a reload", { timeout: 90_000 }, async () => {
    await page.goto(`${atrium.base}/#/`);
    const nav = async () => (await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).map((t) => t.replace(/\d+$/, ''));
    await expect.poll(nav, WAIT).toContain('Flags');
    const put = await local('PUT', '/api/v1/flags/production/atrium-ui-flags-page', {
      team: 'platform',
      owner: 'platform',
      comment: 'e2e: hide the Flags page',
      flag: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' },
    });
    // A production change: it waits for a platform approver, as any production change does.
    expect(put.status).toBe(202);
    const id = (put.body as { pending: { id: string } }).pending.id;
    expect((await local('PUT', '/api/v1/local/persona', { id: 'pat' })).status).toBe(200);
    expect((await local('POST', `/api/v1/actions/${id}/approve`, { reason: 'hide it' })).status).toBe(200);
    expect((await local('PUT', '/api/v1/local/persona', { id: 'you' })).status).toBe(200);
    // The desktop's OpenFeature provider refreshes its flag set every 30 s.
    await expect
      .poll(async () => (await local<UIFeatures>('GET', '/api/v1/ui/features')).body.features['atrium-ui-flags-page']?.enabled, { timeout: 60_000, interval: 1000 })
      .toBe(false);
    await page.reload();
    await expect.poll(nav, WAIT).toEqual(['Catalog', 'New service', 'Matrix', 'Scorecards', 'Packages', 'Secrets', 'Drift', 'Self-service', 'Approvals', 'Audit', 'Tokens', 'Fleet', 'Adoption', 'Settings', 'Sources']);
    await page.goto(`${atrium.base}/#/flags`);
    const off = page.getByTestId('feature-off');
    await off.waitFor(WAIT);
    expect(await off.textContent()).toContain("The Flags page is turned off by the portal's feature flag atrium-ui-flags-page in production");
    await screenshot(page, 'gating-flags-page-off');
  });
});

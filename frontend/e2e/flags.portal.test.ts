// Feature flags through a team portal: a real `atrium serve` (configured so that production flag changes need a
// platform approver) and a real `atrium web` connected to it with the token of an owner of the payments team. A flag
// built in the UI is evaluated over OFREP on the portal; a production change answers "waiting for approval" with
// a link to the request, which an approver then sees in the inbox.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FlagDetail, TokenCreated } from '../src/api/client';
import { launchBrowser, newContext, portalApi, screenshot, startAtrium, startPortal, type Atrium, type Portal } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };
const KEY = 'checkout-rollout';

let portal: Portal;
let atrium: Atrium;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
let actionId = '';

interface OfrepAnswer {
  key: string;
  value?: unknown;
  variant?: string;
  reason?: string;
  errorCode?: string;
}

/** OFREP single evaluation on the portal, as a service's OpenFeature provider would ask. */
async function evaluate(key: string, environment: string, context: Record<string, unknown>): Promise<OfrepAnswer> {
  const res = await fetch(`${portal.base}/ofrep/v1/evaluate/flags/${encodeURIComponent(key)}?environment=${environment}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${portal.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ context }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`OFREP ${key}: ${res.status} ${text}`);
  return JSON.parse(text) as OfrepAnswer;
}

beforeAll(async () => {
  portal = await startPortal({ config: 'flags:\n  approvers:\n    production: [platform_approver]\n' });
  const owner = await portalApi<TokenCreated>(portal.base, portal.token, 'POST', '/api/v1/tokens', {
    name: 'Olga, payments',
    subject: 'olga',
    grants: [{ role: 'team_owner', team: 'payments' }],
  });
  atrium = await startAtrium({ portal: portal.base, token: owner.secret });
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
});

afterEach(() => {
  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});

describe('feature flags through a team portal', () => {
  it('a team owner creates a dev flag in the form (rule + 30/70 rollout by accountId); OFREP on the portal serves it', async () => {
    await expect.poll(() => page.getByTestId('identity').textContent(), WAIT).toBe('olgaowner of payments');
    await page.goto(`${atrium.base}/#/flags/new?environment=dev`);
    await page.getByLabel('Key').fill(KEY);
    // An owner of payments may only give the flag to payments.
    const teams = await page.getByLabel('Team', { exact: true }).locator('option').allTextContents();
    expect(teams.filter((t) => t !== 'Choose a team')).toEqual(['payments']);
    await page.getByLabel('Team', { exact: true }).selectOption('payments');
    await page.getByRole('button', { name: 'Add a rule' }).click();
    await page.getByLabel('Rule 1: attribute').fill('email');
    await page.getByLabel('Rule 1: operator').selectOption('ends_with');
    await page.getByLabel('Rule 1: value').fill('@sphera.example');
    await page.getByLabel('Rule 1: serves').selectOption('variant:on');
    await page.getByLabel('Everyone else gets').selectOption('rollout');
    await page.getByLabel('Everyone else: bucket by').selectOption('account');
    await page.getByLabel('Everyone else: share of on (%)').fill('30');
    await page.getByLabel('Everyone else: share of off (%)').fill('70');
    await page.getByRole('button', { name: 'Review the new flag' }).click();
    await page.getByTestId('flag-review').getByRole('button', { name: 'Create flag' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe(`#/flags/dev/${KEY}`);
    await page.getByRole('region', { name: 'Who gets what' }).getByText('If email ends with "@sphera.example": "on"').waitFor(WAIT);

    // The rule wins for a matching email, whatever the account.
    for (const accountId of ['acct-1', 'acct-2', 'acct-3']) {
      const staff = await evaluate(KEY, 'dev', { targetingKey: 'u-1', email: 'ana@sphera.example', accountId });
      expect(staff).toMatchObject({ key: KEY, value: true, variant: 'on', reason: 'TARGETING_MATCH' });
    }
    // Everyone else is split by account: stable per account, about 30% on.
    let on = 0;
    const n = 300;
    for (let i = 0; i < n; i++) {
      const r = await evaluate(KEY, 'dev', { targetingKey: `u-${i}`, email: `user${i}@example.com`, accountId: `acct-${i}` });
      expect(r.reason).toBe('SPLIT');
      if (r.value === true) on++;
    }
    expect(on / n).toBeGreaterThan(0.2);
    expect(on / n).toBeLessThan(0.4);
    const a = await evaluate(KEY, 'dev', { targetingKey: 'someone', email: 'x@example.com', accountId: 'acct-42' });
    const b = await evaluate(KEY, 'dev', { targetingKey: 'someone-else', email: 'y@example.com', accountId: 'acct-42' });
    expect(b.value).toBe(a.value);
  });

  it("a team owner's production change answers 'waiting for approval' with a link to the request", async () => {
    await page.goto(`${atrium.base}/#/flags/production/new-checkout-flow/edit`);
    const on = page.getByLabel('Everyone else: share of on (%)');
    await on.waitFor(WAIT);
    await on.fill('25');
    await page.getByLabel('Everyone else: share of off (%)').fill('75');
    await page.getByLabel('Comment').fill('a few more accounts');
    // The review says, in words, what changes — and that production waits for a platform approver.
    await page.getByRole('button', { name: 'Review changes' }).click();
    const review = page.getByTestId('flag-review');
    await review.waitFor(WAIT);
    expect(await review.getByRole('list', { name: 'Changes to new-checkout-flow in production' }).getByRole('listitem').allTextContents()).toEqual([
      'Everyone else: 20% "on" / 80% "off" by accountId → 25% "on" / 75% "off" by accountId',
    ]);
    expect(await review.getByTestId('flag-review-approval').textContent()).toContain('Changes in production wait for approval by a platform approver');
    await screenshot(page, 'portal-flag-review');
    await review.getByRole('button', { name: 'Send for approval' }).click();
    const pending = page.getByTestId('flag-pending');
    await pending.waitFor(WAIT);
    expect(await pending.textContent()).toContain('Your change of new-checkout-flow in production is waiting for approval');
    await screenshot(page, 'portal-flag-change-pending');
    // Nothing changed yet.
    const flag = await portalApi<FlagDetail>(portal.base, portal.token, 'GET', '/api/v1/flags/production/new-checkout-flow');
    expect(flag.rollout).toBe('fractional by accountId 20/80');

    const link = pending.getByRole('link', { name: /^act_/ });
    actionId = (await link.textContent()) ?? '';
    expect(await link.getAttribute('href')).toBe(`#/self-service/${actionId}`);
    await link.click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe(`#/self-service/${actionId}`);
    await expect.poll(() => page.getByTestId('action-header').locator('[data-state]').textContent(), WAIT).toBe('pending approval');
    expect(await page.getByTestId('action-header').textContent()).toContain('new-checkout-flow');
    // What an approver will see: the same change in words.
    const preview = page.getByTestId('action-preview');
    await expect.poll(() => preview.textContent(), WAIT).toContain('25% "on" / 75% "off" by accountId');
    await screenshot(page, 'portal-flag-change-request');
  });

  it('an owner of payments cannot change another team’s flag, and is told why', async () => {
    await page.goto(`${atrium.base}/#/flags/production/search-ranking-model`);
    const edit = page.getByRole('button', { name: 'Edit' });
    await edit.waitFor(WAIT);
    expect(await edit.isDisabled()).toBe(true);
    expect(await page.locator('#flag-why-not').textContent()).toContain('needs the team owner role on search');
  });

  it('the request waits in the platform approvers’ inbox; once approved, the change is applied', async () => {
    const approver = await portalApi<TokenCreated>(portal.base, portal.token, 'POST', '/api/v1/tokens', {
      name: 'Pat, platform',
      subject: 'pat',
      grants: [{ role: 'platform_approver' }],
    });
    const inbox = await portalApi<{ actions: { id: string; kind: string }[] }>(portal.base, approver.secret, 'GET', '/api/v1/approvals');
    expect(inbox.actions.map((a) => [a.id, a.kind])).toContainEqual([actionId, 'flag_change']);
    await portalApi(portal.base, approver.secret, 'POST', `/api/v1/actions/${actionId}/approve`, { reason: 'ok' });
    await expect
      .poll(async () => (await portalApi<FlagDetail>(portal.base, portal.token, 'GET', '/api/v1/flags/production/new-checkout-flow')).rollout, {
        timeout: 20_000,
        interval: 250,
      })
      .toBe('fractional by accountId 25/75');
    await page.goto(`${atrium.base}/#/flags/production/new-checkout-flow`);
    await page.getByRole('region', { name: 'Who gets what' }).getByText('Everyone gets 25% "on" / 75% "off" by accountId.').waitFor(WAIT);
    const change = page.getByRole('list', { name: 'Changes', exact: true }).locator('[data-version="2"]');
    await change.waitFor(WAIT);
    expect(await change.textContent()).toContain(`a few more accounts (approved request ${actionId})`);
    // The history shows the same change in words as the review and the approver did.
    expect(await change.getByRole('list', { name: 'What changed in version 2' }).getByRole('listitem').allTextContents()).toEqual([
      'Everyone else: 20% "on" / 80% "off" by accountId → 25% "on" / 75% "off" by accountId',
    ]);
    await screenshot(page, 'portal-flag-change-applied');
  });
});

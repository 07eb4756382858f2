// Self-service through a team portal: a real `atrium serve` with environments that preview actions, and a real
// `atrium web` connected to it with a developer's token. The developer requests a production queue; switched to a
// platform approver's token in Settings, the approval is in the inbox, is approved, and the action succeeds. With
// the portal stopped, a request is not sent, and the form says so.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TokenCreated } from '../src/api/client';
import {
  launchBrowser,
  newContext,
  portalApi,
  PREVIEW_CONFIG,
  screenshot,
  startAtrium,
  startPortal,
  type Atrium,
  type Portal,
} from './harness';

const WAIT = { timeout: 20_000, interval: 100 };

let portal: Portal;
let atrium: Atrium;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
let developerSecret = '';
let approverSecret = '';
let actionId = '';

beforeAll(async () => {
  portal = await startPortal({ config: PREVIEW_CONFIG });
  // An admin creates the people's tokens through the API.
  const dev = await portalApi<TokenCreated>(portal.base, portal.token, 'POST', '/api/v1/tokens', {
    name: 'Ana on her laptop',
    subject: 'ana',
    grants: [{ role: 'developer', team: 'payments' }],
  });
  const approver = await portalApi<TokenCreated>(portal.base, portal.token, 'POST', '/api/v1/tokens', {
    name: 'Pat, platform team',
    subject: 'pat',
    grants: [{ role: 'platform_approver' }],
  });
  developerSecret = dev.secret;
  approverSecret = approver.secret;
  atrium = await startAtrium({ portal: portal.base, token: developerSecret });
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

const navItems = async (p: Page) => (await p.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).map((t) => t.replace(/\d+$/, ''));

describe('self-service through a team portal', () => {
  it("signs in with the developer's token and offers only what a developer may do", async () => {
    await expect.poll(() => page.getByTestId('identity').textContent(), WAIT).toBe('anadeveloper of payments');
    await expect.poll(() => page.getByTestId('sync-status').textContent(), WAIT).toMatch(/up to date/);
    await expect.poll(() => navItems(page), WAIT).toEqual(['Catalog', 'New service', 'Matrix', 'Scorecards', 'Packages', 'Secrets', 'Drift', 'Flags', 'Self-service', 'Settings', 'Sources']);
    // The audit log is not offered; going there anyway says why.
    await page.goto(`${atrium.base}/#/audit`);
    await page.getByText('You may not see the audit log').waitFor(WAIT);
    // A service of another team: the request button is disabled, with the reason.
    await page.goto(`${atrium.base}/#/services/search-api`);
    await page.getByRole('heading', { level: 1, name: 'search-api' }).waitFor(WAIT);
    const button = page.getByRole('button', { name: 'Request a resource for this service' });
    expect(await button.isDisabled()).toBe(true);
    expect(await page.locator('#request-why-not').textContent()).toContain('needs a developer or team owner role on search');
  });

  it('requests a production queue as the developer: pending approval, and Ana cannot approve it', async () => {
    await page.goto(`${atrium.base}/#/self-service/new?service=payments-api`);
    await page.getByText('Owned by team payments; the request is made for that team.').waitFor(WAIT);
    await page.getByLabel('Environment').selectOption('production');
    await page.getByLabel('Region').selectOption('us-east-1');
    expect(await page.getByTestId('approval-need').textContent()).toContain('a platform approver must approve it');
    await page.getByLabel('Name', { exact: true }).fill('payments-settlements');
    await page.getByLabel('Message retention (seconds)').fill('1209600');
    await page.getByRole('button', { name: 'Send for approval' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toMatch(/^#\/self-service\/act_[0-9a-f]+$/);
    actionId = new URL(page.url()).hash.slice('#/self-service/'.length);
    await expect.poll(() => page.getByTestId('action-header').locator('[data-state]').textContent(), WAIT).toBe('pending approval');
    expect(await page.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    expect(await page.getByTestId('decision-blocked').textContent()).toContain('nobody approves their own request');
    expect(await page.getByTestId('action-header').textContent()).toContain('Requested byana');
    await screenshot(page, 'portal-developer-pending');
  });

  it("switches to the approver's token in Settings, finds the request in the inbox, approves it, and it succeeds", async () => {
    await page.goto(`${atrium.base}/#/settings`);
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor(WAIT);
    expect(await page.getByLabel('Portal URL').inputValue()).toBe(portal.base);
    await page.getByLabel('Token').fill(approverSecret);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByText(`Now using the portal at ${portal.base}`).waitFor(WAIT);
    await expect.poll(() => page.getByTestId('identity').textContent(), WAIT).toBe('patplatform approver');
    await expect.poll(() => navItems(page), WAIT).toEqual(['Catalog', 'Matrix', 'Scorecards', 'Packages', 'Secrets', 'Drift', 'Flags', 'Self-service', 'Approvals', 'Audit', 'Adoption', 'Settings', 'Sources']);
    await expect.poll(() => page.getByTestId('approvals-count').textContent(), WAIT).toBe('1');
    await screenshot(page, 'portal-approver-badge');

    await page.getByRole('link', { name: /^Approvals/ }).click();
    const row = page.getByRole('table', { name: 'Requests waiting for approval', exact: true }).locator(`[data-action="${actionId}"]`);
    await row.waitFor(WAIT);
    expect(await row.textContent()).toContain('ana');
    await row.getByRole('button', { name: 'Decide…' }).click();
    await page.getByLabel(/^Reason/).fill('Retention matches the settlement policy');
    await screenshot(page, 'portal-approver-inbox');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/Approved SQS queue payments-settlements for payments-api/).waitFor(WAIT);
    await page.getByText('Nothing waits for your approval').waitFor(WAIT);
    await expect.poll(() => page.getByTestId('approvals-count').count(), WAIT).toBe(0);

    await page.getByRole('link', { name: 'Follow it' }).click();
    await expect.poll(() => page.getByTestId('action-header').locator('[data-state]').textContent(), WAIT).toBe('succeeded');
    const tf = page.getByTestId('result-terraform');
    await tf.waitFor(WAIT);
    expect(await tf.textContent()).toContain('message_retention_seconds = 1209600');
    expect(await page.getByTestId('action-result').textContent()).toContain('envs/production/us-east-1/payments-api/sqs_payments-settlements.tf');
    const approvals = page.getByRole('list', { name: 'Decisions', exact: true }).getByRole('listitem');
    expect(await approvals.textContent()).toContain('Approved by pat');
    expect(await approvals.textContent()).toContain('Retention matches the settlement policy');
    const history = page.getByRole('list', { name: 'History', exact: true });
    const steps = await history.getByRole('listitem').evaluateAll((items) => items.map((i) => i.getAttribute('data-to')));
    expect(steps).toEqual(['pending_approval', 'approved', 'running', 'succeeded']);
    expect(await history.locator('[data-to="approved"]').textContent()).toContain('by pat');
    await screenshot(page, 'portal-approved-succeeded');

    // The portal's own audit log has the decision, for whoever reads it.
    const audit = await portalApi<{ events: { action: string; actor: string }[] }>(
      portal.base,
      portal.token,
      'GET',
      `/api/v1/audit?resource=action/${actionId}`,
    );
    expect(audit.events.map((e) => `${e.actor}:${e.action}`)).toEqual(
      expect.arrayContaining(['ana:action.requested', 'pat:action.approved', 'system:action.succeeded']),
    );
  });

  it('says when the portal refuses a revoked token, without hiding the app, and takes a new one in Settings', async () => {
    const old = await portalApi<TokenCreated>(portal.base, portal.token, 'POST', '/api/v1/tokens', {
      name: 'Ana, old laptop',
      subject: 'ana',
      grants: [{ role: 'developer', team: 'payments' }],
    });
    await portalApi(portal.base, portal.token, 'DELETE', `/api/v1/tokens/${old.token.id}`);
    await page.goto(`${atrium.base}/#/settings`);
    await page.getByLabel('Token').fill(old.secret);
    await page.getByRole('button', { name: 'Connect' }).click();
    const chip = page.getByTestId('identity');
    await expect.poll(() => chip.textContent(), WAIT).toBe('token refused');
    expect(await chip.getAttribute('title')).toContain('The team portal refused your sign-in (invalid or revoked token)');
    expect(await page.getByTestId('signin-status').textContent()).toContain('invalid or revoked token');
    expect(await page.getByText('Atrium needs its launch token').count()).toBe(0);
    // The desktop cannot read the portal's flags with a refused token: pages follow their code defaults (matrix off).
    await expect.poll(() => navItems(page), WAIT).toEqual(['Catalog', 'Scorecards', 'Packages', 'Secrets', 'Drift', 'Flags', 'Self-service', 'Settings', 'Sources']);
    await screenshot(page, 'portal-token-refused');

    await page.getByLabel('Token').fill(developerSecret);
    await page.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => chip.textContent(), WAIT).toBe('anadeveloper of payments');
    expect(await page.getByTestId('signin-status').textContent()).toContain('ana with an API token');
    expect(await page.getByTestId('signin-status').textContent()).toContain('Sign-in methodsAPI tokens');
  });

  it('says a request was NOT sent when the portal is down, and keeps what was typed', async () => {
    // Back to Ana (the approver may not request): the desktop's settings, as the Settings page would set them.
    const res0 = await fetch(`${atrium.base}/api/v1/settings`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${atrium.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ portal_url: portal.base, token: developerSecret }),
    });
    expect(res0.status).toBe(200);
    await page.goto(`${atrium.base}/#/self-service/new?service=payments-api`);
    await page.reload();
    await expect.poll(() => page.getByTestId('identity').textContent(), WAIT).toBe('anadeveloper of payments');
    await page.getByText('Owned by team payments; the request is made for that team.').waitFor(WAIT);
    await page.getByLabel('Name', { exact: true }).fill('payments-offline-check');
    await page.getByLabel('Visibility timeout (seconds)').fill('120');
    await portal.stop();
    const posted = page.waitForResponse((r) => r.url().endsWith('/api/v1/actions') && r.request().method() === 'POST', WAIT);
    await page.getByRole('button', { name: 'Send request' }).click();
    const res = await posted;
    expect(res.status()).toBe(502);
    const failure = page.getByTestId('submit-failure');
    await failure.waitFor(WAIT);
    const text = (await failure.textContent()) ?? '';
    expect(text).toContain('Your request was NOT sent: the portal could not be reached');
    expect(text).toContain('the request was not sent. Nothing was queued.');
    expect(text).toContain(portal.base);
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('payments-offline-check');
    expect(await page.getByLabel('Visibility timeout (seconds)').inputValue()).toBe('120');
    expect(new URL(page.url()).hash).toBe('#/self-service/new?service=payments-api');
    await failure.scrollIntoViewIfNeeded();
    await screenshot(page, 'portal-unreachable-not-sent');
  });
});

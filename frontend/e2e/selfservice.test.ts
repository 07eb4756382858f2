// Self-service in real Chromium against a real `atrium web` in local mode: the in-process portal's user is admin,
// dev needs no approval, production needs a platform approver, and actions are previewed (Terraform, nothing
// created).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Atrium, localSession, resultsDir, screenshot } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };

const session = localSession(async (context, atrium) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: atrium.base });
});
let atrium: Atrium;
let page: Page;
beforeAll(() => {
  ({ atrium, page } = session);
});

let devAction = '';
let prodAction = '';

/** The id in #/self-service/ID once the form has moved there. */
async function actionIdFromUrl(p: Page): Promise<string> {
  await expect.poll(() => new URL(p.url()).hash, WAIT).toMatch(/^#\/self-service\/act_[0-9a-f]+$/);
  return new URL(p.url()).hash.slice('#/self-service/'.length);
}

describe('self-service in local mode', () => {
  it('shows who I am: the local user, admin, with every nav item', async () => {
    const chip = page.getByTestId('identity');
    await expect.poll(() => chip.textContent(), WAIT).toMatch(/admin$/);
    const nav = async () => (await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).map((t) => t.replace(/\d+$/, ''));
    await expect.poll(nav, WAIT).toEqual(['Catalog', 'New service', 'Matrix', 'Scorecards', 'Packages', 'Secrets', 'Drift', 'Flags', 'Self-service', 'Approvals', 'Audit', 'Tokens', 'Fleet', 'Adoption', 'Settings', 'Sources']);
  });

  it('requests an SQS queue in dev for payments-api from its service page, and watches it succeed with the previewed Terraform', async () => {
    await page.goto(`${atrium.base}/#/services/payments-api`);
    await page.getByRole('link', { name: 'Request a resource for this service' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/self-service/new?service=payments-api');
    await page.getByText('Owned by team payments; the request is made for that team.').waitFor(WAIT);
    expect(await page.getByLabel('Environment').inputValue()).toBe('dev');
    expect(await page.getByTestId('approval-need').textContent()).toContain('No approval needed in dev');

    // The AWS naming rules answer as you type.
    const name = page.getByLabel('Name', { exact: true });
    await name.fill('payments events');
    await page.getByText("may contain only letters, digits, hyphens and underscores (found ' ')").waitFor(WAIT);
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    await name.fill('payments-events');
    await page.getByLabel('Visibility timeout (seconds)').fill('60');
    await page.getByText('= 1 min').waitFor(WAIT);
    await screenshot(page, 'selfservice-form-dev');
    await page.getByRole('button', { name: 'Send request' }).click();

    devAction = await actionIdFromUrl(page);
    const badge = page.getByTestId('action-header').locator('[data-state]');
    await expect.poll(() => badge.textContent(), WAIT).toBe('succeeded');
    const tf = page.getByTestId('result-terraform');
    await tf.waitFor(WAIT);
    expect(await tf.textContent()).toContain('resource "aws_sqs_queue" "payments-events"');
    expect(await tf.textContent()).toContain('visibility_timeout_seconds = 60');
    expect(await page.getByTestId('action-result').textContent()).toContain('envs/dev/eu-west-1/payments-api/sqs_payments-events.tf');
    const history = page.getByRole('list', { name: 'History', exact: true }).getByRole('listitem');
    const timeline = await history.evaluateAll((items) => items.map((i) => i.getAttribute('data-to')));
    expect(timeline).toEqual(['approved', 'running', 'succeeded']);
    expect(await history.first().textContent()).toContain('requested; no approval needed in dev');
    await screenshot(page, 'selfservice-dev-succeeded');
  });

  it('requests a queue in production: it stays pending, and Approve is disabled because nobody approves their own request', async () => {
    await page.goto(`${atrium.base}/#/self-service/new`);
    const picker = page.getByRole('combobox', { name: 'Service' });
    await picker.pressSequentially('payments-a', { delay: 20 });
    await page.getByRole('option').and(page.locator('[data-service="payments-api"]')).click();
    await page.getByText('Owned by team payments; the request is made for that team.').waitFor(WAIT);
    await page.getByLabel('Environment').selectOption('production');
    expect(await page.getByTestId('approval-need').textContent()).toContain(
      'Needs approval in production: a platform approver must approve it before it runs.',
    );
    await page.getByLabel('Name', { exact: true }).fill('payments-ledger.fifo');
    await page.getByText('ends in .fifo, which only a FIFO queue may (tick FIFO)').waitFor(WAIT);
    await page.getByLabel(/FIFO queue/).check();
    await page.getByRole('button', { name: 'Send for approval' }).click();

    prodAction = await actionIdFromUrl(page);
    await expect.poll(() => page.getByTestId('action-header').locator('[data-state]').textContent(), WAIT).toBe('pending approval');
    const approve = page.getByRole('button', { name: 'Approve' });
    await approve.waitFor(WAIT);
    expect(await approve.isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true);
    expect(await page.getByTestId('decision-blocked').textContent()).toContain('nobody approves their own request');
    expect(await approve.getAttribute('title')).toContain('nobody approves their own request');
    await screenshot(page, 'selfservice-prod-pending');

    // It still waits: the local user's inbox does not offer their own request.
    await page.goto(`${atrium.base}/#/approvals`);
    await page.getByText('Nothing waits for your approval').waitFor(WAIT);
  });

  it('lists my requests with their states, and filters them', async () => {
    await page.goto(`${atrium.base}/#/self-service`);
    const rows = page.getByRole('table', { name: 'Requests', exact: true }).locator('[data-action]');
    await expect.poll(() => rows.count(), WAIT).toBe(2);
    const states = await rows.locator('[data-state]').evaluateAll((b) => b.map((x) => x.getAttribute('data-state')));
    expect(states).toEqual(['pending_approval', 'succeeded']);
    expect(await rows.first().getAttribute('data-action')).toBe(prodAction);
    await screenshot(page, 'selfservice-my-requests');
    await page.getByLabel('State').selectOption('succeeded');
    await expect.poll(() => rows.count(), WAIT).toBe(1);
    expect(await rows.first().getAttribute('data-action')).toBe(devAction);
    expect(new URL(page.url()).hash).toBe('#/self-service?state=succeeded');
  });

  it('creates an API token, shows its secret once, and revokes it after confirmation', async () => {
    await page.goto(`${atrium.base}/#/admin/tokens`);
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor(WAIT);
    await page.getByLabel('Name', { exact: true }).fill('e2e CI');
    await page.getByLabel('Subject').fill('ci-bot');
    await page.getByLabel('Team of role 1').selectOption('payments');
    await page.getByRole('button', { name: '+ catalog:read' }).click();
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = page.getByTestId('token-secret');
    await secret.waitFor(WAIT);
    expect(await secret.inputValue()).toMatch(/^atr_/);
    expect(await page.getByTestId('secret-once').textContent()).toContain('This is the only time the secret is shown.');
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByText(/Copied to the clipboard\.|Copying failed/).waitFor(WAIT);
    const row = page.getByRole('table', { name: 'API tokens', exact: true }).locator('[data-token="e2e CI"]');
    await row.waitFor(WAIT);
    expect(await row.textContent()).toContain('developer of payments, scope catalog:read');
    await screenshot(page, 'tokens-secret-once');

    await page.getByRole('button', { name: 'I have stored it — hide the secret' }).click();
    expect(await page.getByTestId('token-secret').count()).toBe(0);

    await row.getByRole('button', { name: 'Revoke…' }).click();
    const dialog = page.getByRole('alertdialog');
    expect(await dialog.textContent()).toContain('Revoke token “e2e CI” of ci-bot?');
    await screenshot(page, 'tokens-revoke-confirm');
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText('Token “e2e CI” of ci-bot is revoked: it no longer works.').waitFor(WAIT);
    await expect.poll(() => row.locator('[data-status]').textContent(), WAIT).toBe('revoked');
    expect(await row.getByRole('button', { name: 'Revoke…' }).count()).toBe(0);
  });

  it('shows the audit log with every change and decision, filters it, and exports it as JSON lines', async () => {
    await page.goto(`${atrium.base}/#/audit`);
    const rows = page.getByRole('table', { name: 'Audit events', exact: true }).locator('[data-event]');
    await expect.poll(() => rows.count(), WAIT).toBeGreaterThanOrEqual(6);
    const events = await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-event')));
    for (const e of ['action.requested', 'action.started', 'action.succeeded', 'token.created', 'token.revoked']) {
      expect(events, e).toContain(e);
    }
    expect(events.filter((e) => e === 'action.requested')).toHaveLength(2);
    await screenshot(page, 'audit-log');

    await page.getByLabel('What').fill('action.requested');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/audit?action=action.requested');
    await expect.poll(() => rows.count(), WAIT).toBe(2);
    const resources = await rows.locator('[data-column="resource"]').allTextContents();
    expect(resources.sort()).toEqual([`action/${devAction}`, `action/${prodAction}`].sort());

    const download = page.waitForEvent('download', { timeout: 20_000 });
    await page.getByRole('button', { name: 'Export JSON lines' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^atrium-audit-\d{8}-\d{6}\.jsonl$/);
    const saved = join(resultsDir, 'audit-export.jsonl');
    await file.saveAs(saved);
    const lines = readFileSync(saved, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const parsed = lines.map((l) => JSON.parse(l) as { action: string; resource: string; actor: string; outcome: string });
    expect(parsed.every((e) => e.action === 'action.requested' && e.outcome === 'success')).toBe(true);
    expect(await page.getByTestId('export-status').textContent()).toContain('Exported 2 events');
    expect(await page.getByTestId('export-status').textContent()).toContain('downloads folder');
    await screenshot(page, 'audit-export');
  });

  it('requests an SNS topic with an SQS subscription in dev — the queue picked from those there — and previews both with the queue policy', async () => {
    await page.goto(`${atrium.base}/#/self-service/new?service=payments-api`);
    await page.getByText('Owned by team payments; the request is made for that team.').waitFor(WAIT);
    await page.getByLabel(/SNS topic/).check();
    await page.getByLabel('Name', { exact: true }).fill('payments-updates');
    await page.getByLabel('Subscribe an SQS queue to the topic').check();
    // The queue is picked, not typed: the dev queue requested above (previewed) is there; production's is not.
    const queue = page.getByLabel('SQS queue to subscribe');
    await expect.poll(() => queue.locator('option').allTextContents(), WAIT).toEqual([
      'Choose a standard queue…',
      'payments-events — previewed: its Terraform exists, nothing was created (payments-api)',
    ]);
    await queue.selectOption('payments-events');
    await page.getByLabel(/Raw message delivery/).check();
    await page.getByRole('button', { name: 'Send request' }).click();
    await actionIdFromUrl(page);
    await expect.poll(() => page.getByTestId('action-header').locator('[data-state]').textContent(), WAIT).toBe('succeeded');
    const tf = (await page.getByTestId('result-terraform').textContent()) ?? '';
    expect(tf).toContain('resource "aws_sns_topic"');
    expect(tf).toContain('aws_sns_topic_subscription');
    expect(tf).toContain('raw_message_delivery');
    // SNS delivers only where the queue's policy lets the topic send.
    expect(tf).toContain('resource "aws_sqs_queue_policy"');
    expect(tf).toContain('identifiers = ["sns.amazonaws.com"]');
    expect(tf).toContain('variable = "aws:SourceArn"');
    await screenshot(page, 'selfservice-sns-succeeded');
  });
});

// Demo personas in real Chromium against a real `atrium web` in local mode: one person requests a production queue
// as a demo developer, switches to the demo platform approver in the header, approves it, and sees it succeed —
// the in-process portal's real policy deciding each step, its audit log naming the personas, and the approver
// seeing what the request will do (the Terraform) before deciding.
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

/** Choose a persona from the identity chip in the header; the app loads again as that persona. */
async function actAs(p: Page, label: RegExp, subject: RegExp) {
  await p.getByTestId('identity').click();
  await p.getByRole('menu', { name: 'Act as' }).getByRole('menuitemradio', { name: label }).click();
  await expect.poll(() => p.getByTestId('identity').textContent(), WAIT).toMatch(subject);
}

describe('demo personas in local mode', () => {
  let id = '';

  it('starts as the user of this computer, with the demo personas offered from the identity chip', async () => {
    const chip = page.getByTestId('identity');
    await expect.poll(() => chip.textContent(), WAIT).toMatch(/admin$/);
    await expect.poll(() => chip.getAttribute('data-demo'), WAIT).toBe('false');
    await chip.click();
    const items = page.getByRole('menu', { name: 'Act as' }).getByRole('menuitemradio');
    const labels = await items.evaluateAll((xs) => xs.map((x) => x.firstElementChild?.textContent ?? ''));
    expect(labels.slice(1)).toEqual([
      'Dana — developer, paymentsdemo',
      'Olu — team owner, paymentsdemo',
      'Pat — platform approverdemo',
      'Gus — developer, growthdemo',
    ]);
    expect(await items.first().getAttribute('aria-checked')).toBe('true');
    await screenshot(page, 'personas-menu');
    await page.keyboard.press('Escape');
  });

  it('requests a production queue as Dana, the developer: it waits for a platform approver, and Dana cannot approve it', async () => {
    await actAs(page, /^Dana/, /^demo-dana/);
    await expect.poll(() => page.getByTestId('identity').getAttribute('data-demo'), WAIT).toBe('true');
    expect(await page.getByTestId('persona-banner').textContent()).toContain('Demo persona: you act as Dana — developer, payments (demo-dana)');
    await page.goto(`${atrium.base}/#/self-service/new?service=payments-api`);
    await page.getByText('Owned by team payments; the request is made for that team.').waitFor(WAIT);
    await page.getByLabel('Environment').selectOption('production');
    await page.getByLabel('Name', { exact: true }).fill('payments-settlements');
    await page.getByRole('button', { name: 'Send for approval' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toMatch(/^#\/self-service\/act_[0-9a-f]+$/);
    id = new URL(page.url()).hash.slice('#/self-service/'.length);
    await expect.poll(() => page.getByTestId('action-header').locator('[data-state]').textContent(), WAIT).toBe('pending approval');
    expect(await page.getByTestId('action-header').textContent()).toContain('demo-dana');
    const approve = page.getByRole('button', { name: 'Approve', exact: true });
    await approve.waitFor(WAIT);
    expect(await approve.isDisabled()).toBe(true);
    expect(await page.getByTestId('decision-blocked').textContent()).toContain('nobody approves their own request');
    await screenshot(page, 'personas-dana-pending');
  });

  it('switches to Pat, the platform approver, who finds it in the inbox, approves it and sees it succeed', async () => {
    await actAs(page, /^Pat/, /^demo-pat/);
    await page.goto(`${atrium.base}/#/approvals`);
    const row = page.locator(`[data-action="${id}"]`);
    await row.waitFor(WAIT);
    expect(await row.textContent()).toContain('demo-dana');
    // The approver sees what it will do before deciding: the Terraform as the request will apply it.
    await row.getByRole('button', { name: 'Decide…' }).click();
    const inboxPreview = page.getByTestId('action-preview');
    await expect.poll(() => inboxPreview.textContent(), WAIT).toContain('resource "aws_sqs_queue" "payments-settlements"');
    expect(await inboxPreview.textContent()).toContain('Creates the standard SQS queue payments-settlements in production / eu-west-1');
    await screenshot(page, 'personas-pat-inbox-preview');
    await page.getByRole('link', { name: 'Full request' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe(`#/self-service/${id}`);
    await expect.poll(() => page.getByTestId('action-preview').textContent(), WAIT).toContain('sqs_payments-settlements.tf');
    const approve = page.getByRole('button', { name: 'Approve', exact: true });
    await expect.poll(() => approve.isEnabled(), WAIT).toBe(true);
    await page.getByLabel(/^Reason/).fill('Settlements queue as agreed');
    await approve.click();
    await expect.poll(() => page.getByTestId('action-header').locator('[data-state]').textContent(), WAIT).toBe('succeeded');
    expect(await page.getByTestId('result-terraform').textContent()).toContain('resource "aws_sqs_queue" "payments-settlements"');
    expect(await page.getByRole('list', { name: 'Decisions' }).textContent()).toContain('Approved by demo-pat');
    await screenshot(page, 'personas-pat-approved');
  });

  it('the audit log names the personas, and switching back makes the user the admin again', async () => {
    await page.goto(`${atrium.base}/#/audit?resource=${encodeURIComponent(`action/${id}`)}`);
    const rows = page.getByRole('table', { name: 'Audit events', exact: true }).locator('[data-event]');
    await expect.poll(() => rows.count(), WAIT).toBeGreaterThanOrEqual(4);
    const byEvent = Object.fromEntries(
      await rows.evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-event') ?? '', r.querySelectorAll('[role="cell"]')[1]?.textContent ?? ''])),
    );
    expect(byEvent['action.requested']).toBe('demo-dana');
    expect(byEvent['action.approved']).toBe('demo-pat');
    await page.getByRole('button', { name: 'Back to yourself' }).click();
    await expect.poll(() => page.getByTestId('identity').textContent(), WAIT).toMatch(/admin$/);
    await expect.poll(() => page.getByTestId('identity').getAttribute('data-demo'), WAIT).toBe('false');
    expect(await page.getByTestId('persona-banner').count()).toBe(0);
  });
});

// Secrets in real Chromium against a real `atrium web` in local mode (issue #11): a developer creates a secret on a
// service page with the value typed once into a password field, sees it on the Secrets page with where it exists and
// where it is missing, and reveals it once with a reason. The value is wiped from the page after the portal's reveal
// time, and at no point is it in the page's sessionStorage or localStorage. The page's clock is the test's
// (page.clock), so the reveal's countdown passes without waiting.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Atrium, localSession, screenshot } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };

const session = localSession(async (context) => {
  await context.clock.install();
});
let atrium: Atrium;
let page: Page;
beforeAll(() => {
  ({ atrium, page } = session);
});

const value = `e2e-secret-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;

/** What the page keeps in storage, and its whole DOM. */
async function traces(p: Page): Promise<string> {
  const storage = await p.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
  return storage + (await p.content());
}

describe('secrets in local mode', () => {
  it('creates a secret for checkout-web in dev from its page; the value field forgets it as it is sent', async () => {
    await page.goto(`${atrium.base}/#/services/checkout-web`);
    const section = page.locator('section[aria-labelledby="secrets-heading"]');
    await section.getByRole('button', { name: 'New secret' }).click({ timeout: 20_000 });
    const form = section.getByRole('form', { name: 'Create secret' });
    await form.getByLabel('Name').fill('db-password');
    await form.getByLabel('Environment').selectOption('dev');
    const input = form.getByTestId('secret-value-input');
    expect(await input.getAttribute('type')).toBe('password');
    await input.fill(value);
    await form.getByRole('button', { name: 'Create secret' }).click();
    await section.getByTestId('secret-request').waitFor(WAIT);
    expect(await traces(page)).not.toContain(value);
    // The action runs in the in-process portal; the section shows the secret once the replica has it.
    const item = section.locator('li[data-secret="db-password"]');
    await expect.poll(() => item.textContent(), WAIT).toContain('dev: local vault in eu-west-1');
    expect(await item.textContent()).toContain('missing in production eu-west-1');
    await screenshot(page, 'secrets-service-section');
  });

  it('lists it on the Secrets page, with no value', async () => {
    await page.goto(`${atrium.base}/#/secrets`);
    const row = page.locator('[data-secret="checkout-web/db-password"]');
    await row.waitFor(WAIT);
    expect(await row.textContent()).toContain('dev eu-west-1, dev us-east-1');
    expect(await traces(page)).not.toContain(value);
    await screenshot(page, 'secrets-page');
  });

  it('reveals it once with a reason, then wipes it from the page', async () => {
    await page.goto(`${atrium.base}/#/services/checkout-web`);
    const section = page.locator('section[aria-labelledby="secrets-heading"]');
    await section.getByRole('button', { name: 'Reveal in dev' }).click({ timeout: 20_000 });
    const group = section.getByRole('group', { name: 'Reveal db-password in dev' });
    await group.getByLabel('Region').selectOption('us-east-1');
    await group.getByLabel('Reason (audited)').fill('e2e: checking the value');
    await group.getByRole('button', { name: 'Reveal once' }).click();
    const shown = page.getByTestId('secret-value');
    await expect.poll(() => shown.textContent(), WAIT).toBe(value);
    const storage = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
    expect(storage).not.toContain(value);
    await screenshot(page, 'secrets-revealed');
    await page.clock.runFor(31_000);
    await expect.poll(() => shown.count(), WAIT).toBe(0);
    expect(await traces(page)).not.toContain(value);
  });
});

// Drift in real Chromium against a real `atrium web` in local mode (issue #13): the Drift page shows the demo's
// drift of each kind, an item in full (a changed autoscaler field by field, who changed it), acknowledging it with a
// reason; the missing copy of a topic requested through the same action pipeline as any request; a service's page
// shows its drift. Everything is read from the desktop's replica.
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

describe('drift in local mode', () => {
  it('lists the demo drift of every kind on the Drift page', async () => {
    await page.goto(`${atrium.base}/#/drift`);
    const rows = page.locator('[role=row][data-drift]');
    await rows.first().waitFor(WAIT);
    for (const kind of ['missing', 'unmanaged', 'changed']) {
      expect(await page.locator(`[role=row][data-kind="${kind}"]`).count()).toBeGreaterThan(0);
    }
    const kinds = page.getByRole('group', { name: 'Kind' });
    expect(await kinds.getByRole('button').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^Changed \d+$/)]));
    await screenshot(page, 'drift-page');
  });

  it('shows a changed autoscaler field by field and acknowledges it with a reason', async () => {
    await page.goto(`${atrium.base}/#/drift`);
    await page.getByRole('button', { name: /^Changed \d+$/ }).click({ timeout: 20_000 });
    await page.getByLabel('Filter drift').fill('maxReplicas');
    const row = page.locator('[role=row][data-kind="changed"]');
    await expect.poll(() => row.count(), WAIT).toBe(1);
    await row.getByRole('button').click();
    const detail = page.getByRole('region', { name: /^Drift of HorizontalPodAutoscaler / });
    const fields = detail.getByRole('table');
    await expect.poll(() => fields.textContent(), WAIT).toContain('spec.maxReplicas1025');
    expect(await detail.textContent()).toContain('last changed by kubectl-edit');
    // Local mode has no GitHub token: no pull request is offered.
    expect(await detail.getByRole('button', { name: 'Open pull request' }).count()).toBe(0);
    await detail.getByRole('button', { name: 'Acknowledge…' }).click();
    const form = detail.getByRole('form');
    await form.getByLabel('Reason').fill('e2e: raised during the incident, PR follows');
    await form.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => detail.textContent(), WAIT).toContain('acknowledged by');
    expect(await detail.textContent()).toContain('e2e: raised during the incident, PR follows');
    await screenshot(page, 'drift-acknowledged');
  });

  it("requests a missing topic's copy through the action pipeline", async () => {
    await page.goto(`${atrium.base}/#/drift`);
    await page.getByRole('button', { name: /^All \d+$/ }).click({ timeout: 20_000 }); // the page keeps its filters
    await page.getByLabel('Filter drift').fill('orders-placed');
    const row = page.locator('[role=row][data-kind="missing"]');
    await expect.poll(() => row.count(), WAIT).toBe(1);
    await row.getByRole('button').click();
    const detail = page.getByRole('region', { name: 'Drift of sns_topic orders-placed' });
    await detail.getByRole('button', { name: 'Create missing copy' }).click({ timeout: 20_000 });
    const done = detail.getByTestId('drift-fix');
    await expect.poll(() => done.textContent(), WAIT).toMatch(/Requested as action act_/);
    await done.getByRole('link').click();
    await expect.poll(() => page.url(), WAIT).toContain('#/self-service/act_');
  });

  it("shows a service's drift on its page", async () => {
    await page.goto(`${atrium.base}/#/drift`);
    await page.getByRole('button', { name: /^All \d+$/ }).click({ timeout: 20_000 });
    await page.getByLabel('Filter drift').fill('maxReplicas');
    const row = page.locator('[role=row][data-kind="changed"]');
    await expect.poll(() => row.count(), WAIT).toBe(1);
    const service = (await row.getByRole('link').textContent()) ?? '';
    await page.goto(`${atrium.base}/#/services/${service}`);
    const section = page.locator('section[aria-labelledby="drift-heading"]');
    await expect.poll(() => section.textContent(), WAIT).toContain('spec.maxReplicas');
    expect(await section.textContent()).toContain('acknowledged by');
    await screenshot(page, 'drift-service-section');
  });
});

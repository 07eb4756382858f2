// Scorecards in real Chromium against a real `atrium web` in local mode: the demo catalog is scored by the built-in
// rules (with twelve weeks of history), some services below the threshold; the deploy gate answers through the
// same API with the launch token, as a CI pipeline would against a portal.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Atrium, localSession, portalApi, screenshot } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };

const session = localSession();
let atrium: Atrium;
let page: Page;
beforeAll(() => {
  ({ atrium, page } = session);
});

const hash = (p: Page) => new URL(p.url()).hash;
const rows = (p: Page) => p.locator('.scorecards-table [data-service]');

interface Decision {
  allowed: boolean;
  score: number;
  threshold: number;
  failing: { rule: string; message: string }[];
}

interface Page1 {
  items: { service: string; owner: string; below: boolean; score: number }[];
  total: number;
}

describe('scorecards in local mode', () => {
  it('lists every service by score, filters by team and below the threshold, and draws the team’s trend', async () => {
    await page.goto(`${atrium.base}/#/`);
    await page.getByRole('link', { name: 'Scorecards', exact: true }).click();
    await expect.poll(() => hash(page), WAIT).toBe('#/scorecards');
    await rows(page).first().waitFor(WAIT);
    await expect.poll(() => page.getByTestId('scorecards-total').textContent(), WAIT).toBe('75 services');
    // Lowest score first.
    const scores = await rows(page).locator('[role="cell"]:nth-child(3)').allTextContents();
    const numbers = scores.map((s) => Number(s.trim()));
    expect(numbers.length).toBeGreaterThan(5);
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
    expect(await page.locator('[data-testid="score-trend"]').first().getAttribute('data-points')).toBe('12');

    await page.getByLabel('Team', { exact: true }).selectOption('payments');
    await expect.poll(() => hash(page), WAIT).toBe('#/scorecards?team=payments');
    await expect.poll(async () => [...new Set(await rows(page).locator('[role="cell"]:nth-child(2)').allTextContents())], WAIT).toEqual(['payments']);
    const teams = page.getByRole('table', { name: 'Teams' });
    await expect.poll(() => teams.locator('tbody tr').count(), WAIT).toBe(1);
    const trend = page.getByTestId('score-trend');
    await expect.poll(() => trend.textContent(), WAIT).toContain("payments' average score, weekly");
    await trend.locator('svg .recharts-line-curve').waitFor(WAIT);
    expect(await trend.getAttribute('data-points')).toBe('12');
    expect(await trend.locator('svg .recharts-line-dot, svg .recharts-dot').count()).toBe(12);
    await screenshot(page, 'scorecards-payments');

    await page.getByLabel('Team', { exact: true }).selectOption('');
    await page.getByLabel('Below the threshold only').check();
    await expect.poll(() => hash(page), WAIT).toBe('#/scorecards?below=1');
    await expect.poll(async () => [...new Set(await rows(page).evaluateAll((rs) => rs.map((r) => r.getAttribute('data-below'))))], WAIT).toEqual([
      'true',
    ]);
  });

  it("shows a service's scorecard: each rule with why and how to fix it, the next level, the trend and the notice", async () => {
    const below = await portalApi<Page1>(atrium.base, atrium.token, 'GET', '/api/v1/scorecards?below=true&limit=1');
    const name = below.items[0]!.service;
    await page.goto(`${atrium.base}/#/scorecards?below=1`);
    await page.locator(`.scorecards-table [data-service="${name}"] a`).click();
    await expect.poll(() => hash(page), WAIT).toBe(`#/services/${name}`);
    const section = page.getByTestId('scorecard');
    await section.waitFor(WAIT);
    const failed = section.locator('[data-status="failed"]');
    expect(await failed.count()).toBeGreaterThan(0);
    await expect.poll(() => failed.first().textContent(), WAIT).toContain('How to fix:');
    expect(await section.locator('[data-status="passed"]').count()).toBeGreaterThan(0);
    expect(await section.textContent()).toMatch(/For (Bronze|Silver|Gold): fix /);
    await section.locator('svg .recharts-line-curve').waitFor(WAIT);
    expect(await page.getByTestId('score-notice').textContent()).toContain('below the threshold of 70');
    await screenshot(page, 'service-scorecard');
  });

  it('answers the deploy gate through the API with the launch token: both sides of the threshold, refusals name rules', async () => {
    const all = await portalApi<Page1>(atrium.base, atrium.token, 'GET', '/api/v1/scorecards?limit=1000');
    expect(all.total).toBe(75);
    let allowed = 0;
    let refused = 0;
    for (const s of all.items) {
      const d = await portalApi<Decision>(atrium.base, atrium.token, 'GET', `/api/v1/gates/deploy?service=${s.service}&environment=production`);
      expect(typeof d.score).toBe('number');
      expect(d.threshold).toBe(70);
      if (d.allowed) {
        allowed++;
      } else {
        refused++;
        expect(d.failing.length).toBeGreaterThan(0);
        for (const f of d.failing) expect(f.rule && f.message).toBeTruthy();
      }
      expect(d.allowed).toBe(!s.below);
    }
    expect(allowed).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});

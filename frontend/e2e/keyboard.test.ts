// Everything without the mouse, in real Chromium against `atrium web` in local mode: the skip link, "/" and the
// arrows through the catalog's results, Enter to open, Ctrl+K's command palette to any page, action or service,
// and Tab reaching every control of the catalog.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { localSession, screenshot } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };
const s = localSession();

/** What has focus: its role-ish tag, name and href, for assertions and failure messages. */
async function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return 'body';
    const name = el.getAttribute('aria-label') ?? (el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
    const href = el.getAttribute('href');
    return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} ${name}${href ? ` ${href}` : ''}`;
  });
}

async function openCatalog(page: Page): Promise<void> {
  await page.goto(`${s.atrium.base}/#/`);
  await page.getByRole('table', { name: 'Services', exact: true }).locator('[data-service]').first().waitFor(WAIT);
}

describe('the keyboard', () => {
  it('skips to the content, searches with "/", moves through results with the arrows and opens one with Enter', async () => {
    const page = s.page;
    await openCatalog(page);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('Tab');
    expect(await focused(page)).toContain('Skip to content');
    await page.keyboard.press('Enter');
    expect(await focused(page)).toMatch(/^main#main/);

    await page.keyboard.press('/');
    expect(await focused(page)).toContain('Search services');
    await page.keyboard.type('ledg');
    const rows = page.getByRole('table', { name: 'Services', exact: true }).locator('[data-service]');
    await expect.poll(() => rows.first().getAttribute('data-service'), WAIT).toBe('ledger-service');
    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toContain('#/services/ledger-service');
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/services/ledger-service');
    // Back: the search is still there.
    await page.goBack();
    await expect.poll(() => page.getByRole('searchbox', { name: 'Search services' }).inputValue(), WAIT).toBe('ledg');

    // The arrows walk the rows, down and back up to the box.
    await page.getByRole('searchbox', { name: 'Search services' }).fill('');
    await expect.poll(() => page.getByTestId('catalog-total').textContent(), WAIT).toMatch(/^\d+ services$/);
    await page.getByRole('searchbox', { name: 'Search services' }).focus();
    await page.keyboard.press('ArrowDown');
    const first = await focused(page);
    await page.keyboard.press('ArrowDown');
    const second = await focused(page);
    expect(second).not.toBe(first);
    expect(second).toContain('#/services/');
    await page.keyboard.press('End');
    await expect.poll(() => focused(page), WAIT).toContain('#/services/warehouse-loader');
    await page.keyboard.press('Home');
    await expect.poll(() => focused(page), WAIT).toBe(first);
    await page.keyboard.press('ArrowUp');
    expect(await focused(page)).toContain('Search services');
  });

  it('goes anywhere with Ctrl+K: a page, a service, a search of the catalog', async () => {
    const page = s.page;
    await openCatalog(page);
    await page.keyboard.press('Control+k');
    const palette = page.getByRole('dialog', { name: 'Go to' });
    await palette.waitFor(WAIT);
    await page.keyboard.type('sourc');
    await screenshot(page, 'command-palette');
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/sources');
    expect(await palette.count()).toBe(0);

    await page.keyboard.press('Control+k');
    await page.keyboard.type('payments-api');
    await palette.getByRole('option', { name: /^payments-api/ }).waitFor(WAIT);
    // The first options are pages and actions that match; the service follows: walk to it.
    for (let i = 0; i < 10 && !(await palette.getByRole('option', { selected: true }).textContent())?.startsWith('payments-api'); i++) {
      await page.keyboard.press('ArrowDown');
    }
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/services/payments-api');

    // Escape closes it and gives the focus back.
    await page.keyboard.press('Control+k');
    await palette.waitFor(WAIT);
    await page.keyboard.press('Escape');
    expect(await palette.count()).toBe(0);
  });

  it('reaches every control of the catalog with Tab, in order', async () => {
    const page = s.page;
    await openCatalog(page);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const seen: string[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      seen.push(await focused(page));
    }
    const at = (re: RegExp) => seen.findIndex((f) => re.test(f));
    const order = [/Skip to content/, /Catalog #\//, /Go to…/, /Search services/, /^select Team/, /^select Language/, /^select Lifecycle/,
      /^select Signals/, /^button Service/, /^button Signals/, /#\/services\//];
    const positions = order.map(at);
    expect(positions.every((p) => p >= 0), `tab order:\n${seen.join('\n')}`).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});

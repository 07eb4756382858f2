// Clusters through a team portal, in real Chromium: a real `atrium serve` registers two clusters it cannot read —
// one whose API server refuses connections (on loopback), one whose kubeconfig does not parse — and a real
// `atrium web` connected to it with an admin's token shows their states, messages and claims.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext, portalApi, screenshot, startAtrium, startPortal, type Atrium, type Portal } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };

const KUBE = {
  clusters: `clusters:
  - name: prod-ap-south-1
    region: ap-south-1
    environment: production
    kubeconfig: $DIR/refused.yaml
    timeout: 2s
  - name: dev-broken
    region: eu-west-1
    environment: dev
    kubeconfig: $DIR/broken.yaml
`,
  files: {
    'refused.yaml': `apiVersion: v1
kind: Config
clusters:
- name: refused
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
contexts:
- name: refused
  context: {cluster: refused, user: reader}
current-context: refused
users:
- name: reader
  user: {token: not-a-real-token}
`,
    'broken.yaml': 'clusters: [\n',
  },
};

let portal: Portal;
let atrium: Atrium;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  portal = await startPortal({ kube: KUBE });
  atrium = await startAtrium({ portal: portal.base, token: portal.token });
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

const row = (p: Page, cluster: string) => p.getByRole('table', { name: 'Clusters', exact: true }).locator(`tr[data-cluster="${cluster}"]`);

describe('clusters through a team portal', () => {
  it("shows each cluster's state with the portal's message, and that it has no data yet", async () => {
    await page.goto(`${atrium.base}/#/clusters`);
    const refused = row(page, 'prod-ap-south-1');
    await expect.poll(() => refused.getByTestId('cluster-state').textContent(), WAIT).toBe('Unreachable');
    expect(await refused.textContent()).toContain('connection refused');
    expect(await refused.getByTestId('cluster-data').textContent()).toBe('No data from this cluster yet');
    const broken = row(page, 'dev-broken');
    expect(await broken.getByTestId('cluster-state').textContent()).toBe('Invalid configuration');
    expect(await broken.textContent()).toContain('the kubeconfig cannot be used');
    // Neither has workloads, so none is unmapped.
    await page.getByText('Every workload belongs to a service').waitFor(WAIT);
    await screenshot(page, 'clusters-portal-states');

    // Sources shows the clusters too, linking here.
    await page.goto(`${atrium.base}/#/sources`);
    const card = page.locator('[data-source="kube:prod-ap-south-1"]');
    await card.waitFor(WAIT);
    expect(await card.getByTestId('source-state').textContent()).toBe('Unreachable');
    expect(await card.textContent()).not.toContain('years ago');
    await card.getByRole('link', { name: 'See prod-ap-south-1 on the Clusters page' }).click();
    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/clusters');
  });

  it('lists a claim made through the API, and an admin removes it after confirming', async () => {
    const made = await portalApi<{ claim: { id: number } }>(portal.base, portal.token, 'POST', '/api/v1/kube/claims', {
      namespace: 'orders',
      kind: 'StatefulSet',
      name: 'postgres',
      service: 'payments-api',
    });
    // The previous test ends on #/clusters, where goto to the same URL is a fragment navigation that loads
    // nothing: reload so the page asks for the claims made since.
    await page.goto(`${atrium.base}/#/clusters`);
    await page.reload();
    const claim = page.locator(`tr[data-claim="${made.claim.id}"]`);
    await claim.waitFor(WAIT);
    expect(await claim.textContent()).toContain('orders/StatefulSet/postgres');
    expect(await claim.textContent()).toContain('every cluster');
    await claim.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Remove claim' }).click();
    await claim.waitFor({ state: 'detached', timeout: 20_000 });
    const left = await portalApi<{ items: unknown[] }>(portal.base, portal.token, 'GET', '/api/v1/kube/claims');
    expect(left.items).toEqual([]);
  });
});

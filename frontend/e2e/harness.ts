// Starts a real `atrium web` on a free loopback port with a fresh data directory, and a real Chromium that may
// talk to nothing but 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

const frontendDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const resultsDir = join(frontendDir, 'test-results');

export interface Atrium {
  /** The URL atrium printed, with ?token=. */
  url: string;
  /** http://127.0.0.1:PORT */
  base: string;
  token: string;
  stop: () => Promise<void>;
  /** What atrium wrote to stderr so far (its log), for failure messages. */
  log: () => string;
}

export interface AtriumOptions {
  /** A team portal to connect to (`--portal`); default local mode. */
  portal?: string;
  /** The user's token for that portal (`--token`). */
  token?: string;
}

export async function startAtrium(opts: AtriumOptions = {}): Promise<Atrium> {
  const bin = process.env.ATRIUM_BIN ?? resolve(frontendDir, '../atrium');
  if (!existsSync(bin)) {
    throw new Error(
      `atrium binary not found at ${bin}. Build it first: (cd frontend && npm run build) && go build -o atrium . ` +
        '(from the repository root), or set ATRIUM_BIN.',
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'atrium-e2e-'));
  const args = ['web', '--addr', '127.0.0.1:0', '--data', dataDir];
  if (opts.portal) args.push('--portal', opts.portal);
  if (opts.token) args.push('--token', opts.token);
  const proc: ChildProcess = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The token store falls back to a file in the data directory when no OS keyring answers; keep tests off
    // any keyring of the machine running them.
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'disabled:' },
  });
  let stdout = '';
  let stderr = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`atrium web printed no URL within 30 s.\nstdout:\n${stdout}\nstderr:\n${stderr}`)), 30_000);
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9A-Za-z_-]+/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        res(m[0]);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`atrium web exited (code ${code}) before printing its URL.\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
  const u = new URL(url);
  const base = u.origin;
  const token = u.searchParams.get('token') ?? '';
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${base}/healthz did not answer 200 within 30 s.\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, base, token, stop, log: () => stderr };
}

export interface Portal {
  /** http://127.0.0.1:PORT */
  base: string;
  /** Its admin API token. */
  token: string;
  stop: () => Promise<void>;
}

export interface PortalOptions {
  /** The portal's YAML configuration (OIDC, action environments), written to a file passed as --config. */
  config?: string;
  /**
   * Kubernetes clusters to register (--kube-clusters): the YAML, and files it names (kubeconfigs) written next to
   * it. `$DIR` in either is replaced by the directory they are written to.
   */
  kube?: { clusters: string; files?: Record<string, string> };
  /** More environment variables for the portal (e.g. $ATRIUM_GITHUB_TOKEN for a golden path). */
  env?: Record<string, string>;
}

/** Environments that preview actions (render the Terraform, create nothing), as a team portal might be set up. */
export const PREVIEW_CONFIG = `actions:
  worker:
    poll: 1s
  environments:
    dev:
      regions: [eu-west-1]
      delivery: preview
      approvers: []
    production:            # approvers absent: a platform approver
      regions: [eu-west-1, us-east-1]
      delivery: preview
`;

/** Starts a real `atrium serve` (the portal API server) on a free loopback port, seeded with the demo catalog. */
export async function startPortal(opts: PortalOptions = {}): Promise<Portal> {
  const bin = process.env.ATRIUM_BIN ?? resolve(frontendDir, '../atrium');
  const dataDir = mkdtempSync(join(tmpdir(), 'atrium-e2e-portal-'));
  const token = `atr_e2e_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const args = ['serve', '--addr', '127.0.0.1:0', '--data', dataDir, '--demo', 'on'];
  if (opts.config !== undefined) {
    const file = join(dataDir, 'atrium.yaml');
    writeFileSync(file, opts.config);
    args.push('--config', file);
  }
  if (opts.kube) {
    const dir = join(dataDir, 'kube');
    mkdirSync(dir);
    for (const [name, content] of Object.entries(opts.kube.files ?? {})) writeFileSync(join(dir, name), content.replaceAll('$DIR', dir));
    const file = join(dir, 'clusters.yaml');
    writeFileSync(file, opts.kube.clusters.replaceAll('$DIR', dir));
    args.push('--kube-clusters', file);
  }
  const proc: ChildProcess = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env, ATRIUM_ADMIN_TOKEN: token },
  });
  let stderr = '';
  const base = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`atrium serve did not start within 30 s.\n${stderr}`)), 30_000);
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /msg="portal listening" addr=(127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        res(`http://${m[1]}`);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`atrium serve exited (code ${code}).\n${stderr}`));
    });
  });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { base, token, stop };
}

/**
 * Chromium's own refusal of every host but 127.0.0.1, for benchmarks: newContext's interception sends each request
 * through this process (a round trip of 20–60 ms on a loaded machine) that a user's browser does not make.
 */
export const LOOPBACK_ONLY_ARG = '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1';

export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      ...extraArgs,
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * What Chromium refused under atrium web's Content-Security-Policy in pages of contexts made by newContext; the
 * e2e setup (e2e/setup.ts) fails the test that caused any.
 */
export const cspViolations: string[] = [];

export interface ContextOptions {
  /** Default 1280×800. */
  viewport?: { width: number; height: number };
  /**
   * Refuse requests to anything but 127.0.0.1 by intercepting them here (default). Benchmarks turn it off and launch
   * Chromium with LOOPBACK_ONLY_ARG instead.
   */
  intercept?: boolean;
}

/** A browser context (1280×800 unless told) whose requests to anything but 127.0.0.1 are refused. */
export async function newContext(browser: Browser, opts: ContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 }, acceptDownloads: true });
  context.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) cspViolations.push(`${msg.location().url}: ${msg.text()}`);
  });
  if (opts.intercept ?? true) {
    await context.route('**/*', (route) => {
      const host = new URL(route.request().url()).hostname;
      return host === '127.0.0.1' ? route.continue() : route.abort('blockedbyclient');
    });
  }
  return context;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Calls the portal API directly with a bearer token, as a script or another tool would. */
export async function portalApi<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export interface Session {
  atrium: Atrium;
  browser: Browser;
  context: BrowserContext;
  page: Page;
}

/**
 * The usual life of a test file: a real `atrium web` in local mode and Chromium, one page opened on the launch URL
 * (whose script keeps the token in the tab's sessionStorage), everything stopped afterwards, and after each test a check that the page threw
 * nothing. prepare runs on the context before the page opens (permissions, init scripts). The fields are set when
 * the file's tests run.
 */
export function localSession(
  prepare?: (context: BrowserContext, atrium: Atrium) => Promise<void>,
  opts: { viewport?: { width: number; height: number }; benchmark?: boolean } = {},
): Session {
  const s = {} as Session;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    s.atrium = await startAtrium();
    s.browser = await launchBrowser(opts.benchmark ? [LOOPBACK_ONLY_ARG] : []);
    s.context = await newContext(s.browser, { viewport: opts.viewport, intercept: !opts.benchmark });
    if (prepare) await prepare(s.context, s.atrium);
    s.page = await s.context.newPage();
    s.page.on('pageerror', (e) => pageErrors.push(String(e) + (process.env.E2E_STACKS ? `\n${e.stack ?? ''}` : '')));
    await s.page.goto(s.atrium.url);
  });
  afterAll(async () => {
    await s.context?.close();
    await s.browser?.close();
    await s.atrium?.stop();
  });
  afterEach(() => {
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  });
  return s;
}

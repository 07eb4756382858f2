// A multi-step action's run (the golden path's service_create) as the UI shows it: each step's state in words,
// how long it took, what it produced (links, commits, in-cluster URLs) and why it failed; where the run is; what a
// cancelled run left behind; and how the page follows the action — a long poll that answers at each new version,
// never a loop faster than that. Pure functions and a reducer; useFollowAction and RunSteps use them.
import type { Action, ActionStep, ApiError, Deployment, StepState } from '../api/client';
import { isFinal, type Tone } from './actionState';

export interface StepBadge {
  label: string;
  tone: Tone;
  meaning: string;
}

/** A step's state as a badge; a skipped step with a preview output is a preview, not a skip. */
export function stepBadge(step: Pick<ActionStep, 'state' | 'output'>): StepBadge {
  if (step.state === 'skipped' && step.output.preview) {
    return { label: 'preview', tone: 'neutral', meaning: 'This portal previews the golden path: the step says what a team portal would have done.' };
  }
  const badges: Record<StepState, StepBadge> = {
    pending: { label: 'waiting', tone: 'neutral', meaning: 'Runs after the steps before it.' },
    running: { label: 'running', tone: 'active', meaning: 'Running now (or waiting for a cluster agent’s report).' },
    succeeded: { label: 'done', tone: 'ok', meaning: 'Done: what it made is listed under it.' },
    failed: { label: 'failed', tone: 'error', meaning: 'It failed: the error says why.' },
    skipped: { label: 'skipped', tone: 'neutral', meaning: 'Nothing to do, or the run stopped before it.' },
  };
  return badges[step.state];
}

/** "0.4 s", "12 s", "3 min 5 s", "1 h 2 min". */
export function durationText(ms: number): string {
  if (ms < 0) return '';
  if (ms < 10_000) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** How long a step took, or has been running; "" before it started. */
export function stepDuration(step: Pick<ActionStep, 'started_at' | 'finished_at' | 'state'>, now: Date): string {
  if (!step.started_at) return '';
  const start = Date.parse(step.started_at);
  const end = step.finished_at ? Date.parse(step.finished_at) : step.state === 'running' ? now.getTime() : NaN;
  return Number.isNaN(start) || Number.isNaN(end) ? '' : durationText(end - start);
}

export type OutputKind = 'link' | 'mono' | 'text' | 'service';

export interface OutputEntry {
  key: string;
  label: string;
  value: string;
  kind: OutputKind;
}

const OUTPUT_FIELDS: { key: string; label: string; kind: OutputKind }[] = [
  { key: 'repository_url', label: 'Repository', kind: 'link' },
  { key: 'commit_sha', label: 'Commit', kind: 'mono' },
  { key: 'branch', label: 'Branch', kind: 'mono' },
  { key: 'files', label: 'Files', kind: 'text' },
  { key: 'protected_branch', label: 'Protected branch', kind: 'mono' },
  { key: 'required_checks', label: 'Required checks', kind: 'text' },
  { key: 'required_reviews', label: 'Required reviews', kind: 'text' },
  { key: 'catalog_service', label: 'Catalog entry', kind: 'service' },
  { key: 'catalog_source', label: 'Registered by', kind: 'mono' },
  { key: 'pr_url', label: 'Pull request', kind: 'link' },
  { key: 'infra_branch', label: 'Branch', kind: 'mono' },
  { key: 'url', label: 'In-cluster URL', kind: 'mono' },
];

/** Outputs the step list does not repeat: the repository's name and id (its URL says it), a PR's number (its link does). */
const HIDDEN_OUTPUTS = new Set(['repository', 'repository_id', 'pr_number', 'preview']);

/** What a step produced, in a stable order; per-cluster outputs ("url:dev-eu-1", "work_id:dev-eu-1") say their cluster. */
export function stepOutputs(output: Record<string, string>): OutputEntry[] {
  const out: OutputEntry[] = [];
  const known = new Set(OUTPUT_FIELDS.map((f) => f.key));
  for (const f of OUTPUT_FIELDS) {
    const value = output[f.key];
    if (value) out.push({ ...f, value });
  }
  for (const key of Object.keys(output).sort()) {
    const value = output[key];
    if (!value || known.has(key) || HIDDEN_OUTPUTS.has(key)) continue;
    const [prefix, cluster] = key.split(':', 2) as [string, string | undefined];
    if (cluster && prefix === 'url') {
      // The plain url names the same address when there is one cluster.
      if (output.url === value) continue;
      out.push({ key, label: `In-cluster URL in ${cluster}`, value, kind: 'mono' });
    } else if (cluster && prefix === 'work_id') out.push({ key, label: `Agent work in ${cluster}`, value, kind: 'mono' });
    else out.push({ key, label: key.replace(/_/g, ' '), value, kind: 'text' });
  }
  return out;
}

export interface StepView {
  id: string;
  /** 1-based. */
  number: number;
  title: string;
  state: StepState;
  badge: StepBadge;
  duration: string;
  attempts: number;
  outputs: OutputEntry[];
  /** What a team portal would have done (local mode's preview). */
  preview?: string;
  error?: string;
  leftBehind?: string;
  /** The run is at this step (running, or failed here). */
  current: boolean;
  /** "Retry from this step" is offered: the step failed and the caller may retry the action. */
  retry: boolean;
}

/** The run's steps as the UI shows them. */
export function stepViews(a: Pick<Action, 'steps' | 'state' | 'may_retry'>, now: Date): StepView[] {
  return a.steps.map((s, i) => ({
    id: s.id,
    number: i + 1,
    title: s.title,
    state: s.state,
    badge: stepBadge(s),
    duration: stepDuration(s, now),
    attempts: s.attempts,
    outputs: stepOutputs(s.output),
    preview: s.output.preview || undefined,
    error: s.error || undefined,
    leftBehind: s.left_behind || undefined,
    current: s.state === 'running' || s.state === 'failed',
    retry: s.state === 'failed' && a.state === 'failed' && a.may_retry === true,
  }));
}

export interface RunSummary {
  /** Steps that finished (done, previewed or skipped). */
  done: number;
  total: number;
  /** One sentence: where the run is. */
  text: string;
  tone: Tone;
}

/** Where a run is, in one sentence. */
export function runSummary(a: Pick<Action, 'steps' | 'state' | 'cancel_requested' | 'approvers'>): RunSummary {
  const total = a.steps.length;
  const finished = a.steps.filter((s) => s.state === 'succeeded' || s.state === 'skipped').length;
  const at = (pred: (s: ActionStep) => boolean) => {
    const i = a.steps.findIndex(pred);
    return i < 0 ? undefined : { n: i + 1, step: a.steps[i] as ActionStep };
  };
  const previewed = a.steps.some((s) => s.state === 'skipped' && s.output.preview);
  switch (a.state) {
    case 'pending_approval':
      return { done: 0, total, text: 'Waiting for approval: nothing runs before it.', tone: 'waiting' };
    case 'approved': {
      const failed = at((s) => s.state === 'failed');
      if (failed) return { done: finished, total, text: `Queued to run again from step ${failed.n}: ${failed.step.title}.`, tone: 'active' };
      return { done: finished, total, text: total > 0 ? `Queued: ${total} steps will run in order.` : 'Queued: the portal starts it shortly.', tone: 'active' };
    }
    case 'running': {
      const running = at((s) => s.state === 'running') ?? at((s) => s.state === 'pending');
      const stopping = a.cancel_requested ? ' Cancelling: it stops before the next step.' : '';
      if (!running) return { done: finished, total, text: `Running.${stopping}`, tone: 'active' };
      return { done: finished, total, text: `Step ${running.n} of ${total}: ${running.step.title}.${stopping}`, tone: a.cancel_requested ? 'waiting' : 'active' };
    }
    case 'succeeded':
      return {
        done: finished,
        total,
        text: previewed ? `Previewed all ${total} steps: the catalog entry is real; the rest says what a team portal would have done.` : `All ${total} steps done.`,
        tone: 'ok',
      };
    case 'failed': {
      const failed = at((s) => s.state === 'failed');
      return { done: finished, total, text: failed ? `Failed at step ${failed.n} of ${total}: ${failed.step.title}.` : 'Failed.', tone: 'error' };
    }
    case 'cancelled': {
      const ran = a.steps.filter((s) => s.state === 'succeeded').length;
      if (ran === 0) return { done: finished, total, text: 'Cancelled before any step ran.', tone: 'neutral' };
      return { done: finished, total, text: `Cancelled after ${ran} of ${total} steps.`, tone: 'neutral' };
    }
    case 'rejected':
      return { done: 0, total, text: 'Rejected: nothing ran.', tone: 'error' };
  }
}

/** What a cancelled run left behind: the portal's sentence, and each step's part of it. */
export function leftBehind(a: Pick<Action, 'state' | 'result' | 'steps'>): { summary: string; items: { step: string; what: string }[] } | null {
  if (a.state !== 'cancelled') return null;
  const items = a.steps.filter((s) => s.left_behind).map((s) => ({ step: s.title, what: s.left_behind as string }));
  const summary = a.result.left_behind ?? (items.length === 0 ? 'nothing was created' : '');
  return { summary, items };
}

/** Whether an action carries the steps of a run (service_create). */
export function hasRun(a: Pick<Action, 'kind' | 'steps'>): boolean {
  return a.kind === 'service_create' || a.steps.length > 0;
}

// Following an action.

/** The longest wait a long poll asks for (the portal allows up to 60 s; proxies often cut at 60). */
export const LONG_POLL_SECONDS = 30;
/** The least time between two requests whose answers brought nothing new: a guard against a portal that ignores wait. */
export const MIN_POLL_GAP_MS = 2000;
/** After failed requests the page waits 2, 4, 8 … up to this long before asking again. */
export const MAX_BACKOFF_MS = 30_000;

export interface FollowState {
  action: Action | null;
  /** The last request failed (the action on screen may be stale); null once one succeeds. */
  error: ApiError | null;
  /** Failed requests in a row. */
  failures: number;
  /** The portal refused the long poll (an older portal): plain requests every MIN_POLL_GAP_MS instead. */
  plain: boolean;
}

export type FollowEvent =
  | { type: 'answer'; action: Action }
  | { type: 'failed'; error: ApiError }
  /** A long poll was refused as a bad request: follow by plain requests. */
  | { type: 'no_long_poll' };

export const FOLLOW_START: FollowState = { action: null, error: null, failures: 0, plain: false };

/**
 * The followed action: an answer replaces it unless it is older than the one on screen (answers may cross: a
 * retry's answer and a long poll's), a failure keeps it on screen with the error.
 */
export function followReducer(s: FollowState, e: FollowEvent): FollowState {
  switch (e.type) {
    case 'answer':
      if (s.action && s.action.id === e.action.id && e.action.version < s.action.version) return { ...s, error: null, failures: 0 };
      return { ...s, action: e.action, error: null, failures: 0 };
    case 'failed':
      return { ...s, error: e.error, failures: s.failures + 1 };
    case 'no_long_poll':
      return { ...s, plain: true };
  }
}

export type NextRequest = { kind: 'stop' } | { kind: 'get'; delayMs: number } | { kind: 'wait'; version: number; delayMs: number };

/**
 * The next request after one that took elapsedMs and left state s: none once the action is final (or known not to
 * exist); a plain GET
 * until there is an action (or when the portal cannot long-poll); else a long poll for the next version — at once,
 * unless the last answer brought nothing new sooner than MIN_POLL_GAP_MS (a portal that does not wait), and after
 * failures with a growing back-off.
 */
export function nextRequest(s: FollowState, changed: boolean, elapsedMs: number): NextRequest {
  if (s.action && isFinal(s.action.state) && !s.error) return { kind: 'stop' };
  // No such action on this portal, or not for this user: asking again will not change that.
  if (!s.action && (s.error?.status === 404 || s.error?.status === 403)) return { kind: 'stop' };
  if (s.failures > 0) {
    const delayMs = Math.min(MAX_BACKOFF_MS, MIN_POLL_GAP_MS * 2 ** (s.failures - 1));
    return s.action && !s.plain ? { kind: 'wait', version: s.action.version, delayMs } : { kind: 'get', delayMs };
  }
  if (!s.action) return { kind: 'get', delayMs: 0 };
  const gap = changed ? 0 : Math.max(0, MIN_POLL_GAP_MS - elapsedMs);
  if (s.plain) return { kind: 'get', delayMs: Math.max(gap, changed ? MIN_POLL_GAP_MS : 0) };
  return { kind: 'wait', version: s.action.version, delayMs: gap };
}

export interface DevRunning {
  cluster: string;
  url: string;
  /** "2/2 ready", from the catalog's deployment when the cluster's collector reports it. */
  ready?: string;
}

/**
 * Where a service created by a run is running in dev: each dev cluster whose hello-world the run saw Available
 * (wait_dev_available's url:CLUSTER, or url), with its deployment's readiness where the catalog has it. Empty while
 * the run has not got there, and in a preview.
 */
export function devRunning(a: Pick<Action, 'steps' | 'environment'> | null, deployments: readonly Deployment[]): DevRunning[] {
  const wait = a?.steps.find((s) => s.id === 'wait_dev_available');
  if (!wait || wait.state !== 'succeeded') return [];
  const out: DevRunning[] = [];
  for (const [key, url] of Object.entries(wait.output)) {
    if (!key.startsWith('url:') || !url) continue;
    out.push({ cluster: key.slice('url:'.length), url });
  }
  if (out.length === 0 && wait.output.url) {
    const cluster = deployments.find((d) => d.environment === a?.environment)?.cluster ?? a?.environment ?? 'dev';
    out.push({ cluster, url: wait.output.url });
  }
  for (const r of out) {
    const d = deployments.find((x) => x.cluster === r.cluster);
    if (d) r.ready = `${d.ready}/${d.desired} ready`;
  }
  return out.sort((x, y) => (x.cluster < y.cluster ? -1 : 1));
}

// What the Sources page says about each catalog source (GET /api/v1/sources): its state, sync progress, the
// GitHub rate-limit budget left and what the last sync asked of the API. Pure functions of the status and `now`.
import type { RateLimit, SourceStatus } from '../api/client';
import { relativeTime } from './format';

export type SourceTone = 'ok' | 'busy' | 'warn' | 'error' | 'neutral';

export interface SourceStateView {
  label: string;
  tone: SourceTone;
  /** What the state means for the user. */
  meaning: string;
}

/** What a source's items are: the repositories of a GitHub organisation, or the templates of a templates repository
 * (kind `templates`, docs/templates.md), which have no services and are broken rather than failed. */
export interface SourceItems {
  one: string;
  many: string;
  /** The fact that counts the item errors, and its column in their table. */
  errorsFact: string;
  column: string;
  /** What the item errors mean for the user. */
  errorsMeaning: string;
  none: string;
  /** Whether the source writes services to the catalog. */
  catalog: boolean;
}

export function sourceItems(kind: string): SourceItems {
  if (kind === 'templates') {
    return {
      one: 'template',
      many: 'templates',
      errorsFact: 'Broken templates',
      column: 'Template',
      errorsMeaning: 'These templates cannot be used until a push fixes them (the error says which file and line); the other templates are offered.',
      none: 'No template is broken.',
      catalog: false,
    };
  }
  return {
    one: 'repository',
    many: 'repositories',
    errorsFact: 'Failed repositories',
    column: 'Repository',
    errorsMeaning: 'These repositories keep the services read before; fix the cause (the error says which file or permission), and the next sync picks them up.',
    none: 'No repository failed in the last attempt.',
    catalog: true,
  };
}

/** The state badge: idle, syncing, ok, partial (some repositories failed, some templates are broken), error (the
 * sync could not run). */
export function sourceState(s: Pick<SourceStatus, 'state' | 'errors'> & { kind?: string }): SourceStateView {
  if (s.kind === 'templates') {
    switch (s.state) {
      case 'ok':
        return { label: 'up to date', tone: 'ok', meaning: 'The last sync read every template of the repository.' };
      case 'partial':
        return {
          label: `${s.errors} broken`,
          tone: 'warn',
          meaning: 'The last sync read the repository, but some templates are broken: they are listed with their problems and cannot be used.',
        };
      case 'error':
        return { label: 'error', tone: 'error', meaning: 'The sync could not run; the templates of the last good sync are still offered.' };
    }
  }
  switch (s.state) {
    case 'syncing':
      return { label: 'syncing', tone: 'busy', meaning: 'A sync is running; progress updates below.' };
    case 'ok':
      return { label: 'up to date', tone: 'ok', meaning: 'The last sync read every repository.' };
    case 'partial':
      return {
        label: `${s.errors} failed`,
        tone: 'warn',
        meaning: 'The last sync finished, but some repositories failed; their services keep what was read before.',
      };
    case 'error':
      return { label: 'error', tone: 'error', meaning: 'The sync could not run; the catalog keeps what it had.' };
    case 'idle':
      return { label: 'idle', tone: 'neutral', meaning: 'Waiting for the next scheduled sync.' };
    default:
      return { label: s.state || 'unknown', tone: 'neutral', meaning: '' };
  }
}

/** Done / total as a percentage (0 when the total is not known yet). */
export function progressPercent(s: Pick<SourceStatus, 'done' | 'total'>): number {
  if (s.total <= 0) return 0;
  return Math.min(100, Math.round((s.done / s.total) * 100));
}

/** "120 / 2,000 repositories" during a sync, "2,000 repositories" after one, "" when nothing is counted. */
export function progressText(s: Pick<SourceStatus, 'state' | 'done' | 'total'> & { kind?: string }): string {
  if (s.kind === 'templates') return s.state === 'syncing' ? 'reading the templates…' : '';
  const n = (x: number) => x.toLocaleString('en-US');
  const unit = (x: number) => (x === 1 ? 'repository' : 'repositories');
  if (s.state === 'syncing') return s.total > 0 ? `${n(s.done)} / ${n(s.total)} ${unit(s.total)}` : 'listing repositories…';
  if (s.total > 0) return `${n(s.done)} / ${n(s.total)} ${unit(s.total)} in the last sync`;
  return '';
}

/** "4,200 of 5,000 requests left (84%), resets in 23 min", with why requests wait when they do. */
export function rateLimitText(rl: RateLimit, now: Date): string {
  const pct = rl.limit > 0 ? Math.round((rl.remaining / rl.limit) * 100) : 0;
  const reset = relativeTime(rl.reset, now).replace(/ ago$/, ' ago (already reset)');
  const base = `${rl.remaining.toLocaleString('en-US')} of ${rl.limit.toLocaleString('en-US')} requests left (${pct}%), resets ${reset}`;
  return rl.waiting ? `${base}. Waiting: ${rl.waiting}` : base;
}

/** How worried to be about the budget: below a tenth the collector slows down (docs/github.md). */
export function rateLimitTone(rl: RateLimit): SourceTone {
  if (rl.waiting) return 'warn';
  if (rl.limit > 0 && rl.remaining < rl.limit / 10) return 'warn';
  return 'ok';
}

/** "312 requests: 290 unchanged (304, free), 20 list pages, 2 file contents, 0 repeated". */
export function requestsText(r: NonNullable<SourceStatus['requests']>): string {
  return `${r.total.toLocaleString('en-US')} requests: ${r.not_modified.toLocaleString('en-US')} unchanged (304, free), ${r.list.toLocaleString('en-US')} list pages, ${r.content.toLocaleString('en-US')} file contents, ${r.retried.toLocaleString('en-US')} repeated after a rate limit`;
}

/** Whether a sync can be started for s: the built-in demo has no collector (the portal answers 409). */
export function canSyncSource(s: Pick<SourceStatus, 'syncable'>): boolean {
  return s.syncable;
}

/** Refresh quickly while something syncs, slowly otherwise. */
export function sourcesPollMs(items: readonly Pick<SourceStatus, 'state'>[]): number {
  return items.some((s) => s.state === 'syncing') ? 1500 : 10_000;
}

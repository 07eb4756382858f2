// The audit log view's logic: compact detail summaries, the known event names, datetime-local conversion, and
// the JSON lines export that pages through the API's 10000-event limit.
import { api, type AuditQuery } from '../api/client';
import type { AuditFilters } from './router';

/** Event names the portal records (docs: AuditEvent.action), and the families a prefix ending in "." matches. */
export const AUDIT_ACTIONS = [
  'action.',
  'action.requested',
  'action.approved',
  'action.rejected',
  'action.approve',
  'action.reject',
  'action.started',
  'action.resumed',
  'action.succeeded',
  'action.failed',
  'action.retried',
  'action.cancel_requested',
  'action.cancelled',
  'action.step_succeeded',
  'action.step_skipped',
  'action.step_failed',
  'token.',
  'token.created',
  'token.revoked',
];

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 60 ? `${v.slice(0, 57)}…` : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** A one-line summary of an event's detail: short scalar fields as key=value, nested ones as key={…}. */
export function detailSummary(detail: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(detail)) {
    const s = scalar(v);
    if (s !== undefined) parts.push(`${k}=${s.includes(' ') ? JSON.stringify(s) : s}`);
    else if (v !== null && typeof v === 'object') parts.push(`${k}={…}`);
  }
  return parts.join(' ');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** An RFC 3339 time as the value of a datetime-local input (local time, minutes). */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local input's value as RFC 3339 (UTC), or "" when empty or invalid. */
export function fromLocalInput(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** The API query for filters (empty ones left out). */
export function auditQuery(f: AuditFilters): AuditQuery {
  const q: AuditQuery = {};
  if (f.actor.trim()) q.actor = f.actor.trim();
  if (f.action.trim()) q.action = f.action.trim();
  if (f.resource.trim()) q.resource = f.resource.trim();
  if (f.since) q.since = f.since;
  if (f.until) q.until = f.until;
  return q;
}

/** The most events one JSON lines call returns. */
export const EXPORT_PAGE = 10_000;

export interface AuditExport {
  text: string;
  events: number;
}

/**
 * The whole log matching q as JSON lines, newest first: calls of up to 10000 events, each continuing before the
 * last id of the previous one, reporting progress as it goes.
 */
export async function exportAuditLines(q: AuditQuery, onProgress: (events: number) => void, signal?: AbortSignal): Promise<AuditExport> {
  const chunks: string[] = [];
  let events = 0;
  let before: number | undefined;
  for (;;) {
    const text = await api.exportAudit({ ...q, limit: EXPORT_PAGE, before }, signal);
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length > 0) chunks.push(lines.join('\n'));
    events += lines.length;
    onProgress(events);
    if (lines.length < EXPORT_PAGE) break;
    const last = JSON.parse(lines[lines.length - 1] ?? '{}') as { id?: unknown };
    if (typeof last.id !== 'number') break;
    before = last.id;
  }
  return { text: chunks.length > 0 ? `${chunks.join('\n')}\n` : '', events };
}

/** "atrium-audit-20261126-0933.jsonl" for now. */
export function exportFileName(now: Date): string {
  return `atrium-audit-${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}.jsonl`;
}

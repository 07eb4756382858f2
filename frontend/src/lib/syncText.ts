import type { SyncStatus } from '../api/client';
import { absoluteTime, shortTime, type FormatOptions } from './format';

export type SyncTone = 'ok' | 'busy' | 'warn' | 'error';

export interface SyncView {
  /** The indicator's words, e.g. "syncing 12/83" or "up to date as of 09:33". */
  text: string;
  /** Tooltip: the message behind an offline or error state, or the full time. */
  title: string;
  tone: SyncTone;
  /** "local demo" or the portal URL. */
  mode: string;
}

/** What the sync indicator says for a status from GET /api/v1/sync/status. */
export function syncView(s: SyncStatus, now: Date, opts: FormatOptions = {}): SyncView {
  const mode = s.mode === 'local' ? 'local demo' : s.portal_url || 'team portal';
  const at = shortTime(s.as_of, now, opts);
  // After switching portals the replica still holds the previous one's data until the new one answers.
  const current = s.mode === 'local' ? 'local' : s.portal_url ?? '';
  const foreign = s.origin !== undefined && s.origin !== '' && s.origin !== current;
  const from = foreign ? ` from ${s.origin === 'local' ? 'the local demo' : s.origin}` : '';
  const full = s.as_of ? `data${from} as of ${absoluteTime(s.as_of, opts)}` : 'no data synced yet';
  switch (s.state) {
    case 'syncing':
      return { text: `syncing ${s.done}/${s.total}`, title: `Applying changes from the portal; ${full}`, tone: 'busy', mode };
    case 'up_to_date':
      return { text: at ? `up to date as of ${at}` : 'up to date', title: full, tone: 'ok', mode };
    case 'offline':
      return {
        text: at ? `offline — data${from} as of ${at}` : 'offline — no data yet',
        title: s.message ? `${s.message} (${full})` : full,
        tone: 'warn',
        mode,
      };
    case 'error':
      return {
        text: `sync error: ${s.message || 'unknown error'}`,
        title: `${s.message || 'The sync failed without a message'}; ${full}`,
        tone: 'error',
        mode,
      };
  }
}

/** A key that changes exactly when the replica's content changes, so views refetch then and only then. */
export function replicaKey(s: SyncStatus | null): string {
  return s ? s.data_version : '';
}

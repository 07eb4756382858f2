import type { SyncState } from '../hooks/useSyncStatus';
import { useNow } from '../hooks/useNow';
import { displayUrl } from '../lib/external';
import { syncView } from '../lib/syncText';

/** The header's freshness indicator: is the replica syncing, up to date, offline or failing, and against what. */
export function SyncStatus({ status, error }: SyncState) {
  const now = useNow(15_000);
  if (!status) {
    return (
      <div className="sync-status sync-warn" data-testid="sync-status" role="status" title={error?.message ?? ''}>
        <span className="sync-dot" aria-hidden="true" />
        <span className="sync-text">{error ? (error.status === 401 ? 'not signed in' : 'sync status unavailable') : 'checking sync…'}</span>
      </div>
    );
  }
  const view = syncView(status, now);
  const title = error ? `${view.title}. The last status check failed: ${error.message}` : view.title;
  return (
    <div className={`sync-status sync-${view.tone}`} data-testid="sync-status" role="status" title={title}>
      <span className="sync-dot" aria-hidden="true" />
      <span className="sync-text">{view.text}</span>
      <span className="sync-mode" title={status.portal_url || 'The portal runs inside this app on a demo catalog'}>
        {status.mode === 'remote' && status.portal_url ? displayUrl(status.portal_url) : view.mode}
      </span>
    </div>
  );
}

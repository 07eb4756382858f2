import type { SyncState } from '../hooks/useSyncStatus';
import { useNow } from '../hooks/useNow';
import { cx } from '../lib/classNames';
import { displayUrl } from '../lib/external';
import { syncView, type SyncTone } from '../lib/syncText';
import styles from './SyncStatus.module.css';

const TONE: Record<SyncTone, string | undefined> = { ok: styles.ok, busy: styles.busy, warn: styles.warn, error: styles.error };

/** The header's freshness indicator: is the replica syncing, up to date, offline or failing, and against what. */
export function SyncStatus({ status, error }: SyncState) {
  const now = useNow(15_000);
  if (!status) {
    return (
      <div className={cx(styles.status, TONE.warn)} data-testid="sync-status" role="status" title={error?.message ?? ''}>
        <span className={styles.dot} aria-hidden="true" />
        <span className={styles.text}>{error ? (error.status === 401 ? 'not signed in' : 'sync status unavailable') : 'checking sync…'}</span>
      </div>
    );
  }
  const view = syncView(status, now);
  const title = error ? `${view.title}. The last status check failed: ${error.message}` : view.title;
  return (
    <div className={cx(styles.status, TONE[view.tone])} data-testid="sync-status" role="status" title={title}>
      <span className={styles.dot} aria-hidden="true" />
      <span className={styles.text}>{view.text}</span>
      <span className={styles.mode} title={status.portal_url || 'The portal runs inside this app on a demo catalog'}>
        {status.mode === 'remote' && status.portal_url ? displayUrl(status.portal_url) : view.mode}
      </span>
    </div>
  );
}

import { useState } from 'react';
import { api, asApiError, type FleetEffective } from '../api/client';
import { fleetNotices, type FleetNotice } from '../lib/fleet';
import { ConfirmDialog } from './ConfirmDialog';
import styles from './FleetNotices.module.css';

interface Props {
  effective: FleetEffective;
  /** The install's state after the user trusted the portal's new key. */
  onTrusted: (e: FleetEffective) => void;
}

const TEST_IDS: Record<FleetNotice['kind'], string> = {
  update: 'fleet-update',
  key: 'fleet-key',
  refused: 'fleet-refused',
  banner: 'fleet-banner',
};

/**
 * What the platform team's fleet configuration tells everyone above every page: the notice banner, that this app
 * is below the minimum version, and — for this install — that a configuration was refused or that the portal
 * signs with a key the install does not trust yet (with the way to trust it, after a confirmation).
 */
export function FleetNotices({ effective, onTrusted }: Props) {
  const notices = fleetNotices(effective);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  if (notices.length === 0) return null;
  const offered = effective.key?.offered_key_id ?? '';
  const trust = async () => {
    setBusy(true);
    setError('');
    try {
      onTrusted(await api.trustFleetKey(offered));
      setConfirm(false);
    } catch (err) {
      setError(asApiError(err).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className={styles.notices} aria-label="From your platform team" role="region">
      {notices.map((n) => (
        <div
          key={n.kind}
          className={`${styles.notice} ${styles[n.level] ?? ''}`}
          role={n.level === 'critical' || n.kind !== 'banner' ? 'alert' : 'status'}
          data-testid={TEST_IDS[n.kind]}
          data-level={n.level}
        >
          <span className={styles.text}>{n.text}</span>
          {n.kind === 'key' && !confirm && (
            <button type="button" className="button" onClick={() => setConfirm(true)}>
              Trust the new key…
            </button>
          )}
        </div>
      ))}
      {confirm && (
        <ConfirmDialog title={`Trust the key ${offered}?`} confirmLabel="Trust this key" busy={busy} danger onConfirm={() => void trust()} onCancel={() => setConfirm(false)}>
          <p>
            From now on this install applies only configurations signed with {offered}. A key you were not told about may mean someone else is
            answering as your portal: ask your platform team first.
          </p>
          {error && (
            <p className="inline-error" role="alert">
              {error}
            </p>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}

import { useState } from 'react';
import { api, asApiError, type ApiError, type Claim } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useNow } from '../hooks/useNow';
import { absoluteTime, relativeTime } from '../lib/format';
import { serviceHash } from '../lib/router';
import { ConfirmDialog } from './ConfirmDialog';
import { ErrorState } from './Notice';
import styles from './WorkloadClaims.module.css';

interface Props {
  mayClaim: boolean;
  /** Changes after a claim: the list is read again. */
  version: number;
  onRemoved: () => void;
}

/** The admins' claims (workload → service), strongest mapping there is; removing one falls back to labels. */
export function WorkloadClaims({ mayClaim, version, onRemoved }: Props) {
  const claims = useLoad<Claim[]>((signal) => api.listKubeClaims(signal), String(version));
  const now = useNow();
  const [removing, setRemoving] = useState<Claim | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const remove = async (c: Claim) => {
    setBusy(true);
    setError(null);
    try {
      await api.deleteKubeClaim(c.id);
      setRemoving(null);
      onRemoved();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const items = claims.data;
  return (
    <section className={`panel ${styles.claims}`} aria-labelledby="claims-heading">
      <h2 id="claims-heading">Claims {items && <span className="count">{items.length}</span>}</h2>
      {!items && claims.error ? (
        <ErrorState title="The claims could not be loaded" error={claims.error} onRetry={claims.reload} />
      ) : !items ? (
        <p className="muted">Loading claims…</p>
      ) : items.length === 0 ? (
        <p className="muted">No claims: every mapping comes from workloads&apos; annotations and labels.</p>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>Workload</th>
              <th>Cluster</th>
              <th>Service</th>
              <th>Claimed</th>
              {mayClaim && <th />}
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id} data-claim={c.id}>
                <td className="mono">
                  {c.namespace}/{c.kind}/{c.name}
                </td>
                <td>{c.cluster || <span className="muted">every cluster</span>}</td>
                <td>
                  <a href={serviceHash(c.service)}>{c.service}</a>
                </td>
                <td>
                  by {c.created_by},{' '}
                  <time dateTime={c.created_at} title={absoluteTime(c.created_at)}>
                    {relativeTime(c.created_at, now)}
                  </time>
                </td>
                {mayClaim && (
                  <td>
                    <button type="button" className="button button-link" onClick={() => setRemoving(c)}>
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove the claim of ${removing.namespace}/${removing.kind}/${removing.name}?`}
          confirmLabel="Remove claim"
          danger
          busy={busy}
          onConfirm={() => void remove(removing)}
          onCancel={() => {
            setRemoving(null);
            setError(null);
          }}
        >
          <p>
            It stops belonging to {removing.service} {removing.cluster ? `in ${removing.cluster}` : 'in every cluster'} and falls back to its annotation or
            label (or becomes unmapped).
          </p>
          {error && (
            <p className="form-error" role="alert">
              The claim was not removed: {error.message}
            </p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}

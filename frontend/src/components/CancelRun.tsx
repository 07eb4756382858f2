import { useState } from 'react';
import { api, asApiError, type Action, type ApiError } from '../api/client';
import { ConfirmDialog } from './ConfirmDialog';
import styles from './CancelRun.module.css';

interface Props {
  action: Action;
  /** The portal's answer: the action cancelled, or stopping before its next step (cancel_requested). */
  onCancelled: (a: Action) => void;
}

/**
 * "Cancel" for an unfinished run, after a confirmation that says what cancelling does and does not do: the run
 * stops before its next step, and nothing it made is undone.
 */
export function CancelRun({ action, onCancelled }: Props) {
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  if (action.cancel_requested) {
    return (
      <p className="inline-note" role="status" data-testid="cancel-requested">
        Cancelling: the step that is running finishes, then the run stops.
      </p>
    );
  }
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      onCancelled(await api.cancelAction(action.id, reason.trim()));
      setAsking(false);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  if (!asking) {
    return (
      <button type="button" className="button button-danger-quiet" onClick={() => setAsking(true)}>
        Cancel…
      </button>
    );
  }
  return (
    <ConfirmDialog
      title={`Cancel the creation of ${action.service}?`}
      confirmLabel="Cancel the run"
      danger
      busy={busy}
      onConfirm={() => void confirm()}
      onCancel={() => {
        setAsking(false);
        setError(null);
      }}
    >
      <p>
        The run stops before its next step; a step that is running finishes first. Nothing is undone: what the run has made so
        far (a repository, a catalog entry, a pull request, a deployment) stays, and the page lists it for you to keep or remove.
      </p>
      <label className={styles.reason}>
        Why (optional, kept in the history)
        <input type="text" value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} />
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error.message}
        </p>
      )}
    </ConfirmDialog>
  );
}

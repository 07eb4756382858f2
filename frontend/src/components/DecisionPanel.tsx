import { useState } from 'react';
import { api, asApiError, type Action, type ApiError } from '../api/client';
import { announceActionChange } from '../hooks/useApprovalCount';
import { describeSubmitError } from '../lib/submitError';
import styles from './DecisionPanel.module.css';
import { SubmitFailure } from './SubmitFailure';

interface Props {
  action: Pick<Action, 'id' | 'requester'>;
  /** Whether the portal says the user may decide (may_approve of GET /actions/{id}; true in the inbox). */
  mayDecide: boolean;
  /** Why not, from the portal (may_approve_reason). */
  reason?: string;
  onDecided: (a: Action) => void;
  /** A shorter layout for the inbox. */
  compact?: boolean;
}

/**
 * Approve or reject a pending request, with a reason (a rejection must have one: the requester sees it). When the
 * portal says the user may not decide, the buttons stay visible but disabled, with the portal's reason.
 */
export function DecisionPanel({ action, mayDecide, reason, onDecided, compact }: Props) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [triedReject, setTriedReject] = useState(false);
  const id = `decision-${action.id}`;
  const reasonMissing = text.trim() === '';

  const decide = async (approve: boolean) => {
    if (!approve && reasonMissing) {
      setTriedReject(true);
      document.getElementById(`${id}-reason`)?.focus();
      return;
    }
    setBusy(approve ? 'approve' : 'reject');
    setError(null);
    try {
      const a = approve ? await api.approveAction(action.id, text.trim()) : await api.rejectAction(action.id, text.trim());
      announceActionChange();
      onDecided(a);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(null);
    }
  };

  const blocked = !mayDecide;
  const serverReason = error?.fieldProblem('reason');
  const reasonProblem = serverReason ?? (triedReject && reasonMissing ? 'A rejection needs a reason: tell the requester what to change.' : undefined);
  const failure = error && !serverReason ? describeSubmitError(error, 'decision') : null;

  return (
    <div className={styles.decision} data-testid="decision">
      {blocked && (
        <p className={styles.blocked} data-testid="decision-blocked" role="note">
          <strong>You cannot decide on this request:</strong> {reason || 'the portal does not allow it.'}
        </p>
      )}
      <div className="field">
        <label htmlFor={`${id}-reason`}>Reason (shown to the requester; required to reject)</label>
        <textarea
          id={`${id}-reason`}
          rows={compact ? 2 : 3}
          value={text}
          disabled={blocked || busy !== null}
          maxLength={2000}
          placeholder={blocked ? '' : 'e.g. "Retention matches the data policy" or "Use the shared queue instead"'}
          onChange={(e) => setText(e.target.value)}
          aria-invalid={reasonProblem ? true : undefined}
          aria-describedby={reasonProblem ? `${id}-problem` : undefined}
        />
        {reasonProblem && (
          <p className="field-problem" id={`${id}-problem`} role="alert">
            {reasonProblem}
          </p>
        )}
      </div>
      {failure && (
        <SubmitFailure title={failure.title} next={failure.next}>
          <p>{failure.body}</p>
        </SubmitFailure>
      )}
      <div className="form-actions">
        <button
          type="button"
          className="button button-approve"
          disabled={blocked || busy !== null}
          title={blocked ? reason : undefined}
          onClick={() => void decide(true)}
        >
          {busy === 'approve' ? 'Approving…' : 'Approve'}
        </button>
        <button
          type="button"
          className="button button-danger"
          disabled={blocked || busy !== null}
          title={blocked ? reason : reasonMissing ? 'A rejection needs a reason' : undefined}
          onClick={() => void decide(false)}
        >
          {busy === 'reject' ? 'Rejecting…' : 'Reject'}
        </button>
      </div>
    </div>
  );
}

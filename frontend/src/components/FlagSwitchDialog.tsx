import { useState } from 'react';
import { api, asApiError, type ApiError, type ApproverRole, type FlagDetail, type FlagRow, type PendingChange } from '../api/client';
import { announceActionChange } from '../hooks/useApprovalCount';
import { useLoad } from '../hooks/useLoad';
import { approversText } from '../lib/actionText';
import { FLAG_RETRY } from '../lib/flagForm';
import { switched } from '../lib/flags';
import { describeSubmitError } from '../lib/submitError';
import { ApprovalNote } from './ApprovalNote';
import { ConfirmDialog } from './ConfirmDialog';
import { FlagChange } from './FlagChange';
import { SubmitFailure } from './SubmitFailure';

interface Props {
  row: FlagRow;
  /** The roles that approve a change in the row's environment (none: it applies at once). */
  approvers: readonly string[];
  onCancel: () => void;
  /** Applied: the list is read again. */
  onApplied: () => void;
  /** Held for approval: nothing changed yet. */
  onPending: (pending: PendingChange, what: string) => void;
}

/**
 * A flag table switch, reviewed before it acts: the change in words (the state, and what everyone gets then), the
 * JSON on request, and whether it waits for approval — then sent as any change of the flag is, pinned to the version
 * shown, through the same approval path (production waits for a platform approver).
 */
export function FlagSwitchDialog({ row, approvers, onCancel, onApplied, onPending }: Props) {
  const detail = useLoad<FlagDetail>((signal) => api.getFlag(row.environment, row.key, signal), `${row.environment}/${row.key}`);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const turningOn = row.state !== 'ENABLED';
  const verb = turningOn ? 'on' : 'off';
  const what = `Switching ${row.key} ${verb} in ${row.environment}`;
  const d = detail.data;
  const confirm = async () => {
    if (!d) return;
    setBusy(true);
    setError(null);
    try {
      const out = await api.putFlag(row.environment, row.key, {
        flag: switched(d.definition),
        team: d.team,
        owner: d.owner || undefined,
        version: d.version,
        comment: `switched ${verb} from the flag table`,
      });
      if (out.kind === 'pending') {
        announceActionChange();
        onPending(out.pending, what);
      } else {
        onApplied();
      }
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  const failure = error ? describeSubmitError(error, 'change', { retrySafe: FLAG_RETRY }) : null;
  const waits = approvers.length > 0;
  return (
    <ConfirmDialog
      title={`Switch ${row.key} ${verb} in ${row.environment}?`}
      confirmLabel={waits ? 'Send for approval' : `Switch ${verb} in ${row.environment}`}
      danger={!turningOn && !waits}
      busy={busy || !d}
      onConfirm={() => void confirm()}
      onCancel={onCancel}
    >
      {d ? (
        <FlagChange before={d.definition} after={switched(d.definition)} label={`Changes to ${row.key} in ${row.environment}`} />
      ) : detail.error ? (
        <p className="form-error" role="alert">
          {row.key} could not be read: {detail.error.message}
        </p>
      ) : (
        <p className="muted" role="status">
          Reading {row.key}…
        </p>
      )}
      <ApprovalNote needed={waits} role="note" testId="switch-approval">
        <p>
          {waits
            ? `Changes in ${row.environment} wait for approval by ${approversText(approvers as ApproverRole[], row.team || undefined)}: this sends a request, and nothing changes until it is approved.`
            : `It applies at once in ${row.environment}.`}
        </p>
      </ApprovalNote>
      {failure && error && (
        <SubmitFailure
          title={error.status === 409 ? 'The flag changed since the table was read: nothing was saved' : failure.title}
          next={error.status === 409 ? 'Close this, and switch it again on the flag as it is now.' : failure.next}
          testId="switch-failure"
        >
          <p>{failure.body}</p>
        </SubmitFailure>
      )}
    </ConfirmDialog>
  );
}

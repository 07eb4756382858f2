import type { PendingChange } from '../api/client';
import { actionHash } from '../lib/router';
import { ApprovalNote } from './ApprovalNote';

/**
 * A flag change the portal holds for approval (202): nothing changed yet; the request waits in the approvers'
 * inbox and its page shows who must approve and when it is applied.
 */
export function PendingApprovalNotice({ pending, what }: { pending: PendingChange; what: string }) {
  return (
    <ApprovalNote needed role="status" testId="flag-pending">
      <p>
        <strong>{what} is waiting for approval</strong> — nothing has changed yet. {pending.message}
      </p>
      <p>
        Follow it as request <a href={actionHash(pending.id)}>{pending.id}</a>: it is applied as soon as an approver approves it.
      </p>
    </ApprovalNote>
  );
}

import { useCallback, useState } from 'react';
import { api, type Action } from '../api/client';
import { useActionChanges } from '../hooks/useApprovalCount';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { useNow } from '../hooks/useNow';
import { actionSubject, actionTitle } from '../lib/actionText';
import { absoluteTime, count, relativeTime } from '../lib/format';
import { can, whyNot } from '../lib/permissions';
import { cx } from '../lib/classNames';
import { actionHash } from '../lib/router';
import { ActionOwner } from '../components/ActionOwner';
import { ActionPreview } from '../components/ActionPreview';
import { DecisionPanel } from '../components/DecisionPanel';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { PermissionNotice } from '../components/PermissionNotice';
import { cellClass, rowClass, VirtualRows } from '../components/VirtualRows';
import styles from './ApprovalInbox.module.css';

export const INBOX_POLL_MS = 10_000;

const COLUMNS = [{ label: 'Waiting since' }, { label: 'What' }, { label: 'Service' }, { label: 'Where' }, { label: 'Requester' }, { label: '' }];

/** The approver's inbox: pending requests the user may decide on, oldest first; approve or reject with a reason. */
export function ApprovalInbox() {
  const { me, error: meError } = useMe();
  const now = useNow();
  // Wait for /me before asking for the inbox; if /me cannot be had, ask anyway and show what the portal says.
  const known = me !== null || meError !== null;
  const allowed = !me || can(me, 'actions:approve');
  const list = useLoad((signal) => api.listApprovals(signal), 'inbox', { pollMs: () => INBOX_POLL_MS, enabled: known && allowed });
  const [deciding, setDeciding] = useState<Action | null>(null);
  const [done, setDone] = useState<Action | null>(null);
  const { reload } = list;
  useActionChanges(useCallback(() => reload(), [reload]));

  if (!allowed) {
    return (
      <div className="page">
        <PermissionNotice title="You have no requests to approve" reason={whyNot(me, 'actions:approve')} />
      </div>
    );
  }

  const items = list.data ?? [];
  let body;
  if (!list.data && list.error) {
    body = <ErrorState title="The approvals inbox could not be loaded" error={list.error} onRetry={list.reload} />;
  } else if (!list.data) {
    body = (
      <LoadingState>
        Loading requests waiting for you…
      </LoadingState>
    );
  } else if (items.length === 0) {
    body = (
      <EmptyState title="Nothing waits for your approval">
        <p>Requests you may approve appear here; your own requests never do.</p>
      </EmptyState>
    );
  }

  return (
    <section className="list-page" aria-label="Approvals">
      <div className="toolbar">
        <h1 className="toolbar-title">Approvals</h1>
        <span className="list-total" aria-live="polite" data-testid="approvals-total">
          {list.data ? `${count(items.length, 'request')} waiting for you` : ''}
        </span>
      </div>
      {done && (
        <p className={cx('form-saved', styles.done, done.state === 'rejected' && styles.rejected)} role="status">
          {done.state === 'rejected' ? 'Rejected' : 'Approved'} {actionSubject(done)}.{' '}
          <a href={actionHash(done.id)}>Follow it</a>
        </p>
      )}
      {deciding && (
        <div className={`panel ${styles['decide-panel']}`} aria-labelledby="deciding-heading">
          <h2 id="deciding-heading">
            Decide: {actionSubject(deciding)}
          </h2>
          <p className="muted">
            Requested by {deciding.requester} (team {deciding.team}) in {deciding.environment} / {deciding.region}.{' '}
            <a href={actionHash(deciding.id)}>Full request</a>
          </p>
          {deciding.kind === 'service_create' && (
            <p className="inline-note" role="note">
              A new service: <a href={actionHash(deciding.id)}>review its plan</a> — every file, the pull request and the steps — before you
              decide.
            </p>
          )}
          {deciding.kind !== 'service_create' && <ActionPreview key={`preview-${deciding.id}`} actionId={deciding.id} open compact />}
          <DecisionPanel
            key={deciding.id}
            action={deciding}
            mayDecide
            compact
            onDecided={(a) => {
              setDone(a);
              setDeciding(null);
            }}
          />
          <button type="button" className="button button-link" onClick={() => setDeciding(null)}>
            Close
          </button>
        </div>
      )}
      {list.error && list.data && (
        <div className="inline-error" role="alert">
          Refreshing failed: {list.error.message}
        </div>
      )}
      <VirtualRows<Action>
        label="Requests waiting for approval"
        className={styles.table}
        columns={COLUMNS}
        items={items}
        rowHeight={44}
        rowKey={(a) => a.id}
        body={body}
        renderRow={(a, i, style) => (
          <div key={a.id} className={rowClass({ selected: deciding?.id === a.id })} role="row" aria-rowindex={i + 2} data-action={a.id} style={style}>
            <div className={cellClass()} role="cell">
              <time dateTime={a.created_at} title={absoluteTime(a.created_at)}>
                {relativeTime(a.created_at, now)}
              </time>
            </div>
            <div className={cellClass()} role="cell">
              <a href={actionHash(a.id)}>{actionTitle(a)}</a>
            </div>
            <div className={cellClass()} role="cell">
              <ActionOwner action={a} />
            </div>
            <div className={cellClass()} role="cell">
              {a.environment} / {a.region}
            </div>
            <div className={cellClass()} role="cell">
              {a.requester}
            </div>
            <div className={cellClass()} role="cell">
              <button
                type="button"
                className="button"
                onClick={() => {
                  setDone(null);
                  setDeciding(a);
                }}
              >
                Decide…
              </button>
            </div>
          </div>
        )}
      />
    </section>
  );
}

import { useState } from 'react';
import { api, asApiError, type Action, type ApiError, type Approval } from '../api/client';
import { announceActionChange } from '../hooks/useApprovalCount';
import { useFollowAction } from '../hooks/useFollowAction';
import { useNow } from '../hooks/useNow';
import { isFinal, progressSteps, type StepStatus } from '../lib/actionState';
import { actionTitle, approversText, deliveryText, paramEntries, runParamEntries } from '../lib/actionText';
import { cx } from '../lib/classNames';
import { absoluteTime, relativeTime } from '../lib/format';
import { requestsHash, serviceHash } from '../lib/router';
import { hasRun, runSummary } from '../lib/runProgress';
import { ActionPlan } from '../components/ActionPlan';
import { ActionPreview } from '../components/ActionPreview';
import { ActionResult } from '../components/ActionResult';
import { ActionTimeline } from '../components/ActionTimeline';
import { CancelRun } from '../components/CancelRun';
import { DecisionPanel } from '../components/DecisionPanel';
import { LeftBehind } from '../components/LeftBehind';
import { ErrorState, LoadingState, Notice, NoticeBody } from '../components/Notice';
import { PageHeader, PageSubtitle } from '../components/PageHeader';
import { RunSteps } from '../components/RunSteps';
import { RunSummaryLine } from '../components/RunSummaryLine';
import { StateBadge } from '../components/StateBadge';
import styles from './ActionPage.module.css';

const STEP: Record<StepStatus, string | undefined> = { done: styles.done, current: styles.current, failed: styles.failed, todo: undefined, skipped: undefined };
const DECISION: Record<Approval['decision'], string | undefined> = { approved: styles.approved, rejected: styles.rejected };

function ProgressSteps({ action }: { action: Action }) {
  return (
    <ol className={styles['progress-steps']} aria-label="Progress">
      {progressSteps(action).map((s) => (
        <li key={s.state} className={cx(styles.step, STEP[s.status])} aria-current={s.status === 'current' ? 'step' : undefined}>
          {s.label}
        </li>
      ))}
    </ol>
  );
}

/** The subtitle's service: a link once the catalog has it (a new service's only after its run registered it). */
function ServiceRef({ a }: { a: Action }) {
  const registered = a.kind !== 'service_create' || a.steps.some((s) => s.id === 'register_catalog' && s.state === 'succeeded');
  return registered ? <a href={serviceHash(a.service)}>{a.service}</a> : <strong>{a.service}</strong>;
}

/**
 * One request: where it is, who decided what and why, and what it produced. A run (a new service) shows its steps
 * as they go, with retry from a failed step and cancel while it runs, and the plan it executes. Followed with the
 * portal's long poll until it is final.
 */
export function ActionPage({ id }: { id: string }) {
  const load = useFollowAction(id);
  const a = load.action;
  // Every second while a step runs (its duration counts up), else as relative times need.
  const now = useNow(a?.state === 'running' ? 1000 : 15_000);
  const [retrying, setRetrying] = useState(false);
  const [retryError, setRetryError] = useState<ApiError | null>(null);
  const retry = async () => {
    setRetrying(true);
    setRetryError(null);
    try {
      await api.retryAction(id);
      announceActionChange();
      load.reload();
    } catch (err) {
      setRetryError(asApiError(err));
    } finally {
      setRetrying(false);
    }
  };
  const back = (
    <nav className="breadcrumb">
      <a href={requestsHash()}>← My requests</a>
    </nav>
  );

  if (!a) {
    return (
      <div className="page">
        {back}
        {load.error?.status === 404 ? (
          <Notice kind="empty" role="alert" title={`No request ${id}`}>
            <NoticeBody>
              This portal has no such request; it may belong to another portal. <a href={requestsHash()}>See your requests</a>.
            </NoticeBody>
          </Notice>
        ) : load.error ? (
          <ErrorState title={`Request ${id} could not be loaded`} error={load.error} onRetry={load.reload} />
        ) : (
          <LoadingState>
            Loading request {id}…
          </LoadingState>
        )}
      </div>
    );
  }

  const moving = !isFinal(a.state);
  const run = hasRun(a);
  const summary = run ? runSummary(a) : null;
  return (
    <div className="page">
      {back}
      <PageHeader
        className={styles.header}
        testId="action-header"
        heading={
          <>
            <h1>{actionTitle(a)}</h1>
            <StateBadge state={a.state} />
            {moving && (
              <span className={`${styles.live} muted`} title="Following it: the page changes as soon as the portal does">
                <span className={styles['live-dot']} aria-hidden="true" /> live
              </span>
            )}
            {a.may_cancel && (
              <span className="heading-actions">
                <CancelRun action={a} onCancelled={() => load.reload()} />
              </span>
            )}
          </>
        }
      >
        <PageSubtitle>
          {a.service ? (
            <>
              for <ServiceRef a={a} /> (team {a.team})
            </>
          ) : (
            <>for team {a.team}</>
          )}{' '}
          in {a.environment} / {a.region}
        </PageSubtitle>
        <dl className="facts">
          <div>
            <dt>Requested by</dt>
            <dd>{a.requester}</dd>
          </div>
          <div>
            <dt>Requested</dt>
            <dd>
              <time dateTime={a.created_at} title={absoluteTime(a.created_at)}>
                {relativeTime(a.created_at, now)}
              </time>
            </dd>
          </div>
          <div>
            <dt>Approval</dt>
            <dd>{a.approvers.length > 0 ? `by ${approversText(a.approvers, a.team)}` : 'not needed'}</dd>
          </div>
          <div className="fact-wide">
            <dt>Delivery</dt>
            <dd>{deliveryText(a.delivery, a.kind)}</dd>
          </div>
          <div>
            <dt>Request id</dt>
            <dd className="mono">{a.id}</dd>
          </div>
        </dl>
        <ProgressSteps action={a} />
        {summary && <RunSummaryLine summary={summary} />}
      </PageHeader>
      {load.error && (
        <p className="inline-warning" role="status">
          Refreshing failed: {load.error.message} Showing what the portal said last; retrying.
        </p>
      )}
      <div className="page-columns">
        <div>
          {a.state === 'pending_approval' && a.kind !== 'service_create' && <ActionPreview key={`${a.id}-pending`} actionId={a.id} open />}
          {a.state === 'pending_approval' && (
            <section className="panel" aria-labelledby="decide-heading">
              <h2 id="decide-heading">Decision</h2>
              <p className="muted">Waiting for {approversText(a.approvers, a.team)}.</p>
              {a.may_approve && (
                <p>
                  {a.kind === 'service_create'
                    ? 'Review the plan below — every file, the pull request and the steps — before you decide.'
                    : 'Review what it does above before you decide.'}
                </p>
              )}
              <DecisionPanel
                action={a}
                mayDecide={a.may_approve === true}
                reason={a.may_approve_reason}
                onDecided={() => load.reload()}
              />
            </section>
          )}
          {a.state === 'failed' && (
            <section className={`panel ${styles['panel-error']}`} aria-labelledby="error-heading">
              <h2 id="error-heading">Why it failed</h2>
              <p>{a.error || 'The portal gave no reason.'}</p>
              <p className="muted">
                After {a.attempts} attempt{a.attempts === 1 ? '' : 's'}.{' '}
                {run && a.may_retry
                  ? 'Fix the cause if it is yours, then retry from the failed step below: the steps that succeeded are not run again.'
                  : run
                    ? `Only the requester, an owner of team ${a.team} or an admin may retry it.`
                    : 'Nothing more will happen to this request; fix the cause and request again.'}
              </p>
            </section>
          )}
          {run && (
            <section className="panel" aria-labelledby="steps-heading">
              <h2 id="steps-heading">
                Steps <span className="count">{a.steps.length}</span>
              </h2>
              {retryError && (
                <p className="form-error" role="alert">
                  The retry was refused: {retryError.message}
                </p>
              )}
              <RunSteps action={a} now={now} onRetry={() => void retry()} retrying={retrying} />
            </section>
          )}
          <LeftBehind action={a} />
          {a.state === 'rejected' && (
            <section className={`panel ${styles['panel-error']}`} aria-labelledby="reject-heading">
              <h2 id="reject-heading">Rejected</h2>
              <p data-testid="reject-reason">{a.reason || 'No reason given.'}</p>
            </section>
          )}
          {moving && a.error && (
            <p className="inline-warning" role="status">
              The last attempt failed and will be retried: {a.error}
            </p>
          )}
          {!run && (
            <section className="panel" aria-labelledby="result-heading">
              <h2 id="result-heading">Result</h2>
              {Object.keys(a.result).length === 0 && moving ? (
                <p className="muted">{a.state === 'pending_approval' ? 'Appears here once it is approved and has run.' : 'Appears here when it has run.'}</p>
              ) : (
                <ActionResult result={a.result} />
              )}
            </section>
          )}
          {a.state !== 'pending_approval' && a.kind !== 'service_create' && <ActionPreview key={a.id} actionId={a.id} open={false} />}
          <section className="panel" aria-labelledby="history-heading">
            <h2 id="history-heading">Timeline</h2>
            <ActionTimeline history={a.history} now={now} />
          </section>
        </div>
        <div>
          <section className="panel" aria-labelledby="params-heading">
            <h2 id="params-heading">Parameters</h2>
            <dl className="facts facts-column">
              {(a.kind === 'service_create' ? runParamEntries(a.params) : paramEntries(a.params)).map((p) => (
                <div key={p.label}>
                  <dt>{p.label}</dt>
                  <dd className="mono">{p.value}</dd>
                </div>
              ))}
            </dl>
          </section>
          <section className="panel" aria-labelledby="approvals-heading">
            <h2 id="approvals-heading">
              Approvals <span className="count">{a.approvals.length}</span>
            </h2>
            {a.approvals.length === 0 ? (
              <p className="muted">{a.approvers.length === 0 ? 'None needed.' : 'No decision yet.'}</p>
            ) : (
              <ul className={styles.approvals} aria-label="Decisions">
                {a.approvals.map((ap, i) => (
                  <li key={`${ap.approver}-${i}`} className={cx(styles.approval, DECISION[ap.decision])}>
                    <strong>{ap.decision === 'approved' ? 'Approved' : 'Rejected'}</strong> by {ap.approver}{' '}
                    <time dateTime={ap.at} title={absoluteTime(ap.at)}>
                      {relativeTime(ap.at, now)}
                    </time>
                    {ap.reason && <p className={styles.reason}>“{ap.reason}”</p>}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      </div>
      {a.kind === 'service_create' && (
        <ActionPlan
          key={a.id}
          actionId={a.id}
          digest={typeof a.params.plan_digest === 'string' ? a.params.plan_digest : ''}
          open={a.state === 'pending_approval'}
        />
      )}
    </div>
  );
}

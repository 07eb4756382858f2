import { useState } from 'react';
import { api, asApiError, type ApiError, type FlagDefinition, type FlagDetail, type FlagHistoryEntry, type PendingChange } from '../api/client';
import { announceActionChange } from '../hooks/useApprovalCount';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { useNow } from '../hooks/useNow';
import { conditionText, FLAG_RETRY, outcomeText } from '../lib/flagForm';
import { defaultText } from '../lib/flags';
import { absoluteTime, relativeTime } from '../lib/format';
import { can, whyNot } from '../lib/permissions';
import { flagEditHash, flagsHash, withLastFilters } from '../lib/router';
import { describeSubmitError } from '../lib/submitError';
import { parseTargeting } from '../lib/targeting';
import { Badge } from '../components/Badge';
import { CodeBlock } from '../components/CodeBlock';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { EnvironmentBadge, FlagStateBadge } from '../components/FlagBadges';
import { FlagHistory } from '../components/FlagHistory';
import { ErrorState, LoadingState, Notice } from '../components/Notice';
import { PageDescription, PageHeader } from '../components/PageHeader';
import { PendingApprovalNotice } from '../components/PendingApprovalNotice';
import { SubmitFailure } from '../components/SubmitFailure';
import styles from './FlagPage.module.css';

interface Props {
  environment: string;
  flagKey: string;
}

type CloseState = { kind: 'idle' } | { kind: 'confirm' } | { kind: 'busy' } | { kind: 'closed' } | { kind: 'pending'; pending: PendingChange } | { kind: 'failed'; error: ApiError };

/** One flag in one environment: its definition in words and as JSON, its history with diffs; edit and close. */
export function FlagPage({ environment, flagKey }: Props) {
  const { me } = useMe();
  const now = useNow();
  const key = `${environment}/${flagKey}`;
  const flag = useLoad<FlagDetail>((signal) => api.getFlag(environment, flagKey, signal), key);
  const history = useLoad<FlagHistoryEntry[]>((signal) => api.getFlagHistory(environment, flagKey, signal), key);
  const [close, setClose] = useState<CloseState>({ kind: 'idle' });
  const [comment, setComment] = useState('');

  const back = (
    <nav className="breadcrumb">
      <a href={withLastFilters(flagsHash())}>← Flags</a>
    </nav>
  );
  const historySection = (
    <section className="panel" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      {history.data ? (
        <FlagHistory entries={history.data} />
      ) : history.error ? (
        history.error.status === 404 ? (
          <p className="muted">No changes recorded.</p>
        ) : (
          <ErrorState title="The history could not be loaded" error={history.error} onRetry={history.reload} />
        )
      ) : (
        <p className="muted">Loading the history…</p>
      )}
    </section>
  );

  if (close.kind === 'closed' || (flag.error?.status === 404 && !flag.data)) {
    return (
      <div className={`page ${styles.flag}`}>
        {back}
        <h1 className="mono">{flagKey}</h1>
        {close.kind === 'closed' ? (
          <div className="form-saved" role="status" data-testid="flag-gone">
            {`Closed: ${flagKey} no longer exists in ${environment}; services asking for it get their code default. Its history stays below.`}
          </div>
        ) : (
          <Notice kind="empty" role="status" testId="flag-gone">
            {`There is no flag ${flagKey} in ${environment} (any more). Its history, if it had one, is below; the flag table lists the flags there are.`}
          </Notice>
        )}
        {historySection}
      </div>
    );
  }
  if (!flag.data) {
    return (
      <div className={`page ${styles.flag}`}>
        {back}
        {flag.error ? (
          <ErrorState title={`${flagKey} could not be loaded`} error={flag.error} onRetry={flag.reload} />
        ) : (
          <LoadingState>
            Loading {flagKey}…
          </LoadingState>
        )}
      </div>
    );
  }

  const f = flag.data;
  const mayWrite = !me || (f.team ? can(me, 'flags:write', f.team) : can(me, 'flags:import'));
  const why = f.team ? whyNot(me, 'flags:write', f.team) : 'This flag has no team; only administrators may change it.';
  const runClose = async () => {
    setClose({ kind: 'busy' });
    try {
      const out = await api.deleteFlag(environment, flagKey, comment.trim());
      if (out.kind === 'pending') {
        announceActionChange();
        setClose({ kind: 'pending', pending: out.pending });
      } else {
        setClose({ kind: 'closed' });
        history.reload();
      }
    } catch (err) {
      setClose({ kind: 'failed', error: asApiError(err) });
    }
  };
  const failure = close.kind === 'failed' ? describeSubmitError(close.error, 'change', { retrySafe: FLAG_RETRY }) : null;

  return (
    <div className={`page ${styles.flag}`}>
      {back}
      <PageHeader
        heading={
          <>
            <h1 className="mono">{f.key}</h1>
            <EnvironmentBadge environment={f.environment} />
            <FlagStateBadge state={f.state} />
            {f.stale && (
              <Badge tone="stale" title={f.stale_reason}>
                ready to close
              </Badge>
            )}
            <span className="heading-actions">
              {mayWrite ? (
                <>
                  <a className="button button-primary" href={flagEditHash(f.environment, f.key)}>
                    Edit
                  </a>
                  <button type="button" className="button button-danger-quiet" onClick={() => setClose({ kind: 'confirm' })} disabled={close.kind === 'busy'}>
                    Close flag
                  </button>
                </>
              ) : (
                <>
                  <button type="button" className="button" disabled aria-describedby="flag-why-not">
                    Edit
                  </button>
                  <span className="why-not" id="flag-why-not">
                    {why}
                  </span>
                </>
              )}
            </span>
          </>
        }
      >
        {typeof f.definition.metadata?.description === 'string' && <PageDescription>{f.definition.metadata.description}</PageDescription>}
        {f.stale && f.stale_reason && <p className="inline-note">Ready to close: it {f.stale_reason}. Remove it from the code, then close it here.</p>}
        <dl className="facts">
          <div>
            <dt>Team</dt>
            <dd>{f.team || <span className="muted">none (admins only)</span>}</dd>
          </div>
          <div>
            <dt>Owner</dt>
            <dd>{f.owner || '—'}</dd>
          </div>
          <div>
            <dt>Type</dt>
            <dd>{f.type}</dd>
          </div>
          <div>
            <dt>Default</dt>
            <dd className="mono">{defaultText(f.default)}</dd>
          </div>
          <div className="fact-wide">
            <dt>Rollout</dt>
            <dd>{f.rollout}</dd>
          </div>
          <div>
            <dt>Can serve</dt>
            <dd className="mono">{f.reachable.length > 0 ? f.reachable.join(', ') : 'the code default'}</dd>
          </div>
          <div>
            <dt>Last change</dt>
            <dd>
              v{f.version} by {f.updated_by},{' '}
              <time dateTime={f.updated_at} title={absoluteTime(f.updated_at)}>
                {relativeTime(f.updated_at, now)}
              </time>
            </dd>
          </div>
        </dl>
      </PageHeader>
      {close.kind === 'confirm' || close.kind === 'busy' ? (
        <ConfirmDialog
          title={`Close ${f.key} in ${f.environment}?`}
          confirmLabel="Close the flag"
          danger
          busy={close.kind === 'busy'}
          onConfirm={() => void runClose()}
          onCancel={() => setClose({ kind: 'idle' })}
        >
          <p>
            The flag is removed from {f.environment}: services asking for it get their code default. Remove it from the code first. Its history
            stays.
          </p>
          <div className="field">
            <label htmlFor="close-comment">Why (kept in the history)</label>
            <input id="close-comment" type="text" value={comment} onChange={(e) => setComment(e.target.value)} placeholder="e.g. fully rolled out since March" />
          </div>
        </ConfirmDialog>
      ) : null}
      {close.kind === 'pending' && <PendingApprovalNotice pending={close.pending} what={`Closing ${f.key} in ${f.environment}`} />}
      {failure && (
        <SubmitFailure title={failure.title} next={failure.next}>
          <p>{failure.body}</p>
        </SubmitFailure>
      )}
      <div className="page-columns">
        <div>
          <section className="panel" aria-labelledby="serves-heading">
            <h2 id="serves-heading">Who gets what</h2>
            <TargetingSummary definition={f.definition} />
          </section>
          {historySection}
        </div>
        <div>
          <section className="panel" aria-labelledby="definition-heading">
            <h2 id="definition-heading">Definition (flagd JSON)</h2>
            <CodeBlock className={styles.json} testId="flag-definition">
              {JSON.stringify(f.definition, null, 2)}
            </CodeBlock>
          </section>
        </div>
      </div>
    </div>
  );
}

/** The targeting in words: each rule in order, then everyone else; or why only the JSON can say. */
export function TargetingSummary({ definition: d }: { definition: FlagDefinition }) {
  const def = d.defaultVariant ?? null;
  if (d.state === 'DISABLED') return <p>Disabled: every evaluation gets the caller&apos;s code default.</p>;
  const t = parseTargeting(d.targeting);
  if (!t.ok) {
    return (
      <p>
        The targeting uses JsonLogic the rule builder does not show ({t.reason}, at <code>/targeting{t.path}</code>); see the JSON.
      </p>
    );
  }
  if (t.value.rules.length === 0) {
    return <p>Everyone gets {outcomeText(t.value.otherwise, def)}.</p>;
  }
  return (
    <ol className={styles.rules}>
      {t.value.rules.map((r, i) => (
        <li key={i}>
          If {conditionText(r.when)}: {outcomeText(r.then, def)}
        </li>
      ))}
      <li className={styles.otherwise}>Everyone else: {outcomeText(t.value.otherwise, def)}</li>
    </ol>
  );
}

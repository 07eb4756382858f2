import { useState } from 'react';
import { api, asApiError, type ApiError, type ItemError, type SourceDetail, type SourceStatus } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { useNow } from '../hooks/useNow';
import { absoluteTime, count, relativeTime } from '../lib/format';
import { can, whyNot } from '../lib/permissions';
import { clusterDataText, clusterDataTitle, clusterState } from '../lib/clusters';
import { cx } from '../lib/classNames';
import { CLUSTERS_HASH } from '../lib/router';
import { canSyncSource, progressPercent, progressText, rateLimitText, rateLimitTone, requestsText, sourceItems, sourcesPollMs, sourceState, type SourceItems, type SourceTone } from '../lib/sources';
import { Badge, STATUS_TONE } from '../components/Badge';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { cellClass, rowClass, VirtualRows } from '../components/VirtualRows';
import styles from './SourcesPage.module.css';

/** A source's message reads in its state's colour when something is wrong; so does a rate limit running low. */
const MESSAGE_TONE: Partial<Record<SourceTone, string>> = { error: styles['message-error'], warn: styles['message-warn'] };
const RATE_TONE: Partial<Record<SourceTone, string>> = { ok: styles['rate-ok'], warn: styles['rate-warn'] };

/**
 * Where the catalog comes from: each source's state, repositories done/total while it syncs, when it last
 * synced, errors per repository, the GitHub rate-limit budget left, and "Sync now" for admins. Refreshes every
 * 1.5 s while a sync runs, every 10 s otherwise.
 */
export function SourcesPage({ portalKey }: { portalKey: string }) {
  const sources = useLoad<SourceStatus[]>((signal) => api.listSources(signal), portalKey, { pollMs: sourcesPollMs });
  let body;
  if (!sources.data && sources.error) {
    body = <ErrorState title="The sources could not be loaded" error={sources.error} onRetry={sources.reload} />;
  } else if (!sources.data) {
    body = (
      <LoadingState>
        Loading sources…
      </LoadingState>
    );
  } else if (sources.data.length === 0) {
    body = (
      <EmptyState title="No sources yet">
        <p>
          An admin configures GitHub organisations in the portal&apos;s configuration file (the <code>github</code> section) or with{' '}
          <code>ATRIUM_GITHUB_ORGS</code> and a token; every repository then becomes a service.
        </p>
      </EmptyState>
    );
  } else {
    body = sources.data.map((s) =>
      s.kind === 'kube' ? <ClusterSourceCard key={s.name} source={s} /> : <SourceCard key={s.name} source={s} onSynced={sources.reload} />,
    );
  }
  return (
    <div className={`page ${styles.sources}`}>
      <h1>Sources</h1>
      <p className="page-lead">
        Where the catalog comes from. A sync reads only what changed since the last one (conditional requests cost no GitHub rate limit); one failing
        repository never stops the rest. Kubernetes clusters, which say where services run, have their own page: <a href={CLUSTERS_HASH}>Clusters</a>.
      </p>
      {sources.error && sources.data && (
        <p className="inline-warning" role="status">
          Refreshing failed: {sources.error.message} The figures below are from the last answer.
        </p>
      )}
      {body}
    </div>
  );
}

/**
 * A Kubernetes cluster as a source (kube:NAME): its state and message, and how old its data is. It has no
 * repositories and no "Sync now" (informers watch continuously); the Clusters page has the details.
 */
function ClusterSourceCard({ source: s }: { source: SourceStatus }) {
  const now = useNow(10_000);
  const view = clusterState(s.state);
  const cluster = s.name.replace(/^kube:/, '');
  // finished_at is when the cluster's data was last complete; the portal sends the zero time as 1970 when never.
  const lastOk = s.finished_at && Date.parse(s.finished_at) > 0 ? s.finished_at : undefined;
  return (
    <section className="panel" aria-label={`Source ${s.name}`} data-source={s.name}>
      <div className={styles.head}>
        <h2 className={styles.name}>{s.name}</h2>
        <span className="muted">Kubernetes cluster</span>
        <Badge tone={STATUS_TONE[view.tone]} title={view.meaning} data-testid="source-state">
          {view.label}
        </Badge>
        <span className="heading-actions">
          <a href={CLUSTERS_HASH}>See {cluster} on the Clusters page</a>
        </span>
      </div>
      {s.message && <p className={cx(styles.message, MESSAGE_TONE[view.tone])}>{s.message}</p>}
      <dl className="facts">
        <div>
          <dt>Services</dt>
          <dd>{s.services}</dd>
        </div>
        <div className="fact-wide">
          <dt>Data</dt>
          <dd title={clusterDataTitle({ last_ok_at: lastOk })}>{clusterDataText({ state: s.state, last_ok_at: lastOk }, now)}</dd>
        </div>
      </dl>
    </section>
  );
}

function SourceCard({ source: s, onSynced }: { source: SourceStatus; onSynced: () => void }) {
  const { me } = useMe();
  const now = useNow(5_000);
  const [syncing, setSyncing] = useState<{ kind: 'idle' } | { kind: 'busy' } | { kind: 'failed'; error: ApiError } | { kind: 'queued' }>({ kind: 'idle' });
  const [showErrors, setShowErrors] = useState(false);
  const view = sourceState(s);
  const nouns = sourceItems(s.kind);
  const progress = progressText(s);
  const mayTry = can(me, 'sources:sync');
  const syncable = canSyncSource(s);

  const syncNow = async () => {
    setSyncing({ kind: 'busy' });
    try {
      await api.syncSource(s.name);
      setSyncing({ kind: 'queued' });
      onSynced();
    } catch (err) {
      setSyncing({ kind: 'failed', error: asApiError(err) });
    }
  };

  return (
    <section className="panel" aria-label={`Source ${s.name}`} data-source={s.name}>
      <div className={styles.head}>
        <h2 className={styles.name}>{s.name}</h2>
        <span className="muted">{s.kind}</span>
        <Badge tone={STATUS_TONE[view.tone]} title={view.meaning} data-testid="source-state">
          {view.label}
        </Badge>
        <span className="heading-actions">
          {mayTry ? (
            <>
              <button
                type="button"
                className="button"
                disabled={!syncable || syncing.kind === 'busy' || s.state === 'syncing'}
                title={syncable ? undefined : 'This source is not a running collector (the built-in demo, or one no longer configured): there is nothing to sync.'}
                onClick={() => void syncNow()}
              >
                {s.state === 'syncing' ? 'Syncing…' : syncing.kind === 'busy' ? 'Starting…' : 'Sync now'}
              </button>
              {!syncable && <span className="why-not">Not a running collector (the built-in demo, or one no longer configured): nothing to sync.</span>}
            </>
          ) : (
            me && <span className={`muted ${styles['why-not-quiet']}`}>{whyNot(me, 'sources:sync')}</span>
          )}
        </span>
      </div>
      {s.message && <p className={cx(styles.message, MESSAGE_TONE[view.tone])}>{s.message}</p>}
      {syncing.kind === 'failed' && (
        <p className={`inline-error ${styles.inline}`} role="alert">
          The sync did not start: {syncing.error.message}
        </p>
      )}
      {syncing.kind === 'queued' && s.state !== 'syncing' && (
        <p className="form-saved" role="status">
          Sync queued; progress shows here in a moment.
        </p>
      )}
      {(s.state === 'syncing' || s.total > 0) && (
        <div className={styles.progress}>
          <div
            className={cx(styles.bar, s.state === 'syncing' && styles.live)}
            role="progressbar"
            aria-label={`${s.name} sync progress`}
            aria-valuemin={0}
            aria-valuemax={s.total || 100}
            aria-valuenow={s.total ? s.done : undefined}
          >
            <span style={{ width: `${progressPercent(s)}%` }} />
          </div>
          <span className="muted" data-testid="source-progress">
            {progress}
          </span>
        </div>
      )}
      <dl className="facts">
        {nouns.catalog && (
          <div>
            <dt>Services</dt>
            <dd>{s.services}</dd>
          </div>
        )}
        <div>
          <dt>{s.state === 'syncing' ? 'Started' : 'Last sync'}</dt>
          <dd>
            {s.state === 'syncing' && s.started_at ? (
              <time dateTime={s.started_at} title={absoluteTime(s.started_at)}>
                {relativeTime(s.started_at, now)}
              </time>
            ) : s.finished_at ? (
              <time dateTime={s.finished_at} title={absoluteTime(s.finished_at)} data-testid="source-last-sync">
                {relativeTime(s.finished_at, now)}
              </time>
            ) : (
              <span className="muted">never</span>
            )}
          </dd>
        </div>
        <div>
          <dt>{nouns.errorsFact}</dt>
          <dd>
            {s.errors > 0 ? (
              <button type="button" className={`button button-link ${styles['errors-toggle']}`} aria-expanded={showErrors} onClick={() => setShowErrors((x) => !x)}>
                {count(s.errors, nouns.one, nouns.many)} — {showErrors ? 'hide' : 'show'}
              </button>
            ) : (
              '0'
            )}
          </dd>
        </div>
        {s.rate_limit && (
          <div className="fact-wide">
            <dt>GitHub rate limit</dt>
            <dd className={RATE_TONE[rateLimitTone(s.rate_limit)]} data-testid="rate-limit">
              {rateLimitText(s.rate_limit, now)}
            </dd>
          </div>
        )}
        {s.requests && (
          <div className="fact-wide">
            <dt>{s.state === 'syncing' ? 'This sync asked' : 'The last sync asked'}</dt>
            <dd>{requestsText(s.requests)}</dd>
          </div>
        )}
        {s.versions && (
          <div className="fact-wide">
            <dt>Newest versions</dt>
            <dd>{s.versions}</dd>
          </div>
        )}
      </dl>
      {showErrors && <ItemErrors name={s.name} nouns={nouns} version={`${s.finished_at ?? ''}|${s.errors}`} />}
    </section>
  );
}

const errorColumns = (nouns: SourceItems) => [{ label: nouns.column }, { label: 'Error' }, { label: 'When' }];

/** The repositories whose last attempt failed (the broken templates of a templates repository), with why; one
 * failing never stops the others. */
function ItemErrors({ name, nouns, version }: { name: string; nouns: SourceItems; version: string }) {
  const detail = useLoad<SourceDetail>((signal) => api.getSource(name, signal), `${name}|${version}`);
  const now = useNow();
  if (!detail.data) {
    return detail.error ? (
      <ErrorState title={`The ${nouns.errorsFact.toLowerCase()} could not be loaded`} error={detail.error} onRetry={detail.reload} />
    ) : (
      <p className="muted">Loading the {nouns.errorsFact.toLowerCase()}…</p>
    );
  }
  const items = detail.data.item_errors;
  if (items.length === 0) return <p className="muted">{nouns.none}</p>;
  return (
    <div className={styles['item-errors']}>
      <p className="muted">{nouns.errorsMeaning}</p>
      <VirtualRows<ItemError>
        label={`${nouns.errorsFact} of ${name}`}
        className={styles.table}
        columns={errorColumns(nouns)}
        items={items}
        rowHeight={34}
        rowKey={(e) => e.item}
        renderRow={(e, i, style) => (
          <div key={e.item} className={rowClass({ clickable: false })} role="row" aria-rowindex={i + 2} style={style}>
            <div className={cellClass('mono')} role="cell" title={e.item}>
              {e.item}
            </div>
            <div className={cellClass()} role="cell" title={e.error}>
              {e.error}
            </div>
            <div className={cellClass()} role="cell">
              <time dateTime={e.at} title={absoluteTime(e.at)}>
                {relativeTime(e.at, now)}
              </time>
            </div>
          </div>
        )}
      />
    </div>
  );
}

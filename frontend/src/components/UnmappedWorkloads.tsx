import { useState } from 'react';
import { api, type ClaimResult, type KubeCluster, type UnmappedWorkload } from '../api/client';
import { nextOffset, useLoadMore, type MoreSource } from '../hooks/useLoadMore';
import { count } from '../lib/format';
import { serviceHash } from '../lib/router';
import { ClaimWorkloadForm } from './ClaimWorkloadForm';
import { EmptyState, ErrorState, LoadingState } from './Notice';
import { cellClass, rowClass, VirtualRows } from './VirtualRows';
import styles from './UnmappedWorkloads.module.css';

export const UNMAPPED_PAGE = 200;

const UNMAPPED: MoreSource<{ cluster: string; version: number }, UnmappedWorkload, number> = {
  fetch: async ({ cluster }, offset, signal) => {
    const page = await api.listUnmappedWorkloads({ cluster: cluster || undefined, limit: UNMAPPED_PAGE, offset: offset ?? 0 }, signal);
    return { items: page.items, total: page.total, next: nextOffset(offset, page.items.length, page.total) };
  },
};

/** GET /api/v1/kube/unmapped, 200 rows per call as the list scrolls; a new cluster filter or version starts over. */
function useUnmappedPages(cluster: string, version: number) {
  const pages = useLoadMore(UNMAPPED, { cluster, version });
  return {
    items: pages.stale ? [] : pages.items,
    total: pages.stale ? null : pages.total,
    loading: pages.loading,
    error: pages.error,
    more: pages.more,
    reload: pages.reload,
  };
}

const COLUMNS = [{ label: 'Cluster' }, { label: 'Namespace' }, { label: 'Workload' }, { label: 'Version' }, { label: 'Why unmapped' }, { label: '' }];

interface Props {
  clusters: KubeCluster[];
  mayClaim: boolean;
  /** Why the user may not claim, for the note shown instead of the Claim buttons. */
  whyNotClaim: string;
  /** Changes after a claim or a removed claim: the list is read again. */
  version: number;
  onClaimed: () => void;
}

/** Workloads no catalog service owns, with why, and a Claim action for admins. */
export function UnmappedWorkloads({ clusters, mayClaim, whyNotClaim, version, onClaimed }: Props) {
  const [cluster, setCluster] = useState('');
  const pages = useUnmappedPages(cluster, version);
  const [claiming, setClaiming] = useState<UnmappedWorkload | null>(null);
  const [claimed, setClaimed] = useState<{ text: string; service: string } | null>(null);

  const done = (w: UnmappedWorkload, r: ClaimResult) => {
    setClaiming(null);
    const where = r.claim.cluster ? `in ${r.claim.cluster}` : 'in every cluster';
    setClaimed({
      text: `${w.namespace}/${w.kind}/${w.name} ${where} now belongs to ${r.claim.service} (${count(r.matched, 'workload')} matched).`,
      service: r.claim.service,
    });
    onClaimed();
  };

  let body;
  if (pages.total === null && pages.error) {
    body = <ErrorState title="The unmapped workloads could not be loaded" error={pages.error} onRetry={pages.reload} />;
  } else if (pages.total === null) {
    body = (
      <LoadingState>
        Loading unmapped workloads…
      </LoadingState>
    );
  } else if (pages.total === 0) {
    body = (
      <EmptyState title={cluster ? `Every workload in ${cluster} belongs to a service` : 'Every workload belongs to a service'}>
        <p>
          Workloads map to services by the annotation <code>atrium.sphera.io/service</code> or the label <code>app.kubernetes.io/name</code>, or by a claim.
        </p>
      </EmptyState>
    );
  }

  return (
    <section className={`panel ${styles.unmapped}`} aria-labelledby="unmapped-heading">
      <div className="section-tools">
        <h2 id="unmapped-heading">
          Unmapped workloads {pages.total !== null && <span className="count">{pages.total}</span>}
        </h2>
        <label className="facet-filter">
          <span className="facet-label">Cluster</span>
          <select aria-label="Cluster" value={cluster} onChange={(e) => setCluster(e.target.value)}>
            <option value="">All clusters</option>
            {clusters.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted">
        Workloads no catalog service owns: their annotation and label name no service. {mayClaim ? 'Claim one to map it to a service.' : whyNotClaim}
      </p>
      {claimed && (
        <p className="form-saved" role="status" data-testid="claim-saved">
          {claimed.text} <a href={serviceHash(claimed.service)}>Open {claimed.service}</a>
        </p>
      )}
      {claiming && <ClaimWorkloadForm key={`${claiming.cluster}/${claiming.namespace}/${claiming.kind}/${claiming.name}`} workload={claiming} onClaimed={(r) => done(claiming, r)} onCancel={() => setClaiming(null)} />}
      {pages.error && pages.total !== null && (
        <div className="inline-error" role="alert">
          Loading more failed: {pages.error.message}{' '}
          <button type="button" className="button button-link" onClick={pages.more}>
            Retry
          </button>
        </div>
      )}
      {pages.total === 0 ? (
        body
      ) : (
        <VirtualRows<UnmappedWorkload>
          label="Unmapped workloads"
          className={styles.table}
          columns={COLUMNS}
          items={pages.items}
          rowHeight={40}
          rowKey={(w) => `${w.cluster}/${w.namespace}/${w.kind}/${w.name}`}
          onEndReached={pages.more}
          busy={pages.loading}
          body={body}
          renderRow={(w, i, style) => (
            <div key={`${w.cluster}/${w.namespace}/${w.kind}/${w.name}`} className={rowClass({ clickable: false })} role="row" aria-rowindex={i + 2} data-workload={w.name} style={style}>
              <div className={cellClass('mono')} role="cell">
                {w.cluster}
              </div>
              <div className={cellClass('mono')} role="cell">
                {w.namespace}
              </div>
              <div className={cellClass()} role="cell" title={w.image}>
                <span className="muted">{w.kind}</span> <span className="mono">{w.name}</span>
              </div>
              <div className={cellClass('mono')} role="cell">
                {w.version}
              </div>
              <div className={cellClass()} role="cell" title={w.reason}>
                {w.reason}
              </div>
              <div className={cellClass()} role="cell">
                {mayClaim && (
                  <button type="button" className="button" onClick={() => setClaiming(w)}>
                    Claim…
                  </button>
                )}
              </div>
            </div>
          )}
        />
      )}
    </section>
  );
}

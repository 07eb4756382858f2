import { useCallback, useEffect, useRef, useState } from 'react';
import { api, asApiError, isAbortError, type ApiError, type ClaimResult, type KubeCluster, type UnmappedWorkload } from '../api/client';
import { count } from '../lib/format';
import { serviceHash } from '../lib/router';
import { ClaimWorkloadForm } from './ClaimWorkloadForm';
import { EmptyState, ErrorState } from './Notice';
import { VirtualRows } from './VirtualRows';

export const UNMAPPED_PAGE = 200;

interface Pages {
  key: string;
  items: UnmappedWorkload[];
  total: number | null;
  loading: boolean;
  error: ApiError | null;
}

/** GET /api/v1/kube/unmapped, 200 rows per call as the list scrolls; a new cluster filter or version starts over. */
function useUnmappedPages(cluster: string, version: number) {
  const key = `${cluster}|${version}`;
  const [pages, setPages] = useState<Pages>({ key: '', items: [], total: null, loading: false, error: null });
  const controller = useRef<AbortController | null>(null);

  const fetchFrom = useCallback(
    (offset: number) => {
      controller.current?.abort();
      const c = new AbortController();
      controller.current = c;
      setPages((p) => ({ ...p, loading: true, error: null }));
      api.listUnmappedWorkloads({ cluster: cluster || undefined, limit: UNMAPPED_PAGE, offset }, c.signal).then(
        (page) => setPages((p) => ({ key, items: offset === 0 ? page.items : [...p.items, ...page.items], total: page.total, loading: false, error: null })),
        (err: unknown) => {
          if (!isAbortError(err)) setPages((p) => ({ ...p, loading: false, error: asApiError(err) }));
        },
      );
    },
    [cluster, key],
  );

  useEffect(() => {
    fetchFrom(0);
    return () => controller.current?.abort();
  }, [fetchFrom]);

  const current = pages.key === key;
  const items = current ? pages.items : [];
  const more = useCallback(() => {
    if (!pages.loading && !pages.error && pages.total !== null && pages.items.length < pages.total) fetchFrom(pages.items.length);
  }, [pages, fetchFrom]);
  return { items, total: current ? pages.total : null, loading: pages.loading, error: pages.error, more, reload: () => fetchFrom(0) };
}

const COLUMNS = [
  { label: 'Cluster', className: 'col-cluster' },
  { label: 'Namespace', className: 'col-namespace' },
  { label: 'Workload', className: 'col-workload' },
  { label: 'Version', className: 'col-version' },
  { label: 'Why unmapped', className: 'col-reason' },
  { label: '', className: 'col-claim' },
];

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
      <div className="notice notice-loading" role="status">
        Loading unmapped workloads…
      </div>
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
    <section className="panel unmapped" aria-labelledby="unmapped-heading">
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
          className="unmapped-table"
          columns={COLUMNS}
          items={pages.items}
          rowHeight={40}
          rowKey={(w) => `${w.cluster}/${w.namespace}/${w.kind}/${w.name}`}
          onEndReached={pages.more}
          busy={pages.loading}
          body={body}
          renderRow={(w, i, style) => (
            <div key={`${w.cluster}/${w.namespace}/${w.kind}/${w.name}`} className="tr row row-static" role="row" aria-rowindex={i + 2} data-workload={w.name} style={style}>
              <div className="td col-cluster mono" role="cell">
                {w.cluster}
              </div>
              <div className="td col-namespace mono" role="cell">
                {w.namespace}
              </div>
              <div className="td col-workload" role="cell" title={w.image}>
                <span className="muted">{w.kind}</span> <span className="mono">{w.name}</span>
              </div>
              <div className="td col-version mono" role="cell">
                {w.version}
              </div>
              <div className="td col-reason" role="cell" title={w.reason}>
                {w.reason}
              </div>
              <div className="td col-claim" role="cell">
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

import { useState } from 'react';
import { api, type KubeCluster } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { useNow } from '../hooks/useNow';
import { clusterDataText, clusterDataTitle, clusterState, type ClusterTone } from '../lib/clusters';
import { cx } from '../lib/classNames';
import { count } from '../lib/format';
import { can, whyNot } from '../lib/permissions';
import { matrixHash, SETTINGS_HASH, SOURCES_HASH, withLastFilters } from '../lib/router';
import { Badge, STATUS_TONE } from '../components/Badge';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { PermissionNotice } from '../components/PermissionNotice';
import { UnmappedWorkloads } from '../components/UnmappedWorkloads';
import { WorkloadClaims } from '../components/WorkloadClaims';
import styles from './ClustersPage.module.css';

/** A cluster's message reads in its state's colour when something is wrong. */
const MESSAGE_TONE: Partial<Record<ClusterTone, string>> = { error: styles['message-error'], warn: styles['message-warn'] };

interface Props {
  portalKey: string;
  /** The sync status's mode: "local" (the built-in demo portal) or "remote". */
  mode: string;
}

/** While any cluster is connecting, ask again soon; otherwise every 15 s. */
function clustersPollMs(items: KubeCluster[]): number {
  return items.some((c) => c.state === 'connecting') ? 3_000 : 15_000;
}

/**
 * The Kubernetes clusters the portal reads: each one's state and what to do about it, how old its data is, how
 * many workloads it has; and, for admins, the workloads no service owns, to claim for one.
 */
export function ClustersPage({ portalKey, mode }: Props) {
  const { me, error: meError } = useMe();
  // Wait for /me before asking; if /me cannot be had, ask anyway and show what the portal says.
  const known = me !== null || meError !== null;
  const allowed = !me || can(me, 'sources:read');
  const [changes, setChanges] = useState(0);
  const clusters = useLoad<KubeCluster[]>((signal) => api.listKubeClusters(signal), `${portalKey}|${changes}`, {
    pollMs: clustersPollMs,
    enabled: known && allowed,
  });
  const now = useNow(10_000);

  if (!allowed) {
    return (
      <div className={`page ${styles.clusters}`}>
        <h1>Clusters</h1>
        <PermissionNotice title="You may not see the clusters" reason={whyNot(me, 'sources:read')} />
      </div>
    );
  }

  const items = clusters.data;
  let body;
  if (!items && clusters.error) {
    body = <ErrorState title="The clusters could not be loaded" error={clusters.error} onRetry={clusters.reload} />;
  } else if (!items) {
    body = (
      <LoadingState>
        Loading clusters…
      </LoadingState>
    );
  } else if (items.length === 0) {
    body = mode === 'local' ? <NoClustersInLocalMode /> : <NoClustersRegistered />;
  } else {
    body = <ClusterTable clusters={items} now={now} />;
  }
  return (
    <div className={`page ${styles.clusters}`}>
      <nav className="breadcrumb">
        <a href={withLastFilters(matrixHash())}>← What runs where</a> · <a href={SOURCES_HASH}>Sources</a>
      </nav>
      <h1>Clusters</h1>
      <p className="page-lead">
        The Kubernetes clusters the portal reads. A cluster that cannot be read keeps its last data, marked with its age; it never blanks the others.
      </p>
      {clusters.error && items && (
        <p className="inline-warning" role="status">
          Refreshing failed: {clusters.error.message} The states below are from the last answer.
        </p>
      )}
      {body}
      {items && items.length > 0 && (
        <>
          <UnmappedWorkloads clusters={items} mayClaim={can(me, 'kube:claim')} whyNotClaim={whyNot(me, 'kube:claim')} version={changes} onClaimed={() => setChanges((n) => n + 1)} />
          <WorkloadClaims mayClaim={can(me, 'kube:claim')} version={changes} onRemoved={() => setChanges((n) => n + 1)} />
        </>
      )}
    </div>
  );
}

/** "a", "a and b", "a, b and c". */
function sentenceList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

function NoClustersInLocalMode() {
  // The demo's deployments name clusters of their own; the matrix's columns say which.
  const demo = useLoad((signal) => api.getKubeMatrix({ limit: 1 }, signal), 'demo-clusters');
  const names = (demo.data?.clusters ?? []).map((c) => c.name);
  return (
    <EmptyState title="No live clusters in local mode">
      <p>
        Local mode runs the portal inside this app on a demo catalog and reads no Kubernetes cluster. The deployments in the{' '}
        <a href={withLastFilters(matrixHash())}>matrix</a> and on service pages
        {names.length > 0 ? ` (in the demo clusters ${sentenceList(names)})` : ''} are demo data.
      </p>
      <p>
        To see your own fleet, connect to your team&apos;s portal in <a href={SETTINGS_HASH}>Settings</a>; its admin registers the clusters on the portal server
        (<code>atrium serve --kube-clusters FILE</code>). You never need a kubeconfig yourself.
      </p>
    </EmptyState>
  );
}

function NoClustersRegistered() {
  return (
    <EmptyState title="This portal reads no Kubernetes cluster yet">
      <p>
        An admin registers clusters on the portal server: <code>atrium serve --kube-clusters FILE</code> (or <code>ATRIUM_KUBE_CLUSTERS</code>), each with a
        name, region, environment and a read-only kubeconfig. Deployments then appear on service pages and in the matrix.
      </p>
    </EmptyState>
  );
}

function ClusterTable({ clusters, now }: { clusters: KubeCluster[]; now: Date }) {
  return (
    <section className="panel" aria-labelledby="clusters-heading">
      <h2 id="clusters-heading">
        Clusters <span className="count">{clusters.length}</span>
      </h2>
      <table className={`grid ${styles.table}`} aria-label="Clusters">
        <thead>
          <tr>
            <th>Cluster</th>
            <th>Environment</th>
            <th>Region</th>
            <th>State</th>
            <th>Data</th>
            <th>Workloads</th>
          </tr>
        </thead>
        <tbody>
          {clusters.map((c) => {
            const view = clusterState(c.state);
            return (
              <tr key={c.name} data-cluster={c.name}>
                <td className="mono">{c.name}</td>
                <td>{c.environment}</td>
                <td>{c.region}</td>
                <td>
                  <Badge tone={STATUS_TONE[view.tone]} title={view.meaning} data-testid="cluster-state">
                    {view.label}
                  </Badge>
                  {c.message && <p className={cx(styles['cluster-message'], MESSAGE_TONE[view.tone])}>{c.message}</p>}
                </td>
                <td title={clusterDataTitle(c)} data-testid="cluster-data">
                  {clusterDataText(c, now)}
                </td>
                <td>
                  {count(c.workloads, 'workload')}
                  {c.unmapped > 0 && <span className="muted"> ({c.unmapped} unmapped)</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

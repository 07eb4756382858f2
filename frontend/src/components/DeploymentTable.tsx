import type { Deployment } from '../api/client';
import { useNow } from '../hooks/useNow';
import { absoluteTime, count, relativeTime } from '../lib/format';
import { autoscalerText, autoscalerTitle, groupByEnvironment, healthBadge, imageRepository } from '../lib/deployments';
import { Badge, STATUS_TONE } from './Badge';
import { EmptyState } from './Notice';
import styles from './DeploymentTable.module.css';

// Health right after where: on a narrow window the columns at the end may need scrolling to, never it.
const COLUMNS = ['Cluster', 'Region', 'Health', 'Version', 'Ready', 'Workload', 'Namespace', 'Image', 'Autoscaler', 'Last rollout'];

/** Where a service runs: one row per workload in a cluster, grouped by environment. */
export function DeploymentTable({ deployments }: { deployments: Deployment[] }) {
  const now = useNow();
  if (deployments.length === 0) {
    return (
      <EmptyState title="No deployments known yet">
        Deployments appear when a Kubernetes cluster running this service is connected to the portal.
      </EmptyState>
    );
  }
  const groups = groupByEnvironment(deployments);
  return (
    <div className={styles['table-scroll']}>
      <table className={`grid ${styles.deployments}`} aria-label="Deployments">
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        {groups.map((g) => {
          const clusters = new Set(g.deployments.map((d) => d.cluster)).size;
          return (
            <tbody key={g.environment} data-environment={g.environment}>
              <tr className={styles.group}>
                <th scope="rowgroup" colSpan={COLUMNS.length}>
                  {g.environment} <span className="muted">· {count(clusters, 'cluster')}</span>
                </th>
              </tr>
              {g.deployments.map((d) => (
                <DeploymentRow key={`${d.cluster}/${d.namespace}/${d.kind}/${d.name}`} d={d} now={now} />
              ))}
            </tbody>
          );
        })}
      </table>
    </div>
  );
}

function DeploymentRow({ d, now }: { d: Deployment; now: Date }) {
  const health = healthBadge(d.health);
  const hpa = autoscalerText(d);
  return (
    <tr data-cluster={d.cluster} data-workload={d.name}>
      <td className="mono">{d.cluster}</td>
      <td className={styles.nowrap}>{d.region}</td>
      <td className={styles.health} data-column="health">
        <Badge tone={STATUS_TONE[health.tone]}>{health.label}</Badge>
        {d.health_detail && <span className={styles.detail} data-testid="health-detail">{d.health_detail}</span>}
      </td>
      <td className={`mono ${styles['deployment-version']}`}>{d.version}</td>
      <td>
        <Badge tone={d.ready >= d.desired ? 'ok' : 'error'} title={`${d.ready} of ${d.desired} replicas ready`}>
          {d.ready}/{d.desired}
        </Badge>
      </td>
      <td className={styles.nowrap} data-column="workload">
        <span className="muted">{d.kind}</span> <span className="mono">{d.name}</span>
      </td>
      <td className="mono">{d.namespace}</td>
      <td className={`${styles.image} mono`} title={d.image} data-column="image">
        {imageRepository(d.image)}
      </td>
      <td className={styles.autoscaler} title={autoscalerTitle(d)} data-column="autoscaler">
        {hpa || <span className="muted">none</span>}
      </td>
      <td>
        {d.rollout_at ? (
          <time dateTime={d.rollout_at} title={absoluteTime(d.rollout_at)}>
            {relativeTime(d.rollout_at, now)}
          </time>
        ) : (
          <span className="muted">unknown</span>
        )}
      </td>
    </tr>
  );
}

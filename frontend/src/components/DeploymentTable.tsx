import type { Deployment } from '../api/client';
import { useNow } from '../hooks/useNow';
import { absoluteTime, relativeTime } from '../lib/format';
import { EmptyState } from './Notice';

/** Where a service runs: one row per workload in a cluster. */
export function DeploymentTable({ deployments }: { deployments: Deployment[] }) {
  const now = useNow();
  if (deployments.length === 0) {
    return (
      <EmptyState title="No deployments known yet">
        Deployments appear when a Kubernetes cluster running this service is connected to the portal.
      </EmptyState>
    );
  }
  return (
    <table className="grid">
      <thead>
        <tr>
          <th>Environment</th>
          <th>Cluster</th>
          <th>Region</th>
          <th>Workload</th>
          <th>Version</th>
          <th>Ready</th>
          <th>Updated</th>
        </tr>
      </thead>
      <tbody>
        {deployments.map((d) => (
          <tr key={`${d.cluster}/${d.namespace}/${d.kind}/${d.name}`}>
            <td>{d.environment}</td>
            <td>{d.cluster}</td>
            <td>{d.region}</td>
            <td className="mono" title={d.image}>
              {d.namespace}/{d.kind.toLowerCase()}/{d.name}
            </td>
            <td className="mono">{d.version}</td>
            <td>
              <span className={`badge ${d.ready >= d.desired ? 'badge-ok' : 'badge-findings'}`}>
                {d.ready}/{d.desired}
              </span>
            </td>
            <td>
              <time dateTime={d.updated_at} title={absoluteTime(d.updated_at)}>
                {relativeTime(d.updated_at, now)}
              </time>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

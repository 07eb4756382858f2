import type { Service } from '../api/client';
import { useFollowAction } from '../hooks/useFollowAction';
import { actionHash } from '../lib/router';
import { devRunning, runSummary } from '../lib/runProgress';
import { PreviewBadge } from './PreviewBadge';
import styles from './ServiceOrigin.module.css';

/** Where the run that created the service is, and where its hello-world runs in dev (followed while it moves). */
function RunState({ id, service }: { id: string; service: Service }) {
  const { action: a, error } = useFollowAction(id);
  if (!a) {
    return error ? <p className={styles.muted}>Its run could not be read: {error.message}</p> : null;
  }
  const running = devRunning(a, service.deployments);
  const wait = a.steps.find((s) => s.id === 'wait_dev_available');
  const previewed = wait?.state === 'skipped' && wait.output.preview;
  return (
    <>
      {running.map((r) => (
        <p key={r.cluster} className={styles.running} data-testid="dev-running">
          <span className={styles.dot} aria-hidden="true" />
          Running in <strong>{r.cluster}</strong> at <span className="mono">{r.url}</span>
          {r.ready && <span className={styles.muted}> ({r.ready})</span>}
        </p>
      ))}
      {running.length === 0 && previewed && (
        <p className={styles.muted} data-testid="dev-preview">
          <PreviewBadge /> Not deployed: this portal previews the golden path; {wait.output.preview}.
        </p>
      )}
      {running.length === 0 && !previewed && a.state !== 'succeeded' && (
        <p className={styles.muted} data-testid="run-state">
          {a.state === 'failed' || a.state === 'cancelled' ? 'Its run stopped: ' : 'Being created: '}
          {runSummary(a).text}
        </p>
      )}
    </>
  );
}

/**
 * For a service the golden path created: which template it came from, a link to the run that created it, and —
 * once that run saw its hello-world available — where it runs in dev and its in-cluster URL.
 */
export function ServiceOrigin({ service }: { service: Service }) {
  if (!service.template && !service.created_by_action) return null;
  const id = service.created_by_action;
  return (
    <div className={styles.origin} data-testid="service-origin">
      <p className={styles.line}>
        Created from template <span className="mono">{service.template || 'unknown'}</span>
        {id && (
          <>
            {' '}
            — <a href={actionHash(id)}>see the run that created it</a>
          </>
        )}
      </p>
      {id && <RunState id={id} service={service} />}
    </div>
  );
}

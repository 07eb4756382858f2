import type { Action } from '../api/client';
import { isFinal } from '../lib/actionState';
import { serviceHash } from '../lib/router';
import { stepViews, type OutputEntry } from '../lib/runProgress';
import { ExternalLink } from './ExternalLink';
import { PreviewBadge } from './PreviewBadge';
import styles from './RunSteps.module.css';

interface Props {
  action: Action;
  now: Date;
  /** Retry the action from its failed step; undefined: not offered here. */
  onRetry?: () => void;
  /** A retry is on its way. */
  retrying?: boolean;
}

function OutputValue({ o }: { o: OutputEntry }) {
  switch (o.kind) {
    case 'link':
      return <ExternalLink href={o.value}>{o.value}</ExternalLink>;
    case 'service':
      return <a href={serviceHash(o.value)}>{o.value}</a>;
    case 'mono':
      return <span className="mono">{o.value}</span>;
    case 'text':
      return <>{o.value}</>;
  }
}

/** A preview's sentence with a capital letter: "A team portal would have …". */
function sentence(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * A run's steps in order, as they go: each step's state, how long it took, what it made (repository, commit, pull
 * request, the agent's work, the in-cluster URL) or, in a preview, what a team portal would have made, and why a
 * failed step failed — with "Retry from this step" where the caller may retry.
 */
export function RunSteps({ action, now, onRetry, retrying }: Props) {
  const views = stepViews(action, now);
  if (views.length === 0) {
    const why =
      action.state === 'pending_approval'
        ? 'The steps run once the request is approved.'
        : isFinal(action.state)
          ? 'No step ran.'
          : 'The steps appear when the run starts.';
    return <p className="muted">{why}</p>;
  }
  const preview = action.result.preview;
  return (
    <>
      {preview && (
        <p className={styles['run-preview']} data-testid="run-preview">
          <PreviewBadge /> {sentence(preview)}.
        </p>
      )}
    <ol className={styles.steps} aria-label="Steps">
      {views.map((v) => (
        <li
          key={v.id}
          className={`${styles.step} ${styles[`tone-${v.badge.tone}`] ?? ''} ${v.current ? styles.current : ''}`}
          data-step={v.id}
          data-state={v.state}
          aria-current={v.state === 'running' ? 'step' : undefined}
        >
          <span className={styles.marker} aria-hidden="true">
            {v.state === 'succeeded' ? '✓' : v.state === 'failed' ? '✕' : v.number}
          </span>
          <div className={styles.body}>
            <div className={styles.head}>
              <span className={styles.title}>{v.title}</span>
              <span className={v.preview ? `badge ${styles['badge-preview']}` : `badge state state-${v.badge.tone}`} title={v.badge.meaning} data-testid="step-state">
                {v.badge.label}
              </span>
              {v.duration && <span className={styles.duration}>{v.duration}</span>}
              {v.attempts > 1 && <span className={styles.attempts}>{v.attempts} attempts</span>}
            </div>
            {v.preview && <p className={styles.preview}>{sentence(v.preview)}.</p>}
            {v.outputs.length > 0 && (
              <dl className={styles.outputs}>
                {v.outputs.map((o) => (
                  <div key={o.key}>
                    <dt>{o.label}</dt>
                    <dd>
                      {/* A previewed step made nothing: its would-be URL is no link. */}
                      <OutputValue o={v.preview && o.kind === 'link' ? { ...o, kind: 'mono' } : o} />
                    </dd>
                  </div>
                ))}
              </dl>
            )}
            {v.error && (
              <p className={styles.error} data-testid="step-error">
                {v.state === 'failed' ? '' : 'Last attempt: '}
                {v.error}
              </p>
            )}
            {v.retry && onRetry && (
              <button type="button" className="button button-primary" onClick={onRetry} disabled={retrying}>
                {retrying ? 'Retrying…' : 'Retry from this step'}
              </button>
            )}
          </div>
        </li>
      ))}
    </ol>
    </>
  );
}

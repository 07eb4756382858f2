import type { DriftItem } from '../api/client';
import { absoluteTime, relativeTime } from '../lib/format';
import { ackLabel, KIND_HELP, KIND_LABEL, placeOf } from '../lib/drift';
import { serviceHash } from '../lib/router';
import styles from './Drift.module.css';

/** A drift item's kind as a badge. */
export function DriftKindBadge({ item }: { item: DriftItem }) {
  return (
    <span className={`${styles.kind} ${styles[item.kind] ?? ''}`} title={KIND_HELP[item.kind]}>
      {KIND_LABEL[item.kind]}
    </span>
  );
}

/**
 * One drift item in full: what, where, since when, who changed it last, field by field what differs, where it is
 * declared and where its siblings are, and its acknowledgement.
 */
export function DriftItemView({ item, now, showService = true }: { item: DriftItem; now: Date; showService?: boolean }) {
  return (
    <div className={styles.item} data-drift={item.id} data-kind={item.kind}>
      <div className={styles.head}>
        <DriftKindBadge item={item} />
        <strong>{item.resource}</strong>
        <span className={styles.meta}>{placeOf(item)}</span>
        {showService &&
          (item.service ? (
            <a href={serviceHash(item.service)}>
              {item.service}
              {item.team ? ` (${item.team})` : ''}
            </a>
          ) : (
            <span className={styles.meta}>no known service</span>
          ))}
        <span className={styles.meta}>
          since <time title={absoluteTime(item.since)}>{relativeTime(item.since, now)}</time>
        </span>
        {item.state !== 'open' && <span className={`${styles.state} ${styles[item.state] ?? ''}`}>{item.state}</span>}
      </div>
      {item.fields && item.fields.length > 0 ? (
        <table className={styles.fields} aria-label={`Fields of ${item.resource} that differ`}>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Declared</th>
              <th scope="col">Live</th>
            </tr>
          </thead>
          <tbody>
            {item.fields.map((f) => (
              <tr key={f.path}>
                <td>
                  <code>{f.path}</code>
                </td>
                <td>{f.desired}</td>
                <td className={styles.live}>{f.live}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className={styles.summary}>{item.summary}</p>
      )}
      <p className={styles.meta}>
        {item.last_changed_by && (
          <>
            last changed by <strong>{item.last_changed_by}</strong>
            {item.last_changed_at && (
              <>
                {' '}
                <time title={absoluteTime(item.last_changed_at)}>{relativeTime(item.last_changed_at, now)}</time>
              </>
            )}
            {' · '}
          </>
        )}
        {item.declared_in ? `declared in ${item.declared_in}` : item.source === 'siblings' ? 'compared with its siblings' : 'declared nowhere'}
        {item.acknowledgement && ` · ${ackLabel(item, absoluteTime)}`}
        {item.fix && ` · fix requested by ${item.fix.by} (${item.fix.kind.replace('_', ' ')})`}
      </p>
    </div>
  );
}

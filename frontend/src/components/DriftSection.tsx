import { useEffect, useState } from 'react';
import { api, type DriftItem, type Me } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useNow } from '../hooks/useNow';
import { countByKind, DRIFT_KINDS, KIND_LABEL } from '../lib/drift';
import { DRIFT_HASH } from '../lib/router';
import { DriftActions } from './DriftActions';
import { DriftItemView } from './DriftItemView';
import { ErrorState } from './Notice';
import styles from './Drift.module.css';

interface Props {
  service: string;
  me: Me | null | undefined;
  refreshKey: string;
}

/**
 * A service's drift on its page (the developer's view): what is missing where its siblings are, live but undeclared,
 * or changed from gitops field by field — from the replica, offline too — with acknowledging, silencing and the fixes
 * for the owning team.
 */
export function DriftSection({ service, me, refreshKey }: Props) {
  const list = useLoad((signal) => api.listDrift({ service }, signal), `${service}|${refreshKey}`);
  const [items, setItems] = useState<DriftItem[]>([]);
  const now = useNow();
  useEffect(() => setItems(list.data?.items ?? []), [list.data]);
  const counts = countByKind(items);
  const replace = (it: DriftItem) => setItems((cur) => cur.map((x) => (x.id === it.id ? it : x)));

  return (
    <section className="panel" aria-labelledby="drift-heading">
      <div className="section-tools">
        <h2 id="drift-heading">
          Drift <span className="count">{items.length}</span>
        </h2>
        <span className={styles.meta}>
          {DRIFT_KINDS.filter((k) => counts[k] > 0)
            .map((k) => `${counts[k]} ${KIND_LABEL[k].toLowerCase()}`)
            .join(' · ')}
        </span>
        <a href={DRIFT_HASH}>All drift</a>
      </div>
      {list.error && !list.data && <ErrorState title="Drift could not be loaded" error={list.error} onRetry={list.reload} />}
      {list.data && items.length === 0 && <p className="muted">No drift: every installation of {service} is as declared and where its siblings are.</p>}
      <ul className={styles.list} aria-label={`Drift of ${service}`}>
        {items.map((it) => (
          <li key={it.id}>
            <DriftItemView item={it} now={now} showService={false} />
            <DriftActions item={it} me={me} onChanged={replace} />
          </li>
        ))}
      </ul>
    </section>
  );
}

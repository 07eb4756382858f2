import { useMemo, useState } from 'react';
import { api, type DriftItem, type DriftKind } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { useNow } from '../hooks/useNow';
import { absoluteTime, relativeTime } from '../lib/format';
import { countByKind, DRIFT_KINDS, KIND_HELP, KIND_LABEL, matches, placeLabel, placeOf, unknownPlaces } from '../lib/drift';
import { serviceHash } from '../lib/router';
import { DriftActions } from '../components/DriftActions';
import { DriftItemView, DriftKindBadge } from '../components/DriftItemView';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { cellClass, rowClass, VirtualRows, type VirtualColumn } from '../components/VirtualRows';
import styles from './DriftPage.module.css';

const COLUMNS: VirtualColumn[] = [
  { label: 'Kind', className: 'col-kind' },
  { label: 'Resource', className: 'col-resource' },
  { label: 'Service', className: 'col-service' },
  { label: 'Where', className: 'col-where' },
  { label: 'What', className: 'col-what' },
  { label: 'Since', className: 'col-since' },
  { label: 'State', className: 'col-state' },
];

/**
 * Every drift item of every service (the DevOps view): counts by kind, the places the portal could not see (unknown,
 * never "everything missing"), a filterable virtualised list; the selected item in full with what may be done.
 */
export function DriftPage({ refreshKey }: { refreshKey: string }) {
  const [resolved, setResolved] = useState(false);
  const list = useLoad((signal) => api.listDrift(resolved ? { resolved: true } : {}, signal), `${refreshKey}|${resolved}`);
  const { me } = useMe();
  const now = useNow();
  const [kind, setKind] = useState<DriftKind | ''>('');
  const [q, setQ] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const [changed, setChanged] = useState<Record<string, DriftItem>>({});
  const all = useMemo(() => (list.data?.items ?? []).map((it) => changed[it.id] ?? it), [list.data, changed]);
  const items = useMemo(() => all.filter((it) => (!kind || it.kind === kind) && matches(it, q)), [all, kind, q]);
  const counts = countByKind(all);
  const unknown = unknownPlaces(list.data?.status);
  const current = items.find((it) => it.id === selected) ?? null;

  let body;
  if (list.error && !list.data) body = <ErrorState title="Drift could not be loaded" error={list.error} onRetry={list.reload} />;
  else if (!list.data) body = <LoadingState>Loading drift…</LoadingState>;
  else if (items.length === 0)
    body = (
      <EmptyState title={all.length === 0 ? 'No drift' : 'No drift matches'}>
        {all.length === 0 ? 'Everything is where its siblings are, declared, and as declared — in the places Atrium could see.' : 'Clear the filters to see all.'}
      </EmptyState>
    );

  return (
    <section className="list-page" aria-label="Drift">
      <div className="toolbar">
        <h1 className="toolbar-title">Drift</h1>
        <div className={styles.kinds} role="group" aria-label="Kind">
          <button type="button" className={`button ${kind === '' ? styles.on : ''}`} aria-pressed={kind === ''} onClick={() => setKind('')}>
            All {all.length}
          </button>
          {DRIFT_KINDS.map((k) => (
            <button key={k} type="button" className={`button ${kind === k ? styles.on : ''}`} aria-pressed={kind === k} onClick={() => setKind(k)}>
              {KIND_LABEL[k]} {counts[k]}
            </button>
          ))}
        </div>
        <input
          className={styles.filter}
          type="search"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          placeholder="Filter by service, resource, region, cluster"
          aria-label="Filter drift"
        />
        <label className="checkbox">
          <input type="checkbox" checked={resolved} onChange={(e) => setResolved(e.target.checked)} /> Show resolved (last week)
        </label>
        <span className="list-total" data-testid="drift-total" aria-live="polite">
          {list.data ? `${items.length === all.length ? all.length : `${items.length} of ${all.length}`} ${all.length === 1 ? 'item' : 'items'}` : ''}
        </span>
      </div>
      <p className={`muted ${styles.lead}`}>
        What differs between installations: {DRIFT_KINDS.map((k) => `${KIND_LABEL[k].toLowerCase()} — ${KIND_HELP[k]}`).join('; ')}.
        {list.data?.status.checked_at && (
          <>
            {' '}
            Checked <time title={absoluteTime(list.data.status.checked_at)}>{relativeTime(list.data.status.checked_at, now)}</time>.
          </>
        )}
      </p>
      {unknown.length > 0 && (
        <div className={`inline-warning ${styles.unknown}`} role="status" aria-label="Places not seen">
          <strong>Unknown — not seen, nothing concluded there:</strong>
          <ul>
            {unknown.map((p) => (
              <li key={`${p.environment}/${p.region}/${p.cluster ?? ''}`}>
                {placeLabel(p)}: {p.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
      <VirtualRows<DriftItem>
        label="Drift"
        className={styles.table}
        columns={COLUMNS}
        items={items}
        rowHeight={48}
        rowKey={(it) => it.id}
        body={body}
        renderRow={(it, i, style) => (
          <div
            key={it.id}
            className={rowClass({ selected: it.id === selected })}
            role="row"
            aria-rowindex={i + 2}
            aria-selected={it.id === selected}
            data-drift={it.id}
            data-kind={it.kind}
            style={style}
            onClick={() => setSelected(it.id)}
          >
            <div className={cellClass()} role="cell">
              <DriftKindBadge item={it} />
            </div>
            <div className={cellClass()} role="cell" title={it.resource}>
              <button type="button" className={styles.linkButton} onClick={() => setSelected(it.id)}>
                {it.resource}
              </button>
            </div>
            <div className={cellClass()} role="cell">
              {it.service ? <a href={serviceHash(it.service)}>{it.service}</a> : '—'}
            </div>
            <div className={cellClass()} role="cell">
              {placeOf(it)}
            </div>
            <div className={cellClass()} role="cell" title={it.summary}>
              {it.summary}
            </div>
            <div className={cellClass()} role="cell">
              <time title={absoluteTime(it.since)}>{relativeTime(it.since, now)}</time>
            </div>
            <div className={cellClass()} role="cell">
              {it.state}
            </div>
          </div>
        )}
      />
      {current && (
        <section className={`panel ${styles.detail}`} aria-label={`Drift of ${current.resource}`}>
          <DriftItemView item={current} now={now} />
          <DriftActions item={current} me={me} onChanged={(it) => setChanged((c) => ({ ...c, [it.id]: it }))} />
        </section>
      )}
    </section>
  );
}

import { useMemo, useState } from 'react';
import { api, type Secret } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useNow } from '../hooks/useNow';
import { absoluteTime, relativeTime } from '../lib/format';
import { serviceHash } from '../lib/router';
import { placeLabel, secretCount, whereLabel } from '../lib/secrets';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { cellClass, rowClass, VirtualRows, type VirtualColumn } from '../components/VirtualRows';
import styles from './SecretsPage.module.css';

const COLUMNS: VirtualColumn[] = [
  { label: 'Secret', className: 'col-secret' },
  { label: 'Team', className: 'col-team' },
  { label: 'Exists in', className: 'col-exists' },
  { label: 'Missing in', className: 'col-missing' },
  { label: 'Rotated', className: 'col-rotated' },
  { label: 'Last read', className: 'col-read' },
];

/** Every secret of every service: names, where each exists and is missing, rotation and reads — never values. */
export function SecretsPage({ refreshKey }: { refreshKey: string }) {
  const list = useLoad((signal) => api.listSecrets({}, signal), refreshKey);
  const [q, setQ] = useState('');
  const [onlyMissing, setOnlyMissing] = useState(false);
  const now = useNow();
  const items = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return (list.data ?? []).filter(
      (s: Secret) => (!needle || s.id.toLowerCase().includes(needle) || s.team.toLowerCase().includes(needle)) && (!onlyMissing || s.missing.length > 0),
    );
  }, [list.data, q, onlyMissing]);

  let body;
  if (list.error && !list.data) body = <ErrorState title="Secrets could not be loaded" error={list.error} onRetry={list.reload} />;
  else if (!list.data) body = <LoadingState>Loading secrets…</LoadingState>;
  else if (items.length === 0)
    body = (
      <EmptyState title={list.data.length === 0 ? 'No secrets yet' : 'No secret matches'}>
        {list.data.length === 0 ? 'Open a service of your team and add its secrets there: values never go in code.' : 'Clear the filter to see all.'}
      </EmptyState>
    );

  return (
    <section className="list-page" aria-label="Secrets">
      <div className="toolbar">
        <h1 className="toolbar-title">Secrets</h1>
        <input className={styles.filter} type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Filter by service, name or team" aria-label="Filter secrets" />
        <label className="checkbox">
          <input type="checkbox" checked={onlyMissing} onChange={(e) => setOnlyMissing(e.target.checked)} /> Only secrets missing somewhere
        </label>
        <span className="list-total" data-testid="secrets-total" aria-live="polite">
          {list.data ? secretCount(list.data.length) : ''}
        </span>
      </div>
      <p className={`muted ${styles.lead}`}>Names and where they exist, for every service; values are never shown here. Set and rotate a secret on its service&apos;s page.</p>
      <VirtualRows<Secret>
        label="Secrets"
        className={styles.table}
        columns={COLUMNS}
        items={items}
        rowHeight={56}
        rowKey={(s) => s.id}
        body={body}
        renderRow={(s, i, style) => (
          <div key={s.id} className={rowClass({ clickable: false })} role="row" aria-rowindex={i + 2} data-secret={s.id} style={style}>
            <div className={cellClass()} role="cell">
              <a href={serviceHash(s.service)}>{s.service}</a> / <strong>{s.name}</strong>
            </div>
            <div className={cellClass()} role="cell">
              {s.team}
            </div>
            <div className={cellClass()} role="cell" title={s.locations.map(whereLabel).join('\n')}>
              {s.locations.map(placeLabel).join(', ') || '—'}
            </div>
            <div className={cellClass(styles.missing)} role="cell" title={s.missing.map(whereLabel).join('\n')}>
              {s.missing.map(placeLabel).join(', ') || '—'}
            </div>
            <div className={cellClass()} role="cell">
              {s.rotated_at ? <time title={`${absoluteTime(s.rotated_at)} by ${s.rotated_by ?? '?'}`}>{relativeTime(s.rotated_at, now)}</time> : '—'}
            </div>
            <div className={cellClass()} role="cell">
              {s.last_read_at ? <time title={`${absoluteTime(s.last_read_at)} by ${s.last_read_by ?? '?'}`}>{relativeTime(s.last_read_at, now)}</time> : 'never'}
            </div>
          </div>
        )}
      />
    </section>
  );
}

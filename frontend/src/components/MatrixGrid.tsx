import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import type { MatrixCluster, MatrixRow } from '../api/client';
import { useNow } from '../hooks/useNow';
import { clusterDataText, clusterIsFresh, clusterState } from '../lib/clusters';
import { cellView, groupColumns, type ColumnGroup } from '../lib/matrix';
import { cx } from '../lib/classNames';
import { navigate, serviceHash } from '../lib/router';
import styles from './MatrixGrid.module.css';

export const SERVICE_COL_WIDTH = 220;
export const CELL_WIDTH = 136;
export const MATRIX_ROW_HEIGHT = 40;
/** Environment, region and cluster rows of the column header. */
const HEAD_ROWS = 3;
export const MATRIX_HEAD_HEIGHT = 24 + 22 + 30;

interface Props {
  clusters: MatrixCluster[];
  total: number;
  rowAt: (index: number) => MatrixRow | undefined;
  ensureRange: (first: number, last: number) => void;
  /** Changes when a new query starts: the grid scrolls back to the top left. */
  queryKey: string;
  pending: boolean;
}

/**
 * Services down, clusters across, with the service column and the column header sticky while both directions
 * scroll. Rows and columns are virtual: a fleet of 2,000 services × 50 clusters renders only what is in view.
 */
export function MatrixGrid({ clusters, total, rowAt, ensureRange, queryKey, pending }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const now = useNow();
  const header = useMemo(() => groupColumns(clusters), [clusters]);
  const rows = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => MATRIX_ROW_HEIGHT,
    paddingStart: MATRIX_HEAD_HEIGHT,
    overscan: 10,
  });
  const columns = useVirtualizer({
    horizontal: true,
    count: clusters.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => CELL_WIDTH,
    paddingStart: SERVICE_COL_WIDTH,
    overscan: 4,
  });
  const virtualRows = rows.getVirtualItems();
  const virtualCols = columns.getVirtualItems();
  const firstIndex = virtualRows[0]?.index ?? 0;
  const lastIndex = virtualRows[virtualRows.length - 1]?.index ?? 0;

  useEffect(() => {
    if (total > 0) ensureRange(firstIndex, lastIndex);
  }, [firstIndex, lastIndex, total, ensureRange]);

  const shownKey = useRef(queryKey);
  useLayoutEffect(() => {
    if (shownKey.current === queryKey) return;
    shownKey.current = queryKey;
    if (scrollRef.current) {
      scrollRef.current.scrollTop = 0;
      scrollRef.current.scrollLeft = 0;
    }
  }, [queryKey]);

  const width = columns.getTotalSize();
  const stale = clusters.map((c) => !clusterIsFresh(c.state));
  return (
    <div
      className={cx(styles.scroll, pending && styles.pending)}
      ref={scrollRef}
      role="grid"
      aria-label="Services by cluster"
      aria-rowcount={total + HEAD_ROWS}
      aria-colcount={clusters.length + 1}
      aria-busy={pending || undefined}
      data-testid="matrix-grid"
    >
      <div className={styles.canvas} style={{ width, height: rows.getTotalSize() }}>
        <div className={styles.head} role="rowgroup" style={{ width, height: MATRIX_HEAD_HEIGHT }}>
          <MatrixGroupRow kind="environment" label="Environment" rowIndex={1} groups={header.environments} />
          <MatrixGroupRow kind="region" label="Region" rowIndex={2} groups={header.regions} />
          <div className={cx(styles['head-row'], styles['cluster-row'])} role="row" aria-rowindex={3}>
            <div className={styles.corner} role="columnheader" aria-colindex={1}>
              Service
            </div>
            {virtualCols.map((vc) => {
              const c = clusters[vc.index];
              if (!c) return null;
              const state = clusterState(c.state);
              return (
                <div
                  key={c.name}
                  className={styles.cluster}
                  role="columnheader"
                  aria-colindex={vc.index + 2}
                  data-cluster={c.name}
                  data-tone={stale[vc.index] ? state.tone : undefined}
                  title={[c.name, `${c.environment}, ${c.region}`, c.state ? clusterDataText(c, now) : '', c.message ?? ''].filter(Boolean).join('\n')}
                  style={{ left: vc.start, width: vc.size }}
                >
                  <span className={styles['cluster-name']}>{c.name}</span>
                  {stale[vc.index] && <span className={styles['cluster-state']}>{state.label}</span>}
                </div>
              );
            })}
          </div>
        </div>
        {virtualRows.map((vr) => {
          const row = rowAt(vr.index);
          const style = { height: vr.size, width, transform: `translateY(${vr.start}px)` };
          if (!row) {
            return (
              <div key={vr.key} className={cx(styles.row, styles.loading)} role="row" aria-rowindex={vr.index + HEAD_ROWS + 1} style={style}>
                <div className={styles.service} role="rowheader" aria-colindex={1}>
                  <span className={styles.placeholder} />
                </div>
              </div>
            );
          }
          return (
            <div
              key={vr.key}
              className={styles.row}
              role="row"
              aria-rowindex={vr.index + HEAD_ROWS + 1}
              data-service={row.service}
              style={style}
              onClick={() => navigate(serviceHash(row.service))}
            >
              <div className={styles.service} role="rowheader" aria-colindex={1}>
                <a className={styles['service-name']} href={serviceHash(row.service)} onClick={(e) => e.stopPropagation()}>
                  {row.service}
                </a>
                <span className={styles['service-owner']} data-testid="matrix-owner">
                  {row.owner}
                </span>
              </div>
              {virtualCols.map((vc) => {
                const c = clusters[vc.index];
                if (!c) return null;
                const v = cellView(row, vc.index, clusters);
                return (
                  <div
                    key={c.name}
                    className={styles.cell}
                    role="gridcell"
                    aria-colindex={vc.index + 2}
                    data-cluster={c.name}
                    data-status={v.status}
                    data-behind={v.behind || undefined}
                    data-stale={stale[vc.index] || undefined}
                    data-health={v.health?.tone}
                    title={v.title}
                    style={{ left: vc.start, width: vc.size }}
                  >
                    <span className={styles.version}>
                      {v.text}
                      {v.behind && (
                        <span className={styles['behind-mark']} aria-label="behind">
                          {' '}
                          ↓
                        </span>
                      )}
                    </span>
                    {v.health && (
                      <span className={styles.health} data-testid="cell-health">
                        {v.health.label} {v.replicas}
                      </span>
                    )}
                  </div>
                );
              })}
            </div>
          );
        })}
      </div>
    </div>
  );
}

/** A header row of column groups spanning their clusters: environments, or regions within them. */
function MatrixGroupRow({
  kind,
  label,
  rowIndex,
  groups,
}: {
  kind: 'environment' | 'region';
  label: string;
  rowIndex: number;
  groups: readonly ColumnGroup[];
}) {
  const data = (g: ColumnGroup) => (kind === 'environment' ? { 'data-environment': g.label } : { 'data-region': g.label });
  return (
    <div className={cx(styles['head-row'], kind === 'environment' ? styles['env-row'] : styles['region-row'])} role="row" aria-rowindex={rowIndex}>
      <div className={styles.corner} role="columnheader" aria-colindex={1}>
        {label}
      </div>
      {groups.map((g) => (
        <div
          key={`${kind}-${g.first}`}
          className={styles.group}
          role="columnheader"
          aria-colindex={g.first + 2}
          aria-colspan={g.span}
          {...data(g)}
          style={{ left: SERVICE_COL_WIDTH + g.first * CELL_WIDTH, width: g.span * CELL_WIDTH }}
        >
          <span className={styles['group-label']}>{g.label}</span>
        </div>
      ))}
    </div>
  );
}

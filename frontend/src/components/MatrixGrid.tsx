import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { MatrixCluster, MatrixRow } from '../api/client';
import { useNow } from '../hooks/useNow';
import { clusterDataText, clusterIsFresh, clusterState } from '../lib/clusters';
import { cellView, groupColumns, type ColumnGroup } from '../lib/matrix';
import { cx } from '../lib/classNames';
import { navigate, serviceHash } from '../lib/router';
import styles from './MatrixGrid.module.css';

export const SERVICE_COL_WIDTH = 220;
/** The narrowest a cluster's column gets; wider when the window has room for every column. */
export const CELL_WIDTH = 136;
const MAX_CELL_WIDTH = 320;
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
  // The columns share the window's width when it has room for all of them, else each is CELL_WIDTH and the grid
  // scrolls sideways.
  const [viewWidth, setViewWidth] = useState(0);
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const measure = () => setViewWidth(el.clientWidth);
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const cellWidth = clusters.length === 0 ? CELL_WIDTH : Math.min(MAX_CELL_WIDTH, Math.max(CELL_WIDTH, Math.floor((viewWidth - SERVICE_COL_WIDTH) / clusters.length)));
  const [hovered, setHovered] = useState<{ row: number; col: number } | null>(null);
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
    estimateSize: () => cellWidth,
    paddingStart: SERVICE_COL_WIDTH,
    overscan: 4,
  });
  useEffect(() => columns.measure(), [cellWidth, columns]);
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
          <MatrixGroupRow kind="environment" label="Environment" rowIndex={1} groups={header.environments} cellWidth={cellWidth} />
          <MatrixGroupRow kind="region" label="Region" rowIndex={2} groups={header.regions} cellWidth={cellWidth} />
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
                    aria-label={v.title}
                    style={{ left: vc.start, width: vc.size }}
                    onMouseEnter={() => setHovered({ row: vr.index, col: vc.index })}
                    onMouseLeave={() => setHovered(null)}
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
        {hovered && <CellCard grid={{ rows, columns, clusters, rowAt, width, now, scroller: scrollRef.current }} at={hovered} />}
      </div>
    </div>
  );
}

const CARD_WIDTH = 300;
const CARD_HEIGHT = 150;

/** The details of the cell under the mouse, in a card below it (above, near the window's bottom edge). */
function CellCard({
  grid,
  at,
}: {
  grid: {
    rows: { getVirtualItems(): { index: number; start: number; size: number }[] };
    columns: { getVirtualItems(): { index: number; start: number; size: number }[] };
    clusters: MatrixCluster[];
    rowAt: (index: number) => MatrixRow | undefined;
    width: number;
    now: Date;
    scroller: HTMLDivElement | null;
  };
  at: { row: number; col: number };
}) {
  const row = grid.rowAt(at.row);
  const c = grid.clusters[at.col];
  const vr = grid.rows.getVirtualItems().find((r) => r.index === at.row);
  const vc = grid.columns.getVirtualItems().find((x) => x.index === at.col);
  if (!row || !c || !vr || !vc) return null;
  const cell = row.cells[at.col];
  const v = cellView(row, at.col, grid.clusters);
  const bottom = (grid.scroller?.scrollTop ?? 0) + (grid.scroller?.clientHeight ?? Infinity);
  const top = vr.start + vr.size + CARD_HEIGHT > bottom ? vr.start - CARD_HEIGHT : vr.start + vr.size;
  const left = Math.max(0, Math.min(vc.start, grid.width - CARD_WIDTH));
  const runs =
    v.status === 'absent' ? `not in ${c.environment}` : v.status === 'missing' ? 'missing here' : cell && cell.versions.length > 0 ? cell.versions.join(', ') : 'an unknown version';
  return (
    <div className={styles.card} role="tooltip" data-testid="matrix-cell-card" style={{ left, top, width: CARD_WIDTH, minHeight: CARD_HEIGHT - 8 }}>
      <p className={styles['card-title']}>
        {row.service} <span className="muted">in</span> {c.name}
      </p>
      <dl className={styles['card-facts']}>
        <dt>Where</dt>
        <dd>
          {c.environment} · {c.region}
        </dd>
        <dt>Runs</dt>
        <dd data-testid="card-runs">
          {runs}
          {v.behind && <span className={styles['behind-mark']}> ↓ behind</span>}
        </dd>
        {cell?.expected && cell.expected.length > 0 && (
          <>
            <dt>Most of {c.environment}</dt>
            <dd>{cell.expected.join(', ')}</dd>
          </>
        )}
        {cell && (v.status === 'same' || v.status === 'differs') && (
          <>
            <dt>Replicas</dt>
            <dd>
              {cell.ready}/{cell.desired} ready{cell.workloads > 1 ? ` · ${cell.workloads} workloads` : ''}
              {v.health ? ` · ${v.health.label}` : ''}
            </dd>
          </>
        )}
        {c.state && !clusterIsFresh(c.state) && (
          <>
            <dt>Cluster</dt>
            <dd>{clusterDataText(c, grid.now)}</dd>
          </>
        )}
      </dl>
    </div>
  );
}

/** A header row of column groups spanning their clusters: environments, or regions within them. */
function MatrixGroupRow({
  kind,
  label,
  rowIndex,
  groups,
  cellWidth,
}: {
  kind: 'environment' | 'region';
  label: string;
  rowIndex: number;
  groups: readonly ColumnGroup[];
  cellWidth: number;
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
          style={{ left: SERVICE_COL_WIDTH + g.first * cellWidth, width: g.span * cellWidth }}
        >
          <span className={styles['group-label']}>{g.label}</span>
        </div>
      ))}
    </div>
  );
}

import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type CSSProperties, type ReactNode } from 'react';
import { cx } from '../lib/classNames';
import { SortButton } from './SortButton';
import styles from './VirtualRows.module.css';

export interface VirtualColumn {
  label: string;
  className?: string;
  /** A sortable column: how the rows are sorted by it now, and what a click does. */
  sorted?: 'ascending' | 'descending' | 'none';
  onSort?: () => void;
  /** A tooltip for the header. */
  title?: string;
}

interface Props<T> {
  label: string;
  className?: string;
  columns: VirtualColumn[];
  items: readonly T[];
  rowHeight: number;
  rowKey: (item: T) => string;
  renderRow: (item: T, index: number, style: CSSProperties) => ReactNode;
  /** Called when the last rows come into view, to load the next page. */
  onEndReached?: () => void;
  /** Shown in the body instead of rows (loading, empty, error). */
  body?: ReactNode;
  /** A line under the rows (e.g. "loading more…"). */
  footer?: ReactNode;
  busy?: boolean;
  /** A new query is on its way: the rows shown are the previous query's, dimmed. */
  pending?: boolean;
}

/**
 * The class of a row that renderRow draws: clickable (the pointer, hover) unless said otherwise; selected rows
 * are highlighted. More classes (the caller's own) may follow.
 */
export function rowClass(opts: { selected?: boolean; clickable?: boolean } = {}, ...more: Array<string | undefined>): string {
  return cx(styles.row, opts.clickable === false && styles.still, opts.selected && styles.selected, ...more);
}

/** The class of a cell that renderRow draws, with the caller's own (its column's). */
export function cellClass(...more: Array<string | false | undefined>): string {
  return cx(styles.td, ...more);
}

/** The table's own classes, for a list that draws its table itself (the catalog, which pages through its own virtualizer). */
export const tableStyles = styles;

/** A table whose body renders only the rows in view, for lists of any length; same look as the catalog. */
export function VirtualRows<T>({ label, className, columns, items, rowHeight, rowKey, renderRow, onEndReached, body, footer, busy, pending }: Props<T>) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 10,
    getItemKey: (i) => {
      const item = items[i];
      return item === undefined ? i : rowKey(item);
    },
  });
  const virtual = virtualizer.getVirtualItems();
  const lastIndex = virtual[virtual.length - 1]?.index ?? -1;
  useEffect(() => {
    if (onEndReached && items.length > 0 && lastIndex >= items.length - 5) onEndReached();
  }, [lastIndex, items.length, onEndReached]);

  return (
    <div className={cx(styles.table, pending && styles.pending, className)} role="table" aria-label={label} aria-rowcount={items.length + 1} aria-busy={busy || undefined}>
      <div className={styles.thead} role="rowgroup">
        <div role="row">
          {columns.map((c) => {
            const sorted = c.onSort && c.sorted && c.sorted !== 'none' ? c.sorted : undefined;
            return (
              <div key={c.label} className={cx(styles.th, c.className)} role="columnheader" title={c.title} aria-sort={sorted}>
                {c.onSort ? (
                  <SortButton sorted={sorted} onClick={c.onSort}>
                    {c.label}
                  </SortButton>
                ) : (
                  c.label
                )}
              </div>
            );
          })}
        </div>
      </div>
      <div className={styles.tbody} role="rowgroup" ref={scrollRef}>
        {body ?? (
          <>
            <div className={styles['tbody-inner']} style={{ height: virtualizer.getTotalSize() }}>
              {virtual.map((vi) => {
                const item = items[vi.index];
                if (item === undefined) return null;
                return renderRow(item, vi.index, { height: vi.size, transform: `translateY(${vi.start}px)` });
              })}
            </div>
            {footer && <p className={cx(styles.footer, 'muted')}>{footer}</p>}
          </>
        )}
      </div>
    </div>
  );
}

import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type CSSProperties, type ReactNode } from 'react';

export interface VirtualColumn {
  label: string;
  className: string;
  /** A sortable column: how the rows are sorted by it now, and what a click does. */
  sorted?: 'ascending' | 'descending' | 'none';
  onSort?: () => void;
  /** A tooltip for the header. */
  title?: string;
}

interface Props<T> {
  label: string;
  className: string;
  columns: VirtualColumn[];
  items: readonly T[];
  rowHeight: number;
  rowKey: (item: T) => string;
  renderRow: (item: T, index: number, style: CSSProperties) => ReactNode;
  /** Called when the last rows come into view, to load the next page. */
  onEndReached?: () => void;
  /** Shown in the body instead of rows (loading, empty, error). */
  body?: ReactNode;
  /** Shown under the rows (e.g. "loading more…"). */
  footer?: ReactNode;
  busy?: boolean;
}

/** A table whose body renders only the rows in view, for lists of any length; same look as the catalog. */
export function VirtualRows<T>({ label, className, columns, items, rowHeight, rowKey, renderRow, onEndReached, body, footer, busy }: Props<T>) {
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
    <div className={`table ${className}`} role="table" aria-label={label} aria-rowcount={items.length + 1} aria-busy={busy || undefined}>
      <div className="thead" role="rowgroup">
        <div className="tr" role="row">
          {columns.map((c) => (
            <div
              key={c.label}
              className={`th ${c.className}`}
              role="columnheader"
              title={c.title}
              aria-sort={c.onSort && c.sorted && c.sorted !== 'none' ? c.sorted : undefined}
            >
              {c.onSort ? (
                <button type="button" className="sort-button" onClick={c.onSort}>
                  {c.label}
                  <span className="sort-arrow" aria-hidden="true">
                    {c.sorted === 'descending' ? '▼' : c.sorted === 'ascending' ? '▲' : '↕'}
                  </span>
                </button>
              ) : (
                c.label
              )}
            </div>
          ))}
        </div>
      </div>
      <div className="tbody" role="rowgroup" ref={scrollRef}>
        {body ?? (
          <>
            <div className="tbody-inner" style={{ height: virtualizer.getTotalSize() }}>
              {virtual.map((vi) => {
                const item = items[vi.index];
                if (item === undefined) return null;
                return renderRow(item, vi.index, { height: vi.size, transform: `translateY(${vi.start}px)` });
              })}
            </div>
            {footer}
          </>
        )}
      </div>
    </div>
  );
}

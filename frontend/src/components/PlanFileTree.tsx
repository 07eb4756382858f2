import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, type KeyboardEvent } from 'react';
import { treeKey, visibleRows, type TreeNode, type TreeState } from '../lib/planTree';
import styles from './PlanFileTree.module.css';

/** Rows of the tree are this tall (CSS keeps them so). */
const ROW_HEIGHT = 26;

interface Props {
  roots: readonly TreeNode[];
  state: TreeState;
  onChange: (s: TreeState) => void;
  label: string;
}

/**
 * The dry run's files as a tree (WAI-ARIA tree view): one tab stop, arrows to move and open or close folders,
 * Home/End, Enter or Space (or a click) to show a file. Only the rows in view are rendered, so a skeleton of a
 * thousand files stays quick.
 */
export function PlanFileTree({ roots, state, onChange, label }: Props) {
  const rows = useMemo(() => visibleRows(roots, state.open), [roots, state.open]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const focusIndex = Math.max(0, rows.findIndex((r) => r.node.id === state.focus));
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => rows[i]?.node.id ?? i,
  });
  const moved = useRef(false);

  // After a key moved the focus, bring the row into view and give it the DOM focus (it may only now be rendered).
  useEffect(() => {
    if (!moved.current) return;
    moved.current = false;
    virtualizer.scrollToIndex(focusIndex, { align: 'auto' });
    const id = state.focus;
    const focusRow = () => {
      const rowEl = Array.from(scrollRef.current?.querySelectorAll<HTMLElement>('[data-node]') ?? []).find((el) => el.dataset.node === id);
      rowEl?.focus();
      return rowEl !== undefined;
    };
    // Rendered already, or once the scroll has brought it into view.
    if (!focusRow()) window.requestAnimationFrame(() => void focusRow());
  }, [state.focus, focusIndex, virtualizer]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const next = treeKey(rows, state, e.key);
    if (next === state) return;
    e.preventDefault();
    moved.current = next.focus !== state.focus;
    onChange(next);
  };

  const click = (node: TreeNode) => {
    if (node.kind === 'file') {
      onChange({ ...state, focus: node.id, selected: node.id });
      return;
    }
    const open = new Set(state.open);
    if (open.has(node.id)) open.delete(node.id);
    else open.add(node.id);
    onChange({ ...state, focus: node.id, open });
  };

  return (
    <div className={styles.tree} role="tree" aria-label={label} ref={scrollRef} onKeyDown={onKeyDown}>
      <div className={styles.canvas} style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((vi) => {
          const row = rows[vi.index];
          if (!row) return null;
          const n = row.node;
          const folder = n.kind !== 'file';
          const open = folder && state.open.has(n.id);
          const selected = n.id === state.selected;
          return (
            <div
              key={n.id}
              role="treeitem"
              data-node={n.id}
              aria-level={row.depth + 1}
              aria-posinset={row.pos}
              aria-setsize={row.size}
              aria-expanded={folder ? open : undefined}
              aria-selected={folder ? undefined : selected}
              tabIndex={vi.index === focusIndex ? 0 : -1}
              className={`${styles.row} ${n.kind === 'root' ? styles.root : ''} ${selected ? styles.selected : ''}`}
              style={{ transform: `translateY(${vi.start}px)`, paddingLeft: 8 + row.depth * 16 }}
              title={n.kind === 'root' ? `${n.name}: ${n.note ?? ''}` : n.file?.path}
              onClick={() => click(n)}
            >
              <span className={styles.twisty} aria-hidden="true">
                {folder ? (open ? '▾' : '▸') : ''}
              </span>
              <span className={folder ? styles['folder-name'] : styles['file-name']}>{n.name}</span>
              {n.kind === 'root' && n.note && <span className={styles.note}>{n.note}</span>}
            </div>
          );
        })}
      </div>
    </div>
  );
}

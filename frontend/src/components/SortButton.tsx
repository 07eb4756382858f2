import type { ReactNode } from 'react';
import styles from './SortButton.module.css';

interface Props {
  /** How the rows are sorted by this column now (undefined: not by it). */
  sorted: 'ascending' | 'descending' | undefined;
  onClick: () => void;
  children: ReactNode;
}

/** A column header's label as a button that sorts by the column, with an arrow saying which way (↕: not sorted by it). */
export function SortButton({ sorted, onClick, children }: Props) {
  return (
    <button type="button" className={styles['sort-button']} onClick={onClick}>
      {children}
      <span className={styles['sort-arrow']} aria-hidden="true">
        {sorted === 'descending' ? '▼' : sorted === 'ascending' ? '▲' : '↕'}
      </span>
    </button>
  );
}

import type { ReactNode } from 'react';
import { cx } from '../lib/classNames';
import styles from './ApprovalNote.module.css';

interface Props {
  /** Whether an approver must approve first (amber), or not (green). */
  needed: boolean;
  role: 'note' | 'status';
  testId: string;
  /** Paragraphs: the first says whether approval is needed, the next ones (smaller) what happens then. */
  children: ReactNode;
}

/** Whether a change waits for an approver, next to the form or in place of it. */
export function ApprovalNote({ needed, role, testId, children }: Props) {
  return (
    <div className={cx(styles.note, needed && styles.needed)} role={role} data-testid={testId}>
      {children}
    </div>
  );
}

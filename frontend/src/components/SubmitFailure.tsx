import type { ReactNode, Ref } from 'react';
import { cx } from '../lib/classNames';
import styles from './SubmitFailure.module.css';

interface Props {
  /** What failed, and whether anything was stored or sent. */
  title: ReactNode;
  /** Why (paragraphs, a list of problems …). */
  children?: ReactNode;
  /** What to do now. */
  next?: ReactNode;
  testId?: string;
  className?: string;
  ref?: Ref<HTMLDivElement>;
}

/** A refused or failed change under its form: what happened, why, and what to do next. */
export function SubmitFailure({ title, children, next, testId, className, ref }: Props) {
  return (
    <div className={cx(styles.failure, className)} role="alert" data-testid={testId} ref={ref}>
      <p className={styles.title}>{title}</p>
      {children}
      {next && <p className={styles.next}>{next}</p>}
    </div>
  );
}

import type { ReactNode } from 'react';
import { cx } from '../lib/classNames';
import styles from './PageHeader.module.css';

interface Props {
  /** The heading row: the h1, its badges, and actions at the end (heading-actions). */
  heading: ReactNode;
  /** What follows: PageSubtitle, PageDescription, facts. */
  children?: ReactNode;
  className?: string;
  testId?: string;
}

/** The header of a page about one thing (a service, a flag, a package, a request). */
export function PageHeader({ heading, children, className, testId }: Props) {
  return (
    <header className={cx(styles.header, className)} data-testid={testId}>
      <div className={styles.heading}>{heading}</div>
      {children}
    </header>
  );
}

/** The thing's title under its name. */
export function PageSubtitle({ children }: { children: ReactNode }) {
  return <p className={styles.subtitle}>{children}</p>;
}

/** What the thing is, in a line or two; muted when it says that nothing says so. */
export function PageDescription({ children, muted = false }: { children: ReactNode; muted?: boolean }) {
  return <p className={cx(styles.description, muted && 'muted')}>{children}</p>;
}

import type { ReactNode } from 'react';
import { cx } from '../lib/classNames';
import styles from './CodeBlock.module.css';

/** Code or JSON on its own, dark, scrolling when long. */
export function CodeBlock({ children, className, testId }: { children: ReactNode; className?: string; testId?: string }) {
  return (
    <pre className={cx(styles.pre, styles.alone, className)} data-testid={testId}>
      {children}
    </pre>
  );
}

interface FigureProps {
  /** What it is (a file path, "Before"), and buttons such as Copy. */
  caption: ReactNode;
  children: ReactNode;
  className?: string;
  /** The test id of the code itself. */
  testId?: string;
}

/** Code under a caption bar: a result's Terraform, a flag's JSON before and after. */
export function CodeFigure({ caption, children, className, testId }: FigureProps) {
  return (
    <figure className={cx(styles.figure, className)}>
      <figcaption>{caption}</figcaption>
      <pre className={styles.pre} data-testid={testId}>
        {children}
      </pre>
    </figure>
  );
}

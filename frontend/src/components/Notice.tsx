import type { ReactNode } from 'react';
import type { ApiError } from '../api/client';
import { cx } from '../lib/classNames';
import styles from './Notice.module.css';

type Kind = 'empty' | 'loading' | 'error' | 'denied';

const KIND: Record<Kind, string | undefined> = {
  empty: undefined,
  loading: styles.loading,
  error: styles.error,
  denied: styles.denied,
};

interface NoticeProps {
  /** Nothing to show, still loading, failed, or not allowed (turned off). */
  kind: Kind;
  role: 'status' | 'alert';
  title?: ReactNode;
  children?: ReactNode;
  className?: string;
  testId?: string;
}

/** A box in place of a view's content saying why there is none: a title, then NoticeBody paragraphs. Inside a panel it is plain text. */
export function Notice({ kind, role, title, children, className, testId }: NoticeProps) {
  return (
    <div className={cx(styles.notice, KIND[kind], className)} role={role} data-testid={testId}>
      {title !== undefined && <p className={styles.title}>{title}</p>}
      {children}
    </div>
  );
}

/** A notice's text under its title: a paragraph, or a block of paragraphs. */
export function NoticeBody({ children, block = false }: { children: ReactNode; block?: boolean }) {
  return block ? <div className={styles.body}>{children}</div> : <p className={styles.body}>{children}</p>;
}

/** What a view shows while its data is on its way. */
export function LoadingState({ children }: { children: ReactNode }) {
  return (
    <Notice kind="loading" role="status">
      {children}
    </Notice>
  );
}

interface EmptyProps {
  title: string;
  children?: ReactNode;
}

/** What a view shows when there is nothing to list, saying what to do about it. */
export function EmptyState({ title, children }: EmptyProps) {
  return (
    <Notice kind="empty" role="status" title={title}>
      {children && <NoticeBody block>{children}</NoticeBody>}
    </Notice>
  );
}

interface ErrorProps {
  title: string;
  error: ApiError | Error;
  onRetry?: () => void;
}

/** A failed load: what failed, the API's message (which says what to do), and a retry. */
export function ErrorState({ title, error, onRetry }: ErrorProps) {
  return (
    <Notice kind="error" role="alert" title={title}>
      <NoticeBody>{error.message}</NoticeBody>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </Notice>
  );
}

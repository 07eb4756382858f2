import type { ReactNode } from 'react';
import type { ApiError } from '../api/client';

interface EmptyProps {
  title: string;
  children?: ReactNode;
}

/** What a view shows when there is nothing to list, saying what to do about it. */
export function EmptyState({ title, children }: EmptyProps) {
  return (
    <div className="notice notice-empty" role="status">
      <p className="notice-title">{title}</p>
      {children && <div className="notice-body">{children}</div>}
    </div>
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
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{title}</p>
      <p className="notice-body">{error.message}</p>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

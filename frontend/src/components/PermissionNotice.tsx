import type { ReactNode } from 'react';

/** Shown instead of a view the user may not use: what it is, and why not. */
export function PermissionNotice({ title, reason, children }: { title: string; reason: string; children?: ReactNode }) {
  return (
    <div className="notice notice-denied" role="alert" data-testid="permission-notice">
      <p className="notice-title">{title}</p>
      <p className="notice-body">{reason}</p>
      {children && <div className="notice-body">{children}</div>}
    </div>
  );
}

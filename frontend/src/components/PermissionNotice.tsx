import type { ReactNode } from 'react';
import { Notice, NoticeBody } from './Notice';

/** Shown instead of a view the user may not use: what it is, and why not. */
export function PermissionNotice({ title, reason, children }: { title: string; reason: string; children?: ReactNode }) {
  return (
    <Notice kind="denied" role="alert" testId="permission-notice" title={title}>
      <NoticeBody>{reason}</NoticeBody>
      {children && <NoticeBody block>{children}</NoticeBody>}
    </Notice>
  );
}

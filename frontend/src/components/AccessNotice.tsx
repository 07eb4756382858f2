import type { ApiError } from '../api/client';
import { cx } from '../lib/classNames';
import { Notice, NoticeBody } from './Notice';
import styles from './AccessNotice.module.css';

/** Shown instead of the app when the API refuses us (401): how to get in. */
export function AccessNotice({ error }: { error: ApiError }) {
  return (
    <div className={cx('page', styles.page)}>
      <Notice kind="error" role="alert" testId="access-notice" className={styles.notice} title="Atrium needs its launch token">
        <NoticeBody>{error.message}</NoticeBody>
        <ol className={styles['notice-steps']}>
          <li>
            Find the terminal where <code>atrium web</code> is running.
          </li>
          <li>
            Open the URL it printed, <code>http://127.0.0.1:PORT/?token=…</code>; the token is new on every start, and a
            tab keeps it only while it is open (a new tab needs the URL again).
          </li>
          <li>
            No terminal? Start it again with <code>atrium web</code>, or use the desktop app, which needs no token.
          </li>
        </ol>
      </Notice>
    </div>
  );
}

import type { ApiError } from '../api/client';
import styles from './AccessNotice.module.css';

/** Shown instead of the app when the API refuses us (401): how to get in. */
export function AccessNotice({ error }: { error: ApiError }) {
  return (
    <div className="page">
      <div className="notice notice-error access-notice" role="alert" data-testid="access-notice">
        <p className="notice-title">Atrium needs its launch token</p>
        <p className="notice-body">{error.message}</p>
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
      </div>
    </div>
  );
}

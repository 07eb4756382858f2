import { useState, type ReactNode } from 'react';
import type { DownloadState } from '../hooks/useDownload';
import { copyText } from '../lib/clipboard';
import { cx } from '../lib/classNames';
import { formatBytes, inDesktopWindow } from '../lib/download';
import styles from './DownloadNotice.module.css';

interface Props {
  state: DownloadState;
  /** What was exported, e.g. "the packages matching these filters". */
  what: string;
  /** "Copy the CSV". */
  copyLabel: string;
  /** Offers the same text again (the desktop's save dialog once more). */
  onSaveAgain?: () => void;
  testId?: string;
  /** The test id of the browser download's link; default `${testId}-link`. */
  linkTestId?: string;
  /** Where the notice sits (its margins); a failed export's line is an inline error as anywhere. */
  className?: string;
}

/**
 * After an export: where the file went — the path the desktop wrote it to, or the browser's downloads with the
 * name as a link to save it again — or that saving was cancelled or failed, with a way to save it again or copy
 * the text instead. A failed export says what failed and to retry.
 */
export function DownloadNotice({ state, what, copyLabel, onSaveAgain, testId = 'download-status', linkTestId = `${testId}-link`, className }: Props) {
  const [copied, setCopied] = useState('');
  if (state.kind === 'error') {
    return (
      <p className="inline-error" role="alert">
        The export failed: {state.error.message} Try again; if it keeps failing, check that atrium is running.
      </p>
    );
  }
  if (state.kind !== 'done') return null;
  const f = state.file;
  const size = formatBytes(f.bytes);
  const saveAgain = (label: string) =>
    onSaveAgain && (
      <button type="button" className="button button-link" onClick={onSaveAgain}>
        {label}
      </button>
    );
  let message: ReactNode;
  switch (f.kind) {
    case 'written':
      message = (
        <span>
          Saved {what} ({size}) to <span className="mono" data-testid={`${testId}-path`}>{f.path}</span>.
        </span>
      );
      break;
    case 'cancelled':
      message = (
        <span>
          Exported {what} ({size}), but saving {f.name} was cancelled: nothing was written.
        </span>
      );
      break;
    case 'failed':
      message = (
        <span className="field-problem">
          Exported {what} ({size}), but {f.name} could not be saved: {f.message}. Choose another folder, or copy the text.
        </span>
      );
      break;
    case 'downloaded':
      message = (
        <span>
          Exported {what} ({size}) as{' '}
          <a href={f.url} download={f.name} data-testid={linkTestId}>
            {f.name}
          </a>
          .{' '}
          {inDesktopWindow()
            ? 'The desktop window may not save downloads: if no file appeared in your Downloads folder, copy the text and paste it into a file, or export from a browser (atrium web).'
            : 'Your browser saved it to its downloads folder (usually Downloads); click the name to save it again.'}
        </span>
      );
      break;
  }
  return (
    <div className={cx(styles.done, className)} role="status" data-testid={testId} data-saved={f.kind}>
      {message}
      {f.kind === 'written' && saveAgain('Save another copy…')}
      {(f.kind === 'cancelled' || f.kind === 'failed') && saveAgain('Save…')}
      <button
        type="button"
        className="button button-link"
        onClick={() => void copyText(state.text).then((ok) => setCopied(ok ? 'Copied to the clipboard.' : f.kind === 'downloaded' ? 'Copying failed; use the link instead.' : 'Copying failed.'))}
      >
        {copyLabel}
      </button>
      {copied && <span className="muted">{copied}</span>}
    </div>
  );
}

import { useState } from 'react';
import type { DownloadState } from '../hooks/useDownload';
import { copyText } from '../lib/clipboard';
import { formatBytes, inDesktopWindow } from '../lib/download';

interface Props {
  state: DownloadState;
  /** What was exported, e.g. "the packages matching these filters". */
  what: string;
  /** "Copy the CSV". */
  copyLabel: string;
  testId?: string;
}

/**
 * After an export: the file's name as a link to save it again, where it went, and — in the desktop window, whose
 * webview may not save downloads — a way to copy the text instead. A failure says what failed and to retry.
 */
export function DownloadNotice({ state, what, copyLabel, testId = 'download-status' }: Props) {
  const [copied, setCopied] = useState('');
  if (state.kind === 'error') {
    return (
      <p className="inline-error" role="alert">
        The export failed: {state.error.message} Try again; if it keeps failing, check that atrium is running.
      </p>
    );
  }
  if (state.kind !== 'done') return null;
  const desktop = inDesktopWindow();
  return (
    <div className="export-done" role="status" data-testid={testId}>
      <span>
        Exported {what} ({formatBytes(state.file.bytes)}) as{' '}
        <a href={state.file.url} download={state.file.name} data-testid={`${testId}-link`}>
          {state.file.name}
        </a>
        .{' '}
        {desktop
          ? 'The desktop window may not save downloads: if no file appeared in your Downloads folder, copy the text and paste it into a file, or export from a browser (atrium web).'
          : 'Your browser saved it to its downloads folder (usually Downloads); click the name to save it again.'}
      </span>
      <button
        type="button"
        className="button button-link"
        onClick={() => void copyText(state.text).then((ok) => setCopied(ok ? 'Copied to the clipboard.' : 'Copying failed; use the link instead.'))}
      >
        {copyLabel}
      </button>
      {copied && <span className="muted">{copied}</span>}
    </div>
  );
}

import { useEffect, useState } from 'react';
import { asApiError, type ApiError, type DownloadedFile } from '../api/client';
import { offerDownload, type SavedFile } from '../lib/download';

export type DownloadState =
  | { kind: 'idle' }
  | { kind: 'running' }
  | { kind: 'done'; file: SavedFile; text: string }
  | { kind: 'error'; error: ApiError };

/**
 * Fetches a file the API makes (CSV, flagd JSON) and offers it as a download, keeping the link (and the text, for
 * copying) on screen: a desktop webview may not save downloads at all. The object URL is revoked when replaced.
 */
export function useDownload() {
  const [state, setState] = useState<DownloadState>({ kind: 'idle' });
  useEffect(
    () => () => {
      if (state.kind === 'done') URL.revokeObjectURL(state.file.url);
    },
    [state],
  );
  const run = async (fetchFile: () => Promise<DownloadedFile>) => {
    setState({ kind: 'running' });
    try {
      const f = await fetchFile();
      const file = offerDownload(f.name, f.text, f.type);
      setState({ kind: 'done', file, text: f.text });
    } catch (err) {
      setState({ kind: 'error', error: asApiError(err) });
    }
  };
  return { state, run };
}

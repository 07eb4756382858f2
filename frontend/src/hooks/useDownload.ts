import { useEffect, useState } from 'react';
import { asApiError, type ApiError, type DownloadedFile } from '../api/client';
import { releaseFile, saveText, type SavedFile } from '../lib/download';

export type DownloadState =
  | { kind: 'idle' }
  | { kind: 'running' }
  | { kind: 'done'; file: SavedFile; text: string }
  | { kind: 'error'; error: ApiError };

/**
 * Fetches a file the API makes (CSV, flagd JSON) and saves it — with the desktop's save dialog in the desktop
 * window, as a browser download otherwise — keeping the outcome and the text (for copying) on screen. saveAgain
 * offers the same text again (another place, after a cancel or a failure). A browser link is revoked when replaced.
 */
export function useDownload() {
  const [state, setState] = useState<DownloadState>({ kind: 'idle' });
  useEffect(
    () => () => {
      if (state.kind === 'done') releaseFile(state.file);
    },
    [state],
  );
  const run = async (fetchFile: () => Promise<DownloadedFile>) => {
    setState({ kind: 'running' });
    try {
      const f = await fetchFile();
      setState({ kind: 'done', file: await saveText(f.name, f.text, f.type), text: f.text });
    } catch (err) {
      setState({ kind: 'error', error: asApiError(err) });
    }
  };
  const saveAgain = async () => {
    if (state.kind !== 'done') return;
    const { file, text } = state;
    setState({ kind: 'done', file: await saveText(file.name, text, file.type), text });
  };
  return { state, run, saveAgain };
}

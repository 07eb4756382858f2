// Saving text the UI made (an export) as a file. In the desktop window the Go binding OS.SaveFile asks where with
// the system's save dialog and writes the file, so the UI can say where it went. A browser saves a Blob link with a
// download name to its downloads folder; the caller keeps the link on screen and offers copying too.
import { desktopSaveFile } from './desktop';

/** What became of a file the UI offered. */
export type SavedFile =
  /** A browser download. url is an object URL for saving again; release it with releaseFile when done. */
  | { kind: 'downloaded'; name: string; type: string; bytes: number; url: string }
  /** The desktop wrote it where the user chose. */
  | { kind: 'written'; name: string; type: string; bytes: number; path: string }
  /** The user cancelled the desktop's save dialog: nothing was written. */
  | { kind: 'cancelled'; name: string; type: string; bytes: number }
  /** The desktop could not write it (a folder without permission, a full disk). */
  | { kind: 'failed'; name: string; type: string; bytes: number; message: string };

/** Offers text as a browser download named name, and returns the link for showing it again. */
export function offerDownload(name: string, text: string, type = 'application/x-ndjson'): SavedFile {
  const blob = new Blob([text], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  return { kind: 'downloaded', name, type, bytes: blob.size, url };
}

/**
 * Saves text as a file named name: through the desktop's save dialog when the UI runs in the desktop window,
 * else as a browser download. Never rejects: a failure to write is a result the page shows.
 */
export async function saveText(name: string, text: string, type = 'application/x-ndjson'): Promise<SavedFile> {
  const save = desktopSaveFile();
  if (!save) return offerDownload(name, text, type);
  const bytes = new Blob([text]).size;
  try {
    const path = await save(name, text);
    return path ? { kind: 'written', name, type, bytes, path } : { kind: 'cancelled', name, type, bytes };
  } catch (err) {
    return { kind: 'failed', name, type, bytes, message: err instanceof Error ? err.message : String(err) };
  }
}

/** Frees what a saved file holds on to (a browser download's object URL). */
export function releaseFile(file: SavedFile): void {
  if (file.kind === 'downloaded') URL.revokeObjectURL(file.url);
}

/** Whether the UI runs in the desktop window (Wails), where browser downloads may go nowhere. */
export function inDesktopWindow(): boolean {
  return typeof window.runtime === 'object' && window.runtime !== null;
}

/** "1.2 MB", "830 B". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// Saving text the UI made (an export) as a file. A browser saves a Blob link with a download name to its downloads
// folder; a desktop webview may ignore downloads, so the caller keeps the link on screen and offers copying too.

export interface SavedFile {
  name: string;
  /** An object URL for a link the user can click again; revoke it with URL.revokeObjectURL when done. */
  url: string;
  bytes: number;
}

/** Offers text as a download named name, and returns the link for showing it again. */
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
  return { name, url, bytes: blob.size };
}

/** Whether the UI runs in the desktop window (Wails), where downloads may go nowhere. */
export function inDesktopWindow(): boolean {
  return typeof window.runtime === 'object' && window.runtime !== null;
}

/** "1.2 MB", "830 B". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

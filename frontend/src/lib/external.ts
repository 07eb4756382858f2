// Opening external links: the Wails webview must hand them to the OS browser through its runtime; a browser tab
// opens them in a new tab.

declare global {
  interface Window {
    /** The Wails runtime, present in the desktop window only. */
    runtime?: { BrowserOpenURL?: (url: string) => void; ClipboardSetText?: (text: string) => Promise<boolean> };
  }
}

/** Opens url through Wails when running in the desktop; returns false when the browser should follow the link. */
export function openExternal(url: string): boolean {
  const open = window.runtime?.BrowserOpenURL;
  if (typeof open !== 'function') return false;
  open(url);
  return true;
}

/** Whether url is safe to put in an href: http(s) and mailto only (descriptors are user-written). */
export function isSafeUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'mailto:';
  } catch {
    return false;
  }
}

/** "github.com/sphera/payments-api" for display. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === 'mailto:') return u.pathname;
    const path = u.pathname.replace(/\/+$/, '');
    return `${u.host}${path}`;
  } catch {
    return url;
  }
}

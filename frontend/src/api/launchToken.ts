// The launch token of `atrium web`: it prints http://127.0.0.1:PORT/?token=..., and the API (/api, /ofrep) wants
// that token in an Authorization: Bearer header. The server keeps no cookie: cookies are per host, not per port,
// so a page on another port of 127.0.0.1 would get it attached to its forged requests, and could read it.
//
// The page takes the token from its own URL once at start, keeps it in sessionStorage and removes it from the
// address bar. sessionStorage rather than localStorage: it belongs to this origin (scheme, host and port) and to
// this tab only, and ends with the tab — the token is worth nothing after `atrium web` exits, so nothing is gained
// by keeping it on disk, and a tab opened by hand just asks for the launch URL again (AccessNotice says so).
//
// The desktop window has no token: its requests never leave the process, and the API needs none there.
const KEY = 'atrium.launchToken';

/** Where the token lives when the browser refuses storage (storage disabled): this page's memory. */
let inMemory: string | null = null;

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/**
 * Takes ?token= from the page's URL, if there, keeps it for the API client and removes it from the address bar
 * (history.replaceState, so it stays out of the history entry too). Other query parameters and the fragment (the
 * app's route) are kept. Call once before the app renders.
 */
export function adoptLaunchToken(): void {
  const params = new URLSearchParams(window.location.search);
  const token = params.get('token');
  if (token === null) return;
  params.delete('token');
  if (token !== '') {
    inMemory = token;
    try {
      storage()?.setItem(KEY, token);
    } catch {
      // Storage full or disabled: the token stays in memory for this page.
    }
  }
  const query = params.toString();
  window.history.replaceState(window.history.state, '', `${window.location.pathname}${query ? `?${query}` : ''}${window.location.hash}`);
}

/** The launch token to send as Authorization: Bearer, or null (the desktop window; a tab without the launch URL). */
export function launchToken(): string | null {
  try {
    const stored = storage()?.getItem(KEY);
    if (stored) return stored;
  } catch {
    // fall through to memory
  }
  return inMemory;
}

// The desktop window's Go bindings (Wails binds app.OS from app/desktop.go as window.go.app.OS). They exist only in
// the desktop; in a browser tab (atrium web) window.go is absent and the UI uses what browsers have. The API itself
// never depends on them: bindings are for OS integration only (saving files, dialogs).

/** app.OS as Wails binds it; every method returns a Promise that rejects with the Go error's text. */
export interface DesktopOS {
  /** Asks where to save content with the system's save dialog and writes it: the path written, "" if cancelled. */
  SaveFile?: (suggestedName: string, content: string) => Promise<string>;
}

declare global {
  interface Window {
    /** Wails' Go bindings, present in the desktop window only. */
    go?: { app?: { OS?: DesktopOS } };
  }
}

/** Whether the UI runs with the desktop's Go bindings (the Wails window), rather than in a browser tab. */
export function hasDesktopBindings(): boolean {
  return typeof window.go === 'object' && window.go !== null;
}

/** The desktop's save-file binding, or null in a browser (or a desktop too old to have it). */
export function desktopSaveFile(): ((suggestedName: string, content: string) => Promise<string>) | null {
  const os = window.go?.app?.OS;
  const save = os?.SaveFile;
  if (!os || typeof save !== 'function') return null;
  return (name, content) => save.call(os, name, content);
}

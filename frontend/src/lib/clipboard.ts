// Copying text: the Wails runtime's clipboard in the desktop window, the async clipboard in a browser, and a
// selected textarea as a last resort. Resolves to whether it worked, so the UI can say so.

export async function copyText(text: string): Promise<boolean> {
  const wails = window.runtime?.ClipboardSetText;
  if (typeof wails === 'function') {
    try {
      if (await wails(text)) return true;
    } catch {
      // fall through
    }
  }
  try {
    if (navigator.clipboard && typeof navigator.clipboard.writeText === 'function') {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through: permissions, insecure context
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  let ok: boolean;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

// The keyboard shortcuts that work on every page: "/" to search the page (or go anywhere, on pages without a
// search box), Ctrl+K (⌘K on a Mac) to go anywhere.
import { useEffect } from 'react';

/** Whether keys typed at target are text (where "/" is a character, not a shortcut). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'range', 'color'].includes(target.type);
  }
  return false;
}

/** The page's own search box, if it has one. */
export function pageSearchBox(): HTMLInputElement | null {
  return document.querySelector<HTMLInputElement>('main input[type="search"]');
}

/** Installs "/" and Ctrl+K / ⌘K; openPalette opens the command palette. */
export function useShortcuts(openPalette: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey) return;
      if ((e.key === 'k' || e.key === 'K') && (e.ctrlKey || e.metaKey) && !e.shiftKey) {
        e.preventDefault();
        openPalette();
        return;
      }
      if (e.key === '/' && !e.ctrlKey && !e.metaKey && !isTyping(e.target)) {
        e.preventDefault();
        const box = pageSearchBox();
        if (box) {
          box.focus();
          box.select();
        } else {
          openPalette();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [openPalette]);
}

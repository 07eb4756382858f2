import { useEffect, useRef, useState, type ReactNode } from 'react';
import styles from './ConfirmDialog.module.css';

interface Props {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * An in-page confirmation (not window.confirm, which desktop webviews may not show): what will happen, confirm or
 * cancel. Escape cancels; focus starts on Cancel so that Enter does not destroy anything by accident — on the dialog
 * itself while its buttons wait (busy), then on Cancel — and returns, once it closes, to what had it before.
 */
export function ConfirmDialog({ title, children, confirmLabel, busy, danger, onConfirm, onCancel }: Props) {
  const dialogRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  // What had focus when it opened (read once, before this takes focus): it gets focus back when this closes.
  const [opener] = useState(() => (document.activeElement instanceof HTMLElement ? document.activeElement : null));
  const placed = useRef(false);
  useEffect(
    () => () => {
      // Closed with focus inside it (now gone, so on the body): back to the control that opened it, if still there.
      if ((document.activeElement === null || document.activeElement === document.body) && opener?.isConnected) opener.focus();
    },
    [opener],
  );
  useEffect(() => {
    const dialog = dialogRef.current;
    const active = document.activeElement;
    const lost = active === null || active === document.body;
    // Once placed, focus the user moved stays where they put it.
    if (placed.current && !lost && active !== dialog) return;
    placed.current = true;
    // A disabled button cannot take focus: hold it on the dialog until Cancel can.
    if (cancelRef.current && !cancelRef.current.disabled) cancelRef.current.focus();
    else dialog?.focus();
  }, [busy]);
  return (
    <div
      className={styles.confirm}
      role="alertdialog"
      aria-modal="false"
      aria-labelledby="confirm-title"
      tabIndex={-1}
      ref={dialogRef}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <p className={styles['confirm-title']} id="confirm-title">
        {title}
      </p>
      <div className={styles['confirm-body']}>{children}</div>
      <div className="form-actions">
        <button type="button" className={`button ${danger ? 'button-danger' : 'button-primary'}`} disabled={busy} onClick={onConfirm}>
          {busy ? 'Working…' : confirmLabel}
        </button>
        <button type="button" className="button" ref={cancelRef} disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

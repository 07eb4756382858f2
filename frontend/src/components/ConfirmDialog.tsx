import { useEffect, useRef, type ReactNode } from 'react';
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
 * cancel. Escape cancels; focus starts on Cancel so that Enter does not destroy anything by accident.
 */
export function ConfirmDialog({ title, children, confirmLabel, busy, danger, onConfirm, onCancel }: Props) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => cancelRef.current?.focus(), []);
  return (
    <div
      className={styles.confirm}
      role="alertdialog"
      aria-modal="false"
      aria-labelledby="confirm-title"
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

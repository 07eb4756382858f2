import type { ReactNode } from 'react';
import styles from './Segmented.module.css';

interface Option<T> {
  value: T;
  label: ReactNode;
  title?: string;
}

interface Props<T> {
  /** The accessible name of the group. */
  label: string;
  options: readonly Option<T>[];
  value: T;
  onChange: (value: T) => void;
  /** One choice of a form (radio buttons), or a view switch (pressed toggle buttons). */
  kind: 'radio' | 'toggle';
}

/** A row of joined buttons, one of them selected. */
export function Segmented<T extends string | boolean>({ label, options, value, onChange, kind }: Props<T>) {
  return (
    <div className={styles.segmented} role={kind === 'radio' ? 'radiogroup' : 'group'} aria-label={label}>
      {options.map((o) => {
        const on = o.value === value;
        return (
          <button
            key={String(o.value)}
            type="button"
            role={kind === 'radio' ? 'radio' : undefined}
            aria-checked={kind === 'radio' ? on : undefined}
            aria-pressed={kind === 'toggle' ? on : undefined}
            className={on ? styles.selected : undefined}
            title={o.title}
            onClick={() => onChange(o.value)}
          >
            {o.label}
          </button>
        );
      })}
    </div>
  );
}

import { useEffect, useId, useRef, useState } from 'react';
import { api, isAbortError, type ServiceRow } from '../api/client';
import { cx } from '../lib/classNames';
import styles from './ServicePicker.module.css';

interface Props {
  id: string;
  /** The chosen service's name ("" for none). */
  value: string;
  onChange: (service: { name: string; owner: string } | null) => void;
  /** Whether the user may request for a team; services of other teams are marked, not hidden. */
  mayRequestFor: (team: string) => boolean;
  invalid?: boolean;
  describedBy?: string;
}

const LIMIT = 20;

/** Finds a service in the catalog as you type (GET /api/v1/services?q=), as an accessible combobox. */
export function ServicePicker({ id, value, onChange, mayRequestFor, invalid, describedBy }: Props) {
  const [text, setText] = useState(value);
  const [open, setOpen] = useState(false);
  const [results, setResults] = useState<{ items: ServiceRow[]; total: number } | null>(null);
  const [active, setActive] = useState(0);
  const [searchError, setSearchError] = useState('');
  const listId = useId();
  const inputRef = useRef<HTMLInputElement>(null);

  // A service chosen from outside (the URL) shows in the box; clearing the choice while typing keeps the text.
  useEffect(() => {
    if (value) setText(value);
  }, [value]);

  useEffect(() => {
    if (!open) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      api.listServices({ q: text.trim() || undefined, limit: LIMIT }, controller.signal).then(
        (page) => {
          setResults({ items: page.items, total: page.total });
          setActive(0);
          setSearchError('');
        },
        (err: unknown) => {
          if (!isAbortError(err)) setSearchError(err instanceof Error ? err.message : String(err));
        },
      );
    }, 120);
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [text, open]);

  const choose = (row: ServiceRow) => {
    setText(row.name);
    setOpen(false);
    onChange({ name: row.name, owner: row.owner });
  };

  const items = results?.items ?? [];
  return (
    <div className={styles.combobox}>
      <input
        ref={inputRef}
        id={id}
        type="text"
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open && items[active] ? `${listId}-${active}` : undefined}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy}
        autoComplete="off"
        spellCheck={false}
        placeholder="Search the catalog: payments-api, search…"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          if (value) onChange(null);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => window.setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOpen(true);
            setActive((i) => Math.min(i + 1, items.length - 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((i) => Math.max(i - 1, 0));
          } else if (e.key === 'Enter' && open && items[active]) {
            e.preventDefault();
            choose(items[active]);
          } else if (e.key === 'Escape') {
            setOpen(false);
          }
        }}
      />
      {open && (
        <ul className={styles['combobox-list']} id={listId} role="listbox" aria-label="Services">
          {searchError && <li className={`${styles['combobox-note']} ${styles['combobox-error']}`}>{searchError}</li>}
          {!searchError && results && items.length === 0 && <li className={styles['combobox-note']}>No service matches “{text}”.</li>}
          {items.map((row, i) => {
            const allowed = mayRequestFor(row.owner);
            return (
              <li
                key={row.name}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                className={cx(styles.option, i === active && styles.active, !allowed && styles['not-yours'])}
                data-service={row.name}
                onMouseDown={(e) => e.preventDefault()}
                onMouseEnter={() => setActive(i)}
                onClick={() => choose(row)}
              >
                <span className={styles.name}>{row.name}</span>
                <span className={styles['combobox-owner']}>
                  {row.owner}
                  {!allowed && ' · not your team'}
                </span>
              </li>
            );
          })}
          {results && results.total > items.length && (
            <li className={styles['combobox-note']}>
              {results.total - items.length} more — keep typing to narrow down.
            </li>
          )}
        </ul>
      )}
    </div>
  );
}

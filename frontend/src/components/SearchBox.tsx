import { useEffect, useRef, useState } from 'react';
import { cx } from '../lib/classNames';
import styles from './SearchBox.module.css';

interface Props {
  value: string;
  onSearch: (q: string) => void;
  /**
   * Debounce before onSearch. 0 (the default) searches at each keystroke: the lists behind the boxes abort the
   * request a newer keystroke makes stale, and the replica answers in about a millisecond, so waiting would only
   * add the delay to every keystroke (bench/RESULTS.md, keystroke to repainted rows).
   */
  delayMs?: number;
  label?: string;
  placeholder?: string;
  /** Narrower, for a toolbar with many filters. */
  narrow?: boolean;
  /** ArrowDown in the box: e.g. move to the first result. */
  onArrowDown?: () => void;
}

/** The catalog's search field: answers as you type. */
export function SearchBox({
  value,
  onSearch,
  delayMs = 0,
  label = 'Search services',
  placeholder = 'Search name, title, description, team, tags…',
  narrow = false,
  onArrowDown,
}: Props) {
  const [text, setText] = useState(value);
  const sent = useRef(value);
  const timer = useRef<number | undefined>(undefined);

  // Follow the URL when it changes from elsewhere (back button, "clear filters"), not as an echo of our typing.
  useEffect(() => {
    if (value !== sent.current) {
      sent.current = value;
      setText(value);
    }
  }, [value]);

  useEffect(() => () => window.clearTimeout(timer.current), []);

  const change = (next: string) => {
    setText(next);
    window.clearTimeout(timer.current);
    const send = () => {
      sent.current = next;
      onSearch(next);
    };
    if (delayMs > 0) timer.current = window.setTimeout(send, delayMs);
    else send();
  };

  return (
    <div className={cx(styles['search-box'], narrow && styles.narrow)}>
      <svg className={styles['search-icon']} viewBox="0 0 16 16" aria-hidden="true">
        <circle cx="7" cy="7" r="4.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
        <path d="M10.5 10.5 14 14" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
      </svg>
      <input
        type="search"
        aria-label={label}
        placeholder={placeholder}
        value={text}
        maxLength={200}
        spellCheck={false}
        autoComplete="off"
        onChange={(e) => change(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && text) change('');
          if (e.key === 'ArrowDown' && onArrowDown) {
            e.preventDefault();
            onArrowDown();
          }
        }}
      />
    </div>
  );
}

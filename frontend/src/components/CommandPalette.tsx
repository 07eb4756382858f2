import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { api, isAbortError, type ServiceRow, type Team } from '../api/client';
import { cx } from '../lib/classNames';
import { catalogHash, navigate, serviceHash, teamHash } from '../lib/router';
import styles from './CommandPalette.module.css';

/** Something the palette offers: a page, an action, a team or a service. */
export interface Command {
  id: string;
  group: 'Pages' | 'Actions' | 'Teams' | 'Services';
  label: string;
  /** A second line: a service's title, an action's effect. */
  hint?: string;
  /** Where it goes. */
  href: string;
}

interface Props {
  /** The pages and actions on offer (what the nav shows this user), in order. */
  commands: readonly Command[];
  onClose: () => void;
}

const MAX_SERVICES = 8;

function matches(c: Command, text: string): boolean {
  const t = text.trim().toLowerCase();
  return t === '' || c.label.toLowerCase().includes(t) || (c.hint ?? '').toLowerCase().includes(t);
}

/**
 * Ctrl+K (⌘K): go anywhere by typing — a page, an action, a team, or a service of the catalog (searched as the
 * catalog searches, from the replica). Arrows move, Enter opens, Escape closes and gives focus back.
 */
export function CommandPalette({ commands, onClose }: Props) {
  const [text, setText] = useState('');
  const [services, setServices] = useState<ServiceRow[]>([]);
  const [teams, setTeams] = useState<Team[]>([]);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();
  const returnTo = useRef<Element | null>(null);

  useEffect(() => {
    returnTo.current = document.activeElement;
    input.current?.focus();
    return () => {
      if (returnTo.current instanceof HTMLElement) returnTo.current.focus();
    };
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    api.listTeams(controller.signal).then(
      (t) => setTeams(t.items),
      () => setTeams([]), // teams are a help, not the point: without them the palette offers the rest
    );
    return () => controller.abort();
  }, []);

  useEffect(() => {
    const q = text.trim();
    if (q === '') {
      setServices([]);
      return;
    }
    const controller = new AbortController();
    api.listServices({ q, limit: MAX_SERVICES }, controller.signal).then(
      (page) => setServices(page.items),
      (err: unknown) => {
        if (!isAbortError(err)) setServices([]);
      },
    );
    return () => controller.abort();
  }, [text]);

  const items = useMemo(() => {
    const shown = commands.filter((c) => matches(c, text));
    const out: Command[] = shown.filter((c) => c.group === 'Pages');
    out.push(...shown.filter((c) => c.group === 'Actions'));
    if (text.trim()) {
      out.push({ id: 'search', group: 'Actions', label: `Search the catalog for “${text.trim()}”`, href: catalogHash({ q: text.trim() }) });
    }
    if (text.trim()) {
      for (const t of teams) {
        const c: Command = { id: `team:${t.name}`, group: 'Teams', label: t.display_name || t.name, hint: t.name, href: teamHash(t.name) };
        if (matches(c, text)) out.push(c);
      }
    }
    for (const s of services) {
      out.push({ id: `service:${s.name}`, group: 'Services', label: s.name, hint: s.title || s.description, href: serviceHash(s.name) });
    }
    return out;
  }, [commands, services, teams, text]);
  const current = Math.min(active, Math.max(0, items.length - 1));

  const open = (c: Command | undefined) => {
    if (!c) return;
    onClose();
    navigate(c.href);
  };

  const optionId = (i: number) => `${listId}-${i}`;
  let lastGroup = '';
  return (
    <div className={styles.backdrop} onMouseDown={onClose}>
      <div
        className={styles.palette}
        role="dialog"
        aria-modal="true"
        aria-label="Go to"
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            onClose();
          } else if (e.key === 'Tab') {
            // The dialog is modal: focus stays in its one field.
            e.preventDefault();
          }
        }}
      >
        <input
          ref={input}
          className={styles.input}
          type="text"
          role="combobox"
          aria-label="Go to a page, an action or a service"
          aria-expanded="true"
          aria-controls={listId}
          aria-activedescendant={items.length > 0 ? optionId(current) : undefined}
          aria-autocomplete="list"
          placeholder="Go to a page, an action or a service…"
          value={text}
          spellCheck={false}
          autoComplete="off"
          onChange={(e) => {
            setText(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              e.preventDefault();
              setActive((current + 1) % Math.max(1, items.length));
            } else if (e.key === 'ArrowUp') {
              e.preventDefault();
              setActive((current - 1 + items.length) % Math.max(1, items.length));
            } else if (e.key === 'Home' && e.ctrlKey) {
              setActive(0);
            } else if (e.key === 'End' && e.ctrlKey) {
              setActive(items.length - 1);
            } else if (e.key === 'Enter') {
              e.preventDefault();
              open(items[current]);
            }
          }}
        />
        <ul className={styles.list} id={listId} role="listbox" aria-label="Results">
          {items.length === 0 && (
            <li className={styles.empty} role="presentation">
              Nothing matches “{text.trim()}”.
            </li>
          )}
          {items.map((c, i) => {
            const heading = c.group !== lastGroup ? c.group : null;
            lastGroup = c.group;
            return [
              heading && (
                <li key={`h-${heading}`} className={styles.group} role="presentation">
                  {heading}
                </li>
              ),
              <li
                key={c.id}
                id={optionId(i)}
                role="option"
                aria-selected={i === current}
                className={cx(styles.option, i === current && styles.active)}
                onMouseMove={() => setActive(i)}
                onClick={() => open(c)}
              >
                <span className={styles.label}>{c.label}</span>
                {c.hint && <span className={styles.hint}>{c.hint}</span>}
              </li>,
            ];
          })}
        </ul>
        <p className={styles.help}>
          <kbd>↑</kbd> <kbd>↓</kbd> move · <kbd>Enter</kbd> open · <kbd>Esc</kbd> close · <kbd>/</kbd> search this page
        </p>
      </div>
    </div>
  );
}

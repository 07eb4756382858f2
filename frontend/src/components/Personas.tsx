import { useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { api, asApiError, type ApiError, type PersonaList } from '../api/client';
import { useLoad, type Loaded } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import styles from './Personas.module.css';

function reloadApp() {
  window.location.reload();
}

/** Whether the portal in use is local mode's, which alone has demo personas (GET /me says local or persona). */
function useLocalPersonas(): Loaded<PersonaList> & { local: boolean } {
  const { me } = useMe();
  const local = me?.via === 'local' || me?.via === 'persona';
  return { ...useLoad((signal) => api.getPersonas(signal), `personas|${me?.subject ?? ''}`, { enabled: local }), local };
}

/** Switching persona: what the pages show was asked as someone else, so the app loads again as the new persona. */
function useChoosePersona(onSwitched: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const choose = async (id: string) => {
    setBusy(true);
    setError(null);
    try {
      await api.putPersona(id);
      onSwitched();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, choose };
}

interface Props {
  /** After a switch (default: load the app again as the persona). Tests pass their own. */
  onSwitched?: () => void;
}

/** Local mode's personas and who the UI acts as now; null where there are none (a team portal). */
export function useDemoPersonas(): PersonaList | null {
  const list = useLocalPersonas();
  return list.local && list.data ? list.data : null;
}

interface MenuProps extends Props {
  personas: PersonaList;
  /** Closed by clicking elsewhere: focus goes where the click put it. */
  onClose: () => void;
  /** Closed from within (Escape, or the persona already active): focus goes back to what opened it. Default onClose. */
  onDismiss?: () => void;
}

/**
 * Local mode's demo personas, opened from the identity chip in the header: act as a developer to request, as a
 * platform approver to approve, and see the result — one person trying the flows that need several. The local
 * portal's real policy decides for the persona, and its audit log names it. A team portal knows the user by their
 * own token and has no personas; the chip then opens nothing.
 */
export function PersonaMenu({ personas: { active, personas }, onClose, onDismiss = onClose, onSwitched = reloadApp }: MenuProps) {
  const { busy, error, choose } = useChoosePersona(onSwitched);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[aria-checked="true"]')?.focus();
    const away = (e: MouseEvent) => {
      if (ref.current && !ref.current.parentElement?.contains(e.target as Node)) onClose();
    };
    document.addEventListener('mousedown', away);
    return () => document.removeEventListener('mousedown', away);
  }, [onClose]);
  const move = (e: ReactKeyboardEvent<HTMLDivElement>) => {
    const items = [...(ref.current?.querySelectorAll<HTMLElement>('[role="menuitemradio"]') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'Escape') onDismiss();
    else if (e.key === 'ArrowDown') items[(i + 1) % items.length]?.focus();
    else if (e.key === 'ArrowUp') items[(i - 1 + items.length) % items.length]?.focus();
    else return;
    e.preventDefault();
  };
  return (
    <div className={styles.menu} role="menu" aria-label="Act as" ref={ref} onKeyDown={move} data-testid="persona-menu">
      <p className={styles['menu-head']}>Act as — people of the local demo, under the portal&apos;s real rules</p>
      {personas.map((p) => (
        <button
          key={p.id}
          type="button"
          role="menuitemradio"
          aria-checked={p.id === active}
          className={styles.item}
          disabled={busy}
          onClick={() => (p.id === active ? onDismiss() : void choose(p.id))}
        >
          <span className={styles['item-label']}>
            {p.label}
            {p.demo && <span className={styles.tag}>demo</span>}
          </span>
          <span className={styles['item-help']}>{p.description}</span>
        </button>
      ))}
      {error && (
        <p className={styles.error} role="alert">
          Not switched: {error.message}
        </p>
      )}
    </div>
  );
}

/**
 * The strip under the header while a demo persona is active: whom the portal takes the user for, what they may do,
 * and the way back — so that nobody mistakes the demo's rights, or its audit entries, for their own.
 */
export function PersonaBanner({ onSwitched = reloadApp }: Props) {
  const list = useLocalPersonas();
  const { busy, error, choose } = useChoosePersona(onSwitched);
  const current = list.data?.personas.find((p) => p.id === list.data?.active);
  if (!list.local || !current?.demo) return null;
  return (
    <div className={styles.banner} role="status" data-testid="persona-banner">
      <strong>Demo persona:</strong> you act as {current.label} (<span className="mono">{current.subject}</span>). {current.description} The local
      portal applies its real rules to this persona and its audit log names it.{' '}
      <button type="button" className={`button button-link ${styles.back}`} disabled={busy} onClick={() => void choose('you')}>
        Back to yourself
      </button>
      {error && <span role="alert"> Switching failed: {error.message}</span>}
    </div>
  );
}

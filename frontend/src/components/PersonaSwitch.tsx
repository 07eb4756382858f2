import { useState } from 'react';
import { api, asApiError, type ApiError, type PersonaList } from '../api/client';
import { useLoad, type Loaded } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import styles from './PersonaSwitch.module.css';

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

/**
 * Local mode's demo personas, in the header: act as a developer to request, as a platform approver to approve, and
 * see the result — one person trying the flows that need several. The local portal's real policy decides for the
 * persona, and its audit log names it. Only in local mode (the portal knows the user as the local user or a
 * persona); a team portal knows the user by their own token and has no personas.
 */
export function PersonaSwitch({ onSwitched = reloadApp }: Props) {
  const list = useLocalPersonas();
  const { busy, error, choose } = useChoosePersona(onSwitched);
  if (!list.local || !list.data) return null; // not local mode, or a desktop without personas
  const { active, personas } = list.data;
  const current = personas.find((p) => p.id === active);
  const demo = current?.demo === true;
  const title = [
    demo ? `Acting as the demo persona ${current?.subject ?? active}.` : 'Acting as yourself, the admin of the local demo portal.',
    'Act as a demo persona to request, approve and see the result as other people would; the local portal decides with its real rules.',
    error ? `Switching failed: ${error.message}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <span className={`${styles.persona}${demo ? ` ${styles.demo}` : ''}`} data-testid="persona-switch" data-demo={demo ? 'true' : 'false'} title={title}>
      <select
        aria-label="Act as"
        className={styles.select}
        value={active}
        disabled={busy}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'persona-error' : undefined}
        onChange={(e) => void choose(e.target.value)}
      >
        {personas.map((p) => (
          <option key={p.id} value={p.id}>
            {p.demo ? `${p.label} (demo)` : p.label}
          </option>
        ))}
      </select>
      {error && (
        <span className={styles.error} id="persona-error" role="alert">
          not switched
        </span>
      )}
    </span>
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

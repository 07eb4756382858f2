import { useCallback, useRef, useState } from 'react';
import { useMe } from '../hooks/useMe';
import { grantLabel, roleSummary } from '../lib/permissions';
import { SETTINGS_HASH } from '../lib/router';
import { PersonaMenu, useDemoPersonas } from './Personas';
import styles from './IdentityChip.module.css';

const VIA: Record<string, string> = {
  local: 'the local demo (you are its admin)',
  persona: 'a demo persona of the local demo (switch back with Act as)',
  token: 'an API token',
  oidc: 'single sign-on (OIDC)',
};

/**
 * Who the portal thinks the user is: subject and main role, the rest on hover. In local mode it opens the demo
 * personas (act as a developer, a team owner, a platform approver…), and shows plainly when one is active.
 */
export function IdentityChip() {
  const { me, error } = useMe();
  const personas = useDemoPersonas();
  const [open, setOpen] = useState(false);
  const close = useCallback(() => setOpen(false), []);
  const chip = useRef<HTMLButtonElement>(null);
  // Closed from the keyboard: focus returns to the chip, not to the page's start.
  const dismiss = useCallback(() => {
    setOpen(false);
    chip.current?.focus();
  }, []);
  if (!me) {
    if (!error) {
      return (
        <span className={`${styles['identity-chip']} ${styles['identity-unknown']}`} data-testid="identity" title="Asking the portal who you are…">
          …
        </span>
      );
    }
    // The portal refused the token, or cannot be reached: say so, and lead to where it is fixed.
    return (
      <a className={`${styles['identity-chip']} ${styles['identity-unknown']}`} data-testid="identity" href={SETTINGS_HASH} title={error.message}>
        {error.code === 'portal_unauthorized' ? 'token refused' : 'not signed in'}
      </a>
    );
  }
  const grants = me.grants.map(grantLabel).join(', ') || 'none';
  const title = [
    `Signed in as ${me.subject} through ${VIA[me.via] ?? me.via}`,
    `Roles: ${grants}`,
    me.scopes.length > 0 ? `Token scopes: ${me.scopes.join(', ')}` : '',
    `May: ${me.permissions.join(', ') || 'nothing'}`,
    personas ? 'Click to act as another person of the local demo.' : '',
  ]
    .filter(Boolean)
    .join('\n');
  const content = (
    <>
      <span className={styles['identity-subject']}>{me.subject}</span>
      <span className={styles['identity-roles']}>{roleSummary(me)}</span>
    </>
  );
  if (!personas) {
    return (
      <span className={styles['identity-chip']} data-testid="identity" title={title}>
        {content}
      </span>
    );
  }
  const demo = me.via === 'persona';
  return (
    <span className={styles['identity-menu']}>
      <button
        type="button"
        className={`${styles['identity-chip']} ${styles['identity-button']}${demo ? ` ${styles['identity-demo']}` : ''}`}
        ref={chip}
        data-testid="identity"
        data-demo={demo ? 'true' : 'false'}
        title={title}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        {content}
      </button>
      {open && <PersonaMenu personas={personas} onClose={close} onDismiss={dismiss} />}
    </span>
  );
}

import { useMe } from '../hooks/useMe';
import { grantLabel, roleSummary } from '../lib/permissions';
import { SETTINGS_HASH } from '../lib/router';
import { PersonaSwitch } from './PersonaSwitch';
import styles from './IdentityChip.module.css';

const VIA: Record<string, string> = {
  local: 'the local demo (you are its admin)',
  persona: 'a demo persona of the local demo (switch back with Act as)',
  token: 'an API token',
  oidc: 'single sign-on (OIDC)',
};

/** Who the portal thinks the user is: subject and main role, the rest on hover. */
export function IdentityChip() {
  const { me, error } = useMe();
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
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <>
      <PersonaSwitch />
      <span className={styles['identity-chip']} data-testid="identity" title={title}>
        <span className={styles['identity-subject']}>{me.subject}</span>
        <span className={styles['identity-roles']}>{roleSummary(me)}</span>
      </span>
    </>
  );
}

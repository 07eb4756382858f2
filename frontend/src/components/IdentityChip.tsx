import { useMe } from '../hooks/useMe';
import { grantLabel, roleSummary } from '../lib/permissions';

const VIA: Record<string, string> = { local: 'the local demo (you are its admin)', token: 'an API token', oidc: 'single sign-on (OIDC)' };

/** Who the portal thinks the user is: subject and main role, the rest on hover. */
export function IdentityChip() {
  const { me, error } = useMe();
  if (!me) {
    return (
      <span className="identity-chip identity-unknown" data-testid="identity" title={error?.message ?? 'Asking the portal who you are…'}>
        {error ? 'not signed in' : '…'}
      </span>
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
    <span className="identity-chip" data-testid="identity" title={title}>
      <span className="identity-subject">{me.subject}</span>
      <span className="identity-roles">{roleSummary(me)}</span>
    </span>
  );
}

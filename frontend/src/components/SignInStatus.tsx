import { api } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { grantLabel } from '../lib/permissions';
import { SignInWithSSO } from './SignInWithSSO';

const VIA: Record<string, string> = { local: 'as the local demo’s admin', token: 'with an API token', oidc: 'with single sign-on (OIDC)' };

interface Props {
  portalKey: string;
  /** Called after single sign-on changed the desktop's portal token. */
  onSignedIn: () => void;
}

/** Who the portal in use takes the user for, how that portal lets people sign in, and single sign-on when offered. */
export function SignInStatus({ portalKey, onSignedIn }: Props) {
  const { me, error } = useMe();
  const methods = useLoad((signal) => api.getSignInMethods(signal), portalKey);
  const m = methods.data;
  return (
    <section className="panel" aria-labelledby="signin-heading">
      <h2 id="signin-heading">Signed in</h2>
      <dl className="facts facts-column" data-testid="signin-status">
        <div>
          <dt>You are</dt>
          <dd>
            {me ? (
              <>
                <strong>{me.subject}</strong> {VIA[me.via] ?? `via ${me.via}`}
              </>
            ) : error ? (
              <span className="field-problem">{error.message}</span>
            ) : (
              <span className="muted">asking the portal…</span>
            )}
          </dd>
        </div>
        {me && (
          <div>
            <dt>Roles</dt>
            <dd>{me.grants.length > 0 ? me.grants.map(grantLabel).join(', ') : <span className="muted">none{me.scopes.length > 0 ? ` (token scopes: ${me.scopes.join(', ')})` : ''}</span>}</dd>
          </div>
        )}
        {m && (
          <div>
            <dt>Sign-in methods</dt>
            <dd>
              {m.token ? 'API tokens' : ''}
              {m.token && m.oidc ? '; ' : ''}
              {m.oidc ? (
                <>
                  single sign-on with <span className="mono">{m.oidc.issuer}</span>
                </>
              ) : null}
            </dd>
          </div>
        )}
      </dl>
      {m?.oidc && <SignInWithSSO issuer={m.oidc.issuer} onSignedIn={onSignedIn} />}
    </section>
  );
}

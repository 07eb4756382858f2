import { useEffect, useRef, useState } from 'react';
import { api, asApiError } from '../api/client';
import { openExternal } from '../lib/external';
import styles from './SignInWithSSO.module.css';

type Flow =
  | { kind: 'idle' }
  | { kind: 'starting' }
  | { kind: 'waiting'; authUrl: string; pollError: string }
  | { kind: 'signed_in'; subject: string }
  | { kind: 'failed'; message: string };

interface Props {
  /** The identity provider, to say where the browser goes. */
  issuer: string;
  /** Called once the desktop has signed in: its portal token changed, so who the user is may have too. */
  onSignedIn: (subject: string) => void;
  /** How often to ask for progress while the browser is out. */
  pollMs?: number;
}

/** Opens url in the system browser: through Wails in the desktop window, a new tab in a browser. */
function openInBrowser(url: string): void {
  if (!openExternal(url)) window.open(url, '_blank', 'noopener');
}

/**
 * Single sign-on with the team portal's identity provider, the way native apps do it: the desktop prepares the
 * request (POST /api/v1/auth/oidc/start), the system browser signs in, and the desktop takes the answer on a
 * loopback redirect. Meanwhile this asks GET /api/v1/auth/oidc/status until it says signed_in or error.
 */
export function SignInWithSSO({ issuer, onSignedIn, pollMs = 1000 }: Props) {
  const [flow, setFlow] = useState<Flow>({ kind: 'idle' });
  const waiting = flow.kind === 'waiting';
  // The latest callback, without restarting the polling when the parent re-renders.
  const signedIn = useRef(onSignedIn);
  useEffect(() => {
    signedIn.current = onSignedIn;
  });

  useEffect(() => {
    if (!waiting) return;
    const controller = new AbortController();
    let timer: number | undefined;
    const poll = async () => {
      try {
        const s = await api.getSignInStatus(controller.signal);
        if (controller.signal.aborted) return;
        if (s.state === 'signed_in') {
          setFlow({ kind: 'signed_in', subject: s.subject ?? '' });
          signedIn.current(s.subject ?? '');
          return;
        }
        if (s.state === 'error') {
          setFlow({ kind: 'failed', message: s.message || 'the sign-in failed without saying why' });
          return;
        }
        if (s.state === 'idle') {
          setFlow({ kind: 'failed', message: 'Atrium is no longer waiting for this sign-in (it may have restarted)' });
          return;
        }
        setFlow((f) => (f.kind === 'waiting' && f.pollError ? { ...f, pollError: '' } : f));
      } catch (err) {
        if (controller.signal.aborted) return;
        const message = asApiError(err).message;
        setFlow((f) => (f.kind === 'waiting' ? { ...f, pollError: message } : f));
      }
      timer = window.setTimeout(() => void poll(), pollMs);
    };
    void poll();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [waiting, pollMs]);

  const start = async () => {
    setFlow({ kind: 'starting' });
    try {
      const { auth_url: authUrl } = await api.startSignIn();
      openInBrowser(authUrl);
      setFlow({ kind: 'waiting', authUrl, pollError: '' });
    } catch (err) {
      setFlow({ kind: 'failed', message: asApiError(err).message });
    }
  };

  return (
    <div className={styles.sso} data-testid="sso">
      {flow.kind === 'waiting' ? (
        <div role="status">
          <p className="sso-waiting">
            Finish signing in in your browser ({issuer}); this page notices when you are done. If no browser window opened,{' '}
            <a href={flow.authUrl} onClick={(e) => (openExternal(flow.authUrl) ? e.preventDefault() : undefined)} target="_blank" rel="noopener noreferrer">
              open the sign-in page
            </a>
            .
          </p>
          {flow.pollError && <p className="inline-warning">Could not ask for progress ({flow.pollError}); still trying.</p>}
          <button type="button" className="button" onClick={() => setFlow({ kind: 'idle' })}>
            Stop waiting
          </button>
        </div>
      ) : (
        <button type="button" className="button button-primary" disabled={flow.kind === 'starting'} onClick={() => void start()}>
          {flow.kind === 'starting' ? 'Starting…' : flow.kind === 'failed' ? 'Try signing in again' : 'Sign in with SSO'}
        </button>
      )}
      {flow.kind === 'signed_in' && (
        <p className="form-saved" role="status">
          Signed in as <strong>{flow.subject}</strong> with single sign-on.
        </p>
      )}
      {flow.kind === 'failed' && (
        <p className="form-error" role="alert">
          Single sign-on did not finish: {flow.message.replace(/\.$/, '')}.
        </p>
      )}
    </div>
  );
}

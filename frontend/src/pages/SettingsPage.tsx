import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, isAbortError, type Settings } from '../api/client';
import { announceSettingsSaved } from '../hooks/useFeatures';
import { useMe } from '../hooks/useMe';
import { ErrorState, LoadingState } from '../components/Notice';
import { PreferencesPanel } from '../components/PreferencesPanel';
import { SignInStatus } from '../components/SignInStatus';
import styles from './SettingsPage.module.css';

const FORM_FIELDS = ['portal_url', 'token'];

function tokenText(s: Settings): string {
  if (!s.token_set) return s.mode === 'local' ? 'not needed in local mode' : 'not set';
  return 'set';
}

function tokenStoreText(store: string): string {
  if (store === 'keyring') return 'the OS keyring';
  if (store === 'file') return "a file in Atrium's data directory, readable only by you";
  return store;
}

/** Where the app gets its catalog from: the built-in demo portal, or a team portal with the user's token. */
export function SettingsPage() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [portalUrl, setPortalUrl] = useState('');
  const [token, setToken] = useState('');
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState('');
  const { reload: reloadMe } = useMe();

  useEffect(() => {
    const controller = new AbortController();
    setLoadError(null);
    api.getSettings(controller.signal).then(
      (s) => {
        setSettings(s);
        setPortalUrl(s.portal_url);
      },
      (err: unknown) => {
        if (!isAbortError(err)) setLoadError(err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err)));
      },
    );
    return () => controller.abort();
  }, [attempt]);

  const save = async (url: string) => {
    setSaving(true);
    setSaveError(null);
    setSaved('');
    try {
      const next = await api.putSettings(token && url ? { portal_url: url, token } : { portal_url: url });
      setSettings(next);
      setPortalUrl(next.portal_url);
      setToken('');
      reloadMe({ forget: true }); // a new portal or token: the user may be someone else now
      announceSettingsSaved(); // and its flags may turn other pages on or off
      setSaved(
        next.mode === 'local'
          ? 'Switched to local demo mode: the portal runs inside this app on a demo catalog.'
          : `Now using the portal at ${next.portal_url}. The indicator at the top right shows whether it can be reached and how the sync is going.`,
      );
    } catch (err) {
      setSaveError(err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err)));
    } finally {
      setSaving(false);
    }
  };

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    void save(portalUrl.trim());
  };

  if (loadError) {
    return (
      <div className={`page ${styles['settings-page']}`}>
        <h1>Settings</h1>
        <ErrorState title="Settings could not be loaded" error={loadError} onRetry={() => setAttempt((n) => n + 1)} />
      </div>
    );
  }
  if (!settings) {
    return (
      <div className={`page ${styles['settings-page']}`}>
        <h1>Settings</h1>
        <LoadingState>
          Loading settings…
        </LoadingState>
      </div>
    );
  }

  const urlProblem = saveError?.fieldProblem('portal_url');
  const tokenProblem = saveError?.fieldProblem('token');
  const otherFields = saveError?.fields.filter((f) => !FORM_FIELDS.includes(f.field)) ?? [];
  const formMessage =
    saveError && (saveError.fields.length === 0 || otherFields.length > 0)
      ? saveError.message
      : saveError
        ? 'Check the field marked above.'
        : '';
  const trimmed = portalUrl.trim();

  return (
    <div className={`page ${styles['settings-page']}`}>
      <h1>Settings</h1>
      <section className="panel" aria-labelledby="conn-heading">
        <h2 id="conn-heading">Connection</h2>
        <dl className="facts facts-column" data-testid="settings-current">
          <div>
            <dt>Mode</dt>
            <dd>{settings.mode === 'local' ? 'Local demo — the portal runs inside this app on a demo catalog' : 'Team portal'}</dd>
          </div>
          <div>
            <dt>Portal URL</dt>
            <dd>{settings.portal_url || <span className="muted">none (local mode)</span>}</dd>
          </div>
          <div>
            <dt>Token</dt>
            <dd>{tokenText(settings)}</dd>
          </div>
          {settings.token_store && (
            <div>
              <dt>Token storage</dt>
              <dd>{tokenStoreText(settings.token_store)}</dd>
            </div>
          )}
        </dl>
      </section>
      <SignInStatus
        portalKey={`${settings.mode}|${settings.portal_url}`}
        onSignedIn={() => {
          // The desktop now sends the ID token as its portal token: read the settings (token set) and who the user is.
          setAttempt((n) => n + 1);
          reloadMe({ forget: true });
          announceSettingsSaved();
        }}
      />
      <section className="panel" aria-labelledby="form-heading">
        <h2 id="form-heading">Connect to a team portal</h2>
        <form className={styles['settings-form']} onSubmit={onSubmit} noValidate>
          <div className="field">
            <label htmlFor="portal_url">Portal URL</label>
            <input
              id="portal_url"
              name="portal_url"
              type="text"
              inputMode="url"
              placeholder="https://atrium.example.com — leave empty for the local demo"
              value={portalUrl}
              onChange={(e) => setPortalUrl(e.target.value)}
              aria-invalid={urlProblem ? true : undefined}
              aria-describedby={urlProblem ? 'portal_url-problem' : 'portal_url-help'}
              spellCheck={false}
              autoComplete="url"
            />
            {urlProblem ? (
              <p className="field-problem" id="portal_url-problem" role="alert">
                {urlProblem}
              </p>
            ) : (
              <p className="field-help" id="portal_url-help">
                The address of your team&apos;s Atrium server. Reads then come from a local copy that keeps working offline.
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="token">Token</label>
            <input
              id="token"
              name="token"
              type="password"
              placeholder={settings.token_set ? 'Leave empty to keep the stored token' : 'Optional: your personal API token'}
              value={token}
              onChange={(e) => setToken(e.target.value)}
              aria-invalid={tokenProblem ? true : undefined}
              aria-describedby={tokenProblem ? 'token-problem' : undefined}
              autoComplete="off"
              disabled={trimmed === ''}
            />
            {tokenProblem && (
              <p className="field-problem" id="token-problem" role="alert">
                {tokenProblem}
              </p>
            )}
          </div>
          {formMessage && (
            <p className="form-error" role="alert">
              {formMessage}
            </p>
          )}
          {saved && (
            <p className="form-saved" role="status">
              {saved}
            </p>
          )}
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={saving}>
              {saving ? 'Saving…' : trimmed ? 'Connect' : 'Use local demo'}
            </button>
            {settings.mode === 'remote' && (
              <button type="button" className="button" disabled={saving} onClick={() => void save('')}>
                Switch back to local demo
              </button>
            )}
          </div>
        </form>
      </section>
      <PreferencesPanel />
    </div>
  );
}

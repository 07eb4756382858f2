import { useEffect, useRef, useState } from 'react';
import { api, asApiError, type ApiError, type FleetPreview, type FleetVersion } from '../api/client';
import { count } from '../lib/format';
import { configChanges, configProblems, configText, parseConfigText, SETTINGS, STARTER_CONFIG, type PlacedProblem } from '../lib/fleet';
import { fleetInstallsHash } from '../lib/router';
import { FleetChanges } from './FleetChanges';
import styles from './FleetConfigEditor.module.css';

interface Props {
  /** The version in force (version 0: none pushed yet). */
  current: FleetVersion;
  /** A new version is in force: the page reloads what it shows. */
  onPushed: (v: FleetVersion) => void;
  /** Another admin pushed first (409): the page loads the newest version. */
  onStale: () => void;
}

/** The preview the admin saw, for the text it was made of: a push sends exactly that. */
interface Previewed {
  text: string;
  result: FleetPreview;
}

/**
 * The fleet configuration as JSON, checked by the portal before anything is pushed: Preview shows what the new
 * version changes, setting by setting, and which installs get what; Push sends that previewed document as the
 * next version, made against the version on screen (another admin's push in between is refused, not overwritten).
 * Problems are listed by where they are in the document; nothing is pushed while there is one.
 */
export function FleetConfigEditor({ current, onPushed, onStale }: Props) {
  const initial = current.version > 0 ? configText(current.config) : configText(STARTER_CONFIG);
  const [text, setText] = useState(initial);
  const [preview, setPreview] = useState<Previewed | null>(null);
  const [problems, setProblems] = useState<PlacedProblem[]>([]);
  const [localProblem, setLocalProblem] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<'' | 'preview' | 'push'>('');
  const previewRef = useRef<HTMLDivElement>(null);
  // The preview appears under a long document: bring it into view when it arrives.
  useEffect(() => {
    if (preview) previewRef.current?.scrollIntoView?.({ block: 'start', behavior: 'smooth' });
  }, [preview]);
  const edited = text !== initial;
  const upToDate = preview !== null && preview.text === text;

  const edit = (t: string) => {
    setText(t);
    setProblems([]);
    setLocalProblem('');
    setError(null);
  };

  const runPreview = async () => {
    setError(null);
    setProblems([]);
    const parsed = parseConfigText(text);
    if (!parsed.ok) {
      setLocalProblem(parsed.message);
      setPreview(null);
      return;
    }
    setLocalProblem('');
    setBusy('preview');
    try {
      setPreview({ text, result: await api.previewFleetConfig(parsed.value) });
    } catch (err) {
      const e = asApiError(err);
      setPreview(null);
      if (e.status === 400 && e.fields.length > 0) setProblems(configProblems(e.fields));
      else setError(e);
    } finally {
      setBusy('');
    }
  };

  const push = async () => {
    if (!preview) return;
    setBusy('push');
    setError(null);
    try {
      const v = await api.pushFleetConfig(preview.result.config, current.version, note.trim());
      onPushed(v);
    } catch (err) {
      const e = asApiError(err);
      if (e.status === 400 && e.fields.length > 0) setProblems(configProblems(e.fields));
      else setError(e);
    } finally {
      setBusy('');
    }
  };

  const changes = preview ? configChanges(current.config, preview.result.config) : [];
  const next = current.version + 1;
  return (
    <section className="panel" aria-labelledby="fleet-editor-heading">
      <h2 id="fleet-editor-heading">{current.version > 0 ? `Change version ${current.version}` : 'The first configuration'}</h2>
      <p className="muted">
        Every install applies what is pushed within seconds, without a restart. Settings not named in <code>defaults</code> are enforced; those
        named there are defaults each user may change for themselves. Settings under <code>teams</code> replace everyone&apos;s for installs of
        that team.
      </p>
      <textarea
        className={`mono ${styles.text}`}
        aria-label="Fleet configuration (JSON)"
        data-testid="fleet-json"
        spellCheck={false}
        rows={Math.min(32, Math.max(12, text.split('\n').length + 1))}
        value={text}
        aria-invalid={localProblem !== '' || problems.length > 0 || undefined}
        onChange={(e) => edit(e.target.value)}
      />
      <details className={styles.reference}>
        <summary>Settings you can push</summary>
        <dl>
          {SETTINGS.map((s) => (
            <div key={s.key} className={styles['reference-row']}>
              <dt>
                <code>{s.key}</code> — {s.label}
              </dt>
              <dd>{s.help}</dd>
            </div>
          ))}
        </dl>
      </details>
      {localProblem && (
        <p className="inline-error" role="alert" data-testid="fleet-parse-problem">
          {localProblem}
        </p>
      )}
      {problems.length > 0 && (
        <div className="inline-error" role="alert" data-testid="fleet-problems">
          <p>The portal refused this configuration; nothing was pushed. Fix these and preview again:</p>
          <ul className={styles.problems}>
            {problems.map((p) => (
              <li key={`${p.path}|${p.problem}`} data-path={p.path}>
                <strong>{p.label}</strong> <code>{p.path || '/'}</code>: {p.problem}
              </li>
            ))}
          </ul>
        </div>
      )}
      {error && (
        <div className="inline-error" role="alert" data-testid="fleet-error">
          {error.status === 409 ? (
            <>
              Someone pushed a newer version since you loaded version {current.version}; nothing was pushed.{' '}
              <button type="button" className="button button-link" onClick={onStale}>
                Load the newest version
              </button>{' '}
              (your edits here are replaced), then change and preview it again.
            </>
          ) : (
            error.message
          )}
        </div>
      )}
      <div className="form-actions">
        <button type="button" className="button button-primary" disabled={busy !== ''} onClick={() => void runPreview()}>
          {busy === 'preview' ? 'Checking…' : 'Preview'}
        </button>
        {edited && (
          <button
            type="button"
            className="button"
            disabled={busy !== ''}
            onClick={() => {
              edit(initial);
              setPreview(null);
            }}
          >
            {current.version > 0 ? `Discard edits (back to version ${current.version})` : 'Discard edits'}
          </button>
        )}
      </div>
      {preview && (
        <div ref={previewRef} className={`${styles.preview}${upToDate ? '' : ` ${styles.stale}`}`} data-testid="fleet-preview" aria-live="polite">
          <h3>Preview of version {next}</h3>
          {!upToDate && <p className="inline-warning">The text changed since this preview: preview again before pushing.</p>}
          {changes.length === 0 ? (
            <p data-testid="fleet-no-change">Nothing changes: this is the configuration in force.</p>
          ) : (
            <FleetChanges changes={changes} label={`What version ${next} changes`} testId="fleet-changes" />
          )}
          <p>
            {preview.result.installs === 0
              ? 'No install has reported to this portal yet: installs apply it when they connect.'
              : `${count(preview.result.installs, 'install')}: ${count(preview.result.changed, 'install')} would see a change.`}
            {preview.result.defaults_changed && ' Which settings users may override changes too.'}
          </p>
          <table className={styles.groups} aria-label="Who gets what">
            <thead>
              <tr>
                <th>Installs</th>
                <th>How many</th>
                <th>Settings that change for them</th>
              </tr>
            </thead>
            <tbody>
              {preview.result.groups.map((g) => (
                <tr key={g.team || '(everyone)'} data-team={g.team}>
                  <td>{g.team ? `team ${g.team}` : 'everyone else'}</td>
                  <td>{g.installs}</td>
                  <td>{g.changed.length > 0 ? g.changed.join(', ') : <span className="muted">nothing</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <label className={styles.note}>
            <span>Note (why; shown in the history)</span>
            <input type="text" maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} aria-label="Note" />
          </label>
          <div className="form-actions">
            <button
              type="button"
              className="button button-primary"
              disabled={!upToDate || changes.length === 0 || busy !== ''}
              title={changes.length === 0 ? 'Nothing would change' : undefined}
              onClick={() => void push()}
            >
              {busy === 'push' ? 'Pushing…' : `Push version ${next} to every install`}
            </button>
            <a href={fleetInstallsHash()}>See the installs</a>
          </div>
        </div>
      )}
    </section>
  );
}

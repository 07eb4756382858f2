import { useMemo, useRef, useState } from 'react';
import { api, asApiError, type Action, type SecretConventions } from '../api/client';
import { SubmissionKey } from '../lib/idempotency';
import { actionHash } from '../lib/router';
import styles from './Secrets.module.css';

interface Props {
  service: string;
  /** Create a new secret, rotate an existing one, or delete one from an environment. */
  mode: 'create' | 'rotate' | 'delete';
  /** The secret's name (rotate, delete); the user types it to create one. */
  name?: string;
  conventions: SecretConventions;
  /** Environments to offer (rotate, delete: where it exists); default every environment of the conventions. */
  environments?: string[];
  onSent: (a: Action) => void;
  onCancel: () => void;
}

/**
 * Sets a secret through the portal: name, environment, regions, and the value — typed once into a password field
 * that is not a React state: read when the request is sent and cleared at once, so that it lives in the page for
 * the time of the request only. The request becomes an action (approvals per environment), shown like any other.
 */
export function SecretWriteForm({ service, mode, name: fixedName, conventions, environments, onSent, onCancel }: Props) {
  const envs = environments ?? conventions.environments.map((e) => e.name);
  const [name, setName] = useState(fixedName ?? '');
  const [env, setEnv] = useState(envs[0] ?? '');
  const [regions, setRegions] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<{ field: string; problem: string }[]>([]);
  const [error, setError] = useState('');
  const valueRef = useRef<HTMLInputElement>(null);
  const key = useMemo(() => new SubmissionKey(), []);
  const envDef = conventions.environments.find((e) => e.name === env);

  const send = async () => {
    const input = valueRef.current;
    // The value exists in this function's scope only, for the time of the request.
    let value = '';
    if (mode !== 'delete') {
      value = input?.value ?? '';
      if (input) input.value = ''; // the field forgets it as the request leaves
      if (value === '') {
        setProblems([{ field: 'value', problem: 'required: a secret cannot be empty' }]);
        return;
      }
    }
    setBusy(true);
    setError('');
    setProblems([]);
    const k = key.keyFor(JSON.stringify({ mode, service, name, env, regions }));
    try {
      let a: Action;
      if (mode === 'create') a = await api.createSecret({ service, name, environment: env, regions, value }, k);
      else if (mode === 'rotate') a = await api.rotateSecret(service, name, { environment: env, regions, value }, k);
      else a = await api.deleteSecret(service, name, env, regions, k);
      key.reset();
      onSent(a);
    } catch (err) {
      const e = asApiError(err);
      setProblems(e.fields);
      setError(
        e.fields.length > 0
          ? 'The portal refused the request: nothing was stored. Fix the fields below and type the value again.'
          : `${e.message}${mode !== 'delete' ? ' — type the value again to retry: it is not kept.' : ''}`,
      );
    } finally {
      setBusy(false);
    }
  };

  const problemOf = (f: string) => problems.find((p) => p.field === f || p.field.startsWith(`${f}[`))?.problem;
  const verb = mode === 'create' ? 'Create secret' : mode === 'rotate' ? 'Write new version' : 'Delete';
  return (
    <form
      className={styles.form}
      aria-label={`${verb} ${fixedName ?? ''}`.trim()}
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      {mode === 'create' && (
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" spellCheck={false} required />
          <span className="field-help">
            Stored as {conventions.naming.replace('{service}', service).replace('{name}', name || 'NAME')}
          </span>
          {problemOf('name') && <span className="field-problem">{problemOf('name')}</span>}
        </label>
      )}
      <label>
        Environment
        <select
          value={env}
          onChange={(e) => {
            setEnv(e.target.value);
            setRegions([]);
          }}
        >
          {envs.map((e) => (
            <option key={e} value={e}>
              {e}
            </option>
          ))}
        </select>
        {problemOf('environment') && <span className="field-problem">{problemOf('environment')}</span>}
      </label>
      {envDef && envDef.regions.length > 1 && (
        <fieldset>
          <legend>Regions (none ticked: every region where {service} runs)</legend>
          {envDef.regions.map((r) => (
            <label key={r} className={styles.inline}>
              <input
                type="checkbox"
                checked={regions.includes(r)}
                onChange={(e) => setRegions((rs) => (e.target.checked ? [...rs, r] : rs.filter((x) => x !== r)))}
              />{' '}
              {r}
            </label>
          ))}
          {problemOf('regions') && <span className="field-problem">{problemOf('regions')}</span>}
        </fieldset>
      )}
      {mode !== 'delete' && (
        <label>
          Value (typed once, never shown or kept)
          <input ref={valueRef} type="password" autoComplete="new-password" spellCheck={false} data-testid="secret-value-input" />
          {problemOf('value') && <span className="field-problem">{problemOf('value')}</span>}
        </label>
      )}
      {envDef && envDef.approvers.length > 0 && (
        <p className="field-help">In {env} this waits for approval by a {envDef.approvers.join(' or ').replace('_', ' ')}.</p>
      )}
      <div className={styles.buttons}>
        <button type="submit" className={`button${mode === 'delete' ? ' button-danger' : ' button-primary'}`} disabled={busy}>
          {busy ? 'Sending…' : verb}
        </button>
        <button type="button" className="button button-link" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {error && (
        <p className="field-problem" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** What became of a request: its action, pending approval or on its way. */
export function SecretRequestSent({ action }: { action: Action }) {
  const pending = action.state === 'pending_approval';
  return (
    <div className={pending ? 'approval-need approval-needed' : 'approval-need'} role="status" data-testid="secret-request">
      <p>
        <strong>{pending ? 'Waiting for approval' : 'Request sent'}</strong> —{' '}
        {pending ? `nothing is written until a ${action.approvers.join(' or ').replace('_', ' ')} approves it.` : 'the portal writes it now.'}{' '}
        Follow it as request <a href={actionHash(action.id)}>{action.id}</a>.
      </p>
    </div>
  );
}

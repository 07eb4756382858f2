import { useEffect, useRef, useState } from 'react';
import { api, asApiError, type Secret } from '../api/client';
import { placeLabel } from '../lib/secrets';
import styles from './Secrets.module.css';

interface Props {
  secret: Secret;
  /** The environment whose value to show. */
  environment: string;
  onClose: () => void;
}

/**
 * Reveal one value: a reason (kept in the audit log), then the value shown once for the seconds the portal says, then
 * wiped from the page. The value lives in this component's state only — never in storage, never in the URL — and
 * goes when the countdown ends, the user hides it, or the component goes away.
 */
export function SecretReveal({ secret, environment, onClose }: Props) {
  const places = secret.locations.filter((l) => l.environment === environment);
  const [region, setRegion] = useState(places[0]?.region ?? '');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [shown, setShown] = useState<{ value: string; left: number } | null>(null);
  const timer = useRef<number | undefined>(undefined);

  useEffect(() => () => window.clearInterval(timer.current), []);

  const hide = () => {
    window.clearInterval(timer.current);
    setShown(null);
  };

  const reveal = async () => {
    if (!reason.trim()) {
      setError('Say why you need the value: it is kept in the audit log.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const r = await api.revealSecret(secret.service, secret.name, { environment, region: places.length > 1 ? region : undefined, reason });
      setShown({ value: r.value, left: r.reveal_seconds });
      window.clearInterval(timer.current);
      timer.current = window.setInterval(() => {
        setShown((s) => {
          if (!s || s.left <= 1) {
            window.clearInterval(timer.current);
            return null;
          }
          return { ...s, left: s.left - 1 };
        });
      }, 1000);
    } catch (err) {
      setError(asApiError(err).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className={styles.reveal} role="group" aria-label={`Reveal ${secret.name} in ${environment}`}>
      {shown ? (
        <div className={styles.revealed}>
          <p>
            {secret.name} in {environment} {region && places.length > 1 ? region : ''} — hidden in{' '}
            <span data-testid="reveal-countdown">{shown.left}</span> s:
          </p>
          <code className={styles.value} data-testid="secret-value">
            {shown.value}
          </code>
          <button type="button" className="button" onClick={hide}>
            Hide now
          </button>
        </div>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void reveal();
          }}
        >
          {places.length > 1 && (
            <label>
              Region{' '}
              <select value={region} onChange={(e) => setRegion(e.target.value)}>
                {places.map((p) => (
                  <option key={p.region} value={p.region}>
                    {placeLabel(p)}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            Reason (audited){' '}
            <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} placeholder="e.g. debugging INC-123" autoComplete="off" />
          </label>
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Revealing…' : 'Reveal once'}
          </button>
          <button type="button" className="button button-link" onClick={onClose}>
            Cancel
          </button>
        </form>
      )}
      {error && (
        <p className="field-problem" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type DriftFixKind, type DriftFixResult, type DriftItem, type Me } from '../api/client';
import { actionHash } from '../lib/router';
import { FIX_HELP, FIX_LABEL, mayAcknowledge, mayFix, SILENCES, silenceUntil, teamOf } from '../lib/drift';
import { newIdempotencyKey } from '../lib/idempotency';
import { whyNot } from '../lib/permissions';
import { ExternalLink } from './ExternalLink';
import styles from './Drift.module.css';

interface Props {
  item: DriftItem;
  me: Me | null | undefined;
  /** Called with the item as the portal answers it after a change. */
  onChanged: (it: DriftItem) => void;
}

/**
 * What a person may do with a drift item: acknowledge it (until it resolves) or silence it for a while, with a
 * reason the portal audits; take that back; and start one of its fixes. Offered only where GET /me says the user may;
 * the portal checks again, and its refusals are shown as they come.
 */
export function DriftActions({ item, me, onChanged }: Props) {
  const [acking, setAcking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fixed, setFixed] = useState<DriftFixResult | null>(null);
  // One key per fix asked for, kept while the user retries the same fix.
  const keys = useRef(new Map<DriftFixKind, string>());
  if (item.state === 'resolved') return null;
  const ack = mayAcknowledge(me, item);
  const fix = mayFix(me, item);

  // Runs a request to the portal, showing it is busy and what went wrong (its message says what to do).
  const run = (fn: () => Promise<void>): void => {
    setBusy(true);
    setError(null);
    fn()
      .catch((e: unknown) => setError(e instanceof ApiError || e instanceof Error ? e.message : String(e)))
      .finally(() => setBusy(false));
  };
  const startFix = (kind: DriftFixKind) =>
    run(async () => {
      let key = keys.current.get(kind);
      if (!key) {
        key = newIdempotencyKey();
        keys.current.set(kind, key);
      }
      const res = await api.fixDrift(item.id, kind, key);
      setFixed(res);
      onChanged(res.item);
    });

  return (
    <div className={styles.actions}>
      {item.acknowledgement && ack && item.state !== 'open' && (
        <button type="button" className="button" disabled={busy} onClick={() => run(async () => onChanged(await api.unacknowledgeDrift(item.id)))}>
          Reopen
        </button>
      )}
      {(item.state === 'open' || !item.acknowledgement) &&
        (ack ? (
          !acking && (
            <button type="button" className="button" disabled={busy} onClick={() => setAcking(true)}>
              Acknowledge…
            </button>
          )
        ) : (
          <span className="why-not">{whyNot(me, 'drift:acknowledge', teamOf(item))}</span>
        ))}
      {item.fixes.length > 0 &&
        (fix ? (
          item.fixes.map((k) => (
            <button key={k} type="button" className="button" disabled={busy} title={FIX_HELP[k]} onClick={() => startFix(k)}>
              {FIX_LABEL[k]}
            </button>
          ))
        ) : (
          <span className="why-not">{whyNot(me, 'drift:fix', teamOf(item))}</span>
        ))}
      {acking && (
        <AckForm
          item={item}
          busy={busy}
          onCancel={() => setAcking(false)}
          onSubmit={(reason, until) =>
            run(async () => {
              onChanged(await api.acknowledgeDrift(item.id, reason, until));
              setAcking(false);
            })
          }
        />
      )}
      {fixed && <FixStarted result={fixed} />}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function AckForm({ item, busy, onSubmit, onCancel }: { item: DriftItem; busy: boolean; onSubmit: (reason: string, until?: string) => void; onCancel: () => void }) {
  const [reason, setReason] = useState('');
  const [hours, setHours] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) {
      setProblem('Say why: the reason is kept in the audit log.');
      return;
    }
    setProblem(null);
    onSubmit(reason.trim(), silenceUntil(hours, Date.now()));
  };
  return (
    <form className={styles.ackForm} aria-label={`Acknowledge drift of ${item.resource}`} onSubmit={submit}>
      <label>
        Reason
        <textarea value={reason} maxLength={1000} rows={2} onChange={(e) => setReason(e.target.value)} aria-invalid={problem ? true : undefined} />
      </label>
      {problem && <span className="field-problem">{problem}</span>}
      <label>
        Silence
        <select value={hours} onChange={(e) => setHours(Number(e.target.value))}>
          {SILENCES.map((s) => (
            <option key={s.hours} value={s.hours}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <div className={styles.formButtons}>
        <button type="submit" className="button" disabled={busy}>
          {hours > 0 ? 'Silence' : 'Acknowledge'}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function FixStarted({ result }: { result: DriftFixResult }) {
  return (
    <p className="form-saved" role="status" data-testid="drift-fix">
      {result.pull_request && (
        <>
          Pull request opened: <ExternalLink href={result.pull_request}>{result.pull_request}</ExternalLink>
        </>
      )}
      {result.action && (
        <>
          Requested as action <a href={actionHash(result.action.id)}>{result.action.id}</a> ({result.action.state.replace('_', ' ')}).
        </>
      )}
      {result.work && <>The cluster&apos;s agent will re-apply the declaration (work {result.work.id}, {result.work.state}).</>}
    </p>
  );
}

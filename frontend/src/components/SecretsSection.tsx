import { useState } from 'react';
import { api, type Action, type Me, type Secret, type SecretConventions } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useNow } from '../hooks/useNow';
import { absoluteTime, relativeTime } from '../lib/format';
import { can, whyNot } from '../lib/permissions';
import { mayReveal, placeLabel, whereLabel, whyNoReveal, environmentsOf } from '../lib/secrets';
import { SecretReveal } from './SecretReveal';
import { SecretRequestSent, SecretWriteForm } from './SecretWriteForm';
import styles from './Secrets.module.css';
import { ErrorState } from './Notice';

interface Props {
  service: string;
  team: string;
  me: Me | null | undefined;
  refreshKey: string;
}

type Open = { kind: 'create' } | { kind: 'rotate' | 'delete' | 'reveal'; secret: Secret; env: string } | null;

/**
 * A service's secrets on its page: every secret by name, where it exists and where it is missing, who created and
 * rotated it, when it was last read — from the replica, offline too. The owning team creates, rotates and deletes
 * them here, and reveals a value where the conventions allow.
 */
export function SecretsSection({ service, team, me, refreshKey }: Props) {
  const list = useLoad((signal) => api.listSecrets({ service }, signal), `${service}|${refreshKey}`);
  // The conventions come from the portal: offline, writes are not offered (they would not be sent anyway).
  const conv = useLoad((signal) => api.getSecretConventions(signal), 'conventions');
  const [open, setOpen] = useState<Open>(null);
  const [sent, setSent] = useState<Action | null>(null);
  const now = useNow();
  const writable = !me || can(me, 'secrets:write', team);
  const conventions: SecretConventions | undefined = conv.data?.configured ? conv.data : undefined;
  const secrets = list.data ?? [];

  const done = (a: Action) => {
    setOpen(null);
    setSent(a);
    list.reload();
  };

  return (
    <section className="panel" aria-labelledby="secrets-heading">
      <div className="section-tools">
        <h2 id="secrets-heading">
          Secrets <span className="count">{secrets.length}</span>
        </h2>
        {conventions &&
          (writable ? (
            <button type="button" className="button" onClick={() => setOpen({ kind: 'create' })}>
              New secret
            </button>
          ) : (
            <span className="why-not">{whyNot(me, 'secrets:write', team)}</span>
          ))}
      </div>
      {sent && <SecretRequestSent action={sent} />}
      {open?.kind === 'create' && conventions && (
        <SecretWriteForm service={service} mode="create" conventions={conventions} onSent={done} onCancel={() => setOpen(null)} />
      )}
      {list.error && <ErrorState title="Secrets could not be loaded" error={list.error} onRetry={list.reload} />}
      {list.data && secrets.length === 0 && <p className="muted">No secrets yet. Values never go in code: add one here.</p>}
      <ul className={styles.list} aria-label={`Secrets of ${service}`}>
        {secrets.map((s) => (
          <li key={s.id} className={styles.item} data-secret={s.name}>
            <div className={styles.head}>
              <span className={styles.name}>{s.name}</span>
              <span className={styles.meta}>{s.full_name}</span>
              {s.rotated_at && (
                <span className={styles.meta}>
                  rotated <time title={absoluteTime(s.rotated_at)}>{relativeTime(s.rotated_at, now)}</time>
                  {s.rotated_by && ` by ${s.rotated_by}`}
                </span>
              )}
              {s.created_by && <span className={styles.meta}>created by {s.created_by}</span>}
              <span className={styles.meta}>
                last read {s.last_read_at ? <time title={absoluteTime(s.last_read_at)}>{relativeTime(s.last_read_at, now)}</time> : 'never (through Atrium)'}
              </span>
            </div>
            <ul className={styles.places} aria-label={`Where ${s.name} exists`}>
              {s.locations.map((l) => (
                <li key={`${l.environment}/${l.region}/${l.cluster ?? ''}`}>
                  {l.environment}: {whereLabel(l)}
                </li>
              ))}
              {s.missing.map((m) => (
                <li key={`missing/${m.environment}/${m.region}/${m.cluster ?? ''}`} className={styles.missing}>
                  missing in {placeLabel(m)} ({whereLabel(m)})
                </li>
              ))}
            </ul>
            {conventions && writable && (
              <div className={styles.tools}>
                {environmentsOf(s).map((env) => (
                  <span key={env} className={styles.tools}>
                    <button type="button" className="button" onClick={() => setOpen({ kind: 'rotate', secret: s, env })}>
                      Rotate in {env}
                    </button>
                    {mayReveal(me, conventions, team, env) ? (
                      <button type="button" className="button" onClick={() => setOpen({ kind: 'reveal', secret: s, env })}>
                        Reveal in {env}
                      </button>
                    ) : (
                      <button type="button" className="button" disabled title={whyNoReveal(conventions, team, env)}>
                        Reveal in {env}
                      </button>
                    )}
                    <button type="button" className="button button-link" onClick={() => setOpen({ kind: 'delete', secret: s, env })}>
                      Delete from {env}
                    </button>
                  </span>
                ))}
              </div>
            )}
            {open && open.kind !== 'create' && open.secret.id === s.id && conventions && (
              open.kind === 'reveal' ? (
                <SecretReveal key={open.env} secret={s} environment={open.env} onClose={() => setOpen(null)} />
              ) : (
                <SecretWriteForm
                  key={`${open.kind}/${open.env}`}
                  service={service}
                  mode={open.kind}
                  name={s.name}
                  environments={[open.env]}
                  conventions={conventions}
                  onSent={done}
                  onCancel={() => setOpen(null)}
                />
              )
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

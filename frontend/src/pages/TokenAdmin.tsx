import { useState, type FormEvent } from 'react';
import { api, asApiError, type ApiError, type Grant, type Token, type TokenCreated } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { useNow } from '../hooks/useNow';
import { copyText } from '../lib/clipboard';
import { absoluteTime, count, relativeTime } from '../lib/format';
import { can, grantLabel, whyNot } from '../lib/permissions';
import { describeSubmitError } from '../lib/submitError';
import { EMPTY_TOKEN_DRAFT, EXPIRY_CHOICES, parseScopes, tokenDraftProblems, tokenStatus, toTokenCreate, type Expiry, type TokenDraft, type TokenStatus } from '../lib/tokens';
import { Badge, type BadgeTone } from '../components/Badge';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { fieldAria, FormField } from '../components/FormField';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { PermissionNotice } from '../components/PermissionNotice';
import { SubmitFailure } from '../components/SubmitFailure';
import { cellClass, rowClass, VirtualRows } from '../components/VirtualRows';
import styles from './TokenAdmin.module.css';

const ROLES: { value: Grant['role']; label: string }[] = [
  { value: 'developer', label: 'developer' },
  { value: 'team_owner', label: 'team owner' },
  { value: 'platform_approver', label: 'platform approver' },
  { value: 'admin', label: 'admin' },
];

const STATUS_TONE: Record<TokenStatus, BadgeTone> = { active: 'ok', expired: 'warn', revoked: 'neutral' };

const COLUMNS = [
  { label: 'Name' },
  { label: 'Subject' },
  { label: 'Roles and scopes' },
  { label: 'Created' },
  { label: 'Expires' },
  { label: 'Last used' },
  { label: 'Status' },
  { label: '' },
];

/** The secret of a new token, shown this once, with a copy button and a plain warning. */
function SecretOnce({ created, onDone }: { created: TokenCreated; onDone: () => void }) {
  const [copied, setCopied] = useState('');
  return (
    <section className={`panel ${styles.secret}`} role="alert" aria-labelledby="secret-heading" data-testid="secret-once">
      <h2 id="secret-heading">Token “{created.token.name}” created — copy its secret now</h2>
      <p className={styles['secret-warning']}>
        <strong>This is the only time the secret is shown.</strong> Atrium stores only a hash of it. Give it to{' '}
        {created.token.subject} through a safe channel (a password manager, not chat); if it is lost, revoke the token and create a
        new one.
      </p>
      <div className={styles['secret-row']}>
        <input
          className={`${styles['secret-value']} mono`}
          readOnly
          value={created.secret}
          aria-label="Token secret"
          data-testid="token-secret"
          onFocus={(e) => e.currentTarget.select()}
        />
        <button
          type="button"
          className="button button-primary"
          onClick={() => void copyText(created.secret).then((ok) => setCopied(ok ? 'Copied to the clipboard.' : 'Copying failed: select the secret and press Ctrl+C.'))}
        >
          Copy
        </button>
      </div>
      {copied && (
        <p className="muted" role="status">
          {copied}
        </p>
      )}
      <button type="button" className="button" onClick={onDone}>
        I have stored it — hide the secret
      </button>
    </section>
  );
}

function CreateTokenForm({ teams, suggestions, onCreated }: { teams: string[]; suggestions: string[]; onCreated: (t: TokenCreated) => void }) {
  const [d, setD] = useState<TokenDraft>(EMPTY_TOKEN_DRAFT);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const now = useNow(60_000);
  const problems = tokenDraftProblems(d, now);
  const set = (patch: Partial<TokenDraft>) => setD((x) => ({ ...x, ...patch }));
  const server = (prefix: string) =>
    error?.fields
      .filter((f) => f.field === prefix || f.field.startsWith(`${prefix}[`))
      .map((f) => f.problem)
      .join('; ') || undefined;
  const problem = (f: string) => server(f) ?? (submitted ? problems[f] : undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (busy || Object.keys(problems).length > 0) return;
    setBusy(true);
    setError(null);
    try {
      const created = await api.createToken(toTokenCreate(d, new Date()));
      setD(EMPTY_TOKEN_DRAFT);
      setSubmitted(false);
      onCreated(created);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  const failure = error && (error.fields.length === 0 || error.status !== 400) ? describeSubmitError(error, 'token') : null;
  const scopes = parseScopes(d.scopes);

  return (
    <form className={`panel ${styles.form}`} onSubmit={(e) => void submit(e)} noValidate aria-labelledby="create-heading">
      <h2 id="create-heading">Create a token</h2>
      <div className="field-row">
        <FormField id="token-name" label="Name" problem={problem('name')} help="What it is for, e.g. “CI deploys” or “Ana’s laptop”.">
          <input {...fieldAria('token-name', problem('name'), 'help')} type="text" value={d.name} maxLength={100} onChange={(e) => set({ name: e.target.value })} />
        </FormField>
        <FormField id="token-subject" label="Subject" problem={problem('subject')} help="Who acts with it; the audit log names them.">
          <input
            {...fieldAria('token-subject', problem('subject'), 'help')}
            type="text"
            value={d.subject}
            maxLength={200}
            spellCheck={false}
            placeholder="ana@sphera.example"
            onChange={(e) => set({ subject: e.target.value })}
          />
        </FormField>
      </div>
      <fieldset className={styles.grants} aria-describedby={problem('grants') ? 'token-grants-problem' : undefined}>
        <legend>Roles</legend>
        {d.grants.map((g, i) => (
          <div className={styles['grant-row']} key={i}>
            <select
              aria-label={`Role ${i + 1}`}
              value={g.role}
              onChange={(e) => set({ grants: d.grants.map((x, j) => (j === i ? { ...x, role: e.target.value as Grant['role'] | '' } : x)) })}
            >
              <option value="">(no role)</option>
              {ROLES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
            <span className="muted">on</span>
            <select
              aria-label={`Team of role ${i + 1}`}
              value={g.team}
              onChange={(e) => set({ grants: d.grants.map((x, j) => (j === i ? { ...x, team: e.target.value } : x)) })}
            >
              <option value="">all teams</option>
              {teams.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
            {d.grants.length > 1 && (
              <button type="button" className="button button-link" onClick={() => set({ grants: d.grants.filter((_, j) => j !== i) })}>
                Remove
              </button>
            )}
          </div>
        ))}
        <button type="button" className="button button-link" onClick={() => set({ grants: [...d.grants, { role: 'developer', team: '' }] })}>
          + Add a role
        </button>
        <p className="field-help">Developers and team owners act on their team; platform approvers and admins on all teams.</p>
        {problem('grants') && (
          <p className="field-problem" id="token-grants-problem" role="alert">
            {problem('grants')}
          </p>
        )}
      </fieldset>
      <FormField
        id="token-scopes"
        label="Scopes (optional)"
        problem={problem('scopes')}
        help="Narrow the token to these permissions (space or comma separated); empty: all its roles allow."
      >
        <input
          {...fieldAria('token-scopes', problem('scopes'), 'help')}
          type="text"
          value={d.scopes}
          spellCheck={false}
          placeholder="catalog:read flags:evaluate:production"
          onChange={(e) => set({ scopes: e.target.value })}
        />
      </FormField>
      <div className={styles['scope-suggestions']} aria-label="Add a scope">
        {suggestions
          .filter((s) => !scopes.includes(s))
          .map((s) => (
            <button key={s} type="button" className={`tag ${styles['tag-button']}`} onClick={() => set({ scopes: [...scopes, s].join(' ') })}>
              + {s}
            </button>
          ))}
      </div>
      <div className="field-row">
        <FormField id="token-expiry" label="Expires" problem={problem('expires_at')}>
          <select {...fieldAria('token-expiry', problem('expires_at'), undefined)} value={d.expiry} onChange={(e) => set({ expiry: e.target.value as Expiry })}>
            {EXPIRY_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </FormField>
        {d.expiry === 'date' && (
          <FormField id="token-date" label="Expiry date">
            <input id="token-date" type="date" value={d.date} onChange={(e) => set({ date: e.target.value })} />
          </FormField>
        )}
      </div>
      {failure && (
        <SubmitFailure title={failure.title} next={failure.next}>
          <p>{failure.body}</p>
        </SubmitFailure>
      )}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}

/** API tokens for admins: list (revoked ones too), create with the secret shown once, revoke with confirmation. */
export function TokenAdmin() {
  const { me, error: meError } = useMe();
  const now = useNow();
  // Wait for /me before asking for tokens; if /me cannot be had, ask anyway and show what the portal says.
  const known = me !== null || meError !== null;
  const allowed = !me || can(me, 'tokens:manage');
  const list = useLoad((signal) => api.listTokens(signal), 'tokens', { enabled: known && allowed });
  const teams = useLoad((signal) => api.listTeams(signal), 'teams', { enabled: known && allowed });
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [revokeBusy, setRevokeBusy] = useState(false);
  const [revokeError, setRevokeError] = useState<ApiError | null>(null);
  const [revoked, setRevoked] = useState('');

  if (!allowed) {
    return (
      <div className="page">
        <PermissionNotice title="You may not manage API tokens" reason={whyNot(me, 'tokens:manage')} />
      </div>
    );
  }

  const revoke = async (t: Token) => {
    setRevokeBusy(true);
    setRevokeError(null);
    try {
      await api.revokeToken(t.id);
      setRevoked(`Token “${t.name}” of ${t.subject} is revoked: it no longer works.`);
      setRevoking(null);
      list.reload();
    } catch (err) {
      setRevokeError(asApiError(err));
    } finally {
      setRevokeBusy(false);
    }
  };

  const tokens = list.data ?? [];
  const active = tokens.filter((t) => tokenStatus(t, now) === 'active').length;
  let body;
  if (!list.data && list.error) body = <ErrorState title="Tokens could not be loaded" error={list.error} onRetry={list.reload} />;
  else if (!list.data)
    body = (
      <LoadingState>
        Loading tokens…
      </LoadingState>
    );
  else if (tokens.length === 0)
    body = (
      <EmptyState title="No API tokens yet">
        <p>Create one above for a person signing in from the desktop, or for a machine (CI, a service).</p>
      </EmptyState>
    );

  return (
    <div className={`page ${styles.admin}`}>
      <h1>API tokens</h1>
      <p className="page-lead">
        Tokens sign people and machines in to this portal. Give each the least it needs: a role on one team, or scopes. Creating and
        revoking are recorded in the audit log.
      </p>
      {created && <SecretOnce created={created} onDone={() => setCreated(null)} />}
      <CreateTokenForm
        teams={(teams.data?.items ?? []).map((t) => t.name)}
        suggestions={['*', ...(me?.permissions.filter((p) => !p.includes('@')) ?? [])]}
        onCreated={(t) => {
          setRevoked('');
          setCreated(t);
          list.reload();
        }}
      />
      <section className={styles.list} aria-labelledby="tokens-heading">
        <div className="section-tools">
          <h2 id="tokens-heading">
            Tokens <span className="count">{tokens.length}</span>
          </h2>
          <span className="muted" data-testid="tokens-total">
            {list.data ? `${count(active, 'active token')}` : ''}
          </span>
        </div>
        {revoked && (
          <p className="form-saved" role="status">
            {revoked}
          </p>
        )}
        {revoking && (
          <ConfirmDialog
            title={`Revoke token “${revoking.name}” of ${revoking.subject}?`}
            confirmLabel="Revoke token"
            danger
            busy={revokeBusy}
            onConfirm={() => void revoke(revoking)}
            onCancel={() => {
              setRevoking(null);
              setRevokeError(null);
            }}
          >
            <p>Whoever uses it is refused from now on: CI jobs or desktops signed in with it stop working. This cannot be undone.</p>
            {revokeError && (
              <p className="form-error" role="alert">
                {revokeError.message}
              </p>
            )}
          </ConfirmDialog>
        )}
        <VirtualRows<Token>
          label="API tokens"
          className={styles.table}
          columns={COLUMNS}
          items={tokens}
          rowHeight={44}
          rowKey={(t) => t.id}
          body={body}
          renderRow={(t, i, style) => {
            const status = tokenStatus(t, now);
            const grants = [...t.grants.map(grantLabel), ...t.scopes.map((s) => `scope ${s}`)].join(', ');
            return (
              <div key={t.id} className={rowClass({}, status === 'revoked' ? styles.revoked : undefined)} role="row" aria-rowindex={i + 2} data-token={t.name} style={style}>
                <div className={cellClass(styles.name)} role="cell" title={`${t.name} (${t.id})`} data-column="name">
                  {t.name}
                  <span className={`${styles['token-id']} mono`}>{t.id}</span>
                </div>
                <div className={cellClass()} role="cell" title={t.subject}>
                  {t.subject}
                </div>
                <div className={cellClass()} role="cell" title={grants}>
                  {grants || '—'}
                </div>
                <div className={cellClass()} role="cell" title={`${absoluteTime(t.created_at)} by ${t.created_by}`}>
                  {relativeTime(t.created_at, now)}
                </div>
                <div className={cellClass()} role="cell" title={absoluteTime(t.expires_at)}>
                  {t.expires_at ? relativeTime(t.expires_at, now) : 'never'}
                </div>
                <div className={cellClass()} role="cell" title={absoluteTime(t.last_used_at)}>
                  {t.last_used_at ? relativeTime(t.last_used_at, now) : 'never'}
                </div>
                <div className={cellClass()} role="cell">
                  <Badge tone={STATUS_TONE[status]} data-status={status} title={status === 'revoked' ? `Revoked ${absoluteTime(t.revoked_at)}` : undefined}>
                    {status}
                  </Badge>
                </div>
                <div className={cellClass()} role="cell">
                  {status !== 'revoked' && (
                    <button
                      type="button"
                      className="button button-danger-quiet"
                      onClick={() => {
                        setRevokeError(null);
                        setRevoking(t);
                      }}
                    >
                      Revoke…
                    </button>
                  )}
                </div>
              </div>
            );
          }}
        />
      </section>
    </div>
  );
}

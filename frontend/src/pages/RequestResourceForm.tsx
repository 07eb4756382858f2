import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { api, asApiError, isAbortError, type ActionKind, type ActionOptions, type ApiError } from '../api/client';
import { announceActionChange } from '../hooks/useApprovalCount';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { approvalNeed, deliveryText, KIND_LABEL } from '../lib/actionText';
import { humanSeconds, MESSAGE_RETENTION, parseSeconds, VISIBILITY_TIMEOUT } from '../lib/awsNames';
import { SubmissionKey } from '../lib/idempotency';
import { can, whyNot } from '../lib/permissions';
import {
  draftProblems,
  emptyDraft,
  fieldId,
  isRequestField,
  REQUEST_FIELDS,
  toActionRequest,
  type RequestDraft,
  type RequestField,
} from '../lib/requestForm';
import { actionHash, navigate, requestsHash } from '../lib/router';
import { cx } from '../lib/classNames';
import { describeSubmitError } from '../lib/submitError';
import { ApprovalNote } from '../components/ApprovalNote';
import { fieldAria, FormField } from '../components/FormField';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { PermissionNotice } from '../components/PermissionNotice';
import { QueuePicker } from '../components/QueuePicker';
import { ServicePicker } from '../components/ServicePicker';
import { SubmitFailure } from '../components/SubmitFailure';
import styles from './RequestResourceForm.module.css';

interface Props {
  /** A service to start with (from a service page's "Request a resource for this service"). */
  service: string;
  /** Identifies the portal in use; options loaded from it are remembered for when it cannot be reached. */
  portalKey: string;
}

/** The last options each portal answered, so the form stays usable (and says so) while the portal is away. */
const optionsCache = new Map<string, ActionOptions>();

const KINDS: { kind: ActionKind; label: string; help: string }[] = [
  { kind: 'sqs_queue', label: 'SQS queue', help: 'A queue your service reads messages from.' },
  { kind: 'sns_topic', label: 'SNS topic', help: 'A topic your service publishes to, optionally with an SQS queue subscribed.' },
];

/**
 * Request an SQS queue or an SNS topic for a service, in an environment and region the portal offers. Problems
 * show next to their fields as the user types (mirroring the portal's rules) and as the portal answers; one
 * idempotency key per intended request makes retries and double clicks safe; when the portal cannot be reached,
 * the form says the request was not sent and keeps everything the user typed.
 */
export function RequestResourceForm({ service, portalKey }: Props) {
  const { me } = useMe();
  const options = useLoad((signal) => api.getActionOptions(signal), portalKey);
  const fresh = options.data;
  useEffect(() => {
    if (fresh) optionsCache.set(portalKey, fresh);
  }, [fresh, portalKey]);
  const opts = fresh ?? optionsCache.get(portalKey);

  const [draft, setDraft] = useState<RequestDraft>(() => emptyDraft(service));
  const [touched, setTouched] = useState<ReadonlySet<RequestField>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverProblems, setServerProblems] = useState<Partial<Record<RequestField, string>>>({});
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [sending, setSending] = useState(false);
  const [keys] = useState(() => new SubmissionKey());
  const inFlight = useRef(false);
  const failureRef = useRef<HTMLDivElement>(null);

  // The owner team of a service given in the URL; picking a service sets it directly.
  useEffect(() => {
    if (!service) return;
    const controller = new AbortController();
    api.getService(service, controller.signal).then(
      (s) => setDraft((d) => (d.service === service ? { ...d, team: s.owner } : d)),
      (err: unknown) => {
        if (isAbortError(err)) return;
        setDraft((d) => (d.service === service ? { ...d, service: '', team: '' } : d));
        const apiErr = asApiError(err);
        setServerProblems((p) => ({
          ...p,
          service: apiErr.status === 404 ? `no service named ${service} in the catalog: search for it` : apiErr.message,
        }));
      },
    );
    return () => controller.abort();
  }, [service]);

  // Default environment and region: the first the portal offers.
  useEffect(() => {
    if (!opts) return;
    setDraft((d) => {
      const env = opts.environments.find((e) => e.name === d.environment) ?? opts.environments[0];
      if (!env) return d;
      const region = env.regions.includes(d.region) ? d.region : (env.regions[0] ?? '');
      return env.name === d.environment && region === d.region ? d : { ...d, environment: env.name, region };
    });
  }, [opts]);

  const problems = useMemo(() => draftProblems(draft, opts), [draft, opts]);
  const env = opts?.environments.find((e) => e.name === draft.environment);
  const need = env ? approvalNeed(env, draft.team || undefined) : null;
  const mayRequestAny = !me || can(me, 'actions:request');
  const mayRequestTeam = !me || !draft.team || can(me, 'actions:request', draft.team);

  const update = (patch: Partial<RequestDraft>, ...fields: RequestField[]) => {
    setDraft((d) => ({ ...d, ...patch }));
    if (fields.length > 0) {
      setTouched((t) => new Set([...t, ...fields]));
      setServerProblems((p) => {
        const next = { ...p };
        for (const f of fields) delete next[f];
        return next;
      });
    }
  };

  const problemFor = (f: RequestField): string | undefined =>
    serverProblems[f] ?? (submitted || touched.has(f) ? problems[f] : undefined);

  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (inFlight.current) return; // a second click while the first is on its way
    setSubmitted(true);
    const first = REQUEST_FIELDS.find((f) => problems[f]);
    if (first) {
      document.getElementById(fieldId(first))?.focus();
      return;
    }
    if (!mayRequestTeam) return;
    const req = toActionRequest(draft);
    const key = keys.keyFor(JSON.stringify(req));
    inFlight.current = true;
    setSending(true);
    setFailure(null);
    try {
      const action = await api.requestAction(req, key);
      keys.reset();
      announceActionChange();
      navigate(actionHash(action.id));
    } catch (err) {
      const apiErr = asApiError(err);
      const fields: Partial<Record<RequestField, string>> = {};
      for (const f of apiErr.fields) if (isRequestField(f.field)) fields[f.field] = f.problem;
      setServerProblems(fields);
      setFailure(apiErr);
      const firstServer = REQUEST_FIELDS.find((f) => fields[f]);
      if (firstServer) document.getElementById(fieldId(firstServer))?.focus();
      else window.setTimeout(() => failureRef.current?.scrollIntoView?.({ block: 'nearest' }), 0);
    } finally {
      inFlight.current = false;
      setSending(false);
    }
  };

  const back = (
    <nav className="breadcrumb">
      <a href={requestsHash()}>← My requests</a>
    </nav>
  );

  if (me && !mayRequestAny) {
    return (
      <div className={`page ${styles.page}`}>
        {back}
        <h1>Request a resource</h1>
        <PermissionNotice title="You cannot request resources" reason={whyNot(me, 'actions:request')} />
      </div>
    );
  }
  if (!opts) {
    return (
      <div className={`page ${styles.page}`}>
        {back}
        <h1>Request a resource</h1>
        {options.error ? (
          <ErrorState title="What may be requested could not be loaded" error={options.error} onRetry={options.reload} />
        ) : (
          <LoadingState>
            Loading environments and regions…
          </LoadingState>
        )}
      </div>
    );
  }
  if (opts.environments.length === 0) {
    return (
      <div className={`page ${styles.page}`}>
        {back}
        <h1>Request a resource</h1>
        <EmptyState title="This portal offers no environments for self-service yet">
          <p>An admin configures them in the actions section of the portal&apos;s configuration file.</p>
        </EmptyState>
      </div>
    );
  }

  const failureView = failure ? describeSubmitError(failure) : null;
  const otherFields = failure?.fields.filter((f) => !isRequestField(f.field)) ?? [];
  const nameHelp =
    draft.kind === 'sqs_queue'
      ? 'Up to 80 letters, digits, hyphens and underscores; a FIFO queue’s name ends in .fifo.'
      : 'Up to 256 letters, digits, hyphens and underscores; a FIFO topic’s name ends in .fifo.';
  const seconds = (text: string, defaultValue: number) => {
    const n = parseSeconds(text);
    return n === undefined ? `empty: AWS's default, ${humanSeconds(defaultValue)}` : Number.isNaN(n) ? '' : `= ${humanSeconds(n)}`;
  };
  const submitLabel = sending ? 'Sending…' : need?.needed ? 'Send for approval' : 'Send request';

  return (
    <div className={`page ${styles.page}`}>
      {back}
      <h1>Request a resource</h1>
      <p className="page-lead">
        The portal provisions it with its own credentials or through the infrastructure repository, after approval where policy
        asks for one. You can follow the request under <a href={requestsHash()}>My requests</a>.
      </p>
      {options.error && (
        <p className="inline-warning" role="status">
          The portal did not answer just now ({options.error.message}); the choices below are the ones it offered earlier.
        </p>
      )}
      <form className={`panel ${styles.form}`} onSubmit={(e) => void onSubmit(e)} noValidate aria-label="Request a resource">
        <fieldset className="field">
          <legend>What</legend>
          <div className={styles['radio-cards']}>
            {KINDS.filter((k) => (opts.kinds as readonly string[]).includes(k.kind)).map((k) => (
              <label key={k.kind} className={cx(styles['radio-card'], draft.kind === k.kind && styles.selected)}>
                <input
                  type="radio"
                  name="kind"
                  value={k.kind}
                  checked={draft.kind === k.kind}
                  onChange={() => update({ kind: k.kind }, 'kind')}
                />
                <span className={styles['radio-card-title']}>{k.label}</span>
                <span className={styles['radio-card-help']}>{k.help}</span>
              </label>
            ))}
          </div>
        </fieldset>

        <FormField
          id={fieldId('service')}
          label="Service"
          problem={problemFor('service') ?? (!mayRequestTeam && draft.team ? whyNot(me, 'actions:request', draft.team) : undefined)}
          help={draft.team ? `Owned by team ${draft.team}; the request is made for that team.` : 'The service the resource is for; its owner team is the requesting team.'}
        >
          <ServicePicker
            id={fieldId('service')}
            value={draft.service}
            onChange={(s) => update({ service: s?.name ?? '', team: s?.owner ?? '' }, 'service')}
            mayRequestFor={(team) => !me || can(me, 'actions:request', team)}
            invalid={Boolean(problemFor('service')) || !mayRequestTeam}
            describedBy={problemFor('service') || !mayRequestTeam ? `${fieldId('service')}-problem` : `${fieldId('service')}-help`}
          />
        </FormField>

        <div className="field-row">
          <FormField id={fieldId('environment')} label="Environment" problem={problemFor('environment')}>
            <select
              {...fieldAria(fieldId('environment'), problemFor('environment'), undefined)}
              value={draft.environment}
              onChange={(e) => {
                const next = opts.environments.find((x) => x.name === e.target.value);
                const region = next?.regions.includes(draft.region) ? draft.region : (next?.regions[0] ?? '');
                update({ environment: e.target.value, region, subscribeQueue: '' }, 'environment', 'region');
              }}
            >
              {opts.environments.map((x) => (
                <option key={x.name} value={x.name}>
                  {x.name}
                  {x.approvers.length > 0 ? ' (needs approval)' : ''}
                </option>
              ))}
            </select>
          </FormField>
          <FormField id={fieldId('region')} label="Region" problem={problemFor('region')}>
            <select {...fieldAria(fieldId('region'), problemFor('region'), undefined)} value={draft.region} onChange={(e) => update({ region: e.target.value, subscribeQueue: '' }, 'region')}>
              {(env?.regions ?? []).map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </FormField>
        </div>

        {need && env && (
          <ApprovalNote needed={need.needed} role="note" testId="approval-need">
            <p>
              <strong>{need.headline}:</strong> {need.detail}
            </p>
            <p className="muted">{deliveryText(env.delivery)}</p>
          </ApprovalNote>
        )}

        <fieldset className={styles.params}>
          <legend>{KIND_LABEL[draft.kind]}</legend>
          <FormField id={fieldId('params.name')} label="Name" problem={problemFor('params.name')} help={nameHelp}>
            <input
              {...fieldAria(fieldId('params.name'), problemFor('params.name'), nameHelp)}
              type="text"
              value={draft.name}
              spellCheck={false}
              autoComplete="off"
              placeholder={draft.kind === 'sqs_queue' ? 'payments-events' : 'payments-updates'}
              onChange={(e) => update({ name: e.target.value }, 'params.name')}
            />
          </FormField>
          <label className="checkbox">
            <input type="checkbox" checked={draft.fifo} onChange={(e) => update({ fifo: e.target.checked, subscribeQueue: '' }, 'params.name', 'params.subscribe_queue')} />
            FIFO {draft.kind === 'sqs_queue' ? 'queue' : 'topic'} (ordered, exactly-once; the name must end in .fifo)
          </label>
          {draft.kind === 'sqs_queue' ? (
            <div className="field-row">
              <FormField
                id={fieldId('params.visibility_timeout_seconds')}
                label="Visibility timeout (seconds)"
                problem={problemFor('params.visibility_timeout_seconds')}
                help={seconds(draft.visibilityTimeout, VISIBILITY_TIMEOUT.defaultValue)}
              >
                <input
                  {...fieldAria(fieldId('params.visibility_timeout_seconds'), problemFor('params.visibility_timeout_seconds'), 'help')}
                  type="text"
                  inputMode="numeric"
                  placeholder={String(VISIBILITY_TIMEOUT.defaultValue)}
                  value={draft.visibilityTimeout}
                  onChange={(e) => update({ visibilityTimeout: e.target.value }, 'params.visibility_timeout_seconds')}
                />
              </FormField>
              <FormField
                id={fieldId('params.message_retention_seconds')}
                label="Message retention (seconds)"
                problem={problemFor('params.message_retention_seconds')}
                help={seconds(draft.messageRetention, MESSAGE_RETENTION.defaultValue)}
              >
                <input
                  {...fieldAria(fieldId('params.message_retention_seconds'), problemFor('params.message_retention_seconds'), 'help')}
                  type="text"
                  inputMode="numeric"
                  placeholder={String(MESSAGE_RETENTION.defaultValue)}
                  value={draft.messageRetention}
                  onChange={(e) => update({ messageRetention: e.target.value }, 'params.message_retention_seconds')}
                />
              </FormField>
            </div>
          ) : (
            <>
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={draft.subscribe}
                  onChange={(e) => update({ subscribe: e.target.checked }, 'params.subscribe_queue', 'params.raw_message_delivery')}
                />
                Subscribe an SQS queue to the topic
              </label>
              {draft.subscribe && (
                <div className="field-row">
                  <FormField
                    id={fieldId('params.subscribe_queue')}
                    label="SQS queue to subscribe"
                    problem={problemFor('params.subscribe_queue')}
                    help={`A queue that exists or is requested in ${draft.environment || 'the environment'} / ${draft.region || 'the region'}; the topic gets the right to send to it (the queue's policy).`}
                  >
                    <QueuePicker
                      id={fieldId('params.subscribe_queue')}
                      environment={draft.environment}
                      region={draft.region}
                      fifo={draft.fifo}
                      service={draft.service}
                      value={draft.subscribeQueue}
                      onChange={(q) => update({ subscribeQueue: q }, 'params.subscribe_queue')}
                      invalid={Boolean(problemFor('params.subscribe_queue'))}
                      describedBy={problemFor('params.subscribe_queue') ? `${fieldId('params.subscribe_queue')}-problem` : `${fieldId('params.subscribe_queue')}-help`}
                    />
                  </FormField>
                  <div className="field">
                    <span className={styles['field-label-spacer']} aria-hidden="true" />
                    <label className="checkbox" htmlFor={fieldId('params.raw_message_delivery')}>
                      <input
                        id={fieldId('params.raw_message_delivery')}
                        type="checkbox"
                        checked={draft.rawMessageDelivery}
                        onChange={(e) => update({ rawMessageDelivery: e.target.checked }, 'params.raw_message_delivery')}
                      />
                      Raw message delivery (no SNS envelope)
                    </label>
                    {problemFor('params.raw_message_delivery') && (
                      <p className="field-problem" role="alert">
                        {problemFor('params.raw_message_delivery')}
                      </p>
                    )}
                  </div>
                </div>
              )}
            </>
          )}
        </fieldset>

        {failureView && (
          <SubmitFailure title={failureView.title} next={failureView.next} testId="submit-failure" ref={failureRef}>
            <p>{failureView.body}</p>
            {otherFields.length > 0 && (
              <ul>
                {otherFields.map((f) => (
                  <li key={f.field}>
                    <code>{f.field}</code>: {f.problem}
                  </li>
                ))}
              </ul>
            )}
          </SubmitFailure>
        )}

        <div className="form-actions">
          <button
            type="submit"
            className="button button-primary"
            disabled={sending || !mayRequestTeam}
            title={!mayRequestTeam ? whyNot(me, 'actions:request', draft.team) : undefined}
          >
            {failureView?.retry && !sending ? `Retry: ${submitLabel.toLowerCase()}` : submitLabel}
          </button>
          <a className={`button ${styles['button-quiet']}`} href={requestsHash()}>
            Cancel
          </a>
        </div>
      </form>
    </div>
  );
}

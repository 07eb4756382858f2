import { useMemo, useRef, useState, type FormEvent } from 'react';
import { api, asApiError, type ApiError, type ApproverRole, type FlagDefinition, type FlagDetail, type FlagEnvironment, type PendingChange, type Team } from '../api/client';
import { announceActionChange } from '../hooks/useApprovalCount';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import {
  buildDefinition,
  definitionText,
  draftFromDefinition,
  draftProblems,
  emptyDraft,
  FLAG_RETRY,
  hasProblems,
  parseDefinitionText,
  placeServerProblems,
  teamsOf,
  variantNames,
  type FlagDraft,
  type ServerProblems,
} from '../lib/flagForm';
import { approversText } from '../lib/actionText';
import { can, teamsWith, whyNot } from '../lib/permissions';
import { flagHash, flagsHash, navigate, withLastFilters } from '../lib/router';
import { describeSubmitError } from '../lib/submitError';
import { NO_TARGETING } from '../lib/targeting';
import { ApprovalNote } from '../components/ApprovalNote';
import { FlagChange } from '../components/FlagChange';
import { FlagJsonEditor, type JsonSync } from '../components/FlagJsonEditor';
import { FlagVariantsEditor } from '../components/FlagVariantsEditor';
import { fieldAria, FormField } from '../components/FormField';
import { ErrorState, LoadingState } from '../components/Notice';
import { PendingApprovalNotice } from '../components/PendingApprovalNotice';
import { PermissionNotice } from '../components/PermissionNotice';
import { SubmitFailure } from '../components/SubmitFailure';
import { TargetingRulesEditor } from '../components/TargetingRulesEditor';
import styles from './FlagEditor.module.css';

interface Props {
  environment: string;
  /** null: a new flag. */
  flagKey: string | null;
  portalKey: string;
}

/**
 * Create or edit a flag: type, variants, default, state, team and owner, targeting rules with percentage
 * rollouts — and the flagd JSON the form makes, editable by experts and kept in step with the form. Loads what it
 * needs, then hands a fresh form the starting point.
 */
export function FlagEditor({ environment, flagKey, portalKey }: Props) {
  const isNew = flagKey === null;
  const existing = useLoad<FlagDetail>((signal) => api.getFlag(environment, flagKey ?? '', signal), `${environment}/${flagKey ?? ''}`, { enabled: !isNew });
  const teams = useLoad<Team[]>((signal) => api.listTeams(signal).then((r) => r.items), portalKey);
  const envs = useLoad<FlagEnvironment[]>((signal) => api.listFlagEnvironments(signal), portalKey);
  const title = isNew ? 'New flag' : `Edit ${flagKey}`;
  const back = (
    <nav className="breadcrumb">
      <a href={isNew ? withLastFilters(flagsHash()) : flagHash(environment, flagKey)}>← {isNew ? 'Flags' : flagKey}</a>
    </nav>
  );
  if (!isNew && !existing.data) {
    return (
      <div className={`page ${styles['flag-editor-page']}`}>
        {back}
        <h1>{title}</h1>
        {existing.error ? (
          <ErrorState
            title={existing.error.status === 404 ? `There is no flag ${flagKey} in ${environment}` : `${flagKey} could not be loaded`}
            error={existing.error}
            onRetry={existing.reload}
          />
        ) : (
          <LoadingState>
            Loading {flagKey}…
          </LoadingState>
        )}
      </div>
    );
  }
  if (isNew && !envs.data && !envs.error) {
    return (
      <div className={`page ${styles['flag-editor-page']}`}>
        {back}
        <h1>{title}</h1>
        <LoadingState>
          Loading the environments…
        </LoadingState>
      </div>
    );
  }
  const environments = envs.data?.map((e) => e.name) ?? (environment ? [environment] : []);
  return (
    <div className={`page ${styles['flag-editor-page']}`}>
      {back}
      <h1>{title}</h1>
      <FlagEditorForm
        key={existing.data ? `${existing.data.environment}/${existing.data.key}@${existing.data.version}` : 'new'}
        existing={existing.data ?? null}
        environment={environments.includes(environment) ? environment : (environments[0] ?? environment)}
        environments={environments}
        approvers={Object.fromEntries((envs.data ?? []).map((e) => [e.name, e.approvers]))}
        teams={teams.data?.map((t) => t.name) ?? []}
      />
    </div>
  );
}

type Outcome = { kind: 'none' } | { kind: 'pending'; pending: PendingChange } | { kind: 'failed'; error: ApiError };

interface FormProps {
  existing: FlagDetail | null;
  environment: string;
  environments: readonly string[];
  /** The roles one of which approves a change, by environment (none: changes apply at once). */
  approvers: Readonly<Record<string, readonly string[]>>;
  teams: readonly string[];
}

function initialState(existing: FlagDetail | null, environment: string, team: string): { draft: FlagDraft; text: string; sync: JsonSync } {
  if (!existing) {
    const draft = emptyDraft(environment, team);
    return { draft, text: definitionText(buildDefinition(draft) ?? { state: 'ENABLED', variants: {} }), sync: { kind: 'synced' } };
  }
  const parsed = draftFromDefinition(existing.definition, existing);
  if (parsed.ok) {
    return { draft: parsed.value, text: definitionText(buildDefinition(parsed.value) ?? existing.definition), sync: { kind: 'synced' } };
  }
  const draft = { ...emptyDraft(existing.environment, existing.team), key: existing.key, owner: existing.owner };
  return { draft, text: definitionText(existing.definition), sync: { kind: 'json-only', reason: parsed.reason, path: parsed.path } };
}

function FlagEditorForm({ existing, environment, environments, approvers, teams }: FormProps) {
  const { me } = useMe();
  const isNew = existing === null;
  const writable = teamsWith(me, 'flags:write');
  const firstTeam = writable === 'all' ? '' : (writable[0] ?? '');
  const [init] = useState(() => initialState(existing, environment, firstTeam));
  const [draft, setDraft] = useState<FlagDraft>(init.draft);
  const [text, setText] = useState(init.text);
  const [sync, setSync] = useState<JsonSync>(init.sync);
  const [showJson, setShowJson] = useState(init.sync.kind === 'json-only');
  const [comment, setComment] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [touched, setTouched] = useState<ReadonlySet<'key' | 'team'>>(new Set());
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'none' });
  const [server, setServer] = useState<ServerProblems | null>(null);
  // The change under review: what will be sent, for the form exactly as it was when review began.
  const [review, setReview] = useState<{ flag: FlagDefinition; of: string } | null>(null);
  const failureRef = useRef<HTMLDivElement>(null);
  const reviewRef = useRef<HTMLDivElement>(null);
  const formRef = useRef<HTMLFormElement>(null);

  const problems = useMemo(() => draftProblems(draft, { newFlag: isNew }), [draft, isNew]);
  const jsonOnly = sync.kind === 'json-only' || sync.kind === 'invalid';
  const variants = variantNames(draft);

  /** The form changed: the JSON follows when the form's values are valid. */
  const editForm = (next: FlagDraft) => {
    setDraft(next);
    setServer(null);
    const def = buildDefinition(next);
    if (def) {
      setText(definitionText(def));
      setSync({ kind: 'synced' });
    } else {
      setSync({ kind: 'waiting' });
    }
  };

  /** The JSON changed: the form follows when it can show it. */
  const editJson = (t: string) => {
    setText(t);
    setServer(null);
    const parsed = parseDefinitionText(t);
    if (!parsed.ok) {
      setSync({ kind: 'invalid', problem: parsed.problem });
      return;
    }
    const { team, owner } = teamsOf(parsed.value, draft.team, draft.owner);
    const form = draftFromDefinition(parsed.value, { key: draft.key, environment: draft.environment, team, owner });
    if (form.ok) {
      setDraft(form.value);
      setSync({ kind: 'synced' });
    } else {
      setSync({ kind: 'json-only', reason: form.reason, path: form.path });
    }
  };

  const resetToForm = () => editForm(draft);

  // Who may save: flags:write on the flag's current team and on the team it will have (admins: all).
  const currentTeam = existing?.team ?? '';
  const mayKeep = !existing || !me || (currentTeam ? can(me, 'flags:write', currentTeam) : can(me, 'flags:import'));
  const mayTeam = !me || !draft.team || can(me, 'flags:write', draft.team);
  const teamOptions = useMemo(() => {
    const all = new Set<string>(teams);
    if (draft.team) all.add(draft.team);
    if (currentTeam) all.add(currentTeam);
    return [...all].filter((t) => !me || can(me, 'flags:write', t) || t === draft.team).sort();
  }, [teams, draft.team, currentTeam, me]);

  if (me && !can(me, 'flags:write')) {
    return <PermissionNotice title="You cannot change flags" reason={whyNot(me, 'flags:write')} />;
  }
  if (!mayKeep) {
    return (
      <PermissionNotice
        title={`You cannot change ${existing?.key ?? 'this flag'}`}
        reason={currentTeam ? whyNot(me, 'flags:write', currentTeam) : 'This flag has no team; only administrators may change it.'}
      />
    );
  }

  const definition = (): FlagDefinition | undefined => {
    if (sync.kind === 'json-only') {
      const parsed = parseDefinitionText(text);
      return parsed.ok ? parsed.value : undefined;
    }
    if (sync.kind === 'invalid') return undefined;
    return buildDefinition(draft);
  };

  // What the form holds now: a review is of this, and editing anything ends it.
  const formState = JSON.stringify([draft, text, sync.kind, comment]);
  const reviewing = review !== null && review.of === formState ? review.flag : null;

  /** The form is submitted: after its checks, the change is shown for review — nothing is sent yet. */
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (sending) return;
    setSubmitted(true);
    const formBlocks = !jsonOnly && hasProblems(problems);
    const identityBlocks = Boolean((isNew && problems.key) || problems.team || !mayTeam);
    const flag = definition();
    if (formBlocks || identityBlocks || !flag) {
      if (!flag) setShowJson(true);
      window.setTimeout(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], .field-problem')?.scrollIntoView?.({ block: 'center' }), 0);
      return;
    }
    setOutcome({ kind: 'none' });
    if (isNew) {
      // Say it plainly before the review; If-None-Match: * below makes the portal refuse a replacement anyway.
      setSending(true);
      try {
        const taken = await api.getFlag(draft.environment, draft.key).then(
          () => true,
          (err: unknown) => {
            if (asApiError(err).status === 404) return false;
            throw err;
          },
        );
        if (taken) {
          setServer({ ...placeServerProblems([], draft.targeting), key: `A flag ${draft.key} already exists in ${draft.environment}: open it to change it, or choose another key.` });
          return;
        }
      } catch (err) {
        setOutcome({ kind: 'failed', error: asApiError(err) });
        return;
      } finally {
        setSending(false);
      }
    }
    setReview({ flag, of: formState });
    window.setTimeout(() => reviewRef.current?.scrollIntoView?.({ block: 'nearest' }), 0);
  };

  /** The reviewed change is saved: applied at once, or held for approval where the environment says so. */
  const save = async (flag: FlagDefinition) => {
    if (sending) return;
    setSending(true);
    setOutcome({ kind: 'none' });
    try {
      const out = await api.putFlag(draft.environment, draft.key, {
        flag,
        team: draft.team,
        owner: draft.owner.trim() || undefined,
        version: existing?.version,
        comment: comment.trim() || undefined,
      }, isNew);
      setReview(null);
      if (out.kind === 'pending') {
        announceActionChange();
        setOutcome({ kind: 'pending', pending: out.pending });
      } else {
        navigate(flagHash(draft.environment, draft.key));
      }
    } catch (err) {
      const apiErr = asApiError(err);
      setReview(null);
      setOutcome({ kind: 'failed', error: apiErr });
      if (apiErr.status === 400 && apiErr.fields.length > 0) {
        // With the JSON alone in charge, the form's rules are not what was sent: every problem goes with its path.
        const placed = placeServerProblems(apiErr.fields, jsonOnly ? NO_TARGETING : draft.targeting);
        setServer(placed);
        if (placed.other.length > 0 || jsonOnly) setShowJson(true);
      }
      window.setTimeout(() => failureRef.current?.scrollIntoView?.({ block: 'nearest' }), 0);
    } finally {
      setSending(false);
    }
  };

  const keyProblem = server?.key ?? (isNew && (submitted || touched.has('key')) ? problems.key : undefined);
  const teamProblem =
    server?.team ?? (submitted || touched.has('team') ? problems.team : undefined) ?? (!mayTeam ? whyNot(me, 'flags:write', draft.team) : undefined);
  const ruleProblems = draft.targeting.rules.map((_, i) => [...(problems.targeting.rules[i] ?? []), ...(server?.rules[i] ?? [])]);
  const otherwiseProblems = [...problems.targeting.otherwise, ...(server?.otherwise ?? [])];
  const failure = outcome.kind === 'failed' ? describeSubmitError(outcome.error, 'change', { retrySafe: FLAG_RETRY }) : null;
  const conflict = outcome.kind === 'failed' && outcome.error.status === 409;
  const roles = approvers[draft.environment] ?? [];
  const approvalHint = roles.length > 0 ? `Changes in ${draft.environment} wait for approval by ${approversText(roles as ApproverRole[], draft.team || undefined)}.` : '';

  return (
    <form className={`panel ${styles.form}`} ref={formRef} onSubmit={(e) => void onSubmit(e)} noValidate aria-label={isNew ? 'New flag' : `Edit ${draft.key}`}>
      <section className={styles['form-section']} aria-labelledby="flag-identity">
        <h2 id="flag-identity">Flag</h2>
        <div className="field-row">
          {isNew ? (
            <FormField id="flag-key" label="Key" problem={keyProblem} help="Letters, digits and _ . : - ; what services ask for.">
              <input
                {...fieldAria('flag-key', keyProblem, 'help')}
                type="text"
                className="mono"
                value={draft.key}
                autoComplete="off"
                spellCheck={false}
                onChange={(e) => {
                  setDraft((d) => ({ ...d, key: e.target.value.trim() }));
                  setServer((s) => (s ? { ...s, key: undefined } : s));
                }}
                onBlur={() => setTouched((t) => new Set([...t, 'key']))}
              />
            </FormField>
          ) : (
            <div className="field">
              <span className={styles['field-label']}>Key</span>
              <span className={`mono ${styles['field-static']}`}>{draft.key}</span>
            </div>
          )}
          {isNew ? (
            <FormField id="flag-environment" label="Environment" help={approvalHint.trim() || undefined}>
              <select id="flag-environment" value={draft.environment} onChange={(e) => setDraft((d) => ({ ...d, environment: e.target.value }))}>
                {environments.map((env) => (
                  <option key={env} value={env}>
                    {env}
                  </option>
                ))}
              </select>
            </FormField>
          ) : (
            <div className="field">
              <span className={styles['field-label']}>Environment</span>
              <span className={styles['field-static']}>{draft.environment}</span>
            </div>
          )}
          <FormField id="flag-team" label="Team" problem={teamProblem} help="The team that owns the flag: its owners may change it.">
            <select
              {...fieldAria('flag-team', teamProblem, 'help')}
              value={draft.team}
              onChange={(e) => {
                editForm({ ...draft, team: e.target.value });
                setTouched((t) => new Set([...t, 'team']));
              }}
            >
              {!draft.team && <option value="">Choose a team</option>}
              {teamOptions.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </FormField>
          <FormField id="flag-owner" label="Owner" help="A person or group to ask about the flag (optional).">
            <input id="flag-owner" type="text" value={draft.owner} onChange={(e) => editForm({ ...draft, owner: e.target.value })} />
          </FormField>
        </div>
        <FormField id="flag-description" label="Description" help="What the flag is for (metadata.description).">
          <input id="flag-description" type="text" value={draft.description} disabled={jsonOnly} onChange={(e) => editForm({ ...draft, description: e.target.value })} />
        </FormField>
      </section>

      {jsonOnly && (
        <p className="inline-note" role="status" data-testid="form-json-only">
          {sync.kind === 'json-only'
            ? `This flag can only be edited as JSON: ${sync.reason}. Edit it in the JSON below.`
            : 'The JSON below is not a flag definition yet; the form follows again once it is.'}
        </p>
      )}
      <fieldset className={styles['form-section']} disabled={jsonOnly} aria-labelledby="flag-variants-heading">
        <h2 id="flag-variants-heading">Variants</h2>
        <FlagVariantsEditor
          draft={draft}
          onChange={editForm}
          variantProblems={problems.variants}
          serverVariantProblems={server?.variants ?? {}}
          listProblem={problems.variantList}
          defaultProblem={server?.defaultVariant ?? problems.defaultVariant}
          stateProblem={server?.state}
        />
      </fieldset>
      <fieldset className={styles['form-section']} disabled={jsonOnly} aria-labelledby="flag-targeting-heading">
        <h2 id="flag-targeting-heading">Targeting</h2>
        <p className="field-help">
          The first rule that matches decides. Rules compare attributes of the evaluation context (email, accountId, appVersion…); a percentage
          rollout puts each user or account in a stable bucket.
        </p>
        <TargetingRulesEditor
          form={draft.targeting}
          variants={variants}
          defaultVariant={draft.defaultVariant}
          onChange={(targeting) => editForm({ ...draft, targeting })}
          ruleProblems={ruleProblems}
          otherwiseProblems={otherwiseProblems}
        />
      </fieldset>

      <section className={styles['form-section']} aria-labelledby="flag-json-heading">
        <div className="section-tools">
          <h2 id="flag-json-heading">JSON (expert)</h2>
          <button type="button" className="button button-link" aria-expanded={showJson} onClick={() => setShowJson((s) => !s)}>
            {showJson ? 'Hide the JSON' : 'Show the JSON'}
          </button>
        </div>
        {showJson && (
          <FlagJsonEditor
            text={text}
            sync={sync}
            onChange={editJson}
            problems={server?.other ?? []}
            onResetToForm={existing && sync.kind === 'json-only' && init.sync.kind === 'synced' ? resetToForm : undefined}
          />
        )}
      </section>

      <FormField id="flag-comment" label="Comment" help="Why you change it; kept in the flag's history.">
        <input id="flag-comment" type="text" value={comment} onChange={(e) => setComment(e.target.value)} />
      </FormField>

      {outcome.kind === 'pending' ? (
        <>
          <PendingApprovalNotice pending={outcome.pending} what={`Your change of ${draft.key} in ${draft.environment}`} />
          <p>
            <a href={flagHash(draft.environment, draft.key)}>Back to the flag</a>
          </p>
        </>
      ) : (
        <>
          {failure && (
            <SubmitFailure
              title={conflict ? 'The flag changed since you opened it: nothing was saved' : failure.title}
              next={conflict ? 'Open the flag again to see the change, then apply yours on top of it.' : failure.next}
              testId="flag-save-failure"
              ref={failureRef}
            >
              <p>
                {outcome.kind === 'failed' && outcome.error.status === 400 && outcome.error.fields.length > 0
                  ? 'Each problem is shown at the part of the form it is about; those the form has no field for are listed with their JSON path under the JSON. Fix them and save again.'
                  : failure.body}
              </p>
            </SubmitFailure>
          )}
          {reviewing ? (
            <div className={`panel ${styles.review}`} ref={reviewRef} role="region" aria-labelledby="flag-review-heading" data-testid="flag-review">
              <h2 id="flag-review-heading">{isNew ? `Review the new flag ${draft.key}` : 'Review changes'}</h2>
              <p className="muted">
                {isNew ? `What ${draft.key} will be in ${draft.environment}` : `What changes in ${draft.key} in ${draft.environment}`}
                {comment.trim() ? `, because “${comment.trim()}”` : ''}:
              </p>
              <FlagChange
                before={existing?.definition ?? null}
                after={reviewing}
                teamBefore={existing?.team}
                teamAfter={draft.team}
                label={`Changes to ${draft.key || 'the new flag'} in ${draft.environment}`}
                none="No difference in the definition: saving changes only the owner or the comment."
              />
              <ApprovalNote needed={roles.length > 0} role="note" testId="flag-review-approval">
                <p>
                  {roles.length > 0
                    ? `${approvalHint} Saving sends a request; nothing changes until it is approved.`
                    : `Saving applies it at once in ${draft.environment}.`}
                </p>
              </ApprovalNote>
              <div className="form-actions">
                <button type="button" className="button button-primary" disabled={sending} onClick={() => void save(reviewing)}>
                  {sending ? 'Saving…' : roles.length > 0 ? 'Send for approval' : isNew ? 'Create flag' : 'Save changes'}
                </button>
                <button type="button" className="button" disabled={sending} onClick={() => setReview(null)}>
                  Back to editing
                </button>
              </div>
            </div>
          ) : (
            <div className="form-actions">
              <button type="submit" className="button button-primary" disabled={sending}>
                {sending ? 'Checking…' : isNew ? 'Review the new flag' : 'Review changes'}
              </button>
              <a className="button" href={existing ? flagHash(existing.environment, existing.key) : withLastFilters(flagsHash())}>
                Cancel
              </a>
            </div>
          )}
        </>
      )}
    </form>
  );
}

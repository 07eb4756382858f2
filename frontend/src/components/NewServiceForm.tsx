import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { api, asApiError, isAbortError, type ActionRequest, type ApiError, type FieldProblem, type Plan, type Team, type TemplateSummary } from '../api/client';
import { announceActionChange } from '../hooks/useApprovalCount';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { approvalNeed } from '../lib/actionText';
import { SubmissionKey } from '../lib/idempotency';
import { can, teamsWith, whyNot } from '../lib/permissions';
import { actionHash, navigate } from '../lib/router';
import { describeSubmitError } from '../lib/submitError';
import {
  canonicalJson,
  checkValues,
  formFields,
  initialValues,
  leafFields,
  placeProblems,
  shownProblems,
  toParameters,
  underPointer,
  type FieldProblems,
  type FieldValue,
  type FormValues,
} from '../lib/templateForm';
import { ParameterForm } from './ParameterForm';
import { PlanView } from './PlanView';
import styles from './NewServiceForm.module.css';
import { SubmitFailure } from './SubmitFailure';

/** How long typing must pause before the portal is asked about the parameters. */
export const VALIDATE_DEBOUNCE_MS = 400;

interface Props {
  template: TemplateSummary;
  /** The portal in use: teams and options are its. */
  portalKey: string;
}

/** The portal's answer about some parameters (validate, or a refused dry run or request), for the parameters it was about. */
interface PortalVerdict {
  key: string;
  byField: FieldProblems;
  other: FieldProblem[];
  valid: boolean;
}

function nameOf(values: FormValues, pointer: string | undefined): string {
  const v = pointer ? values[pointer] : undefined;
  return typeof v === 'string' ? v : '';
}

/**
 * Creating a service from one template: the form its parameter schema makes, checked as the user types (by the
 * form itself at once, by the portal — name taken, team unknown — after a pause, stale checks aborted); then the dry
 * run ("Review plan"), which is the only way to "Create": the button works only while the plan on screen is the plan
 * of the parameters in the form. Creating is one request on the action pipeline, with one idempotency key per
 * intended request, and leads to its run's page.
 */
export function NewServiceForm({ template, portalKey }: Props) {
  const { me } = useMe();
  const fields = useMemo(() => formFields(template.parameters), [template.parameters]);
  const leaves = useMemo(() => leafFields(fields), [fields]);
  const namePointer = leaves.find((f) => f.hint === 'service-name')?.pointer;
  const teamPointer = leaves.find((f) => f.hint === 'team')?.pointer;

  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [verdict, setVerdict] = useState<PortalVerdict | null>(null);
  const [checking, setChecking] = useState<string | null>(null);
  const [checkFailed, setCheckFailed] = useState<{ key: string; error: ApiError } | null>(null);
  const [planned, setPlanned] = useState<{ key: string; plan: Plan } | null>(null);
  const [planning, setPlanning] = useState(false);
  const [planError, setPlanError] = useState<ApiError | null>(null);
  const [sending, setSending] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [keys] = useState(() => new SubmissionKey());
  const inFlight = useRef(false);
  const planAbort = useRef<AbortController | null>(null);
  const planRef = useRef<HTMLElement>(null);

  const local = useMemo(() => checkValues(fields, values), [fields, values]);
  const params = useMemo(() => toParameters(fields, values), [fields, values]);
  const paramsKey = canonicalJson(params);
  const dirty = touched.size > 0;

  // The teams this user may create a service for: the portal's teams where /me allows actions:request.
  const teamsLoad = useLoad((signal) => api.listTeams(signal), portalKey);
  const teams: Team[] | null = useMemo(() => {
    const allowed = teamsWith(me, 'actions:request');
    const known = teamsLoad.data?.items;
    if (known) return allowed === 'all' || !me ? known : known.filter((t) => allowed.includes(t.name));
    if (me && allowed !== 'all' && allowed.length > 0) return allowed.map((name) => ({ name, display_name: name }));
    return null;
  }, [me, teamsLoad.data]);
  // One team to choose from: chosen.
  const onlyTeam = teams?.length === 1 ? teams[0]?.name : undefined;
  useEffect(() => {
    if (!onlyTeam || !teamPointer) return;
    setValues((v) => (v[teamPointer] ? v : { ...v, [teamPointer]: onlyTeam }));
  }, [onlyTeam, teamPointer]);

  const options = useLoad((signal) => api.getActionOptions(signal), portalKey);

  // Ask the portal about the parameters once typing pauses; a newer question aborts the older one.
  useEffect(() => {
    if (!dirty) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      setChecking(paramsKey);
      api.validateTemplate(template.name, params, controller.signal).then(
        (v) => {
          const placed = placeProblems(fields, v.problems);
          setVerdict({ key: paramsKey, byField: placed.byField, other: placed.other, valid: v.valid });
          setCheckFailed(null);
          setChecking((c) => (c === paramsKey ? null : c));
        },
        (err: unknown) => {
          if (isAbortError(err)) return;
          setCheckFailed({ key: paramsKey, error: asApiError(err) });
          setChecking((c) => (c === paramsKey ? null : c));
        },
      );
    }, VALIDATE_DEBOUNCE_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [params, paramsKey, dirty, template.name, fields]);

  useEffect(() => () => planAbort.current?.abort(), []);

  const portalNow = verdict?.key === paramsKey ? verdict : null;
  const checkError = checkFailed?.key === paramsKey ? checkFailed.error : null;
  const shown = shownProblems(fields, local, portalNow?.byField ?? {}, (p) => submitted || touched.has(p));
  const planFresh = planned !== null && planned.key === paramsKey;
  const devEnvironment = planned?.plan.deploy[0]?.environment ?? 'dev';
  const team = nameOf(values, teamPointer);
  const mayCreateForTeam = !me || !team || can(me, 'actions:request', team, devEnvironment);
  const env = options.data?.environments.find((e) => e.name === devEnvironment);
  const need = env ? approvalNeed(env, team || undefined) : null;

  const change = (pointer: string, value: FieldValue) => {
    setValues((v) => ({ ...v, [pointer]: value }));
    setTouched((t) => (t.has(pointer) ? t : new Set([...t, pointer])));
    setFailure(null);
  };
  const leave = (pointer: string) => setTouched((t) => (t.has(pointer) ? t : new Set([...t, pointer])));

  const focusFirst = (problems: FieldProblems) => {
    const first = leaves.find((f) => (problems[f.pointer]?.length ?? 0) > 0);
    if (first) document.getElementById(first.id)?.focus();
  };

  /** The portal refused these parameters: its problems go under their fields. */
  const refused = (err: ApiError, prefix: string) => {
    const relative = err.fields.map((f) => ({ field: underPointer(prefix, f.field) ?? f.field, problem: f.problem }));
    const placed = placeProblems(fields, relative);
    setVerdict({ key: paramsKey, byField: placed.byField, other: placed.other, valid: false });
    focusFirst(placed.byField);
  };

  const review = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setSubmitted(true);
    if (Object.keys(local).length > 0) {
      focusFirst(local);
      return;
    }
    planAbort.current?.abort();
    const controller = new AbortController();
    planAbort.current = controller;
    const key = paramsKey;
    setPlanning(true);
    setPlanError(null);
    try {
      const plan = await api.planTemplate(template.name, params, controller.signal);
      setPlanned({ key, plan });
      window.setTimeout(() => planRef.current?.scrollIntoView?.({ block: 'start', behavior: 'smooth' }), 0);
    } catch (err) {
      if (isAbortError(err)) return;
      const apiErr = asApiError(err);
      if (apiErr.status === 400 && apiErr.fields.length > 0) refused(apiErr, '');
      else setPlanError(apiErr);
    } finally {
      if (planAbort.current === controller) setPlanning(false);
    }
  };

  const create = async () => {
    if (inFlight.current || !planFresh || !mayCreateForTeam) return;
    const req: ActionRequest = { kind: 'service_create', environment: devEnvironment, params: { template: template.name, parameters: params } };
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
      setFailure(apiErr);
      if (apiErr.status === 400 && apiErr.fields.some((f) => underPointer('/params/parameters', f.field) !== undefined)) {
        // Something changed since the dry run (the name was taken meanwhile): the plan no longer stands.
        setPlanned(null);
        refused(apiErr, '/params/parameters');
      }
    } finally {
      inFlight.current = false;
      setSending(false);
    }
  };

  const name = nameOf(values, namePointer);
  const nameHasProblem = namePointer !== undefined && (shown[namePointer]?.length ?? 0) > 0;
  let nameStatus: string | undefined;
  if (name && !nameHasProblem && namePointer && !local[namePointer]) {
    if (checking === paramsKey || (dirty && !portalNow && !checkError)) nameStatus = `Checking that no service or repository is named ${name}…`;
    else if (checkError) nameStatus = `The portal could not check the name just now (${checkError.message}); the dry run checks it again.`;
    else if (portalNow) nameStatus = `✓ No service in the catalog and no repository is named ${name}.`;
  }
  const failureView = failure ? describeSubmitError(failure, 'request') : null;
  const otherProblems = portalNow?.other ?? [];
  const createBlocked = !planFresh
    ? 'Review the plan again: the parameters changed since this one.'
    : !mayCreateForTeam
      ? whyNot(me, 'actions:request', team)
      : undefined;

  return (
    <>
      <form className={`panel ${styles.form}`} onSubmit={(e) => void review(e)} noValidate aria-label="Parameters">
        <ParameterForm fields={fields} values={values} problems={shown} onChange={change} onLeave={leave} teams={teams} nameStatus={nameStatus} />
        {otherProblems.length > 0 && (
          <SubmitFailure title="The portal also says">
            <ul>
              {otherProblems.map((p, i) => (
                <li key={i}>
                  {p.field && <span className="mono">{p.field}: </span>}
                  {p.problem}
                </li>
              ))}
            </ul>
          </SubmitFailure>
        )}
        {planError && (
          <SubmitFailure testId="plan-failure" title={planError.code === 'not_configured' ? 'This portal has no golden path' : 'The dry run failed: nothing was created'}>
            <p>{planError.message}</p>
          </SubmitFailure>
        )}
        <div className={`form-actions ${styles.actions}`}>
          <button type="submit" className="button button-primary" disabled={planning}>
            {planning ? 'Planning…' : planned ? 'Review the plan again' : 'Review plan'}
          </button>
          <span className={styles.note}>A dry run: it shows everything that will be created, and creates nothing.</span>
        </div>
      </form>

      {planned && (
        <section className={styles.plan} aria-labelledby="new-plan-heading" ref={planRef}>
          <div className="section-tools">
            <h2 id="new-plan-heading">The plan</h2>
          </div>
          {!planFresh && (
            <p className="inline-warning" role="status" data-testid="plan-stale">
              The parameters changed since this plan: review the plan again before creating.
            </p>
          )}
          <div className={planFresh ? undefined : styles.stale}>
            <PlanView key={planned.plan.digest} plan={planned.plan} />
          </div>
          <div className={`panel ${styles.create}`}>
            {failureView && (
              <SubmitFailure testId="submit-failure" title={failureView.title} next={failureView.next}>
                <p>{failureView.body}</p>
              </SubmitFailure>
            )}
            <div className={styles['create-row']}>
              <button
                type="button"
                className="button button-primary"
                disabled={createBlocked !== undefined || sending}
                title={createBlocked}
                onClick={() => void create()}
              >
                {sending ? 'Creating…' : `Create ${planned.plan.service}`}
              </button>
              <div className={styles['create-text']}>
                {need && (
                  <p className={need.needed ? styles.needed : styles.free} data-testid="approval-need">
                    <strong>{need.headline}:</strong> {need.detail}
                  </p>
                )}
                <p className={styles.note}>
                  {createBlocked ?? (
                    <>
                      Runs exactly this plan (digest <span className="mono">{planned.plan.digest.slice(0, 12)}</span>), step by step; you follow it on
                      the next page.
                    </>
                  )}
                </p>
              </div>
            </div>
          </div>
        </section>
      )}
    </>
  );
}

// Words for actions: what kind of resource, who must approve, how it is delivered, and what it produced.
import type { Action, ActionEnvironment, ActionKind, ApproverRole } from '../api/client';

export const KIND_LABEL: Record<ActionKind, string> = {
  sqs_queue: 'SQS queue',
  sns_topic: 'SNS topic',
  flag_change: 'Flag change',
  service_create: 'New service',
  secret_create: 'New secret',
  secret_rotate: 'Secret rotation',
  secret_delete: 'Secret deletion',
};

/**
 * The verb of a flag change's params.action in words: a put creates the flag when it did not exist when the change
 * was made (its base names no flag) and updates it otherwise.
 */
function flagChangeVerb(p: Record<string, unknown>): string {
  switch (p.action) {
    case 'put': {
      const base = p.base as { flag?: unknown } | undefined;
      return p.create_only === true || (base !== undefined && base !== null && !base.flag) ? 'create' : 'update';
    }
    case 'delete':
      return 'delete';
    case 'import':
      return 'import';
    default:
      return 'change';
  }
}

/** "SQS queue orders-events", or "Flag change: update production/new-checkout", from an action's kind and params. */
export function actionTitle(a: Pick<Action, 'kind' | 'params'>): string {
  if (a.kind === 'flag_change') {
    const p = a.params;
    const verb = flagChangeVerb(p);
    const env = typeof p.environment === 'string' ? p.environment : '';
    const target = typeof p.key === 'string' && p.key !== '' ? `${env}/${p.key}` : `${env} flag set`;
    return `${KIND_LABEL.flag_change}: ${verb} ${target}`;
  }
  if (a.kind === 'service_create') {
    const params = a.params.parameters as Record<string, unknown> | undefined;
    const svc = typeof params?.name === 'string' ? params.name : '';
    const tmpl = typeof a.params.template === 'string' ? ` from ${a.params.template}` : '';
    return `${KIND_LABEL.service_create} ${svc}${tmpl}`.trim();
  }
  if (a.kind === 'secret_create' || a.kind === 'secret_rotate' || a.kind === 'secret_delete') {
    const full = typeof a.params.full_name === 'string' ? a.params.full_name : '';
    return `${KIND_LABEL[a.kind]} ${full}`.trim();
  }
  const name = typeof a.params.name === 'string' ? a.params.name : '';
  return name ? `${KIND_LABEL[a.kind] ?? a.kind} ${name}` : (KIND_LABEL[a.kind] ?? a.kind);
}

/** "SQS queue orders for payments-api"; a flag change belongs to a team, not a service, and says no "for". */
export function actionSubject(a: Pick<Action, 'kind' | 'params' | 'service'>): string {
  const title = actionTitle(a);
  return a.service ? `${title} for ${a.service}` : title;
}

function approverWords(role: ApproverRole, team: string | undefined): string {
  return role === 'team_owner' ? (team ? `an owner of team ${team}` : "an owner of the service's team") : 'a platform approver';
}

/** "a platform approver", "an owner of team payments or a platform approver". */
export function approversText(approvers: readonly ApproverRole[], team?: string): string {
  return approvers.map((r) => approverWords(r, team)).join(' or ');
}

export interface ApprovalNeed {
  needed: boolean;
  /** "Needs approval in production" */
  headline: string;
  /** Whose approval, and what follows. */
  detail: string;
  /** headline: detail */
  text: string;
}

/** Whether a request in env needs an approval before it runs, and whose — said before the user submits. */
export function approvalNeed(env: ActionEnvironment, team?: string): ApprovalNeed {
  const [headline, detail] =
    env.approvers.length === 0
      ? [`No approval needed in ${env.name}`, 'it runs as soon as you send it.']
      : [
          `Needs approval in ${env.name}`,
          `${approversText(env.approvers, team)} must approve it before it runs. Nobody approves their own request.`,
        ];
  return { needed: env.approvers.length > 0, headline, detail, text: `${headline}: ${detail}` };
}

/** What delivery in env does, in a sentence (for a kind of action, where it does something else). */
export function deliveryText(delivery: ActionEnvironment['delivery'] | 'flags' | 'golden' | 'secrets', kind?: ActionKind): string {
  if (kind === 'service_create' && delivery === 'preview') {
    return 'Preview: the portal registers the catalog entry for real, and says for every other step what a team portal would have created.';
  }
  switch (delivery) {
    case 'secrets':
      return 'The portal writes the value to each target in turn (a Kubernetes Secret through the cluster agent, AWS Secrets Manager per region); the value was sealed when it was sent and is never stored as it is.';
    case 'flags':
      return 'Once approved, the portal applies the change to the flag set.';
    case 'direct':
      return 'The portal creates it in AWS with its own credentials.';
    case 'gitops':
      return 'The portal opens a pull request with the Terraform in the infrastructure repository; it exists once that is merged.';
    case 'preview':
      return 'Preview only: the portal shows the Terraform a pull request would add, and creates nothing.';
    case 'golden':
      return 'The golden path: the portal creates the repository, registers the service, opens the infrastructure pull request and deploys hello-world to dev through the cluster agents, step by step.';
  }
}

export type ResultKind = 'link' | 'code' | 'text' | 'mono';

export interface ResultEntry {
  key: string;
  label: string;
  value: string;
  kind: ResultKind;
}

const RESULT_FIELDS: { key: string; label: string; kind: ResultKind }[] = [
  { key: 'queue_url', label: 'Queue URL', kind: 'mono' },
  { key: 'queue_arn', label: 'Queue ARN', kind: 'mono' },
  { key: 'topic_arn', label: 'Topic ARN', kind: 'mono' },
  { key: 'subscription_arn', label: 'Subscription ARN', kind: 'mono' },
  { key: 'pr_url', label: 'Pull request', kind: 'link' },
  { key: 'pr_number', label: 'Pull request number', kind: 'text' },
  { key: 'branch', label: 'Branch', kind: 'mono' },
  { key: 'path', label: 'Path', kind: 'mono' },
  { key: 'preview', label: 'Preview', kind: 'text' },
  { key: 'terraform_path', label: 'Terraform file', kind: 'mono' },
  { key: 'terraform', label: 'Terraform', kind: 'code' },
];

/** The result's entries in a stable, meaningful order; keys the UI does not know yet come last, as text. */
export function resultEntries(result: Record<string, string>): ResultEntry[] {
  const known = new Set(RESULT_FIELDS.map((f) => f.key));
  const out: ResultEntry[] = [];
  for (const f of RESULT_FIELDS) {
    const value = result[f.key];
    if (value !== undefined && value !== '') out.push({ ...f, value });
  }
  for (const key of Object.keys(result).sort()) {
    const value = result[key];
    if (!known.has(key) && value) out.push({ key, label: key.replace(/_/g, ' '), value, kind: 'text' });
  }
  return out;
}

function paramValue(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.length > 0 ? v.join(', ') : 'none';
  return JSON.stringify(v);
}

/**
 * A service_create request's parameters for display: the template and its version, each template parameter by
 * name (lists as "dev, staging"), and the digest of the plan it stored.
 */
export function runParamEntries(params: Record<string, unknown>): { label: string; value: string }[] {
  const out: { label: string; value: string }[] = [];
  if (typeof params.template === 'string') {
    const v = typeof params.template_version === 'string' ? `@${params.template_version}` : '';
    out.push({ label: 'Template', value: `${params.template}${v}` });
  }
  const p = params.parameters;
  if (typeof p === 'object' && p !== null && !Array.isArray(p)) {
    for (const [k, v] of Object.entries(p as Record<string, unknown>)) out.push({ label: k, value: paramValue(v) });
  }
  if (typeof params.plan_digest === 'string') out.push({ label: 'Plan digest', value: `${params.plan_digest.slice(0, 12)}…` });
  return out;
}

/** An action's parameters as label/value pairs for display. */
export function paramEntries(params: Record<string, unknown>): { label: string; value: string }[] {
  const labels: Record<string, string> = {
    name: 'Name',
    fifo: 'FIFO',
    visibility_timeout_seconds: 'Visibility timeout (s)',
    message_retention_seconds: 'Message retention (s)',
    subscribe_queue: 'Subscribed SQS queue',
    raw_message_delivery: 'Raw message delivery',
    full_name: 'Secret',
    operation: 'Operation',
    value_ref: 'Value (sealed; reference only)',
  };
  return Object.entries(params).map(([k, v]) => ({
    label: labels[k] ?? k,
    value: typeof v === 'boolean' ? (v ? 'yes' : 'no') : typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v),
  }));
}

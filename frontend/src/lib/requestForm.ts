// The request form's model: what the user typed, the request it becomes, and the problems found before sending.
// Problems are keyed by the portal's field names (params.name, region, ...) so the portal's 400 answer and the
// form's own checks land next to the same inputs.
import type { ActionKind, ActionOptions, ActionRequest, KnownQueue } from '../api/client';
import { MESSAGE_RETENTION, parseSeconds, queueNameProblem, secondsProblem, topicNameProblem, VISIBILITY_TIMEOUT } from './awsNames';

export interface RequestDraft {
  kind: ActionKind;
  service: string;
  /** The chosen service's owner team ("" until a service is chosen). */
  team: string;
  environment: string;
  region: string;
  name: string;
  fifo: boolean;
  visibilityTimeout: string;
  messageRetention: string;
  subscribe: boolean;
  subscribeQueue: string;
  rawMessageDelivery: boolean;
}

export type RequestField =
  | 'kind'
  | 'service'
  | 'environment'
  | 'region'
  | 'params.name'
  | 'params.visibility_timeout_seconds'
  | 'params.message_retention_seconds'
  | 'params.subscribe_queue'
  | 'params.raw_message_delivery';

/** The fields in the order they appear, for focusing the first problem. */
export const REQUEST_FIELDS: RequestField[] = [
  'kind',
  'service',
  'environment',
  'region',
  'params.name',
  'params.visibility_timeout_seconds',
  'params.message_retention_seconds',
  'params.subscribe_queue',
  'params.raw_message_delivery',
];

export function isRequestField(f: string): f is RequestField {
  return (REQUEST_FIELDS as string[]).includes(f);
}

/** The DOM id of a field's input. */
export function fieldId(f: RequestField): string {
  return `request-${f.replace(/[._]/g, '-')}`;
}

export function emptyDraft(service = '', team = ''): RequestDraft {
  return {
    kind: 'sqs_queue',
    service,
    team,
    environment: '',
    region: '',
    name: '',
    fifo: false,
    visibilityTimeout: '',
    messageRetention: '',
    subscribe: false,
    subscribeQueue: '',
    rawMessageDelivery: false,
  };
}

/** The problems the form can see by itself; the portal checks everything again. */
export function draftProblems(d: RequestDraft, options: ActionOptions | undefined): Partial<Record<RequestField, string>> {
  const p: Partial<Record<RequestField, string>> = {};
  if (!d.service) p.service = 'choose a service from the catalog';
  const env = options?.environments.find((e) => e.name === d.environment);
  if (!d.environment) p.environment = 'choose an environment';
  else if (options && !env) p.environment = `unknown environment ${d.environment}`;
  if (!d.region) p.region = 'choose a region';
  else if (env && !env.regions.includes(d.region)) p.region = `${d.region} is not enabled for ${env.name}`;
  if (d.kind === 'sqs_queue') {
    const name = queueNameProblem(d.name, d.fifo);
    if (name) p['params.name'] = name;
    const vis = secondsProblem(d.visibilityTimeout, VISIBILITY_TIMEOUT);
    if (vis) p['params.visibility_timeout_seconds'] = vis;
    const ret = secondsProblem(d.messageRetention, MESSAGE_RETENTION);
    if (ret) p['params.message_retention_seconds'] = ret;
  } else {
    const name = topicNameProblem(d.name, d.fifo);
    if (name) p['params.name'] = name;
    if (d.subscribe) {
      // An SNS FIFO topic delivers only to FIFO queues, a standard topic only to standard ones.
      const q = d.subscribeQueue === '' ? 'choose the queue to subscribe' : queueNameProblem(d.subscribeQueue, d.fifo);
      if (q) p['params.subscribe_queue'] = d.fifo && q.includes('must end in .fifo') ? `${q} (a FIFO topic delivers only to FIFO queues)` : q;
    }
  }
  return p;
}

/** The request the draft becomes; empty optional fields are left out so the portal applies AWS's defaults. */
export function toActionRequest(d: RequestDraft): ActionRequest {
  const base = { service: d.service, environment: d.environment, region: d.region };
  if (d.kind === 'sqs_queue') {
    const params: Record<string, unknown> = { name: d.name };
    if (d.fifo) params.fifo = true;
    const vis = parseSeconds(d.visibilityTimeout);
    if (vis !== undefined) params.visibility_timeout_seconds = vis;
    const ret = parseSeconds(d.messageRetention);
    if (ret !== undefined) params.message_retention_seconds = ret;
    return { ...base, kind: 'sqs_queue', params: params as ActionRequest['params'] };
  }
  const params: Record<string, unknown> = { name: d.name };
  if (d.fifo) params.fifo = true;
  if (d.subscribe && d.subscribeQueue) {
    params.subscribe_queue = d.subscribeQueue;
    if (d.rawMessageDelivery) params.raw_message_delivery = true;
  }
  return { ...base, kind: 'sns_topic', params: params as ActionRequest['params'] };
}

const QUEUE_STATE: Record<KnownQueue['state'], string> = {
  exists: 'exists',
  previewed: 'previewed: its Terraform exists, nothing was created',
  requested: 'requested, not yet created',
};

/** A queue in the subscription picker: "orders-events — exists (payments-api)". */
export function queueOptionText(q: KnownQueue): string {
  const of = q.service ? ` (${q.service})` : '';
  return `${q.name} — ${QUEUE_STATE[q.state]}${of}`;
}

/**
 * The queues a topic may subscribe, for the picker: those of its kind (FIFO topics deliver only to FIFO queues, and
 * standard ones only to standard queues), by name, and how many of the other kind were left out.
 */
export function subscribableQueues(queues: readonly KnownQueue[], fifo: boolean): { queues: KnownQueue[]; otherKind: number } {
  const fits = queues.filter((q) => q.fifo === fifo);
  return { queues: [...fits].sort((a, b) => a.name.localeCompare(b.name)), otherKind: queues.length - fits.length };
}

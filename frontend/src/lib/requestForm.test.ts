import { describe, expect, it } from 'vitest';
import type { ActionOptions, KnownQueue } from '../api/client';
import { draftProblems, emptyDraft, fieldId, queueOptionText, subscribableQueues, toActionRequest } from './requestForm';

const options: ActionOptions = {
  kinds: ['sqs_queue', 'sns_topic'],
  environments: [
    { name: 'dev', regions: ['eu-west-1', 'us-east-1'], delivery: 'preview', approvers: [] },
    { name: 'production', regions: ['eu-west-1'], delivery: 'preview', approvers: ['platform_approver'] },
  ],
};

describe('draftProblems', () => {
  it('names every missing choice by the portal field it belongs to', () => {
    expect(draftProblems(emptyDraft(), options)).toEqual({
      service: 'choose a service from the catalog',
      environment: 'choose an environment',
      region: 'choose a region',
      'params.name': 'required',
    });
  });
  it('checks names, ranges and regions like the portal', () => {
    const d = {
      ...emptyDraft('payments-api', 'payments'),
      environment: 'production',
      region: 'us-east-1',
      name: 'orders',
      fifo: true,
      visibilityTimeout: '50000',
      messageRetention: '10',
    };
    expect(draftProblems(d, options)).toEqual({
      region: 'us-east-1 is not enabled for production',
      'params.name': "a FIFO queue's name must end in .fifo",
      'params.visibility_timeout_seconds': 'must be 0–43200 (12 hours)',
      'params.message_retention_seconds': 'must be 60–1209600 (14 days)',
    });
  });
  it('checks the subscribed queue of a topic against the topic type', () => {
    const d = { ...emptyDraft('payments-api', 'payments'), kind: 'sns_topic' as const, environment: 'dev', region: 'eu-west-1' };
    expect(draftProblems({ ...d, name: 'events.fifo', fifo: true, subscribe: true, subscribeQueue: 'orders' }, options)).toEqual({
      'params.subscribe_queue': "a FIFO queue's name must end in .fifo (a FIFO topic delivers only to FIFO queues)",
    });
    expect(draftProblems({ ...d, name: 'events', subscribe: true, subscribeQueue: 'orders' }, options)).toEqual({});
    expect(draftProblems({ ...d, name: 'events', subscribe: true, subscribeQueue: '' }, options)).toEqual({ 'params.subscribe_queue': 'choose the queue to subscribe' });
  });
  it('offers the queues a topic of a kind can subscribe, by name, and says how many of the other kind there are', () => {
    const qs: KnownQueue[] = [
      { name: 'b-events', fifo: false, state: 'requested', service: 'payments-api' },
      { name: 'a.fifo', fifo: true, state: 'exists' },
      { name: 'a-events', fifo: false, state: 'previewed', service: 'ledger' },
    ];
    expect(subscribableQueues(qs, false)).toEqual({ queues: [qs[2], qs[0]], otherKind: 1 });
    expect(subscribableQueues(qs, true).queues.map((q) => q.name)).toEqual(['a.fifo']);
    expect(qs.map(queueOptionText)).toEqual([
      'b-events — requested, not yet created (payments-api)',
      'a.fifo — exists',
      'a-events — previewed: its Terraform exists, nothing was created (ledger)',
    ]);
  });
});

describe('toActionRequest', () => {
  it('leaves out empty optional fields', () => {
    const d = { ...emptyDraft('payments-api', 'payments'), environment: 'dev', region: 'eu-west-1', name: 'orders' };
    expect(toActionRequest(d)).toEqual({
      kind: 'sqs_queue',
      service: 'payments-api',
      environment: 'dev',
      region: 'eu-west-1',
      params: { name: 'orders' },
    });
    expect(toActionRequest({ ...d, fifo: true, name: 'orders.fifo', visibilityTimeout: '60', messageRetention: '86400' }).params).toEqual({
      name: 'orders.fifo',
      fifo: true,
      visibility_timeout_seconds: 60,
      message_retention_seconds: 86400,
    });
  });
  it('sends the subscription only when asked for', () => {
    const d = { ...emptyDraft('payments-api', 'payments'), kind: 'sns_topic' as const, environment: 'dev', region: 'eu-west-1', name: 'events' };
    expect(toActionRequest({ ...d, subscribeQueue: 'orders', rawMessageDelivery: true }).params).toEqual({ name: 'events' });
    expect(toActionRequest({ ...d, subscribe: true, subscribeQueue: 'orders', rawMessageDelivery: true }).params).toEqual({
      name: 'events',
      subscribe_queue: 'orders',
      raw_message_delivery: true,
    });
  });
  it('makes ids from field names', () => {
    expect(fieldId('params.visibility_timeout_seconds')).toBe('request-params-visibility-timeout-seconds');
  });
});

import { describe, expect, it } from 'vitest';
import { actionSubject, actionTitle, approvalNeed, deliveryText, paramEntries, resultEntries, runParamEntries } from './actionText';

describe('approvalNeed', () => {
  it('says before submitting whether and by whom a request must be approved', () => {
    expect(approvalNeed({ name: 'dev', regions: ['eu-west-1'], delivery: 'preview', approvers: [] })).toEqual({
      needed: false,
      headline: 'No approval needed in dev',
      detail: 'it runs as soon as you send it.',
      text: 'No approval needed in dev: it runs as soon as you send it.',
    });
    const prod = approvalNeed({ name: 'production', regions: ['eu-west-1'], delivery: 'gitops', approvers: ['platform_approver'] });
    expect(prod.needed).toBe(true);
    expect(prod.text).toBe(
      'Needs approval in production: a platform approver must approve it before it runs. Nobody approves their own request.',
    );
    const staging = approvalNeed(
      { name: 'staging', regions: ['eu-west-1'], delivery: 'direct', approvers: ['team_owner', 'platform_approver'] },
      'payments',
    );
    expect(staging.text).toContain('an owner of team payments or a platform approver must approve it');
  });
});

describe('resultEntries', () => {
  it('orders what an action produced and marks how to show it', () => {
    const entries = resultEntries({
      terraform: 'resource "aws_sqs_queue" "x" {}',
      terraform_path: 'envs/dev/eu-west-1/payments-api/sqs_x.tf',
      preview: 'nothing was created',
      extra_note: 'hi',
    });
    expect(entries.map((e) => `${e.label}:${e.kind}`)).toEqual([
      'Preview:text',
      'Terraform file:mono',
      'Terraform:code',
      'extra note:text',
    ]);
    expect(resultEntries({ queue_url: 'http://q', pr_url: 'https://github.com/o/r/pull/1', queue_arn: '' }).map((e) => e.key)).toEqual([
      'queue_url',
      'pr_url',
    ]);
  });
});

describe('labels', () => {
  it('names an action by kind and name', () => {
    expect(actionTitle({ kind: 'sqs_queue', params: { name: 'orders' } })).toBe('SQS queue orders');
    expect(actionTitle({ kind: 'sns_topic', params: {} })).toBe('SNS topic');
    expect(
      actionTitle({ kind: 'service_create', params: { template: 'go-http-service', parameters: { name: 'orders', team: 'payments' } } }),
    ).toBe('New service orders from go-http-service');
    expect(paramEntries({ name: 'o.fifo', fifo: true, visibility_timeout_seconds: 60 })).toEqual([
      { label: 'Name', value: 'o.fifo' },
      { label: 'FIFO', value: 'yes' },
      { label: 'Visibility timeout (s)', value: '60' },
    ]);
  });
});

describe('service_create parameters', () => {
  it('lists the template, each parameter by name (lists joined) and the plan digest, shortened', () => {
    expect(
      runParamEntries({
        template: 'go-http-service',
        template_version: 'v1',
        parameters: { name: 'orders', environments: ['dev', 'staging'], secret_names: [], sqs_queue: false },
        plan_digest: 'e145f26f596f9fe82a263406662054139d85eda15e7210b26bc5425a3fefc954',
      }),
    ).toEqual([
      { label: 'Template', value: 'go-http-service@v1' },
      { label: 'name', value: 'orders' },
      { label: 'environments', value: 'dev, staging' },
      { label: 'secret_names', value: 'none' },
      { label: 'sqs_queue', value: 'no' },
      { label: 'Plan digest', value: 'e145f26f596f…' },
    ]);
  });
});

describe('flag change actions', () => {
  it('names the change and its target', () => {
    // The change's verb in words, never the API's "put": a put updates a flag that existed, else creates it.
    expect(
      actionTitle({ kind: 'flag_change', params: { action: 'put', environment: 'production', key: 'new-checkout' } }),
    ).toBe('Flag change: update production/new-checkout');
    expect(
      actionTitle({
        kind: 'flag_change',
        params: { action: 'put', environment: 'production', key: 'new-checkout', base: { flag: { version: 2, team: 'payments' } } },
      }),
    ).toBe('Flag change: update production/new-checkout');
    expect(actionTitle({ kind: 'flag_change', params: { action: 'put', environment: 'dev', key: 'fresh', base: {} } })).toBe(
      'Flag change: create dev/fresh',
    );
    expect(actionTitle({ kind: 'flag_change', params: { action: 'delete', environment: 'dev', key: 'old' } })).toBe(
      'Flag change: delete dev/old',
    );
    expect(actionTitle({ kind: 'flag_change', params: { action: 'import', environment: 'staging' } })).toBe(
      'Flag change: import staging flag set',
    );
    // A flag change belongs to a team, not a service: no dangling "for".
    expect(actionSubject({ kind: 'flag_change', service: '', params: { action: 'delete', environment: 'dev', key: 'old' } })).toBe(
      'Flag change: delete dev/old',
    );
    expect(actionSubject({ kind: 'sqs_queue', service: 'payments-api', params: { name: 'orders' } })).toBe('SQS queue orders for payments-api');
    expect(deliveryText('flags')).toContain('applies the change');
    // A new service's preview is not a Terraform preview: its catalog entry is real.
    expect(deliveryText('preview')).toContain('creates nothing');
    expect(deliveryText('preview', 'service_create')).toContain('registers the catalog entry for real');
  });
});

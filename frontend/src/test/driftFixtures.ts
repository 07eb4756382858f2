// Drift items for component tests, shaped as the API answers them.
import type { DriftItem, DriftList } from '../api/client';

/** A changed autoscaler of payments-api (override any field). */
export function driftItem(over: Partial<DriftItem> = {}): DriftItem {
  return {
    id: 'd1',
    kind: 'changed',
    service: 'payments-api',
    team: 'payments',
    resource: 'HorizontalPodAutoscaler payments/payments-api',
    resource_type: 'HorizontalPodAutoscaler',
    name: 'payments-api',
    namespace: 'payments',
    environment: 'production',
    region: 'eu-west-1',
    cluster: 'prod-eu-1',
    fields: [{ path: 'spec.maxReplicas', desired: '10', live: '25' }],
    summary: 'spec.maxReplicas 10 → 25',
    source: 'gitops',
    declared_in: 'sphera/deploy@1a2b3c4 clusters/prod-eu-1/payments/hpa.yaml',
    since: '2026-11-20T14:05:00Z',
    last_changed_by: 'kubectl-edit',
    last_changed_at: '2026-11-20T14:02:11Z',
    fixes: ['pull_request'],
    updated_at: '2026-11-20T14:05:00Z',
    state: 'open',
    ...over,
  };
}

/** The local demo's kinds: one of each, and a place nobody could see. */
export const DRIFT_LIST: DriftList = {
  items: [
    driftItem(),
    driftItem({
      id: 'd2',
      kind: 'missing',
      resource: 'sqs_queue orders-events',
      resource_type: 'sqs_queue',
      name: 'orders-events',
      namespace: undefined,
      region: 'us-east-1',
      cluster: undefined,
      fields: [],
      summary: 'exists in production/eu-west-1; not in production us-east-1',
      source: 'siblings',
      declared_in: undefined,
      exists_in: ['production/eu-west-1'],
      last_changed_by: undefined,
      last_changed_at: undefined,
      fixes: ['create'],
    }),
    driftItem({
      id: 'd3',
      kind: 'unmanaged',
      service: '',
      team: '',
      resource: 'sqs_queue manual-backfill',
      resource_type: 'sqs_queue',
      name: 'manual-backfill',
      namespace: undefined,
      cluster: undefined,
      fields: [],
      summary: 'live in production eu-west-1, declared neither in Terraform nor by a portal action',
      source: 'portal',
      declared_in: undefined,
      last_changed_by: undefined,
      fixes: [],
    }),
  ],
  status: {
    checked_at: '2026-11-20T15:00:00Z',
    declarations: 12,
    places: [
      { environment: 'production', region: 'eu-west-1', cluster: 'prod-eu-1', kind: 'kubernetes', state: 'ok' },
      { environment: 'production', region: 'ap-south-1', kind: 'aws', state: 'unknown', reason: 'SQS in production/ap-south-1: unreachable' },
    ],
  },
};

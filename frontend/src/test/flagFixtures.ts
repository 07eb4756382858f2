// Flags as the portal answers them, for component tests.
import type { FlagDefinition, FlagDetail, FlagHistoryEntry, FlagList, FlagRow } from '../api/client';

export function flagRow(key: string, environment: string, team: string, patch: Partial<FlagRow> = {}): FlagRow {
  return {
    key,
    environment,
    team,
    owner: team,
    state: 'ENABLED',
    type: 'boolean',
    variants: ['off', 'on'],
    default: 'off',
    rollout: 'static: off',
    reachable: ['off'],
    version: 1,
    updated_at: '2026-11-20T09:00:00Z',
    updated_by: 'atrium-demo',
    stale: false,
    ...patch,
  };
}

export const FLAG_LIST: FlagList = {
  environments: ['dev', 'staging', 'production'],
  stale_after_days: 30,
  approvers: { production: ['platform_approver'] },
  items: [
    flagRow('new-checkout-flow', 'dev', 'payments', { rollout: 'fractional by accountId 100/0' }),
    flagRow('new-checkout-flow', 'production', 'payments', { rollout: 'fractional by accountId 20/80', reachable: ['off', 'on'] }),
    flagRow('legacy-sso-fallback', 'production', 'identity', {
      state: 'DISABLED',
      rollout: 'disabled',
      stale: true,
      stale_reason: 'disabled and unchanged for more than 30 days',
    }),
    flagRow('search-ranking-model', 'production', 'search', {
      type: 'string',
      variants: ['bm25', 'learned-v2', 'learned-v3'],
      default: 'bm25',
      rollout: '1 rule; fractional by targetingKey 70/30',
    }),
    flagRow('orphan-flag', 'staging', '', { default: null, rollout: 'static: code default' }),
  ],
};

export const CHECKOUT_DEFINITION: FlagDefinition = {
  state: 'ENABLED',
  variants: { off: false, on: true },
  defaultVariant: 'off',
  targeting: {
    if: [
      { ends_with: [{ var: 'email' }, '@sphera.example'] },
      'on',
      { fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'accountId' }] }, ['on', 30], ['off', 70]] },
    ],
  },
  metadata: { description: 'Redesigned checkout' },
};

export function flagDetail(patch: Partial<FlagDetail> = {}): FlagDetail {
  return {
    ...flagRow('new-checkout-flow', 'production', 'payments', { rollout: '1 rule; fractional by accountId 30/70', reachable: ['off', 'on'], version: 2 }),
    definition: CHECKOUT_DEFINITION,
    created_at: '2026-11-01T09:00:00Z',
    ...patch,
  };
}

export const CHECKOUT_HISTORY: FlagHistoryEntry[] = [
  {
    id: 2,
    environment: 'production',
    key: 'new-checkout-flow',
    version: 2,
    action: 'update',
    team: 'payments',
    actor: 'olga',
    at: '2026-11-20T09:00:00Z',
    comment: 'more accounts',
    before: {
      ...CHECKOUT_DEFINITION,
      targeting: {
        if: [
          { ends_with: [{ var: 'email' }, '@sphera.example'] },
          'on',
          { fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'accountId' }] }, ['on', 20], ['off', 80]] },
        ],
      },
    },
    after: CHECKOUT_DEFINITION,
    diff: [
      { path: '/targeting/if/2/fractional/1/1', op: 'replace', before: 20, after: 30 },
      { path: '/targeting/if/2/fractional/2/1', op: 'replace', before: 80, after: 70 },
    ],
  },
  {
    id: 1,
    environment: 'production',
    key: 'new-checkout-flow',
    version: 1,
    action: 'create',
    team: 'payments',
    actor: 'olga',
    at: '2026-11-01T09:00:00Z',
    comment: '',
    before: null,
    after: CHECKOUT_DEFINITION,
    diff: [{ path: '', op: 'add', after: { state: 'ENABLED' } }],
  },
];

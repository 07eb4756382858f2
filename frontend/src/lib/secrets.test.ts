import { describe, expect, it } from 'vitest';
import type { Me, SecretConventions } from '../api/client';
import { mayReveal, placeLabel, whereLabel, whyNoReveal } from './secrets';

const conv: SecretConventions = {
  configured: true,
  naming: '{team}/{service}/{name}',
  name_pattern: '^[a-z][a-z0-9-]{0,62}$',
  max_value_bytes: 65536,
  reveal_seconds: 30,
  required: ['dev'],
  environments: [
    { name: 'dev', backend: 'kubernetes', regions: ['eu-west-1'], clusters: [{ name: 'dev-eu-1', region: 'eu-west-1' }], deployed_only: true, reveal: ['developer'], approvers: [] },
    { name: 'production', backend: 'aws', regions: ['eu-west-1'], clusters: [], deployed_only: true, reveal: [], approvers: ['platform_approver'] },
  ],
};

const dev: Me = { subject: 'ana', via: 'token', grants: [{ role: 'developer', team: 'payments' }], scopes: [], permissions: ['secrets:reveal@payments'] };
const owner: Me = { subject: 'olga', via: 'token', grants: [{ role: 'team_owner', team: 'payments' }], scopes: [], permissions: ['secrets:reveal@payments'] };
const admin: Me = { subject: 'root', via: 'local', grants: [{ role: 'admin' }], scopes: [], permissions: ['secrets:reveal'] };

describe('secrets', () => {
  it('says where a secret lives', () => {
    expect(whereLabel({ environment: 'dev', region: 'eu-west-1', backend: 'kubernetes', cluster: 'dev-eu-1', namespace: 'payments' })).toBe(
      'Kubernetes Secret in cluster dev-eu-1 / namespace payments',
    );
    expect(whereLabel({ environment: 'production', region: 'us-east-1', backend: 'aws' })).toBe('AWS Secrets Manager in us-east-1');
    expect(placeLabel({ environment: 'production', region: 'us-east-1', backend: 'aws' })).toBe('production us-east-1');
  });
  it('offers a reveal only where the conventions name a role the user holds on the team', () => {
    expect(mayReveal(dev, conv, 'payments', 'dev')).toBe(true);
    expect(mayReveal(dev, conv, 'search', 'dev')).toBe(false);
    expect(mayReveal(owner, conv, 'payments', 'dev')).toBe(false);
    expect(mayReveal(admin, conv, 'payments', 'dev')).toBe(true);
    expect(mayReveal(admin, conv, 'payments', 'production')).toBe(false);
    expect(whyNoReveal(conv, 'payments', 'production')).toContain('no reveal in production');
  });
});

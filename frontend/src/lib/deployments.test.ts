import { describe, expect, it } from 'vitest';
import type { Deployment } from '../api/client';
import { autoscalerText, autoscalerTitle, groupByEnvironment, healthBadge, imageRepository } from './deployments';

const dep = (cluster: string, environment: string, region: string, patch: Partial<Deployment> = {}): Deployment => ({
  cluster,
  environment,
  region,
  namespace: 'payments',
  kind: 'Deployment',
  name: 'payments-api',
  image: 'registry.example.com/payments/payments-api:1.1.3',
  version: '1.1.3',
  ready: 2,
  desired: 2,
  updated_at: '2026-11-01T08:59:00Z',
  ...patch,
});

describe('groupByEnvironment', () => {
  it('groups by environment in the matrix order: environment, region, cluster', () => {
    const groups = groupByEnvironment([
      dep('staging-eu', 'staging', 'eu-west-1'),
      dep('prod-us', 'production', 'us-east-1'),
      dep('prod-eu', 'production', 'eu-west-1'),
      dep('prod-eu', 'production', 'eu-west-1', { kind: 'StatefulSet', name: 'payments-db' }),
    ]);
    expect(groups.map((g) => [g.environment, g.deployments.map((d) => `${d.cluster}/${d.name}`)])).toEqual([
      ['production', ['prod-eu/payments-api', 'prod-eu/payments-db', 'prod-us/payments-api']],
      ['staging', ['staging-eu/payments-api']],
    ]);
  });
  it('has no groups without deployments', () => {
    expect(groupByEnvironment([])).toEqual([]);
  });
});

describe('imageRepository', () => {
  it.each([
    ['registry.example.com/payments/api:1.1.3', 'registry.example.com/payments/api'],
    ['localhost:5000/api:2', 'localhost:5000/api'],
    ['localhost:5000/api', 'localhost:5000/api'],
    ['nginx', 'nginx'],
    ['ghcr.io/a/b@sha256:0123456789abcdef', 'ghcr.io/a/b'],
    ['ghcr.io/a/b:1.0@sha256:0123456789abcdef', 'ghcr.io/a/b'],
  ])('%s', (image, want) => expect(imageRepository(image)).toBe(want));
});

describe('autoscaler', () => {
  it('reads min–max and current, and where it is scaling to', () => {
    expect(autoscalerText({ autoscaler: { min: 2, max: 8, current: 2, desired: 2 } })).toBe('2–8, now 2');
    expect(autoscalerText({ autoscaler: { min: 2, max: 8, current: 3, desired: 5 } })).toBe('2–8, now 3 → 5');
    expect(autoscalerText({})).toBe('');
    expect(autoscalerTitle({ autoscaler: { min: 2, max: 8, current: 3, desired: 5 } })).toBe(
      'HorizontalPodAutoscaler: min 2, max 8, current 3, desired 5',
    );
    expect(autoscalerTitle({})).toContain('No HorizontalPodAutoscaler');
  });
});

describe('healthBadge', () => {
  it.each([
    ['healthy', 'healthy', 'ok'],
    ['degraded', 'degraded', 'warn'],
    ['unavailable', 'unavailable', 'error'],
    ['progressing', 'progressing', 'busy'],
    ['scaled_to_zero', 'scaled to zero', 'neutral'],
    [undefined, 'unknown', 'neutral'],
  ] as const)('%s', (h, label, tone) => expect(healthBadge(h)).toEqual({ label, tone }));
});

import { describe, expect, it } from 'vitest';
import type { MatrixCell, MatrixCluster, MatrixRow } from '../api/client';
import { cellView, columnsKey, distinct, groupColumns, healthView, toMatrixQuery } from './matrix';

const col = (name: string, environment: string, region: string): MatrixCluster => ({ name, environment, region });

const cell = (status: MatrixCell['status'], versions: string[], extra: Partial<MatrixCell> = {}): MatrixCell => ({
  status,
  versions,
  ready: versions.length ? 3 : 0,
  desired: versions.length ? 3 : 0,
  workloads: versions.length ? 1 : 0,
  ...(versions.length ? { health: 'healthy' as const } : {}),
  ...extra,
});

const clusters = [
  col('prod-eu-1', 'production', 'eu-west-1'),
  col('prod-eu-2', 'production', 'eu-west-1'),
  col('prod-us-1', 'production', 'us-east-1'),
  col('staging-eu-1', 'staging', 'eu-west-1'),
];

describe('groupColumns', () => {
  it('groups adjacent columns by environment, and regions within each environment', () => {
    const h = groupColumns(clusters);
    expect(h.environments).toEqual([
      { label: 'production', first: 0, span: 3 },
      { label: 'staging', first: 3, span: 1 },
    ]);
    expect(h.regions).toEqual([
      { label: 'eu-west-1', first: 0, span: 2, environment: 'production' },
      { label: 'us-east-1', first: 2, span: 1, environment: 'production' },
      // The same region in another environment is another group.
      { label: 'eu-west-1', first: 3, span: 1, environment: 'staging' },
    ]);
  });
  it('repeats a group rather than moving columns away from their cells', () => {
    const h = groupColumns([col('a', 'prod', 'r1'), col('b', 'dev', 'r1'), col('c', 'prod', 'r1')]);
    expect(h.environments.map((g) => [g.label, g.first, g.span])).toEqual([
      ['prod', 0, 1],
      ['dev', 1, 1],
      ['prod', 2, 1],
    ]);
  });
  it('has no groups without columns', () => {
    expect(groupColumns([])).toEqual({ environments: [], regions: [] });
  });
});

describe('cellView', () => {
  const row = (cells: MatrixCell[]): MatrixRow => ({ service: 'svc', owner: 'payments', cells });

  it('shows the version of a cell like its neighbours, with nothing marked', () => {
    const v = cellView(row([cell('same', ['1.2.0']), cell('same', ['1.2.0']), cell('same', ['1.2.0']), cell('same', ['1.3.0'])]), 0, clusters);
    expect(v).toMatchObject({ status: 'same', text: '1.2.0', behind: false, health: null, replicas: '' });
    expect(v.title).toBe('svc runs 1.2.0 in prod-eu-1 (production, eu-west-1); the same as its other production clusters; 3/3 ready.');
  });

  it('marks a differing cell behind the majority, naming what most run', () => {
    const r = row([cell('same', ['1.2.0']), cell('same', ['1.2.0']), cell('differs', ['1.1.0'], { expected: ['1.2.0'] }), cell('same', ['1.3.0'])]);
    const v = cellView(r, 2, clusters);
    expect(v).toMatchObject({ status: 'differs', text: '1.1.0', behind: true });
    expect(v.title).toContain('most of its production clusters run 1.2.0');
    expect(v.title).toContain('behind 1.2.0');
  });

  it('without a majority, marks only the older of two regions as behind', () => {
    const two = [col('prod-eu', 'production', 'eu-west-1'), col('prod-us', 'production', 'us-east-1')];
    const r = row([cell('differs', ['1.2.0']), cell('differs', ['1.1.0'])]);
    const ahead = cellView(r, 0, two);
    const lagging = cellView(r, 1, two);
    expect(ahead.behind).toBe(false);
    expect(lagging.behind).toBe(true);
    expect(lagging.title).toContain('its production clusters disagree (prod-eu 1.2.0)');
    expect(ahead.title).toContain('(prod-us 1.1.0)');
  });

  it('compares only within the environment: staging ahead of production is not a difference', () => {
    const r = row([cell('differs', ['1.1.0']), cell('differs', ['1.1.0']), cell('differs', ['1.0.0']), cell('same', ['9.9.9'])]);
    expect(cellView(r, 0, clusters).behind).toBe(false);
    expect(cellView(r, 2, clusters).behind).toBe(true);
  });

  it('says "missing here" with what runs elsewhere', () => {
    const v = cellView(row([cell('same', ['1.6.2']), cell('same', ['1.6.2']), cell('missing', [], { expected: ['1.6.2'] }), cell('absent', [])]), 2, clusters);
    expect(v).toMatchObject({ status: 'missing', text: 'missing here', behind: false });
    expect(v.title).toBe('svc is missing in prod-us-1 (production, us-east-1); it runs 1.6.2 elsewhere in production.');
  });

  it('keeps absent cells quiet', () => {
    const v = cellView(row([cell('absent', []), cell('absent', []), cell('absent', []), cell('same', ['1.0.0'])]), 0, clusters);
    expect(v).toMatchObject({ status: 'absent', text: '—' });
    expect(v.title).toBe('svc does not run in production.');
  });

  it('marks degraded and unavailable cells with ready/desired', () => {
    const r = row([
      cell('same', ['1.0.0'], { ready: 4, desired: 5, health: 'degraded' }),
      cell('same', ['1.0.0'], { ready: 0, desired: 2, health: 'unavailable' }),
      cell('same', ['1.0.0'], { health: 'progressing' }),
      cell('same', ['1.0.0']),
    ]);
    expect(cellView(r, 0, clusters)).toMatchObject({ health: { label: 'degraded', tone: 'warn' }, replicas: '4/5' });
    expect(cellView(r, 1, clusters)).toMatchObject({ health: { label: 'unavailable', tone: 'error' }, replicas: '0/2' });
    expect(cellView(r, 2, clusters).health?.label).toBe('progressing');
    expect(cellView(r, 1, clusters).title).toContain('0/2 ready; unavailable');
  });

  it('shows several versions (a canary) as the first and how many more', () => {
    const v = cellView(row([cell('differs', ['1.2.0', '1.3.0-rc.1'], { workloads: 2 }), cell('same', []), cell('same', []), cell('same', [])]), 0, clusters);
    expect(v.text).toBe('1.2.0 +1');
    expect(v.title).toContain('runs 1.2.0, 1.3.0-rc.1');
    expect(v.title).toContain('2 workloads');
  });

  it('does not call a digest behind anything', () => {
    const two = [col('a', 'production', 'r1'), col('b', 'production', 'r2')];
    const r = row([cell('differs', ['sha256:0123456789ab']), cell('differs', ['1.0.0'])]);
    expect(cellView(r, 0, two).behind).toBe(false);
    expect(cellView(r, 1, two).behind).toBe(false);
  });
});

describe('healthView', () => {
  it.each([
    ['healthy', null],
    [undefined, null],
    ['scaled_to_zero', { label: 'scaled to 0', tone: 'neutral' }],
  ] as const)('%s', (h, want) => expect(healthView(h)).toEqual(want));
});

describe('matrix query and columns', () => {
  it('sends only the filters set', () => {
    expect(toMatrixQuery({ team: 'payments', environment: '', region: ' us-east-1 ' })).toEqual({ team: 'payments', region: 'us-east-1' });
    expect(toMatrixQuery({ team: '', environment: '', region: '' })).toEqual({});
  });
  it('lists environments and regions once, in column order', () => {
    expect(distinct(clusters, 'environment')).toEqual(['production', 'staging']);
    expect(distinct(clusters, 'region')).toEqual(['eu-west-1', 'us-east-1']);
  });
  it('keys columns by cluster names', () => {
    expect(columnsKey(clusters)).not.toBe(columnsKey(clusters.slice(1)));
  });
});

import { describe, expect, it } from 'vitest';
import type { Dependency } from '../api/client';
import { dependencyRows, quietSignals } from './dependencies';

const deps: Dependency[] = [
  { ecosystem: 'npm', name: 'request', version: '2.88.2', latest: '2.88.2' },
  { ecosystem: 'npm', name: 'express', version: '4.17.1', latest: '5.3.0' },
  { ecosystem: 'go', name: 'go.uber.org/zap', version: 'v1.27.0', latest: 'v1.27.1' },
  { ecosystem: 'npm', name: 'moment', version: '2.29.4', latest: '2.31.0' },
  { ecosystem: 'npm', name: 'left-pad', version: '1.3.0' },
];

const names = (rows: { name: string }[]) => rows.map((r) => r.name);

describe('dependencyRows', () => {
  it('sorts by name', () => {
    expect(names(dependencyRows(deps, 'name', false, false))).toEqual(['express', 'go.uber.org/zap', 'left-pad', 'moment', 'request']);
    expect(names(dependencyRows(deps, 'name', true, false))).toEqual(['request', 'moment', 'left-pad', 'go.uber.org/zap', 'express']);
  });
  it('puts outdated first, keeping the chosen order within each group', () => {
    expect(names(dependencyRows(deps, 'name', false, true))).toEqual(['express', 'go.uber.org/zap', 'moment', 'left-pad', 'request']);
  });
  it('sorts by how far behind, most behind first', () => {
    const rows = dependencyRows(deps, 'behind', false, false);
    expect(rows.map((r) => r.behind)).toEqual(['major', 'minor', 'patch', null, null]);
  });
  it('sorts by ecosystem', () => {
    expect(dependencyRows(deps, 'ecosystem', false, false)[0]?.name).toBe('go.uber.org/zap');
  });
});

describe('quietSignals', () => {
  it('tells all-well from not-checked by whether Atrium reads the language\'s dependencies', () => {
    expect(quietSignals('Go')).toMatchObject({ text: '—', checked: true });
    expect(quietSignals('TypeScript').checked).toBe(true);
    expect(quietSignals('javascript').checked).toBe(true);
    for (const lang of ['Python', 'Java', 'Kotlin', '']) {
      const q = quietSignals(lang);
      expect(q).toMatchObject({ text: 'deps not checked', checked: false });
      expect(q.title).toContain('Atrium reads Go (go.mod) and npm (package.json) dependencies');
    }
    expect(quietSignals('Java').title).toContain('Java dependencies are not read yet');
  });
});

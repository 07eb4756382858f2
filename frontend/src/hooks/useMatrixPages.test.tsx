import { act, renderHook, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MatrixCell, MatrixCluster, MatrixRow } from '../api/client';
import { EMPTY_MATRIX_FILTERS } from '../lib/router';
import { fakeApi, json, matrixAnswer } from '../test/fakeApi';
import { MATRIX_PAGE, useMatrixPages } from './useMatrixPages';

afterEach(() => vi.unstubAllGlobals());

const c: MatrixCell = { status: 'same', versions: ['1.0.0'], ready: 1, desired: 1, workloads: 1, health: 'healthy' };
const col = (name: string): MatrixCluster => ({ name, environment: 'production', region: name });
const rows = (n: number, cols: number): MatrixRow[] =>
  Array.from({ length: n }, (_, i) => ({ service: `svc-${String(i).padStart(3, '0')}`, owner: 't', cells: Array.from({ length: cols }, () => c) }));

describe('useMatrixPages', () => {
  it('loads the pages in view, and keeps rows on screen while the replica refreshes them', async () => {
    const api = fakeApi({ matrix: { clusters: [col('a'), col('b')], services: rows(250, 2) } });
    const { result, rerender } = renderHook(({ key }) => useMatrixPages(EMPTY_MATRIX_FILTERS, key), { initialProps: { key: 'r1' } });
    await waitFor(() => expect(result.current.total).toBe(250));
    expect(result.current.rowAt(0)?.service).toBe('svc-000');
    expect(result.current.rowAt(MATRIX_PAGE)).toBeUndefined();
    act(() => result.current.ensureRange(MATRIX_PAGE - 5, MATRIX_PAGE + 5));
    await waitFor(() => expect(result.current.rowAt(MATRIX_PAGE)?.service).toBe('svc-100'));
    const pages = () => api.requests.filter((r) => r.url.pathname === '/api/v1/kube/matrix').map((r) => r.url.searchParams.get('offset'));
    expect(pages()).toEqual(['0', '100']);

    rerender({ key: 'r2' });
    // Still on screen while the visible pages are read again.
    expect(result.current.rowAt(MATRIX_PAGE)?.service).toBe('svc-100');
    expect(result.current.pending).toBe(false);
    await waitFor(() => expect(pages()).toEqual(['0', '100', '0', '100']));
  });

  it('drops pages of other columns when a page answers with a new cluster set', async () => {
    let clusters = [col('a'), col('b')];
    const services = rows(150, 3);
    const api = fakeApi({
      override: (r) => {
        if (r.url.pathname !== '/api/v1/kube/matrix') return undefined;
        const m = matrixAnswer({ clusters: [col('a'), col('b'), col('c')], services }, r.url.searchParams);
        // The answer shows only the columns known at the time; cells follow them.
        return json({ ...m, clusters, services: m.services.map((s) => ({ ...s, cells: s.cells.slice(0, clusters.length) })) });
      },
    });
    const { result } = renderHook(() => useMatrixPages(EMPTY_MATRIX_FILTERS, ''));
    await waitFor(() => expect(result.current.clusters.map((x) => x.name)).toEqual(['a', 'b']));
    clusters = [col('a'), col('b'), col('c')]; // a cluster appeared meanwhile
    act(() => result.current.ensureRange(95, 105));
    await waitFor(() => expect(result.current.clusters.map((x) => x.name)).toEqual(['a', 'b', 'c']));
    // Page 0 had two cells a row: it is gone, to be read again, rather than shown under three headers.
    expect(result.current.rowAt(100)?.cells).toHaveLength(3);
    expect(result.current.rowAt(0)).toBeUndefined();
    // The grid asks for its range again whenever the pages change (ensureRange is a new function then).
    act(() => result.current.ensureRange(95, 105));
    await waitFor(() => expect(result.current.rowAt(0)?.cells).toHaveLength(3));
    expect(api.requests.filter((r) => r.url.pathname === '/api/v1/kube/matrix').length).toBeGreaterThanOrEqual(3);
  });
});

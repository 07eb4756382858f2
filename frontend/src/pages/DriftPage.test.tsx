import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, fakeApi } from '../test/fakeApi';
import { DRIFT_LIST } from '../test/driftFixtures';
import { WithMe } from '../test/withMe';
import { DriftPage } from './DriftPage';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('DriftPage', () => {
  it('counts each kind, says which places were not seen, filters, and shows the selected item in full', async () => {
    const api = fakeApi({ drift: DRIFT_LIST });
    render(
      <WithMe me={ADMIN}>
        <DriftPage refreshKey="1" />
      </WithMe>,
    );
    const kinds = await screen.findByRole('group', { name: 'Kind' });
    expect(within(kinds).getAllByRole('button').map((b) => b.textContent)).toEqual(['All 3', 'Missing 1', 'Unmanaged 1', 'Changed 1']);
    const unknown = screen.getByRole('status', { name: 'Places not seen' });
    expect(unknown.textContent).toContain('production ap-south-1 (AWS): SQS in production/ap-south-1: unreachable');
    expect(document.querySelectorAll('[data-drift]')).toHaveLength(3);
    fireEvent.click(within(kinds).getByRole('button', { name: 'Changed 1' }));
    expect(document.querySelectorAll('[role=row][data-drift]')).toHaveLength(1);
    fireEvent.click(screen.getByRole('button', { name: 'HorizontalPodAutoscaler payments/payments-api' }));
    const detail = screen.getByRole('region', { name: 'Drift of HorizontalPodAutoscaler payments/payments-api' });
    expect(within(detail).getByRole('table').textContent).toContain('spec.maxReplicas1025');
    expect(within(detail).getByRole('button', { name: 'Open pull request' })).toBeTruthy();
    fireEvent.click(within(kinds).getByRole('button', { name: 'All 3' }));
    fireEvent.change(screen.getByLabelText('Filter drift'), { target: { value: 'backfill' } });
    expect(document.querySelectorAll('[role=row][data-drift]')).toHaveLength(1);
    // Resolved items are asked for only when wanted.
    expect(api.requests.some((r) => r.url.searchParams.get('resolved') === 'true')).toBe(false);
    fireEvent.click(screen.getByRole('checkbox'));
    await vi.waitFor(() => expect(api.requests.some((r) => r.url.searchParams.get('resolved') === 'true')).toBe(true));
  });

  it('says there is no drift, and what that covers', async () => {
    fakeApi({ drift: { items: [], status: { places: [], declarations: 0 } } });
    render(
      <WithMe me={ADMIN}>
        <DriftPage refreshKey="1" />
      </WithMe>,
    );
    expect((await screen.findByText('No drift')).closest('div')?.textContent).toContain('in the places Atrium could see');
  });
});

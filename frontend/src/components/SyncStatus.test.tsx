import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { SyncStatus } from './SyncStatus';

describe('SyncStatus', () => {
  it('shows the state, the mode and the message in a tooltip', () => {
    render(
      <SyncStatus
        status={{
          mode: 'remote',
          portal_url: 'https://atrium.example.com',
          state: 'error',
          done: 0,
          total: 0,
          services: 3,
          data_version: 'e.3',
          message: 'the portal rejected the token',
        }}
        error={null}
      />,
    );
    const el = screen.getByTestId('sync-status');
    expect(el.textContent).toContain('sync error: the portal rejected the token');
    expect(el.textContent).toContain('atrium.example.com');
    expect(el.getAttribute('title')).toContain('the portal rejected the token');
  });

  it('says when it cannot get the status', () => {
    render(<SyncStatus status={null} error={new ApiError(401, 'unauthorized', 'missing or wrong launch token')} />);
    expect(screen.getByTestId('sync-status').textContent).toBe('not signed in');
  });
});

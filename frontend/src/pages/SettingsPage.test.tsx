import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeApi } from '../test/fakeApi';
import { SettingsPage } from './SettingsPage';

afterEach(() => vi.unstubAllGlobals());

describe('SettingsPage', () => {
  it('shows the current settings and a 400 field problem next to its field', async () => {
    const api = fakeApi({
      override: (r) =>
        r.method === 'PUT'
          ? new Response(
              JSON.stringify({
                error: {
                  code: 'bad_request',
                  message: 'invalid settings',
                  fields: [{ field: 'portal_url', problem: 'portal URL "ftp://x" must be an http:// or https:// URL with a host' }],
                },
              }),
              { status: 400 },
            )
          : undefined,
    });
    render(<SettingsPage />);
    expect(await screen.findByText(/Local demo/)).toBeTruthy();
    const url = screen.getByLabelText('Portal URL');
    fireEvent.change(url, { target: { value: 'ftp://x' } });
    fireEvent.change(screen.getByLabelText('Token'), { target: { value: 's3cret' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    const problem = await screen.findByText('portal URL "ftp://x" must be an http:// or https:// URL with a host');
    expect(url.getAttribute('aria-describedby')).toBe(problem.id);
    expect(url.getAttribute('aria-invalid')).toBe('true');
    const put = api.requests.find((r) => r.method === 'PUT');
    expect(put?.body).toEqual({ portal_url: 'ftp://x', token: 's3cret' });
  });

  it('switches to local mode with an empty URL', async () => {
    const api = fakeApi();
    render(<SettingsPage />);
    await screen.findByText(/Local demo/);
    fireEvent.click(screen.getByRole('button', { name: 'Use local demo' }));
    await waitFor(() => expect(api.requests.find((r) => r.method === 'PUT')?.body).toEqual({ portal_url: '' }));
  });
});

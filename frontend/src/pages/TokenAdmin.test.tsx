import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Token } from '../api/client';
import { ADMIN, fakeApi, json } from '../test/fakeApi';
import { WithMe } from '../test/withMe';
import { TokenAdmin } from './TokenAdmin';

afterEach(() => vi.unstubAllGlobals());

const ci: Token = {
  id: 'tok_ci',
  name: 'CI deploys',
  subject: 'ci-bot',
  grants: [{ role: 'developer', team: 'payments' }],
  scopes: ['catalog:read'],
  created_by: 'root',
  created_at: '2026-11-26T09:00:00Z',
};

describe('TokenAdmin', () => {
  it('creates a token and shows its secret once, with a warning, until dismissed', async () => {
    let tokens: Token[] = [];
    const api = fakeApi({
      override: (r) => {
        if (r.url.pathname !== '/api/v1/tokens') return undefined;
        if (r.method === 'POST') {
          tokens = [ci];
          return json({ token: ci, secret: 'atr_secret_shown_once' }, 201);
        }
        return json({ tokens });
      },
    });
    render(
      <WithMe me={ADMIN}>
        <TokenAdmin />
      </WithMe>,
    );
    await screen.findByText('No API tokens yet');
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect(await screen.findByText('required: what the token is for, e.g. "CI deploys"')).toBeTruthy();
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(0);

    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'CI deploys' } });
    fireEvent.change(screen.getByLabelText('Subject'), { target: { value: 'ci-bot' } });
    fireEvent.change(screen.getByLabelText('Team of role 1'), { target: { value: 'payments' } });
    fireEvent.click(screen.getByRole('button', { name: '+ catalog:read' }));
    fireEvent.change(screen.getByLabelText('Expires'), { target: { value: 'never' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));

    const secret = (await screen.findByTestId('token-secret')) as HTMLInputElement;
    expect(secret.value).toBe('atr_secret_shown_once');
    expect(screen.getByTestId('secret-once').textContent).toContain('This is the only time the secret is shown.');
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({
      name: 'CI deploys',
      subject: 'ci-bot',
      grants: [{ role: 'developer', team: 'payments' }],
      scopes: ['catalog:read'],
    });
    expect(await screen.findByText('CI deploys', { selector: '[data-column="name"]' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'I have stored it — hide the secret' }));
    expect(screen.queryByTestId('token-secret')).toBeNull();
    expect(screen.queryByText('atr_secret_shown_once')).toBeNull();
  });

  it('revokes a token only after confirmation', async () => {
    let revoked = false;
    const api = fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/tokens/tok_ci' && r.method === 'DELETE') {
          revoked = true;
          return json({ ...ci, revoked_at: '2026-11-26T10:00:00Z' });
        }
        if (r.url.pathname === '/api/v1/tokens') return json({ tokens: [revoked ? { ...ci, revoked_at: '2026-11-26T10:00:00Z' } : ci] });
        return undefined;
      },
    });
    render(
      <WithMe me={ADMIN}>
        <TokenAdmin />
      </WithMe>,
    );
    const row = (await screen.findByText('CI deploys', { selector: '[data-column="name"]' })).closest('[role="row"]') as HTMLElement;
    fireEvent.click(within(row).getByRole('button', { name: 'Revoke…' }));
    const dialog = screen.getByRole('alertdialog');
    expect(dialog.textContent).toContain('Revoke token “CI deploys” of ci-bot?');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(api.requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);

    fireEvent.click(within(row).getByRole('button', { name: 'Revoke…' }));
    fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Revoke token' }));
    expect(await screen.findByText('Token “CI deploys” of ci-bot is revoked: it no longer works.')).toBeTruthy();
    await waitFor(() => expect(screen.getByText('revoked', { selector: '[data-status]' })).toBeTruthy());
    expect(api.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
  });
});

import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Me, Secret } from '../api/client';
import { ADMIN, fakeApi, json, makeAction } from '../test/fakeApi';
import { WithMe } from '../test/withMe';
import { SecretsSection } from './SecretsSection';

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const secret: Secret = {
  id: 'checkout-web/db-password',
  service: 'checkout-web',
  team: 'payments',
  name: 'db-password',
  full_name: 'payments/checkout-web/db-password',
  locations: [
    { environment: 'dev', region: 'eu-west-1', backend: 'local', object: 'payments/checkout-web/db-password', source: 'atrium', version: 'sv_1', rotated_by: 'ana', rotated_at: '2026-11-26T09:00:00Z' },
  ],
  missing: [{ environment: 'dev', region: 'us-east-1', backend: 'local' }],
  created_by: 'ana',
  created_at: '2026-11-26T09:00:00Z',
  rotated_by: 'ana',
  rotated_at: '2026-11-26T09:00:00Z',
  updated_at: '2026-11-26T09:00:00Z',
};

const SEARCH_DEV: Me = { subject: 'sam', via: 'token', grants: [{ role: 'developer', team: 'search' }], scopes: [], permissions: ['secrets:read', 'secrets:write@search', 'secrets:reveal@search'] };

function show(me: Me) {
  render(
    <WithMe me={me}>
      <SecretsSection service="checkout-web" team="payments" me={me} refreshKey="1" />
    </WithMe>,
  );
}

describe('SecretsSection', () => {
  it('lists each secret with where it exists and where it is missing, and who rotated it', async () => {
    fakeApi({ secrets: [secret] });
    show(ADMIN);
    const item = await screen.findByText('db-password');
    const li = item.closest('li') as HTMLElement;
    expect(li.textContent).toContain('dev: local vault in eu-west-1');
    expect(li.textContent).toContain('missing in dev us-east-1');
    expect(li.textContent).toContain('by ana');
  });

  it('sends a new secret with the value typed once, then forgets it: the field is empty and nothing is stored', async () => {
    const api = fakeApi({
      override: (r) => (r.method === 'POST' && r.url.pathname === '/api/v1/secrets' ? json(makeAction({ id: 'act_new', kind: 'secret_create', state: 'approved' }), 201) : undefined),
    });
    show(ADMIN);
    fireEvent.click(await screen.findByRole('button', { name: 'New secret' }));
    const form = await screen.findByRole('form', { name: 'Create secret' });
    fireEvent.change(within(form).getByLabelText('Name', { exact: false }), { target: { value: 'api-key' } });
    const input = within(form).getByTestId('secret-value-input') as HTMLInputElement;
    expect(input.type).toBe('password');
    fireEvent.change(input, { target: { value: 'typed-once-value' } });
    fireEvent.submit(form);
    await screen.findByTestId('secret-request');
    const post = api.requests.find((r) => r.method === 'POST');
    expect(post?.body).toMatchObject({ service: 'checkout-web', name: 'api-key', environment: 'dev', value: 'typed-once-value' });
    expect(post?.headers.get('Idempotency-Key')).toBeTruthy();
    expect(document.body.innerHTML).not.toContain('typed-once-value');
    expect(JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage })).not.toContain('typed-once-value');
    expect(screen.getByTestId('secret-request').textContent).toContain('act_new');
  });

  it('says a refused request stored nothing and asks for the value again', async () => {
    fakeApi({
      override: (r) =>
        r.method === 'POST'
          ? json({ error: { code: 'bad_request', message: 'invalid secret request: nothing was stored', fields: [{ field: 'name', problem: '"API" breaks the naming convention' }] } }, 400)
          : undefined,
    });
    show(ADMIN);
    fireEvent.click(await screen.findByRole('button', { name: 'New secret' }));
    const form = await screen.findByRole('form', { name: 'Create secret' });
    fireEvent.change(within(form).getByLabelText('Name', { exact: false }), { target: { value: 'API' } });
    fireEvent.change(within(form).getByTestId('secret-value-input'), { target: { value: 'v' } });
    fireEvent.submit(form);
    expect((await screen.findByRole('alert')).textContent).toContain('type the value again');
    expect(form.textContent).toContain('breaks the naming convention');
    expect((within(form).getByTestId('secret-value-input') as HTMLInputElement).value).toBe('');
  });

  it('reveals once with a reason, then wipes the value from the page', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const api = fakeApi({
      secrets: [secret],
      override: (r) =>
        r.method === 'POST' && r.url.pathname.endsWith('/reveal')
          ? json({ service: 'checkout-web', name: 'db-password', environment: 'dev', region: 'eu-west-1', value: 'shown-once-value', reveal_seconds: 3, expires_at: '2026-11-26T09:00:03Z' })
          : undefined,
    });
    show(ADMIN);
    fireEvent.click(await screen.findByRole('button', { name: 'Reveal in dev' }));
    const group = screen.getByRole('group', { name: 'Reveal db-password in dev' });
    fireEvent.click(within(group).getByRole('button', { name: 'Reveal once' }));
    expect((await within(group).findByRole('alert')).textContent).toContain('audit log');
    fireEvent.change(within(group).getByLabelText('Reason (audited)', { exact: false }), { target: { value: 'INC-1' } });
    fireEvent.click(within(group).getByRole('button', { name: 'Reveal once' }));
    expect((await screen.findByTestId('secret-value')).textContent).toBe('shown-once-value');
    expect(api.requests.find((r) => r.url.pathname.endsWith('/reveal'))?.body).toMatchObject({ environment: 'dev', reason: 'INC-1' });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(3500);
    });
    await waitFor(() => expect(screen.queryByTestId('secret-value')).toBeNull());
    expect(document.body.innerHTML).not.toContain('shown-once-value');
    expect(JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage })).not.toContain('shown-once-value');
  });

  it('offers no writes or reveals of another team\'s secrets, and says why', async () => {
    fakeApi({ secrets: [secret], me: SEARCH_DEV });
    show(SEARCH_DEV);
    await screen.findByText('db-password');
    expect(screen.queryByRole('button', { name: 'New secret' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Reveal/ })).toBeNull();
    expect(document.body.textContent).toContain("Setting secrets of team payments' services needs a developer or team owner role on payments");
  });
});

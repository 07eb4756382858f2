import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Me, PersonaList } from '../api/client';
import { ADMIN, DEVELOPER, fakeApi, json } from '../test/fakeApi';
import { WithMe } from '../test/withMe';
import { PersonaBanner, PersonaSwitch } from './PersonaSwitch';

afterEach(() => vi.unstubAllGlobals());

const PERSONAS: PersonaList = {
  active: 'you',
  personas: [
    { id: 'you', subject: 'root', label: 'You (root) — admin', description: 'The user of this computer.', grants: [{ role: 'admin' }], demo: false },
    { id: 'dana', subject: 'demo-dana', label: 'Dana — developer, payments', description: 'A developer of team payments.', grants: [{ role: 'developer', team: 'payments' }], demo: true },
    { id: 'pat', subject: 'demo-pat', label: 'Pat — platform approver', description: 'A platform approver.', grants: [{ role: 'platform_approver' }], demo: true },
  ],
};

const PAT: Me = { subject: 'demo-pat', via: 'persona', grants: [{ role: 'platform_approver' }], scopes: [], permissions: ['actions:approve', 'actions:read'] };

function personaApi(active: string, put?: (id: string) => Response) {
  return fakeApi({
    override: (r) => {
      if (r.url.pathname === '/api/v1/local/personas') return json({ ...PERSONAS, active });
      if (r.url.pathname === '/api/v1/local/persona' && r.method === 'PUT') {
        const id = (r.body as { id: string }).id;
        return put ? put(id) : json({ ...PERSONAS, active: id });
      }
      return undefined;
    },
  });
}

describe('PersonaSwitch', () => {
  it('offers the demo personas in local mode, and switches: the choice is sent, then the app loads again as the persona', async () => {
    const api = personaApi('you');
    const switched = vi.fn();
    render(
      <WithMe me={ADMIN}>
        <PersonaSwitch onSwitched={switched} />
      </WithMe>,
    );
    const select = await screen.findByLabelText('Act as');
    expect(screen.getByTestId('persona-switch').getAttribute('data-demo')).toBe('false');
    expect([...(select as HTMLSelectElement).options].map((o) => o.textContent)).toEqual([
      'You (root) — admin',
      'Dana — developer, payments (demo)',
      'Pat — platform approver (demo)',
    ]);
    fireEvent.change(select, { target: { value: 'pat' } });
    await waitFor(() => expect(switched).toHaveBeenCalledTimes(1));
    const puts = api.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => [r.url.pathname, r.body])).toEqual([['/api/v1/local/persona', { id: 'pat' }]]);
  });

  it('marks a demo persona plainly while one is active: the switch, and a strip saying whom the portal takes the user for, with the way back', async () => {
    const api = personaApi('pat');
    const switched = vi.fn();
    render(
      <WithMe me={PAT}>
        <PersonaSwitch onSwitched={() => undefined} />
        <PersonaBanner onSwitched={switched} />
      </WithMe>,
    );
    const banner = await screen.findByTestId('persona-banner');
    expect(banner.textContent).toContain('Demo persona: you act as Pat — platform approver (demo-pat). A platform approver.');
    expect(banner.textContent).toContain('its audit log names it');
    const box = screen.getByTestId('persona-switch');
    expect(box.getAttribute('data-demo')).toBe('true');
    expect(box.getAttribute('title')).toContain('Acting as the demo persona demo-pat.');
    expect((screen.getByLabelText('Act as') as HTMLSelectElement).value).toBe('pat');
    fireEvent.click(screen.getByRole('button', { name: 'Back to yourself' }));
    await waitFor(() => expect(switched).toHaveBeenCalledTimes(1));
    expect(api.requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual([{ id: 'you' }]);
  });

  it('shows no strip while the user is themself', async () => {
    const api = personaApi('you');
    render(
      <WithMe me={ADMIN}>
        <PersonaBanner />
      </WithMe>,
    );
    await waitFor(() => expect(api.requests.some((r) => r.url.pathname === '/api/v1/local/personas')).toBe(true));
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.queryByTestId('persona-banner')).toBeNull();
  });

  it('says a refused switch was not made, and stays', async () => {
    personaApi('you', () => json({ error: { code: 'bad_request', message: 'unknown persona' } }, 400));
    const switched = vi.fn();
    render(
      <WithMe me={ADMIN}>
        <PersonaSwitch onSwitched={switched} />
      </WithMe>,
    );
    fireEvent.change(await screen.findByLabelText('Act as'), { target: { value: 'dana' } });
    expect((await screen.findByRole('alert')).textContent).toBe('not switched');
    expect(screen.getByTestId('persona-switch').getAttribute('title')).toContain('Switching failed: unknown persona');
    expect(switched).not.toHaveBeenCalled();
  });

  it('does not exist with a team portal: nothing is asked and nothing shown', async () => {
    const api = personaApi('you');
    const { container } = render(
      <WithMe me={DEVELOPER}>
        <PersonaSwitch />
        <PersonaBanner />
      </WithMe>,
    );
    await new Promise((r) => setTimeout(r, 0));
    expect(container.innerHTML).toBe('');
    expect(api.requests.filter((r) => r.url.pathname.startsWith('/api/v1/local/'))).toHaveLength(0);
  });
});

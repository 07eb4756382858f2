import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Me, PersonaList } from '../api/client';
import { ADMIN, DEVELOPER, fakeApi, json } from '../test/fakeApi';
import { WithMe } from '../test/withMe';
import { IdentityChip } from './IdentityChip';
import { PersonaBanner, PersonaMenu } from './Personas';

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

describe('demo personas', () => {
  it('are opened from the identity chip in local mode, each with what they may do', async () => {
    personaApi('you');
    render(
      <WithMe me={ADMIN}>
        <IdentityChip />
      </WithMe>,
    );
    const chip = await screen.findByRole('button', { name: /root/ });
    expect(chip.getAttribute('data-testid')).toBe('identity');
    expect(chip.textContent).toBe('rootadmin');
    fireEvent.click(chip);
    const menu = screen.getByRole('menu', { name: 'Act as' });
    const items = within(menu).getAllByRole('menuitemradio');
    expect(items.map((i) => i.getAttribute('aria-checked'))).toEqual(['true', 'false', 'false']);
    expect(items[1]?.textContent).toBe('Dana — developer, paymentsdemoA developer of team payments.');
    expect(document.activeElement).toBe(items[0]);
    fireEvent.keyDown(menu, { key: 'Escape' });
    expect(screen.queryByRole('menu')).toBeNull();
    // Escape hands focus back to the chip that opened the menu, not to the page's start.
    expect(document.activeElement).toBe(chip);
    fireEvent.click(chip);
    fireEvent.click(within(screen.getByRole('menu', { name: 'Act as' })).getAllByRole('menuitemradio')[0]!);
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(chip);
  });

  it('switch: the choice is sent, then the app loads again as the persona', async () => {
    const api = personaApi('you');
    const switched = vi.fn();
    render(
      <WithMe me={ADMIN}>
        <PersonaMenu personas={PERSONAS} onClose={() => undefined} onSwitched={switched} />
      </WithMe>,
    );
    fireEvent.click(screen.getByRole('menuitemradio', { name: /Pat — platform approver/ }));
    await waitFor(() => expect(switched).toHaveBeenCalledTimes(1));
    expect(api.requests.filter((r) => r.method === 'PUT').map((r) => [r.url.pathname, r.body])).toEqual([['/api/v1/local/persona', { id: 'pat' }]]);
  });

  it('says a refused switch was not made, and stays', async () => {
    personaApi('you', () => json({ error: { code: 'bad_request', message: 'unknown persona' } }, 400));
    const switched = vi.fn();
    render(
      <WithMe me={ADMIN}>
        <PersonaMenu personas={PERSONAS} onClose={() => undefined} onSwitched={switched} />
      </WithMe>,
    );
    fireEvent.click(screen.getByRole('menuitemradio', { name: /Dana/ }));
    expect((await screen.findByRole('alert')).textContent).toBe('Not switched: unknown persona');
    expect(switched).not.toHaveBeenCalled();
  });

  it('mark a demo persona plainly while one is active: the chip, and a strip saying whom the portal takes the user for, with the way back', async () => {
    const api = personaApi('pat');
    const switched = vi.fn();
    render(
      <WithMe me={PAT}>
        <IdentityChip />
        <PersonaBanner onSwitched={switched} />
      </WithMe>,
    );
    const banner = await screen.findByTestId('persona-banner');
    expect(banner.textContent).toContain('Demo persona: you act as Pat — platform approver (demo-pat). A platform approver.');
    expect(banner.textContent).toContain('its audit log names it');
    expect((await screen.findByRole('button', { name: /demo-pat/ })).getAttribute('data-demo')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: 'Back to yourself' }));
    await waitFor(() => expect(switched).toHaveBeenCalledTimes(1));
    expect(api.requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual([{ id: 'you' }]);
  });

  it('show no strip while the user is themself', async () => {
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

  it('do not exist with a team portal: nothing is asked, the chip opens nothing', async () => {
    const api = personaApi('you');
    render(
      <WithMe me={DEVELOPER}>
        <IdentityChip />
        <PersonaBanner />
      </WithMe>,
    );
    const chip = await screen.findByTestId('identity');
    expect(chip.tagName).toBe('SPAN');
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.queryByTestId('persona-banner')).toBeNull();
    expect(api.requests.filter((r) => r.url.pathname.startsWith('/api/v1/local/'))).toHaveLength(0);
  });
});

import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FlagDefinition, FlagPut } from '../api/client';
import { ADMIN, DEVELOPER, fakeApi, json, OWNER, type Recorded } from '../test/fakeApi';
import { flagDetail } from '../test/flagFixtures';
import { WithMe } from '../test/withMe';
import { FlagEditor } from './FlagEditor';

afterEach(() => vi.unstubAllGlobals());

const ENVS = { items: ['dev', 'staging', 'production'].map((name) => ({ name, etag: '"x"', flags: 3, approvers: name === 'production' ? ['platform_approver'] : [] })) };

/** The form's submit shows the change for review; the review's button sends it. */
async function reviewThenSave(review: 'Review the new flag' | 'Review changes', save: 'Create flag' | 'Save changes' | 'Send for approval') {
  fireEvent.click(await screen.findByRole('button', { name: review }));
  const panel = await screen.findByTestId('flag-review');
  fireEvent.click(within(panel).getByRole('button', { name: save }));
  return panel;
}

interface Setup {
  me?: typeof ADMIN;
  put?: (r: Recorded) => Response;
  existing?: ReturnType<typeof flagDetail>;
}

function setup({ me = ADMIN, put, existing }: Setup = {}) {
  const api = fakeApi({
    me,
    override: (r) => {
      if (r.url.pathname === '/api/v1/flags/environments') return json(ENVS);
      if (r.url.pathname.startsWith('/api/v1/flags/') && r.method === 'GET') {
        return existing && r.url.pathname === `/api/v1/flags/${existing.environment}/${existing.key}`
          ? json(existing)
          : json({ error: { code: 'not_found', message: 'no such flag' } }, 404);
      }
      if (r.method === 'PUT') return put ? put(r) : json(flagDetail());
      return undefined;
    },
  });
  return { api, puts: () => api.requests.filter((r) => r.method === 'PUT') };
}

function renderEditor(props: { environment: string; flagKey: string | null }, me = ADMIN) {
  render(
    <WithMe me={me}>
      <FlagEditor {...props} portalKey="local|" />
    </WithMe>,
  );
}

const jsonView = () => JSON.parse((screen.getByTestId('flag-json') as HTMLTextAreaElement).value) as unknown;

describe('FlagEditor: a new flag', () => {
  // Many steps of a whole form: given room on a busy machine (it measures nothing).
  it('builds a boolean flag with a rule and a 30/70 rollout by account, shows its JSON, and saves it', { timeout: 20_000 }, async () => {
    const { puts } = setup();
    renderEditor({ environment: 'dev', flagKey: null });
    await screen.findByRole('option', { name: 'payments' });
    fireEvent.change(screen.getByLabelText('Key'), { target: { value: 'checkout-v2' } });
    fireEvent.change(screen.getByLabelText('Team'), { target: { value: 'payments' } });

    fireEvent.click(screen.getByRole('button', { name: 'Add a rule' }));
    fireEvent.change(screen.getByLabelText('Rule 1: attribute'), { target: { value: 'email' } });
    fireEvent.change(screen.getByLabelText('Rule 1: operator'), { target: { value: 'ends_with' } });
    fireEvent.change(screen.getByLabelText('Rule 1: value'), { target: { value: '@sphera.example' } });
    fireEvent.change(screen.getByLabelText('Rule 1: serves'), { target: { value: 'variant:on' } });

    fireEvent.change(screen.getByLabelText('Everyone else gets'), { target: { value: 'rollout' } });
    fireEvent.change(screen.getByLabelText('Everyone else: bucket by'), { target: { value: 'account' } });
    fireEvent.change(screen.getByLabelText('Everyone else: share of on (%)'), { target: { value: '30' } });
    // 30 + 50: the form says so and will not save.
    expect(screen.getByTestId('otherwise-total').textContent).toBe('Total 80%');
    expect(screen.getByText('The shares add up to 80%; they must add up to 100%.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Review the new flag' }));
    expect(screen.queryByTestId('flag-review')).toBeNull();
    expect(puts()).toHaveLength(0);
    fireEvent.change(screen.getByLabelText('Everyone else: share of off (%)'), { target: { value: '70' } });
    expect(screen.getByTestId('otherwise-total').textContent).toBe('Total 100%');

    fireEvent.click(screen.getByRole('button', { name: 'Show the JSON' }));
    const want: FlagDefinition = {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {
        if: [
          { ends_with: [{ var: 'email' }, '@sphera.example'] },
          'on',
          { fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'accountId' }] }, ['on', 30], ['off', 70]] },
        ],
      },
    };
    expect(jsonView()).toEqual(want);
    expect(screen.getByTestId('json-sync').textContent).toContain('The form and this JSON show the same flag');

    fireEvent.change(screen.getByLabelText('Comment'), { target: { value: 'launch' } });
    // Nothing is sent before the review: the new flag in words, and that dev applies it at once.
    fireEvent.click(screen.getByRole('button', { name: 'Review the new flag' }));
    const review = await screen.findByTestId('flag-review');
    expect(puts()).toHaveLength(0);
    expect(within(review).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'State: enabled',
      'Default variant: "off"',
      'Variant "off": false',
      'Variant "on": true',
      'Rule 1: if email ends with "@sphera.example": "on"',
      'Everyone else: 30% "on" / 70% "off" by accountId',
      'Team: payments',
    ]);
    expect(within(review).getByTestId('flag-review-approval').textContent).toBe('Saving applies it at once in dev.');
    fireEvent.click(within(review).getByRole('button', { name: 'Create flag' }));
    await waitFor(() => expect(puts()).toHaveLength(1));
    const put = puts()[0];
    expect(put?.url.pathname).toBe('/api/v1/flags/dev/checkout-v2');
    expect(put?.body).toEqual({ flag: want, team: 'payments', comment: 'launch' } satisfies FlagPut);
    await waitFor(() => expect(window.location.hash).toBe('#/flags/dev/checkout-v2'));
  });

  it('asks for a key and a team before saving, and refuses a key that is taken', async () => {
    const { puts } = setup({ existing: flagDetail({ environment: 'dev', key: 'taken' }) });
    renderEditor({ environment: 'dev', flagKey: null });
    await screen.findByRole('option', { name: 'payments' });
    fireEvent.click(screen.getByRole('button', { name: 'Review the new flag' }));
    expect(screen.getByText('Give the flag a key, e.g. new-checkout-flow.')).toBeTruthy();
    expect(screen.getByText('Choose the team that owns the flag.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Key'), { target: { value: 'taken' } });
    fireEvent.change(screen.getByLabelText('Team'), { target: { value: 'payments' } });
    fireEvent.click(screen.getByRole('button', { name: 'Review the new flag' }));
    expect(await screen.findByText('A flag taken already exists in dev: open it to change it, or choose another key.')).toBeTruthy();
    expect(puts()).toHaveLength(0);
  });

  it('types variants: numbers must be numbers, objects JSON objects', async () => {
    setup();
    renderEditor({ environment: 'dev', flagKey: null });
    await screen.findByRole('option', { name: 'payments' });
    fireEvent.click(screen.getByRole('radio', { name: 'object' }));
    fireEvent.change(screen.getByLabelText('Value of variant on'), { target: { value: '{"currency": EUR}' } });
    expect(screen.getByText(/^Not valid JSON: /)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Value of variant on'), { target: { value: '["EUR"]' } });
    expect(screen.getByText('An object variant is a JSON object, e.g. {"currency": "EUR"}.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Value of variant on'), { target: { value: '{"currency": "EUR"}' } });
    fireEvent.click(screen.getByRole('radio', { name: 'number' }));
    fireEvent.change(screen.getByLabelText('Value of variant on'), { target: { value: 'lots' } });
    expect(screen.getByText('Give a number, e.g. 500 or 0.25.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Show the JSON' }));
    expect(screen.getByTestId('json-sync').textContent).toContain('follows the form again once the form’s values are valid');
    fireEvent.change(screen.getByLabelText('Value of variant on'), { target: { value: '2.5' } });
    expect((jsonView() as { variants: unknown }).variants).toEqual({ on: 2.5, off: 1 });
  });

  it('follows JSON typed by an expert, and says when only the JSON can show it', async () => {
    const { puts } = setup();
    renderEditor({ environment: 'dev', flagKey: null });
    await screen.findByRole('option', { name: 'payments' });
    fireEvent.change(screen.getByLabelText('Key'), { target: { value: 'expert' } });
    fireEvent.change(screen.getByLabelText('Team'), { target: { value: 'payments' } });
    fireEvent.click(screen.getByRole('button', { name: 'Show the JSON' }));
    const area = screen.getByTestId('flag-json');
    const representable = {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: { if: [{ sem_ver: [{ var: 'appVersion' }, '>=', '5.0.0'] }, 'on', null] },
    };
    fireEvent.change(area, { target: { value: JSON.stringify(representable) } });
    expect((screen.getByLabelText('Rule 1: attribute') as HTMLInputElement).value).toBe('appVersion');
    expect((screen.getByLabelText('Rule 1: version comparison') as HTMLSelectElement).value).toBe('>=');

    const combined = { ...representable, targeting: { if: [{ and: [{ '==': [{ var: 'a' }, 'x'] }, { '==': [{ var: 'b' }, 'y'] }] }, 'on', null] } };
    fireEvent.change(area, { target: { value: JSON.stringify(combined) } });
    expect(screen.getByTestId('form-json-only').textContent).toContain('This flag can only be edited as JSON: conditions combined with and');
    expect(screen.getByTestId('json-sync').textContent).toContain('/targeting/if/0/and');
    expect((screen.getByLabelText('Rule 1: attribute') as HTMLInputElement).closest('fieldset')?.disabled).toBe(true);

    fireEvent.change(area, { target: { value: '{"state": ' } });
    expect(screen.getByTestId('json-sync').textContent).toMatch(/^Not a flag definition yet: Not valid JSON/);
    fireEvent.click(screen.getByRole('button', { name: 'Review the new flag' }));
    expect(puts()).toHaveLength(0);

    fireEvent.change(area, { target: { value: JSON.stringify(combined) } });
    const review = await reviewThenSave('Review the new flag', 'Create flag');
    expect(review.textContent).toContain('Targeting: JSON rules the form does not show (conditions combined with and');
    await waitFor(() => expect(puts()).toHaveLength(1));
    expect((puts()[0]?.body as FlagPut).flag).toEqual(combined);
  });

  it('shows the portal’s problems next to the part of the form they are about', async () => {
    setup({
      put: () =>
        json(
          {
            error: {
              code: 'bad_request',
              message: 'invalid flag definition: 2 problem(s); nothing was stored',
              fields: [
                { field: '/flag/targeting/if/0/ends_with/1', problem: 'suffix too long' },
                { field: '/flag/metadata/x', problem: 'metadata values are strings, numbers or booleans' },
              ],
            },
          },
          400,
        ),
    });
    renderEditor({ environment: 'dev', flagKey: null });
    await screen.findByRole('option', { name: 'payments' });
    fireEvent.change(screen.getByLabelText('Key'), { target: { value: 'k' } });
    fireEvent.change(screen.getByLabelText('Team'), { target: { value: 'payments' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add a rule' }));
    fireEvent.change(screen.getByLabelText('Rule 1: attribute'), { target: { value: 'email' } });
    fireEvent.change(screen.getByLabelText('Rule 1: operator'), { target: { value: 'ends_with' } });
    fireEvent.change(screen.getByLabelText('Rule 1: value'), { target: { value: '@x' } });
    await reviewThenSave('Review the new flag', 'Create flag');
    const rule = (await screen.findByText('suffix too long')).closest('[data-rule]') as HTMLElement;
    expect(rule.getAttribute('data-rule')).toBe('1');
    expect(screen.getByTestId('flag-save-failure').textContent).toContain('The portal refused the change: nothing was stored');
    // What has no field in the form is shown with its path, next to the JSON (opened for it).
    expect(screen.getByText('/flag/metadata/x')).toBeTruthy();
  });
});

describe('FlagEditor: an existing flag', () => {
  it('starts from the stored definition and sends its version', async () => {
    const { puts } = setup({ existing: flagDetail() });
    renderEditor({ environment: 'production', flagKey: 'new-checkout-flow' });
    expect(await screen.findByText('Edit new-checkout-flow', { selector: 'h1' })).toBeTruthy();
    expect((screen.getByLabelText('Rule 1: value') as HTMLInputElement).value).toBe('@sphera.example');
    expect((screen.getByLabelText('Everyone else: bucket by') as HTMLSelectElement).value).toBe('account');
    expect((screen.getByLabelText('Everyone else: share of on (%)') as HTMLInputElement).value).toBe('30');
    fireEvent.change(screen.getByLabelText('Everyone else: share of on (%)'), { target: { value: '40' } });
    fireEvent.change(screen.getByLabelText('Everyone else: share of off (%)'), { target: { value: '60' } });
    // The review says what changes in words, and that production waits for a platform approver.
    fireEvent.click(screen.getByRole('button', { name: 'Review changes' }));
    const review = await screen.findByTestId('flag-review');
    expect(within(review).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Everyone else: 30% "on" / 70% "off" by accountId → 40% "on" / 60% "off" by accountId',
    ]);
    expect(within(review).getByTestId('flag-review-approval').textContent).toBe(
      'Changes in production wait for approval by a platform approver. Saving sends a request; nothing changes until it is approved.',
    );
    // Editing again ends the review: it was of what the form held.
    fireEvent.change(screen.getByLabelText('Comment'), { target: { value: 'more' } });
    expect(screen.queryByTestId('flag-review')).toBeNull();
    await reviewThenSave('Review changes', 'Send for approval');
    await waitFor(() => expect(puts()).toHaveLength(1));
    const body = puts()[0]?.body as FlagPut;
    expect(body.version).toBe(2);
    expect(body.team).toBe('payments');
    expect(body.flag.metadata).toEqual({ description: 'Redesigned checkout' });
    expect(JSON.stringify(body.flag.targeting)).toContain('["on",40],["off",60]');
  });

  it('shows the 202: waiting for approval, with a link to the request', async () => {
    setup({ existing: flagDetail(), put: () => json({ pending: { id: 'act_42', message: 'production flag changes need a platform approver' } }, 202) });
    renderEditor({ environment: 'production', flagKey: 'new-checkout-flow' }, OWNER);
    await screen.findByText('Edit new-checkout-flow', { selector: 'h1' });
    await reviewThenSave('Review changes', 'Send for approval');
    const pending = await screen.findByTestId('flag-pending');
    expect(pending.textContent).toContain('is waiting for approval');
    expect(pending.textContent).toContain('production flag changes need a platform approver');
    expect(within(pending).getByRole('link', { name: 'act_42' }).getAttribute('href')).toBe('#/self-service/act_42');
    expect(screen.queryByRole('button', { name: 'Send for approval' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Review changes' })).toBeNull();
  });

  it('says plainly when the flag changed meanwhile (409)', async () => {
    setup({
      existing: flagDetail(),
      put: () => json({ error: { code: 'conflict', message: 'flag changed since it was read: at version 3, not 2' } }, 409),
    });
    renderEditor({ environment: 'production', flagKey: 'new-checkout-flow' });
    await screen.findByText('Edit new-checkout-flow', { selector: 'h1' });
    await reviewThenSave('Review changes', 'Send for approval');
    const failure = await screen.findByTestId('flag-save-failure');
    expect(failure.textContent).toContain('The flag changed since you opened it: nothing was saved');
    expect(failure.textContent).toContain('Open the flag again to see the change');
  });

  it('opens a flag the form cannot show in the JSON alone', async () => {
    setup({
      existing: flagDetail({ definition: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off', targeting: { $ref: 'staff' } } }),
    });
    renderEditor({ environment: 'production', flagKey: 'new-checkout-flow' });
    expect((await screen.findByTestId('form-json-only')).textContent).toContain('a shared evaluator ($ref)');
    expect(screen.getByTestId('flag-json')).toBeTruthy();
  });

  it('respects permissions: a team owner of another team, a developer', async () => {
    setup({ existing: flagDetail({ team: 'search' }) });
    renderEditor({ environment: 'production', flagKey: 'new-checkout-flow' }, OWNER);
    expect(await screen.findByText('You cannot change new-checkout-flow')).toBeTruthy();
    expect(screen.getByText(/needs the team owner role on search, or admin\. You may change flags of: payments\./)).toBeTruthy();
  });
  it('tells a developer they cannot change flags', async () => {
    setup({ existing: flagDetail() });
    renderEditor({ environment: 'production', flagKey: 'new-checkout-flow' }, DEVELOPER);
    expect(await screen.findByText('You cannot change flags')).toBeTruthy();
  });
});

describe('FlagEditor: environments', () => {
  it('starts a new flag in the first environment when the link names none', async () => {
    const { puts } = setup();
    renderEditor({ environment: '', flagKey: null });
    await screen.findByRole('option', { name: 'payments' });
    expect((screen.getByLabelText('Environment') as HTMLSelectElement).value).toBe('dev');
    fireEvent.change(screen.getByLabelText('Environment'), { target: { value: 'staging' } });
    fireEvent.change(screen.getByLabelText('Key'), { target: { value: 'k1' } });
    fireEvent.change(screen.getByLabelText('Team'), { target: { value: 'payments' } });
    await reviewThenSave('Review the new flag', 'Create flag');
    await waitFor(() => expect(puts()[0]?.url.pathname).toBe('/api/v1/flags/staging/k1'));
  });
});

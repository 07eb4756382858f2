// Creating a service in the UI against a fake portal: the template cards, the form the schema makes, inline checks
// (the form's at once, the portal's after a pause, stale ones aborted), the dry run that alone enables Create, and
// the request it sends.
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Me, Plan, TemplateParams } from '../api/client';
import { ADMIN, DEVELOPER, fakeApi, json, makeAction, type Recorded } from '../test/fakeApi';
import { ORDERS_PLAN, TEMPLATES } from '../test/goldenFixtures';
import { WithMe } from '../test/withMe';
import { VALIDATE_DEBOUNCE_MS } from '../components/NewServiceForm';
import { NewServicePage } from './NewServicePage';

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const TAKEN = 'the catalog already has a service named payments-api';

/** A plan for whatever name was asked, like the portal's. */
function planFor(p: TemplateParams): Plan {
  const name = typeof p.name === 'string' ? p.name : 'orders';
  return { ...ORDERS_PLAN, service: name, digest: `digest-of-${name}-${typeof p.description === 'string' ? p.description : ''}`, catalog_entry: { ...ORDERS_PLAN.catalog_entry, name } };
}

interface PortalOptions {
  me?: Me;
  /** Hold validate requests until aborted. */
  holdValidate?: boolean;
  plan?: (r: Recorded) => Response | undefined;
  request?: (r: Recorded) => Response | undefined;
}

function portal(opts: PortalOptions = {}) {
  return fakeApi({
    me: opts.me,
    override: (r) => {
      const p = r.url.pathname;
      if (p === '/api/v1/templates') return json({ templates: TEMPLATES });
      const body = r.body as { parameters?: TemplateParams } | undefined;
      if (p === '/api/v1/templates/go-http-service/validate') {
        if (opts.holdValidate) {
          return new Promise<Response>((_, reject) =>
            r.signal?.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError'))),
          );
        }
        const taken = body?.parameters?.name === 'payments-api';
        return json({ valid: !taken, parameters: null, problems: taken ? [{ field: '/name', problem: TAKEN }] : [], warnings: [] });
      }
      if (p === '/api/v1/templates/go-http-service/plan') return opts.plan?.(r) ?? json(planFor(body?.parameters ?? {}));
      if (p === '/api/v1/actions' && r.method === 'POST') return opts.request?.(r) ?? json(makeAction({ id: 'act_new1', kind: 'service_create' }), 201);
      return undefined;
    },
  });
}

function page(template = 'go-http-service', me: Me = DEVELOPER) {
  return render(
    <WithMe me={me}>
      <NewServicePage template={template} portalKey="local|" />
    </WithMe>,
  );
}

const validations = (api: ReturnType<typeof portal>) => api.requests.filter((r) => r.url.pathname.endsWith('/validate'));
const problemOf = (label: string | RegExp) => {
  const input = screen.getByLabelText(label);
  const id = input.getAttribute('aria-describedby');
  return id && id.endsWith('-problem') ? (document.getElementById(id)?.textContent ?? '') : '';
};

describe('NewServicePage: templates', () => {
  it('shows each template as a card, and a broken one disabled with its problems', async () => {
    portal();
    page('');
    const cards = within(await screen.findByRole('list', { name: 'Templates' })).getAllByRole('listitem');
    expect(cards.map((c) => c.getAttribute('data-template'))).toEqual(['go-http-service', 'node-service', 'java-service']);
    const go = within(cards[0] as HTMLElement).getByRole('link');
    expect(go.getAttribute('href')).toBe('#/new-service?template=go-http-service');
    expect(go.textContent).toContain('Go HTTP service');
    expect(go.textContent).toContain('golden-path');
    const broken = cards[2] as HTMLElement;
    expect(broken.getAttribute('aria-disabled')).toBe('true');
    expect(within(broken).queryByRole('link')).toBeNull();
    expect(broken.textContent).toContain('filter "shout" is not supported');
    // Where each was read: built in, or the templates repository at its commit and the template's directory.
    expect(go.textContent).toContain('go-http-service@v1 · built in');
    expect(broken.textContent).toContain('java-service@3f9c2e1 · sphera/templates@3f9c2e1:templates/java-service');
  });

  it('says so when the portal has no golden path, and when the user may request nothing', async () => {
    fakeApi({
      override: (r) =>
        r.url.pathname === '/api/v1/templates'
          ? json({ error: { code: 'not_configured', message: 'this portal has no golden path: an admin configures golden_path' } }, 404)
          : undefined,
    });
    const view = page('');
    expect(await screen.findByText('This portal has no golden path')).toBeTruthy();
    view.unmount();
    const api = portal();
    page('', { ...DEVELOPER, permissions: DEVELOPER.permissions.filter((p) => !p.startsWith('actions:request')) });
    expect((await screen.findByTestId('permission-notice')).textContent).toContain('Requesting resources needs a developer or team owner role');
    expect(api.requests.some((r) => r.url.pathname === '/api/v1/templates')).toBe(false);
  });
});

describe('NewServicePage: the form', () => {
  it('is made from the template\'s schema, with a team picker of the teams the user may create for', async () => {
    portal();
    page();
    const name = await screen.findByLabelText(/Service name/);
    expect(name.tagName).toBe('INPUT');
    await waitFor(() => expect((screen.getByLabelText(/Owner team/) as HTMLSelectElement).value).toBe('payments'));
    const team = screen.getByLabelText(/Owner team/) as HTMLSelectElement;
    expect(Array.from(team.options).map((o) => o.value)).toEqual(['', 'payments']);
    const envs = screen.getByRole('group', { name: 'Environments' });
    expect(within(envs).getAllByRole('checkbox').map((c) => [(c.parentElement?.textContent ?? ''), (c as HTMLInputElement).checked])).toEqual([
      ['dev', true],
      ['staging', true],
      ['production', false],
    ]);
    expect(screen.getByRole('group', { name: 'Optional resources' })).toBeTruthy();
    expect((screen.getByLabelText('SQS queue') as HTMLInputElement).type).toBe('checkbox');
    expect((screen.getByLabelText(/Go version/) as HTMLSelectElement).value).toBe('1.25');
  });

  it('offers an admin every team of the portal', async () => {
    portal();
    page('go-http-service', ADMIN);
    await waitFor(() => expect((screen.getByLabelText(/Owner team/) as HTMLSelectElement).options?.length).toBe(4));
    expect((screen.getByLabelText(/Owner team/) as HTMLSelectElement).value).toBe('');
  });

  it('checks as the user types, asks the portal after a pause, and puts its answer under the field', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const api = portal();
    page();
    const name = await screen.findByLabelText(/Service name/);
    fireEvent.change(name, { target: { value: 'Bad--x' } });
    expect(problemOf(/Service name/)).toContain('must start with a lowercase letter');
    expect(problemOf(/Service name/)).toContain('must not contain "--"');
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(validations(api)).toHaveLength(0);

    fireEvent.change(name, { target: { value: 'payments-api' } });
    expect(problemOf(/Service name/)).toBe('');
    expect(screen.getByTestId('name-status').textContent).toContain('Checking that no service or repository is named payments-api');
    await act(() => vi.advanceTimersByTimeAsync(VALIDATE_DEBOUNCE_MS));
    await waitFor(() => expect(problemOf(/Service name/)).toBe(TAKEN));
    // One question, about what is on screen, after the pause (not one per keystroke).
    expect(validations(api).map((r) => (r.body as { parameters: TemplateParams }).parameters.name)).toEqual(['payments-api']);
    expect((validations(api)[0]?.body as { parameters: TemplateParams }).parameters).toMatchObject({ team: 'payments', environments: ['dev', 'staging'] });

    fireEvent.change(name, { target: { value: 'orders' } });
    // The portal's complaint was about another name: gone at once.
    expect(problemOf(/Service name/)).toBe('');
    await act(() => vi.advanceTimersByTimeAsync(VALIDATE_DEBOUNCE_MS));
    await waitFor(() => expect(screen.getByTestId('name-status').textContent).toBe('✓ No service in the catalog and no repository is named orders.'));
  });

  it('aborts a check that a newer one replaces', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const api = portal({ holdValidate: true });
    page();
    const name = await screen.findByLabelText(/Service name/);
    fireEvent.change(name, { target: { value: 'orders' } });
    await act(() => vi.advanceTimersByTimeAsync(VALIDATE_DEBOUNCE_MS));
    await waitFor(() => expect(validations(api)).toHaveLength(1));
    expect(validations(api)[0]?.signal?.aborted).toBe(false);
    fireEvent.change(name, { target: { value: 'orders-api' } });
    expect(validations(api)[0]?.signal?.aborted).toBe(true);
  });

  it('shows an environment without a chosen region as the portal says, even while the user changes regions', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    fakeApi({
      me: DEVELOPER,
      override: (r) => {
        if (r.url.pathname === '/api/v1/templates') return json({ templates: TEMPLATES });
        if (r.url.pathname.endsWith('/validate')) {
          return json({ valid: false, parameters: null, problems: [{ field: '/environments/1', problem: 'staging is in none of the chosen regions (it is in eu-west-1)' }], warnings: [] });
        }
        return undefined;
      },
    });
    page();
    const regions = await screen.findByRole('group', { name: 'Regions' });
    fireEvent.click(within(regions).getByLabelText('eu-west-1'));
    fireEvent.click(within(regions).getByLabelText('us-east-1'));
    await act(() => vi.advanceTimersByTimeAsync(VALIDATE_DEBOUNCE_MS));
    const envs = screen.getByRole('group', { name: 'Environments' });
    await waitFor(() => expect(envs.textContent).toContain('staging is in none of the chosen regions (it is in eu-west-1)'));
  });
});

describe('NewServicePage: dry run and create', () => {
  async function fillIn(name = 'orders') {
    fireEvent.change(await screen.findByLabelText(/Service name/), { target: { value: name } });
    await waitFor(() => expect((screen.getByLabelText(/Owner team/) as HTMLSelectElement).value).toBe('payments'));
  }

  it('enables Create only with a plan of the parameters on screen', async () => {
    const api = portal();
    page();
    await fillIn();
    expect(screen.queryByRole('button', { name: /^Create/ })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Review plan' }));
    const plan = await screen.findByTestId('plan-view');
    expect(plan.getAttribute('data-digest')).toBe('digest-of-orders-');
    const create = screen.getByRole('button', { name: 'Create orders' }) as HTMLButtonElement;
    expect(create.disabled).toBe(false);
    expect(screen.getByTestId('approval-need').textContent).toBe('No approval needed in dev: it runs as soon as you send it.');
    const planned = api.requests.find((r) => r.url.pathname.endsWith('/plan'));
    expect((planned?.body as { parameters: TemplateParams }).parameters).toMatchObject({ name: 'orders', team: 'payments' });

    fireEvent.change(screen.getByLabelText(/Description/), { target: { value: 'Takes orders.' } });
    expect(screen.getByTestId('plan-stale')).toBeTruthy();
    expect(create.disabled).toBe(true);
    expect(create.title).toBe('Review the plan again: the parameters changed since this one.');
    fireEvent.click(create);
    expect(api.requests.some((r) => r.url.pathname === '/api/v1/actions' && r.method === 'POST')).toBe(false);

    fireEvent.click(screen.getByRole('button', { name: 'Review the plan again' }));
    await waitFor(() => expect(screen.getByTestId('plan-view').getAttribute('data-digest')).toBe('digest-of-orders-Takes orders.'));
    expect(screen.queryByTestId('plan-stale')).toBeNull();
    expect((screen.getByRole('button', { name: 'Create orders' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('does not ask for a plan while the form has problems, and focuses the first', async () => {
    const api = portal();
    page();
    await screen.findByLabelText(/Service name/);
    fireEvent.click(screen.getByRole('button', { name: 'Review plan' }));
    expect(problemOf(/Service name/)).toBe('required');
    expect(document.activeElement).toBe(screen.getByLabelText(/Service name/));
    expect(api.requests.some((r) => r.url.pathname.endsWith('/plan'))).toBe(false);
  });

  it('puts a refused dry run\'s problems under their fields', async () => {
    portal({
      plan: () =>
        json({ error: { code: 'bad_request', message: 'invalid parameters', fields: [{ field: '/name', problem: 'the repository sphera/orders already exists on GitHub' }] } }, 400),
    });
    page();
    await fillIn();
    fireEvent.click(screen.getByRole('button', { name: 'Review plan' }));
    await waitFor(() => expect(problemOf(/Service name/)).toBe('the repository sphera/orders already exists on GitHub'));
    expect(screen.queryByTestId('plan-view')).toBeNull();
  });

  it('creates with one request: the plan\'s dev environment, the parameters, one idempotency key; then opens the run', async () => {
    const api = portal();
    page();
    await fillIn();
    fireEvent.click(screen.getByRole('button', { name: 'Review plan' }));
    const create = await screen.findByRole('button', { name: 'Create orders' });
    fireEvent.click(create);
    fireEvent.click(create);
    await waitFor(() => expect(window.location.hash).toBe('#/self-service/act_new1'));
    const posts = api.requests.filter((r) => r.url.pathname === '/api/v1/actions' && r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body).toEqual({
      kind: 'service_create',
      environment: 'dev',
      params: {
        template: 'go-http-service',
        parameters: { name: 'orders', team: 'payments', environments: ['dev', 'staging'], regions: ['eu-west-1'], sqs_queue: false, secret_names: [], go_version: '1.25' },
      },
    });
    expect(posts[0]?.headers.get('Idempotency-Key')).toMatch(/.{16,}/);
  });

  it('says a request that did not reach the portal was not sent, and retries it with the same key', async () => {
    let n = 0;
    const api = portal({
      request: () =>
        n++ === 0
          ? json({ error: { code: 'portal_unreachable', message: 'the portal could not be reached: the request was not sent', sent: false } }, 502)
          : json(makeAction({ id: 'act_new2', kind: 'service_create' }), 201),
    });
    page();
    await fillIn();
    fireEvent.click(screen.getByRole('button', { name: 'Review plan' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Create orders' }));
    expect((await screen.findByTestId('submit-failure')).textContent).toContain('Your request was NOT sent');
    fireEvent.click(screen.getByRole('button', { name: 'Create orders' }));
    await waitFor(() => expect(window.location.hash).toBe('#/self-service/act_new2'));
    const keys = api.requests.filter((r) => r.url.pathname === '/api/v1/actions').map((r) => r.headers.get('Idempotency-Key'));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it('drops the plan when the portal refuses the request for a parameter, and shows why under it', async () => {
    portal({
      request: () =>
        json(
          {
            error: {
              code: 'bad_request',
              message: 'invalid service_create request: nothing was stored',
              fields: [{ field: '/params/parameters/name', problem: 'the catalog already has a service named orders' }],
            },
          },
          400,
        ),
    });
    page();
    await fillIn();
    // The name's own check (after the typing pause) answers first, as it does for a user who reads the form:
    // otherwise its "no problem" could land after the refusal below.
    await waitFor(() => expect(screen.getByTestId('name-status').textContent).toBe('✓ No service in the catalog and no repository is named orders.'));
    fireEvent.click(screen.getByRole('button', { name: 'Review plan' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Create orders' }));
    await waitFor(() => expect(problemOf(/Service name/)).toBe('the catalog already has a service named orders'));
    expect(screen.queryByTestId('plan-view')).toBeNull();
  });

  it('will not create for a team the user may not request for', async () => {
    portal();
    page('go-http-service', { ...DEVELOPER, permissions: [...DEVELOPER.permissions.filter((p) => !p.startsWith('actions:request')), 'actions:request:staging@payments'] });
    await fillIn();
    fireEvent.click(screen.getByRole('button', { name: 'Review plan' }));
    const create = (await screen.findByRole('button', { name: 'Create orders' })) as HTMLButtonElement;
    expect(create.disabled).toBe(true);
    expect(create.title).toContain('needs a developer or team owner role on payments');
  });
});

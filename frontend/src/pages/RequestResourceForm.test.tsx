import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Me } from '../api/client';
import { ADMIN, DEVELOPER, fakeApi, json, makeAction, makeService, type Recorded } from '../test/fakeApi';
import { WithMe } from '../test/withMe';
import { RequestResourceForm } from './RequestResourceForm';

afterEach(() => vi.unstubAllGlobals());

const services = { 'payments-api': makeService('payments-api', 'payments'), 'search-api': makeService('search-api', 'search') };

const unreachable = json(
  {
    error: {
      code: 'portal_unreachable',
      message: 'The portal at http://127.0.0.1:9 could not be reached (connect: connection refused); the request was not sent. Nothing was queued.',
      sent: false,
    },
  },
  502,
);

function renderForm(me: Me | null = ADMIN, service = 'payments-api', portalKey = 'local|') {
  return render(
    <WithMe me={me}>
      <RequestResourceForm service={service} portalKey={portalKey} />
    </WithMe>,
  );
}

const posts = (requests: Recorded[]) => requests.filter((r) => r.method === 'POST' && r.url.pathname === '/api/v1/actions');

async function ready() {
  // Options loaded (environment chosen) and the service's owner known.
  await waitFor(() => expect((screen.getByLabelText('Environment') as HTMLSelectElement).value).toBe('dev'));
  await screen.findByText('Owned by team payments; the request is made for that team.');
}

describe('RequestResourceForm', () => {
  it('checks the name against the AWS rules as you type and sends nothing while it is wrong', async () => {
    const api = fakeApi({ services });
    renderForm();
    await ready();
    const name = screen.getByLabelText('Name');
    fireEvent.change(name, { target: { value: 'payments events' } });
    const problem = await screen.findByText("may contain only letters, digits, hyphens and underscores (found ' ')");
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(name.getAttribute('aria-describedby')).toBe(problem.id);
    fireEvent.click(screen.getByLabelText(/FIFO queue/));
    fireEvent.change(name, { target: { value: 'payments-events' } });
    expect(await screen.findByText("a FIFO queue's name must end in .fifo")).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Visibility timeout (seconds)'), { target: { value: '50000' } });
    expect(await screen.findByText('must be 0–43200 (12 hours)')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Send request' }));
    await new Promise((r) => setTimeout(r, 20));
    expect(posts(api.requests)).toHaveLength(0);
    expect(document.activeElement).toBe(name);
  });

  it('says before sending whether approval is needed, and by whom', async () => {
    fakeApi({ services });
    renderForm();
    await ready();
    expect(screen.getByTestId('approval-need').textContent).toContain('No approval needed in dev: it runs as soon as you send it.');
    expect(screen.getByTestId('approval-need').textContent).toContain('Preview only');
    fireEvent.change(screen.getByLabelText('Environment'), { target: { value: 'staging' } });
    expect(screen.getByTestId('approval-need').textContent).toContain('an owner of team payments must approve it before it runs');
    fireEvent.change(screen.getByLabelText('Environment'), { target: { value: 'production' } });
    expect(screen.getByTestId('approval-need').textContent).toContain('a platform approver must approve it');
    expect(screen.getByRole('button', { name: 'Send for approval' })).toBeTruthy();
  });

  it('says a request the portal never got was NOT sent, keeps the input, and retries with the same Idempotency-Key', async () => {
    let calls = 0;
    const api = fakeApi({
      services,
      override: (r) => {
        if (r.method !== 'POST') return undefined;
        calls++;
        return calls === 1 ? unreachable : json(makeAction({ id: 'act_retry' }), 201);
      },
    });
    renderForm();
    await ready();
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'payments-events' } });
    fireEvent.change(screen.getByLabelText('Region'), { target: { value: 'us-east-1' } });
    // A double click sends once.
    const send = screen.getByRole('button', { name: 'Send request' });
    await act(async () => {
      fireEvent.click(send);
      fireEvent.click(send);
    });
    const failure = await screen.findByTestId('submit-failure');
    expect(failure.textContent).toContain('Your request was NOT sent: the portal could not be reached');
    expect(failure.textContent).toContain('the request was not sent. Nothing was queued.');
    expect(failure.textContent).toContain('Your input is kept');
    expect(posts(api.requests)).toHaveLength(1);
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('payments-events');
    expect((screen.getByLabelText('Region') as HTMLSelectElement).value).toBe('us-east-1');

    fireEvent.click(screen.getByRole('button', { name: 'Retry: send request' }));
    await waitFor(() => expect(window.location.hash).toBe('#/self-service/act_retry'));
    const [first, second] = posts(api.requests);
    const key = first?.headers.get('Idempotency-Key');
    expect(key).toBeTruthy();
    expect(second?.headers.get('Idempotency-Key')).toBe(key);
    expect(second?.body).toEqual({
      kind: 'sqs_queue',
      service: 'payments-api',
      environment: 'dev',
      region: 'us-east-1',
      params: { name: 'payments-events' },
    });
  });

  it('uses a new Idempotency-Key when the request changed after a failure', async () => {
    const api = fakeApi({ services, override: (r) => (r.method === 'POST' ? unreachable : undefined) });
    renderForm();
    await ready();
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'payments-events' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send request' }));
    await screen.findByTestId('submit-failure');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'payments-events-2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Retry: send request' }));
    await waitFor(() => expect(posts(api.requests)).toHaveLength(2));
    const [a, b] = posts(api.requests);
    expect(a?.headers.get('Idempotency-Key')).not.toBe(b?.headers.get('Idempotency-Key'));
  });

  it("shows the portal's 400 field problems next to the offending fields", async () => {
    fakeApi({
      services,
      override: (r) =>
        r.method === 'POST'
          ? json(
              {
                error: {
                  code: 'bad_request',
                  message: 'invalid action request: nothing was stored',
                  fields: [
                    { field: 'params.name', problem: 'a queue named payments-events exists in dev already' },
                    { field: 'Idempotency-Key', problem: 'at most 200 characters' },
                  ],
                },
              },
              400,
            )
          : undefined,
    });
    renderForm();
    await ready();
    const name = screen.getByLabelText('Name');
    fireEvent.change(name, { target: { value: 'payments-events' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send request' }));
    const problem = await screen.findByText('a queue named payments-events exists in dev already');
    expect(name.getAttribute('aria-describedby')).toBe(problem.id);
    const failure = screen.getByTestId('submit-failure');
    expect(failure.textContent).toContain('The portal refused the request: nothing was stored');
    expect(failure.textContent).toContain('Idempotency-Key: at most 200 characters');
    // Editing the field clears the portal's complaint about it.
    fireEvent.change(name, { target: { value: 'payments-events-v2' } });
    expect(screen.queryByText('a queue named payments-events exists in dev already')).toBeNull();
  });

  it("disables sending for a service of a team the user has no role on, and says why", async () => {
    const api = fakeApi({ services });
    renderForm(DEVELOPER, 'search-api');
    await waitFor(() => expect((screen.getByLabelText('Environment') as HTMLSelectElement).value).toBe('dev'));
    const send = await screen.findByRole('button', { name: 'Send request' });
    await waitFor(() => expect((send as HTMLButtonElement).disabled).toBe(true));
    expect(
      screen.getByText('Requesting resources for team search needs a developer or team owner role on search. You may request for: payments.'),
    ).toBeTruthy();
    fireEvent.click(send);
    expect(posts(api.requests)).toHaveLength(0);
  });

  it('tells a user without any request permission instead of showing the form', async () => {
    fakeApi({ services });
    renderForm({ ...DEVELOPER, grants: [{ role: 'platform_approver' }], permissions: ['actions:approve', 'actions:read', 'audit:read'] });
    expect(await screen.findByText('You cannot request resources')).toBeTruthy();
    expect(screen.queryByRole('form')).toBeNull();
  });
});

describe('RequestResourceForm service picker', () => {
  it('finds services as you type, keeps the text while you edit a choice, and marks services of other teams', async () => {
    fakeApi({
      rows: [
        { ...makeRow('payments-api', 'payments') },
        { ...makeRow('payments-ledger', 'payments') },
        { ...makeRow('search-api', 'search') },
      ],
      services,
    });
    renderForm(DEVELOPER, '');
    const picker = await screen.findByRole('combobox', { name: 'Service' });
    fireEvent.focus(picker);
    fireEvent.change(picker, { target: { value: 'api' } });
    const option = await screen.findByRole('option', { name: /search-api/ });
    expect(option.textContent).toContain('not your team');
    fireEvent.click(await screen.findByRole('option', { name: /payments-api/ }));
    expect(await screen.findByText('Owned by team payments; the request is made for that team.')).toBeTruthy();
    fireEvent.change(picker, { target: { value: 'payments-ap' } });
    expect((picker as HTMLInputElement).value).toBe('payments-ap');
  });

  it("picks the topic's queue from those that exist or are requested in its environment and region, of the topic's kind, and sends it", async () => {
    const asked: string[] = [];
    const api = fakeApi({
      services,
      override: (r) => {
        if (r.url.pathname !== '/api/v1/actions/queues') return undefined;
        asked.push(`${r.url.searchParams.get('environment')}/${r.url.searchParams.get('region')}`);
        if (r.url.searchParams.get('region') !== 'eu-west-1') return json({ items: [] });
        return json({
          items: [
            { name: 'ledger-inbox', fifo: false, state: 'exists', service: 'ledger-service', team: 'payments', action: 'act_1' },
            { name: 'orders.fifo', fifo: true, state: 'exists' },
            { name: 'payments-events', fifo: false, state: 'requested', service: 'payments-api', team: 'payments', action: 'act_2' },
          ],
        });
      },
    });
    renderForm();
    await ready();
    fireEvent.click(screen.getByLabelText(/SNS topic/));
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'payments-updates' } });
    fireEvent.click(screen.getByLabelText('Subscribe an SQS queue to the topic'));
    const picker = (await screen.findByLabelText('SQS queue to subscribe')) as HTMLSelectElement;
    expect(asked).toEqual(['dev/eu-west-1']);
    expect([...picker.options].map((o) => o.textContent)).toEqual([
      'Choose a standard queue…',
      'ledger-inbox — exists (ledger-service)',
      'payments-events — requested, not yet created (payments-api)',
    ]);
    fireEvent.click(screen.getByRole('button', { name: 'Send request' }));
    expect(await screen.findByText('choose the queue to subscribe')).toBeTruthy();
    expect(posts(api.requests)).toHaveLength(0);
    fireEvent.change(picker, { target: { value: 'payments-events' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send request' }));
    await waitFor(() => expect(posts(api.requests)).toHaveLength(1));
    expect((posts(api.requests)[0]?.body as { params: unknown }).params).toEqual({ name: 'payments-updates', subscribe_queue: 'payments-events' });
  });

  it('says when no queue of the kind can be subscribed there, and leads to requesting one', async () => {
    fakeApi({ services, override: (r) => (r.url.pathname === '/api/v1/actions/queues' ? json({ items: [{ name: 'orders.fifo', fifo: true, state: 'exists' }] }) : undefined) });
    renderForm();
    await ready();
    fireEvent.click(screen.getByLabelText(/SNS topic/));
    fireEvent.click(screen.getByLabelText('Subscribe an SQS queue to the topic'));
    const none = await screen.findByTestId('no-queues');
    expect(none.textContent).toBe(
      'No standard SQS queue exists or is requested in dev / eu-west-1 (1 of the other kind cannot be subscribed to a standard topic). Request a queue first, then subscribe it.',
    );
    expect(screen.getByRole('link', { name: 'Request a queue first' }).getAttribute('href')).toBe('#/self-service/new?service=payments-api');
  });

  it('says when the service in the URL is not in the catalog', async () => {
    fakeApi({ services });
    renderForm(ADMIN, 'no-such-service');
    expect(await screen.findByText('no service named no-such-service in the catalog: search for it')).toBeTruthy();
  });
});

function makeRow(name: string, owner: string) {
  return {
    name,
    description: '',
    owner,
    language: 'Go',
    lifecycle: 'production',
    type: 'service',
    repository: '',
    tags: [],
    synced_at: new Date().toISOString(),
    findings: 0,
    outdated: 0,
  };
}

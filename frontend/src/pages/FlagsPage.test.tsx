import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EMPTY_FLAG_FILTERS, type FlagFilters } from '../lib/router';
import { ADMIN, DEVELOPER, fakeApi, json } from '../test/fakeApi';
import { CHECKOUT_DEFINITION, FLAG_LIST, flagDetail } from '../test/flagFixtures';
import { WithMe } from '../test/withMe';
import { FlagsPage } from './FlagsPage';

beforeEach(() => {
  vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: vi.fn(() => 'blob:flags'), revokeObjectURL: vi.fn() }));
});
afterEach(() => vi.unstubAllGlobals());

/** Each row as its key and the environments it has cells in: "new-checkout-flow:dev+production". */
const rowsShown = () =>
  Array.from(screen.getByRole('table', { name: 'Feature flags' }).querySelectorAll('[data-flag]')).map(
    (r) =>
      `${r.getAttribute('data-flag')}:${Array.from(r.querySelectorAll('[data-column^="env-"]:not([data-state="absent"])'))
        .map((c) => c.getAttribute('data-column')?.slice(4))
        .join('+')}`,
  );
const columnsShown = () => Array.from(screen.getByRole('table', { name: 'Feature flags' }).querySelectorAll('[role="columnheader"]')).map((h) => h.textContent);

function show(filters: Partial<FlagFilters>, me = ADMIN) {
  const api = fakeApi({ me, override: (r) => (r.url.pathname === '/api/v1/flags' ? json(FLAG_LIST) : undefined) });
  render(
    <WithMe me={me}>
      <FlagsPage filters={{ ...EMPTY_FLAG_FILTERS, ...filters }} portalKey="local|" />
    </WithMe>,
  );
  return api;
}

describe('FlagsPage', () => {
  it('lists every flag on one row, its environments side by side with a switch and the rollout each', async () => {
    show({});
    expect(await screen.findByText('4 flags')).toBeTruthy();
    expect(columnsShown()).toEqual(['Flag▲', 'Team', 'dev', 'staging', 'production', 'Owner', 'Last change↕']);
    expect(rowsShown()).toEqual(['legacy-sso-fallback:production', 'new-checkout-flow:dev+production', 'orphan-flag:staging', 'search-ranking-model:production']);
    const checkout = document.querySelector('[data-flag="new-checkout-flow"]') as HTMLElement;
    const prod = checkout.querySelector('[data-column="env-production"]') as HTMLElement;
    expect(within(prod).getByRole('switch', { name: 'new-checkout-flow in production' }).getAttribute('aria-checked')).toBe('true');
    expect(within(prod).getByRole('link', { name: 'fractional by accountId 20/80' }).getAttribute('href')).toBe('#/flags/production/new-checkout-flow');
    expect((checkout.querySelector('[data-column="env-staging"]') as HTMLElement).textContent).toBe('not in staging');
    const stale = document.querySelector('[data-flag="legacy-sso-fallback"]') as HTMLElement;
    expect(within(stale).getByTestId('stale-badge').textContent).toBe('ready to close');
    expect(within(stale).getByTestId('stale-badge').getAttribute('title')).toContain('production: disabled and unchanged for more than 30 days');
    expect(within(stale).getByRole('switch').getAttribute('aria-checked')).toBe('false');
    expect(within(stale).getByText('off: code default')).toBeTruthy();
    expect(within(checkout).getByRole('link', { name: 'new-checkout-flow' }).getAttribute('href')).toBe('#/flags/dev/new-checkout-flow');
  });

  const cases: [string, Partial<FlagFilters>, string[]][] = [
    ['by environment (its only column)', { environment: 'production' }, ['legacy-sso-fallback:production', 'new-checkout-flow:production', 'search-ranking-model:production']],
    ['by team', { team: 'payments' }, ['new-checkout-flow:dev+production']],
    ['ready to close only', { stale: true }, ['legacy-sso-fallback:production']],
    ['by key', { q: 'search' }, ['search-ranking-model:production']],
  ];
  for (const [name, filters, want] of cases) {
    it(`filters ${name}, from the URL`, async () => {
      show(filters);
      await screen.findByText(`${want.length} flag${want.length === 1 ? '' : 's'}`);
      expect(rowsShown()).toEqual(want);
    });
  }

  it('counts flags, not flag-environments, in the team filter: as many as the rows choosing the team shows', async () => {
    show({});
    await screen.findByText('4 flags');
    const options = () => Array.from(screen.getByLabelText<HTMLSelectElement>('Team').options).map((o) => o.textContent);
    // new-checkout-flow is payments' in dev and in production: one flag.
    expect(options()).toContain('payments (1)');
    cleanup();
    show({ team: 'payments' });
    expect(await screen.findByText('1 flag')).toBeTruthy();
  });

  it('reviews a switch before sending it: the change in words, that production waits for approval, then a request', async () => {
    const api = fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/flags') return json(FLAG_LIST);
        if (r.url.pathname === '/api/v1/flags/production/new-checkout-flow' && r.method === 'GET') return json(flagDetail());
        if (r.method === 'PUT') return json({ pending: { id: 'act_7', message: 'Changes to flags in production wait for approval by a platform approver.' } }, 202);
        return undefined;
      },
    });
    render(
      <WithMe me={ADMIN}>
        <FlagsPage filters={EMPTY_FLAG_FILTERS} portalKey="k" />
      </WithMe>,
    );
    fireEvent.click(await screen.findByRole('switch', { name: 'new-checkout-flow in production' }));
    const dialog = await screen.findByRole('alertdialog', { name: 'Switch new-checkout-flow off in production?' });
    const changes = await within(dialog).findByRole('list', { name: 'Changes to new-checkout-flow in production' });
    expect(within(changes).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['State: enabled → disabled (everyone gets the code default)']);
    expect(within(dialog).getByTestId('switch-approval').textContent).toContain('Changes in production wait for approval by a platform approver');
    expect(api.requests.filter((r) => r.method === 'PUT')).toHaveLength(0);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Send for approval' }));
    const notice = await screen.findByTestId('flag-pending');
    expect(notice.textContent).toContain('Switching new-checkout-flow off in production is waiting for approval');
    const put = api.requests.find((r) => r.method === 'PUT');
    expect(put?.url.pathname).toBe('/api/v1/flags/production/new-checkout-flow');
    expect(put?.body).toMatchObject({ flag: { ...CHECKOUT_DEFINITION, state: 'DISABLED' }, team: 'payments', version: 2 });
  });

  it('takes focus into a switch\'s confirmation from the keyboard, and Escape gives it back to the switch', async () => {
    let answer: (r: Response) => void = () => {};
    fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/flags') return json(FLAG_LIST);
        // The flag is read only when the test lets it: meanwhile the confirmation's buttons wait.
        if (r.url.pathname === '/api/v1/flags/production/new-checkout-flow' && r.method === 'GET') return new Promise<Response>((ok) => (answer = ok));
        return undefined;
      },
    });
    render(
      <WithMe me={ADMIN}>
        <FlagsPage filters={EMPTY_FLAG_FILTERS} portalKey="k" />
      </WithMe>,
    );
    const sw = await screen.findByRole('switch', { name: 'new-checkout-flow in production' });
    sw.focus();
    fireEvent.click(sw);
    const dialog = await screen.findByRole('alertdialog', { name: 'Switch new-checkout-flow off in production?' });
    // While the flag is read, the buttons are disabled: focus waits on the dialog, so Escape and Tab work from there.
    expect(document.activeElement).toBe(dialog);
    answer(json(flagDetail()));
    await within(dialog).findByRole('list', { name: 'Changes to new-checkout-flow in production' });
    await waitFor(() => expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' })));
    expect(within(dialog).getByRole('button', { name: 'Send for approval' })).toBeTruthy();
    fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('switch', { name: 'new-checkout-flow in production' }));
  });

  it('applies a switch at once where the environment waits for nobody, and reads the flags again', async () => {
    let listed = 0;
    fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/flags') {
          listed++;
          return json(FLAG_LIST);
        }
        if (r.url.pathname === '/api/v1/flags/dev/new-checkout-flow' && r.method === 'GET') return json(flagDetail({ environment: 'dev' }));
        if (r.method === 'PUT') return json(flagDetail({ environment: 'dev', state: 'DISABLED' }));
        return undefined;
      },
    });
    render(
      <WithMe me={ADMIN}>
        <FlagsPage filters={EMPTY_FLAG_FILTERS} portalKey="k" />
      </WithMe>,
    );
    fireEvent.click(await screen.findByRole('switch', { name: 'new-checkout-flow in dev' }));
    const dialog = await screen.findByRole('alertdialog');
    expect(within(dialog).getByTestId('switch-approval').textContent).toBe('It applies at once in dev.');
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Switch off in dev' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    await waitFor(() => expect(listed).toBe(2));
  });

  it('disables the switch, with the reason, for whoever may not change the flag', async () => {
    show({}, DEVELOPER);
    const sw = await screen.findByRole('switch', { name: 'new-checkout-flow in production' });
    expect((sw as HTMLButtonElement).disabled).toBe(true);
    expect(sw.getAttribute('title')).toContain('payments');
  });

  it('puts filter changes into the URL', async () => {
    show({});
    await screen.findByText('4 flags');
    fireEvent.change(screen.getByLabelText('Environment'), { target: { value: 'production' } });
    expect(window.location.hash).toBe('#/flags?environment=production');
    fireEvent.click(screen.getByLabelText(/Ready to close only/));
    expect(window.location.hash).toBe('#/flags?stale=1');
  });

  it('sorts by the newest change when asked', async () => {
    fakeApi({
      override: (r) =>
        r.url.pathname === '/api/v1/flags'
          ? json({ ...FLAG_LIST, items: FLAG_LIST.items.map((f, i) => ({ ...f, updated_at: `2026-11-2${i}T00:00:00Z` })) })
          : undefined,
    });
    render(
      <WithMe me={ADMIN}>
        <FlagsPage filters={EMPTY_FLAG_FILTERS} portalKey="k" />
      </WithMe>,
    );
    await screen.findByText('4 flags');
    fireEvent.click(screen.getByRole('button', { name: /Last change/ }));
    expect(rowsShown()[0]).toBe('orphan-flag:staging');
    const header = (name: RegExp) => screen.getByRole('columnheader', { name });
    expect(header(/Last change/).getAttribute('aria-sort')).toBe('descending');
    // A second click turns the order, as the catalog's headers do.
    const newestFirst = rowsShown();
    fireEvent.click(screen.getByRole('button', { name: /Last change/ }));
    expect(header(/Last change/).getAttribute('aria-sort')).toBe('ascending');
    expect(rowsShown()).toEqual([...newestFirst].reverse());
    fireEvent.click(screen.getByRole('button', { name: /^Flag/ }));
    expect(header(/^Flag/).getAttribute('aria-sort')).toBe('ascending');
    fireEvent.click(screen.getByRole('button', { name: /^Flag/ }));
    expect(header(/^Flag/).getAttribute('aria-sort')).toBe('descending');
    expect(rowsShown()[0]).toBe('search-ranking-model:production');
  });

  it('says what to do when nothing matches', async () => {
    show({ stale: true, team: 'payments' });
    expect(await screen.findByText('No flags match these filters')).toBeTruthy();
    expect(screen.getByText(/No flag is ready to close: flags count as stale after 30 days/)).toBeTruthy();
  });

  it('offers New flag to whoever may change flags, not to a developer', async () => {
    show({});
    expect(await screen.findByRole('link', { name: 'New flag' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'New flag' }).getAttribute('href')).toBe('#/flags/new');
  });
  it('does not offer New flag to a developer', async () => {
    show({}, DEVELOPER);
    await screen.findByText('4 flags');
    expect(screen.queryByRole('link', { name: 'New flag' })).toBeNull();
  });

  it('shows the error and a retry when the flags cannot be loaded', async () => {
    fakeApi({ override: (r) => (r.url.pathname === '/api/v1/flags' ? json({ error: { code: 'forbidden', message: 'this token may not read flags' } }, 403) : undefined) });
    render(
      <WithMe me={ADMIN}>
        <FlagsPage filters={EMPTY_FLAG_FILTERS} portalKey="k" />
      </WithMe>,
    );
    expect(await screen.findByText('The flags could not be loaded')).toBeTruthy();
    expect(screen.getByText('this token may not read flags')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Retry' })).toBeTruthy();
  });

  it('exports an environment as a flagd file, and shows the portal’s problems with an imported file', async () => {
    const clicks: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    });
    const api = fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/flags') return json(FLAG_LIST);
        if (r.url.pathname === '/api/v1/flags/export')
          return new Response('{"flags":{}}', { headers: { 'Content-Disposition': 'attachment; filename="flags-staging.json"' } });
        if (r.url.pathname === '/api/v1/flags/import')
          return json(
            {
              error: {
                code: 'bad_request',
                message: 'invalid flag definition: 2 problem(s); nothing was stored',
                fields: [
                  { field: '/flags/bad-flag/state', problem: '"ON" is not a state; use "ENABLED" or "DISABLED"' },
                  { field: '/flags/bad-flag/defaultVariant', problem: '"b" is not one of the flag\'s variants (a)' },
                ],
              },
            },
            400,
          );
        return undefined;
      },
    });
    render(
      <WithMe me={ADMIN}>
        <FlagsPage filters={{ ...EMPTY_FLAG_FILTERS, environment: 'staging' }} portalKey="k" />
      </WithMe>,
    );
    await screen.findByText('1 flag');
    fireEvent.click(screen.getByRole('button', { name: 'Import / export' }));
    fireEvent.click(screen.getByRole('button', { name: 'Export flagd file' }));
    const status = await screen.findByTestId('flag-export-status');
    expect(status.textContent).toContain('flags-staging.json');
    expect(clicks).toEqual(['flags-staging.json']);
    expect(api.requests.find((r) => r.url.pathname === '/api/v1/flags/export')?.url.searchParams.get('environment')).toBe('staging');

    fireEvent.change(screen.getByLabelText('Or paste the file'), { target: { value: '{"flags":{"bad-flag":{"state":"ON","variants":{"a":1},"defaultVariant":"b"}}}' } });
    fireEvent.click(screen.getByRole('button', { name: 'Import into staging' }));
    fireEvent.click(await screen.findByRole('button', { name: "Replace staging's flags" }));
    const problems = await screen.findByTestId('flag-import-problems');
    expect(problems.textContent).toContain('Nothing was imported: the portal found 2 problems in the file');
    expect(within(problems).getByText('/flags/bad-flag/state')).toBeTruthy();
    expect(within(problems).getByText('"ON" is not a state; use "ENABLED" or "DISABLED"')).toBeTruthy();
    const sent = api.requests.find((r) => r.url.pathname === '/api/v1/flags/import');
    expect(sent?.url.searchParams.get('environment')).toBe('staging');
  });

  it('offers importing to admins only', async () => {
    show({}, DEVELOPER);
    await screen.findByText('4 flags');
    fireEvent.click(screen.getByRole('button', { name: 'Import / export' }));
    expect(screen.getByText('Importing a whole flag set is for admins (it needs flags:import).')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Import into/ })).toBeNull();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Export flagd file' })).toBeTruthy());
  });
});

describe('downloads in the desktop window', () => {
  it('say the file may not have been saved, and offer copying', async () => {
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/flags') return json(FLAG_LIST);
        if (r.url.pathname === '/api/v1/flags/export') return new Response('{"flags":{}}');
        return undefined;
      },
    });
    window.runtime = { BrowserOpenURL: () => undefined };
    try {
      render(
        <WithMe me={ADMIN}>
          <FlagsPage filters={EMPTY_FLAG_FILTERS} portalKey="k" />
        </WithMe>,
      );
      await screen.findByText('4 flags');
      fireEvent.click(screen.getByRole('button', { name: 'Import / export' }));
      fireEvent.click(screen.getByRole('button', { name: 'Export flagd file' }));
      const status = await screen.findByTestId('flag-export-status');
      expect(status.textContent).toContain('The desktop window may not save downloads');
      expect(status.textContent).toContain('flags-dev.json');
      expect(within(status).getByRole('button', { name: 'Copy the JSON' })).toBeTruthy();
    } finally {
      delete window.runtime;
    }
  });
});

describe('downloads with the desktop save dialog', () => {
  async function exportFlags() {
    await screen.findByText('4 flags');
    fireEvent.click(screen.getByRole('button', { name: 'Import / export' }));
    fireEvent.click(screen.getByRole('button', { name: 'Export flagd file' }));
    return screen.findByTestId('flag-export-status');
  }

  it('say where the file was written, and can save another copy', async () => {
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/flags') return json(FLAG_LIST);
        if (r.url.pathname === '/api/v1/flags/export') return new Response('{"flags":{}}');
        return undefined;
      },
    });
    const paths = ['/home/ana/flags-dev.json', '/tmp/copy.json'];
    const save = vi.fn(async () => paths.shift() ?? '');
    window.go = { app: { OS: { SaveFile: save } } };
    try {
      render(
        <WithMe me={ADMIN}>
          <FlagsPage filters={EMPTY_FLAG_FILTERS} portalKey="k" />
        </WithMe>,
      );
      const status = await exportFlags();
      await waitFor(() => expect(status.getAttribute('data-saved')).toBe('written'));
      expect(status.textContent).toContain('Saved the flag set of dev (12 B) to /home/ana/flags-dev.json.');
      expect(status.textContent).not.toContain('may not save downloads');
      expect(save).toHaveBeenCalledWith('flags-dev.json', '{"flags":{}}');
      expect(click).not.toHaveBeenCalled();
      fireEvent.click(within(status).getByRole('button', { name: 'Save another copy…' }));
      await waitFor(() => expect(screen.getByTestId('flag-export-status-path').textContent).toBe('/tmp/copy.json'));
      expect(save).toHaveBeenCalledTimes(2);
    } finally {
      delete window.go;
    }
  });

  it('say so when the dialog was cancelled, and offer saving again or copying', async () => {
    fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/flags') return json(FLAG_LIST);
        if (r.url.pathname === '/api/v1/flags/export') return new Response('{"flags":{}}');
        return undefined;
      },
    });
    window.go = { app: { OS: { SaveFile: async () => '' } } };
    try {
      render(
        <WithMe me={ADMIN}>
          <FlagsPage filters={EMPTY_FLAG_FILTERS} portalKey="k" />
        </WithMe>,
      );
      const status = await exportFlags();
      await waitFor(() => expect(status.textContent).toContain('saving flags-dev.json was cancelled: nothing was written'));
      expect(within(status).getByRole('button', { name: 'Save…' })).toBeTruthy();
      expect(within(status).getByRole('button', { name: 'Copy the JSON' })).toBeTruthy();
    } finally {
      delete window.go;
    }
  });
});

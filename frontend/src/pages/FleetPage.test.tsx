import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FleetInstall, FleetPreview, FleetVersion } from '../api/client';
import { ADMIN, DEVELOPER, fakeApi, json, type Recorded } from '../test/fakeApi';
import { WithMe } from '../test/withMe';
import { FleetPage } from './FleetPage';

afterEach(() => vi.unstubAllGlobals());

const v1: FleetVersion = {
  version: 1,
  created_at: '2026-11-30T09:00:00Z',
  created_by: 'root',
  note: 'first',
  key_id: 'ed25519:abc',
  config: { schema: 1, settings: { banner: { text: 'Maintenance Friday', level: 'info' }, features: { matrix: true } }, defaults: ['landing_page'] },
};

const v2: FleetVersion = {
  ...v1,
  version: 2,
  note: 'banner off',
  created_at: '2026-12-01T09:00:00Z',
  config: { schema: 1, settings: { features: { matrix: true } }, defaults: ['landing_page'] },
};

function previewOf(config: unknown, changed = 2): FleetPreview {
  return {
    version: 2,
    current: 1,
    installs: 3,
    changed,
    defaults_changed: false,
    config: config as FleetPreview['config'],
    groups: [
      { team: 'growth', installs: 1, install_ids: ['ins_g'], settings: {}, changed: ['banner'] },
      { team: '', installs: 2, install_ids: ['ins_a', 'ins_b'], settings: {}, changed: changed > 0 ? ['banner'] : [] },
    ],
  };
}

function renderConfig(override: (r: Recorded) => Response | undefined, me = ADMIN) {
  const api = fakeApi({
    override: (r) => override(r) ?? (r.url.pathname === '/api/v1/fleet/config' && r.method === 'GET' ? json(v1) : undefined),
  });
  render(
    <WithMe me={me}>
      <FleetPage tab="config" />
    </WithMe>,
  );
  return api;
}

const editor = () => screen.findByLabelText('Fleet configuration (JSON)') as Promise<HTMLTextAreaElement>;

describe('FleetPage: configuration', () => {
  it('previews what a new version changes and who gets what, then pushes that document on the version it was made against', async () => {
    let pushed = false;
    const api = renderConfig((r) => {
      if (r.url.pathname === '/api/v1/fleet/preview') return json(previewOf((r.body as { config: unknown }).config));
      if (r.url.pathname === '/api/v1/fleet/config' && r.method === 'POST') {
        pushed = true;
        return json({ ...v2, config: (r.body as { config: FleetVersion['config'] }).config }, 201);
      }
      if (r.url.pathname === '/api/v1/fleet/config' && pushed) return json(v2);
      return undefined;
    });
    const text = await editor();
    expect(JSON.parse(text.value)).toEqual(v1.config);
    expect(screen.getByText(/In force:/).textContent).toContain('version 1');
    const next = { ...v1.config, settings: { ...v1.config.settings, banner: { text: 'Freeze until Monday', level: 'warning' } } };
    fireEvent.change(text, { target: { value: JSON.stringify(next, null, 2) } });
    fireEvent.click(screen.getByRole('button', { name: 'Preview' }));

    const preview = await screen.findByTestId('fleet-preview');
    expect(within(preview).getByTestId('fleet-changes').textContent).toContain(
      'everyone › notice banner › level: "info" → "warning"everyone › notice banner › text: "Maintenance Friday" → "Freeze until Monday"',
    );
    expect(preview.textContent).toContain('3 installs: 2 installs would see a change.');
    const rows = within(within(preview).getByRole('table', { name: 'Who gets what' })).getAllByRole('row');
    expect(rows.map((r) => r.textContent)).toEqual(['InstallsHow manySettings that change for them', 'team growth1banner', 'everyone else2banner']);

    fireEvent.change(screen.getByLabelText('Note'), { target: { value: 'freeze' } });
    fireEvent.click(screen.getByRole('button', { name: 'Push version 2 to every install' }));
    expect((await screen.findByTestId('fleet-pushed')).textContent).toContain('Version 2 is pushed');
    const post = api.requests.find((r) => r.url.pathname === '/api/v1/fleet/config' && r.method === 'POST');
    expect(post?.body).toEqual({ config: next, base_version: 1, note: 'freeze' });
    // The editor starts again from the version now in force.
    await waitFor(async () => expect(JSON.parse((await editor()).value)).toEqual(v2.config));
  });

  it('does not push after the text changed since the preview, nor a preview that changes nothing', async () => {
    renderConfig((r) => (r.url.pathname === '/api/v1/fleet/preview' ? json(previewOf((r.body as { config: unknown }).config, 0)) : undefined));
    const text = await editor();
    fireEvent.click(screen.getByRole('button', { name: 'Preview' }));
    expect((await screen.findByTestId('fleet-no-change')).textContent).toContain('Nothing changes');
    expect((screen.getByRole('button', { name: 'Push version 2 to every install' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(text, { target: { value: text.value.replace('Maintenance Friday', 'Other') } });
    expect(screen.getByText('The text changed since this preview: preview again before pushing.')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Push version 2 to every install' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("lists the portal's problems where they are in the document and pushes nothing", async () => {
    const api = renderConfig((r) =>
      r.url.pathname === '/api/v1/fleet/preview'
        ? json(
            {
              error: {
                code: 'invalid',
                message: 'invalid fleet configuration: nothing was pushed',
                fields: [
                  { field: '/config/settings/bannr', problem: 'unknown setting; settings are banner, …' },
                  { field: '/config/teams/growth/min_app_version', problem: '"latest" is not a version' },
                ],
              },
            },
            400,
          )
        : undefined,
    );
    const text = await editor();
    fireEvent.change(text, { target: { value: '{"settings": {"bannr": {}}, "teams": {"growth": {"min_app_version": "latest"}}}' } });
    fireEvent.click(screen.getByRole('button', { name: 'Preview' }));
    const problems = await screen.findByTestId('fleet-problems');
    expect(within(problems).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'everyone › bannr /settings/bannr: unknown setting; settings are banner, …',
      'team growth › minimum app version /teams/growth/min_app_version: "latest" is not a version',
    ]);
    expect(text.getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByTestId('fleet-preview')).toBeNull();
    expect(api.requests.filter((r) => r.method === 'POST' && r.url.pathname === '/api/v1/fleet/config')).toHaveLength(0);
  });

  it('says where the JSON breaks without asking the portal', async () => {
    const api = renderConfig(() => undefined);
    const text = await editor();
    fireEvent.change(text, { target: { value: '{"settings": {"banner": }}' } });
    fireEvent.click(screen.getByRole('button', { name: 'Preview' }));
    expect((await screen.findByTestId('fleet-parse-problem')).textContent).toBe('Not valid JSON: unexpected "}" at line 1, column 25.');
    expect(api.requests.filter((r) => r.url.pathname === '/api/v1/fleet/preview')).toHaveLength(0);
  });

  it("says so when another admin pushed first (409), and loads the newest version on request", async () => {
    let newest = v1;
    renderConfig((r) => {
      if (r.url.pathname === '/api/v1/fleet/preview') return json(previewOf((r.body as { config: unknown }).config));
      if (r.url.pathname === '/api/v1/fleet/config' && r.method === 'POST') {
        newest = v2;
        return json({ error: { code: 'conflict', message: 'fleet configuration changed: version 2 is newer than 1' } }, 409);
      }
      if (r.url.pathname === '/api/v1/fleet/config') return json(newest);
      return undefined;
    });
    const text = await editor();
    fireEvent.change(text, { target: { value: text.value.replace('Maintenance Friday', 'Mine') } });
    fireEvent.click(screen.getByRole('button', { name: 'Preview' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Push version 2 to every install' }));
    const err = await screen.findByTestId('fleet-error');
    expect(err.textContent).toContain('Someone pushed a newer version since you loaded version 1; nothing was pushed.');
    fireEvent.click(within(err).getByRole('button', { name: 'Load the newest version' }));
    await waitFor(async () => expect(JSON.parse((await editor()).value)).toEqual(v2.config));
  });

  it('is for admins: others are told why and nothing is asked', async () => {
    const api = renderConfig(() => undefined, DEVELOPER);
    expect((await screen.findByTestId('permission-notice')).textContent).toContain('it needs fleet:manage');
    expect(api.requests.filter((r) => r.url.pathname.startsWith('/api/v1/fleet'))).toHaveLength(0);
  });
});

describe('FleetPage: history', () => {
  const v3: FleetVersion = { ...v1, version: 3, rollback_of: 1, note: 'back', created_at: '2026-12-02T09:00:00Z' };
  function historyApi() {
    let rolled = false;
    return fakeApi({
      override: (r) => {
        const p = r.url.pathname;
        if (p === '/api/v1/fleet/history') return json({ items: rolled ? [v3, v2, v1] : [v2, v1] });
        if (p === '/api/v1/fleet/history/1') return json(v1);
        if (p === '/api/v1/fleet/history/2') return json(v2);
        if (p === '/api/v1/fleet/history/3') return json(v3);
        if (p === '/api/v1/fleet/config' && r.method === 'GET') return json(rolled ? v3 : v2);
        if (p === '/api/v1/fleet/rollback') {
          rolled = true;
          return json(v3, 201);
        }
        return undefined;
      },
    });
  }

  it('lists the versions and opens one with what it changed against the one before', async () => {
    historyApi();
    render(
      <WithMe me={ADMIN}>
        <FleetPage tab="history" version={2} />
      </WithMe>,
    );
    const versions = await screen.findByRole('list', { name: 'Versions' });
    expect(within(versions).getAllByRole('listitem').map((li) => li.getAttribute('data-version'))).toEqual(['2', '1']);
    expect(within(versions).getAllByRole('listitem')[0]?.textContent).toContain('in force');
    const detail = await screen.findByTestId('fleet-version');
    expect((await within(detail).findByTestId('fleet-version-changes')).textContent).toBe(
      'everyone › notice banner: removed (was {"text":"Maintenance Friday","level":"info"})',
    );
    expect(within(detail).getByText('This version is in force.')).toBeTruthy();
    expect(within(detail).queryByRole('button', { name: /Roll back/ })).toBeNull();
  });

  it('rolls back to a version as a new version, after a confirmation', async () => {
    const api = historyApi();
    render(
      <WithMe me={ADMIN}>
        <FleetPage tab="history" version={1} />
      </WithMe>,
    );
    const detail = await screen.findByTestId('fleet-version');
    fireEvent.click(await within(detail).findByRole('button', { name: 'Roll back to version 1…' }));
    const dialog = within(detail).getByRole('alertdialog');
    expect(dialog.textContent).toContain('It becomes version 3, replacing version 2 on every install within seconds.');
    expect(api.requests.filter((r) => r.url.pathname === '/api/v1/fleet/rollback')).toHaveLength(0);
    fireEvent.change(within(dialog).getByLabelText('Rollback note'), { target: { value: 'banner back' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Roll back to version 1' }));
    await waitFor(() => expect(window.location.hash).toBe('#/admin/fleet/history?version=3'));
    expect(api.requests.find((r) => r.url.pathname === '/api/v1/fleet/rollback')?.body).toEqual({ version: 1, base_version: 2, note: 'banner back' });
    expect((await screen.findByTestId('fleet-pushed')).textContent).toContain('Version 3 (a rollback to version 1) is pushed');
  });
});

const install = (patch: Partial<FleetInstall>): FleetInstall => ({
  id: 'ins_a',
  user: 'ana',
  team: 'payments',
  os: 'linux/amd64',
  app_version: '1.4.0',
  config_version: 2,
  first_seen: '2026-11-01T09:00:00Z',
  last_seen: new Date().toISOString(),
  latest_config: true,
  below_minimum: false,
  unseen: false,
  ...patch,
});

describe('FleetPage: installs', () => {
  it('lists installs of a filter with every filter counted, and changes filters through the URL', async () => {
    const api = fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/fleet/config') return json(v2);
        if (r.url.pathname !== '/api/v1/fleet/installs') return undefined;
        return json({
          latest_version: 2,
          counts: { all: 3, stale_config: 2, below_minimum: 1, unseen: 1 },
          items: [
            install({ id: 'ins_b', user: 'ben', team: 'growth', config_version: 1, latest_config: false, app_version: '1.1.0', below_minimum: true, min_app_version: '1.2.0' }),
            install({ id: 'ins_c', user: 'cy', config_version: 0, latest_config: false, config_error: 'the signature does not verify', unseen: true, last_seen: '2026-11-01T09:00:00Z' }),
          ],
        });
      },
    });
    render(
      <WithMe me={ADMIN}>
        <FleetPage tab="installs" filters={{ filter: 'stale_config', team: '' }} />
      </WithMe>,
    );
    const table = await screen.findByRole('table', { name: 'Installs' });
    await within(table).findByText('ben');
    const req = api.requests.find((r) => r.url.pathname === '/api/v1/fleet/installs');
    expect(req?.url.search).toBe('?filter=stale_config');
    const rowOf = (user: string) => table.querySelector(`[data-user="${user}"]`) as HTMLElement;
    expect(within(rowOf('ben')).getByTestId('install-config').textContent).toBe('v1 (latest v2)');
    expect(rowOf('ben').textContent).toContain('below 1.2.0');
    expect(within(rowOf('cy')).getByTestId('install-config').textContent).toBe('refused the newest: the signature does not verify');
    expect(rowOf('cy').textContent).toContain('unseen');

    const group = screen.getByRole('group', { name: 'Show' });
    expect(within(group).getAllByRole('button').map((b) => `${b.textContent}|${b.getAttribute('aria-pressed')}`)).toEqual([
      'All installs 3|false',
      'Not on the latest config 2|true',
      'Below the minimum app version 1|false',
      'Not seen for 7 days 1|false',
    ]);
    fireEvent.click(within(group).getByRole('button', { name: /Not seen for 7 days/ }));
    expect(window.location.hash).toBe('#/admin/fleet/installs?filter=unseen');
    fireEvent.change(await screen.findByLabelText('Team'), { target: { value: 'payments' } });
    expect(window.location.hash).toBe('#/admin/fleet/installs?filter=stale_config&team=payments');
  });

  it('says when every install is on the latest configuration', async () => {
    fakeApi({
      override: (r) => {
        if (r.url.pathname === '/api/v1/fleet/config') return json(v2);
        if (r.url.pathname === '/api/v1/fleet/installs') return json({ latest_version: 2, counts: { all: 4, stale_config: 0, below_minimum: 0, unseen: 0 }, items: [] });
        return undefined;
      },
    });
    render(
      <WithMe me={ADMIN}>
        <FleetPage tab="installs" filters={{ filter: 'stale_config', team: '' }} />
      </WithMe>,
    );
    expect(await screen.findByText('Every install applied version 2.')).toBeTruthy();
  });
});

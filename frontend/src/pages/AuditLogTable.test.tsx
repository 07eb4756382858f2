import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditEvent } from '../api/client';
import { EMPTY_AUDIT_FILTERS } from '../lib/router';
import { ADMIN, fakeApi, json } from '../test/fakeApi';
import { WithMe } from '../test/withMe';
import { AuditLogTable } from './AuditLogTable';

const events: AuditEvent[] = [
  { id: 3, at: '2026-11-26T09:00:02Z', actor: 'system', action: 'action.succeeded', resource: 'action/act_1', outcome: 'success', detail: { attempts: 1 } },
  { id: 2, at: '2026-11-26T09:00:01Z', actor: 'root', action: 'action.approve', resource: 'action/act_2', outcome: 'denied', detail: { reason: 'own request' } },
  { id: 1, at: '2026-11-26T09:00:00Z', actor: 'root', action: 'token.created', resource: 'token/tok_1', outcome: 'success', detail: { name: 'ci' } },
];

beforeEach(() => {
  vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: vi.fn(() => 'blob:audit'), revokeObjectURL: vi.fn() }));
});
afterEach(() => vi.unstubAllGlobals());

describe('AuditLogTable', () => {
  it('queries with the filters, shows who/what/when/resource/outcome/detail, and exports JSON lines', async () => {
    const api = fakeApi({
      override: (r) => {
        if (r.url.pathname !== '/api/v1/audit') return undefined;
        if (r.url.searchParams.get('format') === 'jsonl') {
          return new Response(events.map((e) => JSON.stringify(e)).join('\n') + '\n', { headers: { 'Content-Type': 'application/x-ndjson' } });
        }
        return json({ events });
      },
    });
    const clicks: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    });
    render(
      <WithMe me={ADMIN}>
        <AuditLogTable filters={{ ...EMPTY_AUDIT_FILTERS, actor: 'root', action: 'action.' }} />
      </WithMe>,
    );
    expect(await screen.findByText('token.created')).toBeTruthy();
    const query = api.requests.find((r) => r.url.pathname === '/api/v1/audit');
    expect(query?.url.searchParams.get('actor')).toBe('root');
    expect(query?.url.searchParams.get('action')).toBe('action.');
    expect(screen.getByText('denied', { selector: '[data-outcome]' })).toBeTruthy();
    expect(screen.getByText('reason="own request"')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'action/act_1' }).getAttribute('href')).toBe('#/self-service/act_1');

    fireEvent.click(screen.getByRole('button', { name: 'Export JSON lines' }));
    const status = await screen.findByTestId('export-status');
    expect(status.textContent).toContain('Exported 3 events');
    expect(status.textContent).toContain('downloads folder');
    const exp = api.requests.find((r) => r.url.searchParams.get('format') === 'jsonl');
    expect(exp?.url.searchParams.get('actor')).toBe('root');
    expect(exp?.headers.get('Accept')).toBe('application/x-ndjson');
    expect(clicks).toHaveLength(1);
    expect(clicks[0]).toMatch(/^atrium-audit-\d{8}-\d{6}\.jsonl$/);
    expect(screen.getByTestId('export-link').getAttribute('href')).toBe('blob:audit');
    click.mockRestore();
  });

  it('says in the desktop window that the download may not have been saved', async () => {
    fakeApi({ override: (r) => (r.url.pathname === '/api/v1/audit' ? (r.url.searchParams.get('format') ? new Response('') : json({ events })) : undefined) });
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    window.runtime = { BrowserOpenURL: () => undefined };
    try {
      render(
        <WithMe me={ADMIN}>
          <AuditLogTable filters={EMPTY_AUDIT_FILTERS} />
        </WithMe>,
      );
      await screen.findByText('token.created');
      fireEvent.click(screen.getByRole('button', { name: 'Export JSON lines' }));
      await waitFor(() => expect(screen.getByTestId('export-status').textContent).toContain('The desktop window may not save downloads'));
    } finally {
      delete window.runtime;
    }
  });
});

describe('AuditLogTable export in the desktop window', () => {
  it('saves the JSON lines with the save dialog and says where they went', async () => {
    fakeApi({
      override: (r) =>
        r.url.pathname === '/api/v1/audit'
          ? r.url.searchParams.get('format')
            ? new Response(events.map((e) => JSON.stringify(e)).join('\n') + '\n')
            : json({ events })
          : undefined,
    });
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    const save = vi.fn(async (name: string, _content: string) => `/home/ana/${name}`);
    window.go = { app: { OS: { SaveFile: save } } };
    window.runtime = { BrowserOpenURL: () => undefined };
    try {
      render(
        <WithMe me={ADMIN}>
          <AuditLogTable filters={EMPTY_AUDIT_FILTERS} />
        </WithMe>,
      );
      await screen.findByText('token.created');
      fireEvent.click(screen.getByRole('button', { name: 'Export JSON lines' }));
      await waitFor(() => expect(screen.getByTestId('export-status').textContent).toMatch(/^Saved 3 events matching these filters \(\d+ B\) to \/home\/ana\/atrium-audit-\d{8}-\d{6}\.jsonl\./));
      expect(save.mock.calls[0]?.[1]?.trim().split('\n')).toHaveLength(3);
      expect(click).not.toHaveBeenCalled();
    } finally {
      delete window.go;
      delete window.runtime;
    }
  });

  it('closes the event drawer when the filters no longer list its event, and keeps it while they do', async () => {
    fakeApi({
      override: (r) => {
        if (r.url.pathname !== '/api/v1/audit') return undefined;
        const actor = r.url.searchParams.get('actor');
        return json({ events: events.filter((e) => !actor || e.actor === actor) });
      },
    });
    const view = (actor: string) => (
      <WithMe me={ADMIN}>
        <AuditLogTable filters={{ ...EMPTY_AUDIT_FILTERS, actor }} />
      </WithMe>
    );
    const { rerender } = render(view(''));
    fireEvent.click(await screen.findByText('action.succeeded'));
    expect(screen.getByRole('region', { name: 'Event 3' })).toBeTruthy();
    rerender(view('root')); // the system's event is filtered out
    await screen.findByText('token.created');
    expect(screen.queryByText('action.succeeded')).toBeNull();
    expect(screen.queryByRole('region', { name: 'Event 3' })).toBeNull();

    fireEvent.click(screen.getByText('token.created'));
    expect(screen.getByRole('region', { name: 'Event 1' })).toBeTruthy();
    rerender(view('')); // still listed under the wider filters
    await screen.findByText('action.succeeded');
    expect(screen.getByRole('region', { name: 'Event 1' })).toBeTruthy();
  });
});

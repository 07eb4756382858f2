import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditQuery, detailSummary, exportAuditLines, exportFileName, fromLocalInput, toLocalInput } from './audit';

afterEach(() => vi.unstubAllGlobals());

describe('detailSummary', () => {
  it('keeps short scalars and marks nested values', () => {
    expect(
      detailSummary({ environment: 'dev', attempts: 1, ok: true, params: { name: 'x' }, reason: 'nobody approves their own request' }),
    ).toBe('environment=dev attempts=1 ok=true params={…} reason="nobody approves their own request"');
    expect(detailSummary({ terraform: 'x'.repeat(100) })).toBe(`terraform=${'x'.repeat(57)}…`);
  });
});

describe('time inputs', () => {
  it('round-trips a local time through RFC 3339', () => {
    const iso = fromLocalInput('2026-11-26T09:30');
    expect(iso).toMatch(/^2026-11-2\dT\d\d:30:00\.000Z$/);
    expect(toLocalInput(iso)).toBe('2026-11-26T09:30');
    expect(fromLocalInput('')).toBe('');
    expect(toLocalInput('nonsense')).toBe('');
  });
});

describe('auditQuery', () => {
  it('leaves out empty filters', () => {
    expect(auditQuery({ actor: ' root ', action: '', resource: 'token/', since: '2026-01-01T00:00:00Z', until: '' })).toEqual({
      actor: 'root',
      resource: 'token/',
      since: '2026-01-01T00:00:00Z',
    });
  });
});

describe('exportAuditLines', () => {
  it('pages through the 10000-event limit with before=, reporting progress', async () => {
    const line = (id: number) => JSON.stringify({ id, action: 'action.requested' });
    const calls: URL[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL) => {
        const url = new URL(input instanceof Request ? input.url : input, 'http://127.0.0.1');
        calls.push(url);
        const before = Number(url.searchParams.get('before') ?? 20_001);
        const ids = Array.from({ length: Math.min(10_000, before - 1) }, (_, i) => before - 1 - i);
        return new Response(ids.map(line).join('\n') + (ids.length ? '\n' : ''), { status: 200 });
      }),
    );
    const progress: number[] = [];
    const out = await exportAuditLines({ actor: 'root' }, (n) => progress.push(n));
    expect(out.events).toBe(20_000);
    expect(progress).toEqual([10_000, 20_000, 20_000]);
    expect(calls.map((u) => u.searchParams.get('before'))).toEqual([null, '10001', '1']);
    expect(calls.every((u) => u.searchParams.get('format') === 'jsonl' && u.searchParams.get('actor') === 'root')).toBe(true);
    const lines = out.text.trimEnd().split('\n');
    expect(lines).toHaveLength(20_000);
    expect(JSON.parse(lines[0] ?? '')).toEqual({ id: 20_000, action: 'action.requested' });
  });

  it('names the file by time', () => {
    expect(exportFileName(new Date(2026, 10, 26, 9, 3, 8))).toBe('atrium-audit-20261126-090308.jsonl');
  });
});

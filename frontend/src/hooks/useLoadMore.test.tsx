import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { nextOffset, useLoadMore, type MoreSource } from './useLoadMore';

/** A list of 5 numbers per query letter, 2 per page; calls are recorded, and answers wait until released. */
function source(clearOnNewQuery: boolean) {
  const calls: string[] = [];
  const waiting: (() => void)[] = [];
  const src: MoreSource<{ q: string }, string, number> = {
    clearOnNewQuery,
    fetch: (query, offset, signal) => {
      calls.push(`${query.q}@${offset ?? 0}`);
      return new Promise((resolve, reject) => {
        signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        waiting.push(() => {
          const start = offset ?? 0;
          const items = Array.from({ length: Math.min(2, 5 - start) }, (_, i) => `${query.q}${start + i}`);
          resolve({ items, total: 5, next: nextOffset(offset, items.length, 5) });
        });
      });
    },
  };
  const release = () => act(() => waiting.splice(0).forEach((f) => f()));
  return { src, calls, release };
}

describe('useLoadMore', () => {
  it('appends pages until the end, one request at a time', async () => {
    const { src, calls, release } = source(false);
    const { result } = renderHook(() => useLoadMore(src, { q: 'a' }));
    release();
    await waitFor(() => expect(result.current.items).toEqual(['a0', 'a1']));
    act(() => result.current.more());
    act(() => result.current.more()); // ignored: one is on its way
    release();
    await waitFor(() => expect(result.current.items).toHaveLength(4));
    act(() => result.current.more());
    release();
    await waitFor(() => expect(result.current.items).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']));
    expect(result.current.next).toBeUndefined();
    act(() => result.current.more()); // the end: nothing more to ask
    expect(calls).toEqual(['a@0', 'a@2', 'a@4']);
  });

  it('keeps the previous items, stale, until a new query answers; or empties at once when the source says so', async () => {
    for (const clear of [false, true]) {
      const { src, release } = source(clear);
      const { result, rerender } = renderHook(({ q }) => useLoadMore(src, { q }), { initialProps: { q: 'a' } });
      release();
      await waitFor(() => expect(result.current.items).toEqual(['a0', 'a1']));
      rerender({ q: 'b' });
      await waitFor(() => expect(result.current.loading).toBe(true));
      expect(result.current.items).toEqual(clear ? [] : ['a0', 'a1']);
      expect(result.current.stale).toBe(!clear);
      release();
      await waitFor(() => expect(result.current.items).toEqual(['b0', 'b1']));
      expect(result.current.stale).toBe(false);
    }
  });

  it('reads from the top again when refreshKey changes, and waits while not enabled', async () => {
    const { src, calls, release } = source(false);
    const { result, rerender } = renderHook(({ r, on }) => useLoadMore(src, { q: 'a' }, { refreshKey: r, enabled: on }), {
      initialProps: { r: 'r1', on: false },
    });
    expect(calls).toEqual([]);
    rerender({ r: 'r1', on: true });
    release();
    await waitFor(() => expect(result.current.items).toHaveLength(2));
    rerender({ r: 'r2', on: true });
    expect(result.current.stale).toBe(false);
    release();
    await waitFor(() => expect(calls).toEqual(['a@0', 'a@0']));
  });
});

import { act, renderHook, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, DEVELOPER, fakeApi, json } from '../test/fakeApi';
import { useMeLoader } from './useMe';

afterEach(() => vi.unstubAllGlobals());

describe('useMeLoader', () => {
  it('asks once per portal, keeps who you are when a reload fails, and forgets it when the token changed', async () => {
    let answer: Response | (() => Response) = () => json(ADMIN);
    const api = fakeApi({ override: (r) => (r.url.pathname === '/api/v1/me' ? (typeof answer === 'function' ? answer() : answer) : undefined) });
    const calls = () => api.requests.filter((r) => r.url.pathname === '/api/v1/me').length;
    const { result, rerender } = renderHook(({ k }) => useMeLoader(k), { initialProps: { k: '' } });
    expect(calls()).toBe(0); // the portal is not known yet
    rerender({ k: 'local|' });
    await waitFor(() => expect(result.current.me?.subject).toBe('root'));
    expect(calls()).toBe(1);

    answer = () => json({ error: { code: 'portal_unreachable', message: 'The portal could not be reached' } }, 502);
    act(() => result.current.reload());
    await waitFor(() => expect(result.current.error?.code).toBe('portal_unreachable'));
    expect(result.current.me?.subject).toBe('root'); // a blink does not take the user's buttons away

    answer = () => json(DEVELOPER);
    act(() => result.current.reload({ forget: true }));
    expect(result.current.me).toBeNull();
    await waitFor(() => expect(result.current.me?.subject).toBe('ana'));

    rerender({ k: 'remote|http://127.0.0.1:9' });
    expect(result.current.me).toBeNull(); // another portal: nobody known until it answers
    await waitFor(() => expect(result.current.me?.subject).toBe('ana'));
  });
});

import { act, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { UIFeatures } from '../api/client';
import { ALL_FEATURES_ON, fakeApi, featuresWithOff, json } from '../test/fakeApi';
import { announceSettingsSaved, notReadyRetryMs, useFeaturesLoader } from './useFeatures';

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function Show({ portalKey }: { portalKey: string }) {
  const s = useFeaturesLoader(portalKey);
  return <p data-testid="state">{s.kind === 'loaded' ? `${s.features.provider} flags=${String(s.features.features['atrium-ui-flags-page']?.enabled)}` : s.kind}</p>;
}

describe('useFeaturesLoader', () => {
  it('waits for the portal to be known, then loads once', async () => {
    const api = fakeApi();
    const { rerender } = render(<Show portalKey="" />);
    expect(screen.getByTestId('state').textContent).toBe('loading');
    rerender(<Show portalKey="local|" />);
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('READY flags=true'));
    expect(api.requests.filter((r) => r.url.pathname === '/api/v1/ui/features')).toHaveLength(1);
  });

  it('asks again while the provider has not got the flag set, until it is READY', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const answers: UIFeatures[] = [
      { ...ALL_FEATURES_ON, provider: 'NOT_READY' },
      { ...ALL_FEATURES_ON, provider: 'NOT_READY' },
      featuresWithOff('atrium-ui-flags-page'),
    ];
    const api = fakeApi({ override: (r) => (r.url.pathname === '/api/v1/ui/features' ? json(answers.shift() ?? ALL_FEATURES_ON) : undefined) });
    render(<Show portalKey="local|" />);
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('NOT_READY flags=true'));
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000 + 2000 + 50);
    });
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('READY flags=false'));
    await act(async () => {
      await vi.advanceTimersByTimeAsync(60_000);
    });
    expect(api.requests.filter((r) => r.url.pathname === '/api/v1/ui/features')).toHaveLength(3);
  });

  it('loads again when Settings saved', async () => {
    let answer = ALL_FEATURES_ON;
    fakeApi({ override: (r) => (r.url.pathname === '/api/v1/ui/features' ? json(answer) : undefined) });
    render(<Show portalKey="remote|https://portal.example" />);
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('READY flags=true'));
    answer = featuresWithOff('atrium-ui-flags-page');
    act(() => announceSettingsSaved());
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('READY flags=false'));
  });

  it('backs off 1, 2, 4 … up to 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(notReadyRetryMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});

import { describe, expect, it } from 'vitest';
import { ApiError, parseApiError } from '../api/client';
import { describeSubmitError } from './submitError';

const unreachable = (sent: string) =>
  parseApiError(
    502,
    'Bad Gateway',
    JSON.stringify({
      error: {
        code: 'portal_unreachable',
        message: `The portal at http://127.0.0.1:9 could not be reached (connect: connection refused); ${sent}. Nothing was queued.`,
        // The local API says sent: false only when the request certainly did not go out.
        ...(sent.includes('not sent') ? { sent: false } : {}),
      },
    }),
  );

describe('describeSubmitError', () => {
  it('says plainly that a request the portal never got was not sent, keeping the API message', () => {
    const f = describeSubmitError(unreachable('the request was not sent'));
    expect(f.title).toBe('Your request was NOT sent: the portal could not be reached');
    expect(f.body).toContain('the request was not sent. Nothing was queued.');
    expect(f.next).toContain('Nothing was queued');
    expect(f.next).toContain('Your input is kept');
    expect(f.retry).toBe(true);
  });

  it('does not claim "not sent" when the API says it may have arrived', () => {
    const f = describeSubmitError(unreachable('it may have been received: check before retrying'));
    expect(f.title).toBe('The portal could not be reached: your request may not have arrived');
    expect(f.next).toContain('same request key');
  });

  it('points at the fields for a 400, and passes 403 reasons through', () => {
    const bad = new ApiError(400, 'bad_request', 'invalid action request: nothing was stored', [
      { field: 'params.name', problem: 'required' },
    ]);
    expect(describeSubmitError(bad).title).toBe('The portal refused the request: nothing was stored');
    expect(describeSubmitError(bad).body).toBe('Fix the fields marked below and send it again.');
    const forbidden = new ApiError(403, 'forbidden', 'forbidden: ana needs a role on team "search" that grants actions:request');
    expect(describeSubmitError(forbidden).title).toBe('You may not make this request');
    expect(describeSubmitError(forbidden).body).toContain('needs a role on team "search"');
  });

  it('covers the local API being gone', () => {
    const f = describeSubmitError(new ApiError(0, 'network', 'Could not reach the Atrium API (Failed to fetch).'), 'token');
    expect(f.title).toBe('Your token could not be sent: Atrium itself did not answer');
  });
});

import { describe, expect, it } from 'vitest';
import { newIdempotencyKey, SubmissionKey } from './idempotency';

describe('SubmissionKey', () => {
  it('reuses the key while the request is the same, and makes a new one when it changes or after reset', () => {
    let n = 0;
    const keys = new SubmissionKey(() => `k${++n}`);
    const a = JSON.stringify({ name: 'orders' });
    const b = JSON.stringify({ name: 'orders-v2' });
    expect(keys.keyFor(a)).toBe('k1');
    expect(keys.keyFor(a)).toBe('k1'); // a retry, or a second click
    expect(keys.keyFor(b)).toBe('k2'); // the user changed the request
    expect(keys.keyFor(a)).toBe('k3'); // and changed it back: k1 is not reused for safety's sake
    keys.reset();
    expect(keys.keyFor(a)).toBe('k4');
  });

  it('makes random keys the portal accepts', () => {
    const a = newIdempotencyKey();
    const b = newIdempotencyKey();
    expect(a).not.toBe(b);
    expect(a.length).toBeGreaterThanOrEqual(32);
    expect(a.length).toBeLessThanOrEqual(200);
  });
});

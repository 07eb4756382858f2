// Idempotency keys for action requests. The portal stores one action per key (a repeat answers the first action),
// so the form keeps one key for as long as it keeps sending the same request: a double click, a retry after a
// timeout or after "portal unreachable" all carry the same key and can never create two actions. A different
// request (the user changed a field) gets a new key, because the portal refuses a key reused for other content.

/** A new random key: a UUID where the platform has one, else 128 random bits in hex. */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Hands out the key for a request body: the same key while the body is the same, until reset(). */
export class SubmissionKey {
  private current: { body: string; key: string } | null = null;
  private readonly make: () => string;

  constructor(make: () => string = newIdempotencyKey) {
    this.make = make;
  }

  /** The key for this body (the request's canonical JSON). */
  keyFor(body: string): string {
    if (this.current && this.current.body === body) return this.current.key;
    this.current = { body, key: this.make() };
    return this.current.key;
  }

  /** Forget the key: the request was stored, so the next submission is a new request. */
  reset(): void {
    this.current = null;
  }
}

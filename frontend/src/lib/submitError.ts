// What a form says when sending a request failed: above all, whether anything was sent or stored, in words a
// person can act on. The API's message is kept verbatim; the title says what it means for the user's request.
import type { ApiError } from '../api/client';

export interface SubmitFailure {
  title: string;
  /** The API's message (or ours, when the API could not answer). */
  body: string;
  /** What to do next. */
  next: string;
  /** Whether sending the same request again is the right move (a retry reuses the idempotency key). */
  retry: boolean;
}

/**
 * Describes a failed submission. The desktop's local API answers 502 portal_unreachable when it could not pass a
 * request on, with `sent: false` when the request certainly did not go out; nothing is queued either way. A retry
 * is always safe for action requests: it carries the same idempotency key.
 */
export function describeSubmitError(err: ApiError, what = 'request', opts: { retrySafe?: string } = {}): SubmitFailure {
  const safe = opts.retrySafe ?? 'Retrying is safe: it carries the same request key, so the portal cannot store it twice.';
  if (err.code === 'portal_unreachable') {
    const notSent = err.sent === false;
    return {
      title: notSent
        ? `Your ${what} was NOT sent: the portal could not be reached`
        : `The portal could not be reached: your ${what} may not have arrived`,
      body: err.message,
      next: notSent
        ? 'Nothing was queued on this computer either. Your input is kept: retry when the portal is back (the sync indicator at the top right shows when).'
        : `Your input is kept. ${safe}`,
      retry: true,
    };
  }
  if (err.status === 0) {
    return {
      title: `Your ${what} could not be sent: Atrium itself did not answer`,
      body: err.message,
      next: `Your input is kept. ${safe}`,
      retry: true,
    };
  }
  switch (err.status) {
    case 400:
      return {
        title: `The portal refused the ${what}: nothing was stored`,
        body: err.fields.length > 0 ? 'Fix the fields marked below and send it again.' : err.message,
        next: '',
        retry: false,
      };
    case 403:
      return {
        title: `You may not make this ${what}`,
        body: err.message,
        next: 'Ask an admin for the role it names, or pick something your roles allow.',
        retry: false,
      };
    case 413:
      return { title: `The ${what} is too large: nothing was stored`, body: err.message, next: '', retry: false };
    case 422:
      return {
        title: `The portal saw this request key before, for a different ${what}`,
        body: err.message,
        next: 'Send it again: the form makes a new key for the changed request.',
        retry: true,
      };
  }
  return {
    title: err.status >= 500 ? `The portal failed to take the ${what}` : `The ${what} failed`,
    body: err.message,
    next: `Your input is kept. ${safe}`,
    retry: true,
  };
}

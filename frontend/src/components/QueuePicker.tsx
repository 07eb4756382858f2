import { api, type KnownQueue } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { queueOptionText, subscribableQueues } from '../lib/requestForm';
import { newRequestHash } from '../lib/router';

interface Props {
  id: string;
  environment: string;
  region: string;
  /** The topic is FIFO: only FIFO queues may be subscribed (and standard queues only to standard topics). */
  fifo: boolean;
  /** The service the topic is for: a missing queue is requested for it. */
  service: string;
  value: string;
  onChange: (queue: string) => void;
  invalid: boolean;
  describedBy?: string;
}

/**
 * The queue an SNS topic subscribes, picked from those the portal knows in the topic's environment and region —
 * existing (made through the portal or seen in AWS), previewed, or requested and on their way — never typed: a
 * queue that is none of these cannot receive anything, and the portal refuses it.
 */
export function QueuePicker({ id, environment, region, fifo, service, value, onChange, invalid, describedBy }: Props) {
  const load = useLoad((signal) => api.listKnownQueues(environment, region, signal), `${environment}|${region}`, {
    enabled: environment !== '' && region !== '',
  });
  const known: KnownQueue[] = load.data?.items ?? [];
  const { queues, otherKind } = subscribableQueues(known, fifo);
  if (!load.data) {
    return load.error ? (
      <p className="form-error" role="alert" id={id}>
        The queues of {environment} / {region} could not be loaded: {load.error.message}{' '}
        <button type="button" className="button button-link" onClick={load.reload}>
          Retry
        </button>
      </p>
    ) : (
      <p className="muted" role="status" id={id}>
        Loading the queues of {environment} / {region}…
      </p>
    );
  }
  const kind = fifo ? 'FIFO' : 'standard';
  if (queues.length === 0) {
    return (
      <p className="inline-note" role="note" id={id} data-testid="no-queues">
        No {kind} SQS queue exists or is requested in {environment} / {region}
        {otherKind > 0 ? ` (${otherKind} of the other kind cannot be subscribed to a ${kind} topic)` : ''}.{' '}
        <a href={newRequestHash(service)}>Request a queue first</a>, then subscribe it.
      </p>
    );
  }
  const chosen = queues.some((q) => q.name === value) ? value : '';
  return (
    <select id={id} value={chosen} aria-invalid={invalid || undefined} aria-describedby={describedBy} onChange={(e) => onChange(e.target.value)}>
      <option value="">Choose a {kind} queue…</option>
      {queues.map((q) => (
        <option key={q.name} value={q.name} data-state={q.state}>
          {queueOptionText(q)}
        </option>
      ))}
    </select>
  );
}

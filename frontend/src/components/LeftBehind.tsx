import type { Action } from '../api/client';
import { leftBehind } from '../lib/runProgress';

/** What a cancelled run left behind — for a person to keep or remove; nothing is undone by itself. */
export function LeftBehind({ action }: { action: Action }) {
  const lb = leftBehind(action);
  if (!lb) return null;
  return (
    <section className="panel" aria-labelledby="left-behind-heading" data-testid="left-behind">
      <h2 id="left-behind-heading">What the cancelled run left behind</h2>
      <p>{lb.summary.charAt(0).toUpperCase() + lb.summary.slice(1)}.</p>
      {lb.items.length > 0 && (
        <ul>
          {lb.items.map((i) => (
            <li key={i.step}>
              {i.what} <span className="muted">— {i.step}</span>
            </li>
          ))}
        </ul>
      )}
      <p className="muted">{lb.items.length > 0 ? 'Nothing was undone: keep these, or remove them by hand.' : 'There is nothing to clean up.'}</p>
      {action.reason && <p className="muted">Reason given: “{action.reason}”</p>}
    </section>
  );
}

import type { Action } from '../api/client';

/** "payments-api · payments" for a request about a service; just the team for one that belongs to a team (a flag change). */
export function ActionOwner({ action }: { action: Pick<Action, 'service' | 'team'> }) {
  if (!action.service) return <>{action.team}</>;
  return (
    <>
      {action.service} <span className="muted">· {action.team}</span>
    </>
  );
}

import { useState } from 'react';
import { api } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { ErrorState, LoadingState } from './Notice';
import { PlanView } from './PlanView';

interface Props {
  actionId: string;
  /** The digest the action's params name (plan_digest): the plan the requester reviewed. */
  digest: string;
  /** Open from the start (an approver deciding); otherwise behind "Show the plan", loaded when opened. */
  open: boolean;
}

/**
 * The plan stored with a service_create request — exactly what its run executes, as the requester reviewed it —
 * so that an approver sees what they approve, and anyone can see afterwards what the run was to do.
 */
export function ActionPlan({ actionId, digest, open: openAtFirst }: Props) {
  const [open, setOpen] = useState(openAtFirst);
  const load = useLoad((signal) => api.getActionPlan(actionId, signal), actionId, { enabled: open });
  const plan = load.data;
  return (
    <section aria-labelledby="action-plan-heading" data-testid="action-plan">
      <div className="section-tools">
        <h2 id="action-plan-heading">The plan</h2>
        <button type="button" className="button" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? 'Hide the plan' : 'Show the plan'}
        </button>
      </div>
      {!open ? (
        <p className="muted">Every file, the pull request, the manifests and the steps, exactly as the run executes them.</p>
      ) : plan ? (
        <>
          {digest && plan.digest !== digest && (
            <p className="inline-warning" role="status">
              This plan&apos;s digest ({plan.digest.slice(0, 12)}) differs from the request&apos;s ({digest.slice(0, 12)}).
            </p>
          )}
          <PlanView key={plan.digest} plan={plan} />
        </>
      ) : load.error?.status === 404 ? (
        <p className="muted">The portal keeps no plan for this request: {load.error.message}</p>
      ) : load.error ? (
        <ErrorState title="The plan could not be loaded" error={load.error} onRetry={load.reload} />
      ) : (
        <LoadingState>Loading the plan…</LoadingState>
      )}
    </section>
  );
}

import { useState, type FormEvent } from 'react';
import { api, asApiError, type ApiError, type ClaimRequest, type ClaimResult, type UnmappedWorkload, type WorkloadKind } from '../api/client';
import { FormField } from './FormField';
import { ServicePicker } from './ServicePicker';
import styles from './ClaimWorkloadForm.module.css';

const KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

function isWorkloadKind(k: string): k is WorkloadKind {
  return (KINDS as readonly string[]).includes(k);
}

/** The claim a form's choices make: the workload, in its cluster or in every cluster, for service. */
export function claimFor(w: UnmappedWorkload, service: string, everyCluster: boolean): ClaimRequest | string {
  if (!isWorkloadKind(w.kind)) return `A ${w.kind} cannot be claimed: only Deployments, StatefulSets and DaemonSets can.`;
  const claim: ClaimRequest = { namespace: w.namespace, kind: w.kind, name: w.name, service };
  if (!everyCluster) claim.cluster = w.cluster;
  return claim;
}

interface Props {
  workload: UnmappedWorkload;
  onClaimed: (result: ClaimResult) => void;
  onCancel: () => void;
}

/** Maps one unmapped workload to a catalog service (POST /api/v1/kube/claims), here or in every cluster. */
export function ClaimWorkloadForm({ workload: w, onClaimed, onCancel }: Props) {
  const [service, setService] = useState('');
  const [everyCluster, setEveryCluster] = useState(false);
  const [busy, setBusy] = useState(false);
  const [missing, setMissing] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const label = `${w.namespace}/${w.kind}/${w.name}`;

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (busy) return;
    if (!service) {
      setMissing('Choose the catalog service this workload belongs to.');
      return;
    }
    const claim = claimFor(w, service, everyCluster);
    if (typeof claim === 'string') {
      setMissing(claim);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onClaimed(await api.claimWorkload(claim));
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const serviceProblem = missing || error?.fieldProblem('service');
  // The portal's problem with the service shows at the picker; anything else (403, 502) under the form.
  const other = error && !error.fieldProblem('service') ? error.message : '';
  return (
    <form className={`panel ${styles['claim-form']}`} aria-label={`Claim ${label}`} onSubmit={(e) => void submit(e)} noValidate>
      <h3 className={styles['claim-title']}>
        Claim <span className="mono">{label}</span>
      </h3>
      <p className="muted">
        In {w.cluster} ({w.environment}, {w.region}), running <span className="mono">{w.version}</span>. {w.reason}
        {w.candidate ? ` It names “${w.candidate}”, which the catalog does not have.` : ''}
      </p>
      <FormField id="claim-service" label="Service" problem={serviceProblem} help="The catalog service that runs this workload; a claim wins over its labels.">
        <ServicePicker
          id="claim-service"
          value={service}
          onChange={(s) => {
            setService(s?.name ?? '');
            setMissing('');
            setError(null);
          }}
          mayRequestFor={() => true}
          invalid={Boolean(serviceProblem)}
          describedBy={serviceProblem ? 'claim-service-problem' : 'claim-service-help'}
        />
      </FormField>
      <fieldset className={styles['claim-scope']}>
        <legend>Where</legend>
        <label className="checkbox">
          <input type="radio" name="claim-scope" checked={!everyCluster} onChange={() => setEveryCluster(false)} />
          only in {w.cluster}
        </label>
        <label className="checkbox">
          <input type="radio" name="claim-scope" checked={everyCluster} onChange={() => setEveryCluster(true)} />
          in every cluster (this namespace, kind and name), also ones registered later
        </label>
      </fieldset>
      {other && (
        <p className="form-error" role="alert">
          The claim was not recorded: {other}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Claiming…' : 'Claim'}
        </button>
        <button type="button" className="button" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

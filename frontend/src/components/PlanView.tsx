import { useMemo, useState } from 'react';
import type { Plan } from '../api/client';
import { allFolders, countFiles, findFile, firstFile, planTree, type TreeState } from '../lib/planTree';
import { CatalogEntryPreview } from './CatalogEntryPreview';
import { FileContent } from './FileContent';
import { FindingsList } from './FindingsList';
import { InfraPullRequest } from './InfraPullRequest';
import { PlanFileTree } from './PlanFileTree';
import { PlanSteps } from './PlanSteps';
import { RepositorySettings } from './RepositorySettings';
import styles from './PlanView.module.css';

/** One line on what a plan does: "11 files in sphera/orders; a pull request of 9 files on sphera/infra; hello-world in dev-eu-west-1". */
export function planSummary(plan: Plan): string {
  const parts = [
    `${countFiles(plan.files.length)} in the new repository ${plan.repository.owner}/${plan.repository.name}`,
    `a pull request of ${countFiles(plan.infra_pull_request.files.length)} on ${plan.infra_pull_request.repository}`,
  ];
  if (plan.deploy.length > 0) parts.push(`hello-world in ${plan.deploy.map((d) => d.cluster).join(', ')}`);
  parts.push(`the catalog entry ${plan.catalog_entry.name}`);
  return `${parts.join('; ')}.`;
}

/**
 * The whole dry run, before anything is created: every file (the new repository, the infrastructure pull request,
 * each dev cluster's manifests) as a tree with the selected file's content, the repository's settings, the pull
 * request, the catalog entry and the steps. The same view serves the requester (before creating) and approvers (the
 * plan stored with the request). Key it by the plan's digest so a new plan starts afresh.
 */
export function PlanView({ plan }: { plan: Plan }) {
  const roots = useMemo(() => planTree(plan), [plan]);
  const [tree, setTree] = useState<TreeState>(() => {
    const selected = firstFile(roots);
    return { focus: selected || (roots[0]?.id ?? ''), open: allFolders(roots), selected };
  });
  const file = findFile(roots, tree.selected);

  return (
    <div className={styles.plan} data-testid="plan-view" data-digest={plan.digest}>
      <p className={styles.summary}>
        {planSummary(plan)}{' '}
        <span className={styles.digest} title={`SHA-256 of the plan: ${plan.digest}`}>
          digest <span className="mono">{plan.digest.slice(0, 12)}</span>
        </span>
      </p>
      {plan.warnings.length > 0 && (
        <section className="panel" aria-labelledby="plan-warnings-heading">
          <h3 id="plan-warnings-heading">
            Warnings <span className="count">{plan.warnings.length}</span>
          </h3>
          <FindingsList findings={plan.warnings} />
        </section>
      )}
      <section className={`panel ${styles.files}`} aria-labelledby="plan-files-heading">
        <h3 id="plan-files-heading">Files</h3>
        <p className={styles.hint}>Arrow keys move in the tree, Enter opens a file.</p>
        <div className={styles.browser}>
          <div className={styles['tree-pane']}>
            <PlanFileTree roots={roots} state={tree} onChange={setTree} label="Planned files" />
          </div>
          <div className={styles['content-pane']}>
            {file?.file ? (
              <FileContent key={file.id} file={file.file} where={file.rootLabel} />
            ) : (
              <p className="muted">Pick a file to see its content.</p>
            )}
          </div>
        </div>
      </section>
      <div className={styles.details}>
        <RepositorySettings repository={plan.repository} />
        <InfraPullRequest pr={plan.infra_pull_request} />
        <CatalogEntryPreview entry={plan.catalog_entry} deploy={plan.deploy} />
        <PlanSteps steps={plan.steps} />
      </div>
    </div>
  );
}

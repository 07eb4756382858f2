import type { Plan } from '../api/client';
import { countFiles } from '../lib/planTree';
import styles from './InfraPullRequest.module.css';

/** The pull request the infrastructure repository gets: where, its title, and its body as the text it is. */
export function InfraPullRequest({ pr }: { pr: Plan['infra_pull_request'] }) {
  return (
    <section className="panel" aria-labelledby="plan-pr-heading">
      <h3 id="plan-pr-heading">Infrastructure pull request</h3>
      <dl className="facts facts-column">
        <div>
          <dt>Repository</dt>
          <dd className="mono">{pr.repository}</dd>
        </div>
        <div>
          <dt>Branch</dt>
          <dd>
            <span className="mono">{pr.branch}</span> into <span className="mono">{pr.base}</span>
          </dd>
        </div>
        <div>
          <dt>Title</dt>
          <dd data-testid="plan-pr-title">{pr.title}</dd>
        </div>
        <div>
          <dt>Changes</dt>
          <dd>{countFiles(pr.files.length)}: the service&apos;s Terraform and Kubernetes manifests (in the file tree)</dd>
        </div>
      </dl>
      <p className={styles['body-label']}>Description (Markdown, shown as written)</p>
      <pre className={styles.body} data-testid="plan-pr-body">
        {pr.body}
      </pre>
    </section>
  );
}

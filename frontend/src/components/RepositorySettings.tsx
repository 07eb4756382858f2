import type { Plan } from '../api/client';

/** "1 approving review, code owners' review, stale approvals dismissed, checks image and test, up to date". */
export function protectionText(p: Plan['repository']['protection']): string {
  if (!p) return 'none: the template asks for no branch protection';
  const parts = [p.required_reviews === 1 ? '1 approving review' : `${p.required_reviews} approving reviews`];
  if (p.require_code_owner_reviews) parts.push("a code owner's review");
  if (p.dismiss_stale_reviews) parts.push('approvals dismissed by new commits');
  if (p.required_checks.length > 0) parts.push(`checks ${p.required_checks.join(', ')} passing`);
  if (p.strict) parts.push('up to date with the branch before merging');
  return parts.join('; ');
}

/** The new repository as it will be created: where, who sees it, its default branch and how that is protected. */
export function RepositorySettings({ repository: r }: { repository: Plan['repository'] }) {
  return (
    <section className="panel" aria-labelledby="plan-repo-heading">
      <h3 id="plan-repo-heading">Repository</h3>
      <dl className="facts facts-column">
        <div>
          <dt>Name</dt>
          <dd className="mono">{r.url}</dd>
        </div>
        <div>
          <dt>Visibility</dt>
          <dd>{r.visibility}</dd>
        </div>
        <div>
          <dt>Default branch</dt>
          <dd className="mono">{r.default_branch}</dd>
        </div>
        <div>
          <dt>Description</dt>
          <dd>{r.description || <span className="muted">none</span>}</dd>
        </div>
        {r.topics.length > 0 && (
          <div>
            <dt>Topics</dt>
            <dd>{r.topics.join(', ')}</dd>
          </div>
        )}
        <div>
          <dt>Protection</dt>
          <dd data-testid="plan-protection">
            {r.protection ? (
              <>
                <span className="mono">{r.protection.branch}</span> needs {protectionText(r.protection)}
              </>
            ) : (
              protectionText(null)
            )}
          </dd>
        </div>
      </dl>
    </section>
  );
}

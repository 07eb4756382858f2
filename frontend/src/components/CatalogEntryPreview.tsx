import type { Plan } from '../api/client';
import { LifecycleBadge } from './LifecycleBadge';

/** The catalog entry the run registers at once, before any collector has read the new repository. */
export function CatalogEntryPreview({ entry: e, deploy }: { entry: Plan['catalog_entry']; deploy: Plan['deploy'] }) {
  return (
    <section className="panel" aria-labelledby="plan-catalog-heading">
      <h3 id="plan-catalog-heading">Catalog entry</h3>
      <dl className="facts facts-column">
        <div>
          <dt>Service</dt>
          <dd className="mono">{e.name}</dd>
        </div>
        <div>
          <dt>Owner</dt>
          <dd>{e.owner}</dd>
        </div>
        <div>
          <dt>Language</dt>
          <dd>{e.language}</dd>
        </div>
        <div>
          <dt>Lifecycle</dt>
          <dd>
            <LifecycleBadge lifecycle={e.lifecycle} />
          </dd>
        </div>
        {e.template && (
          <div>
            <dt>Template</dt>
            <dd className="mono">{e.template}</dd>
          </div>
        )}
        {e.tags.length > 0 && (
          <div>
            <dt>Tags</dt>
            <dd>{e.tags.join(', ')}</dd>
          </div>
        )}
        {deploy.map((d) => (
          <div key={d.cluster}>
            <dt>Hello-world in</dt>
            <dd>
              {d.cluster} at <span className="mono">{d.url}</span>
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

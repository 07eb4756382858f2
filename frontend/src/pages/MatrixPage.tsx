import { api, type Matrix } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useMatrixPages } from '../hooks/useMatrixPages';
import { count } from '../lib/format';
import { distinct, hasMatrixFilters } from '../lib/matrix';
import { CLUSTERS_HASH, matrixHash, navigate, type MatrixFilters } from '../lib/router';
import { MatrixGrid } from '../components/MatrixGrid';
import { MatrixLegend } from '../components/MatrixLegend';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';

interface Props {
  filters: MatrixFilters;
  /** Changes when the replica changes; the grid then refetches what is on screen, keeping scroll and filters. */
  refreshKey: string;
}

/**
 * What runs where: every service down, every cluster across (grouped by environment, then region), each cell the
 * version running there. Filters live in the URL; the desktop answers from its replica, so this works offline.
 */
export function MatrixPage({ filters, refreshKey }: Props) {
  const data = useMatrixPages(filters, refreshKey);
  const { total, clusters, rowAt, error, ensureRange, retry, queryKey, pending } = data;
  // The filter choices: every column of the unfiltered matrix (one row is enough), and the catalog's teams.
  const everything = useLoad<Matrix>((signal) => api.getKubeMatrix({ limit: 1 }, signal), refreshKey);
  const facets = useLoad((signal) => api.getFacets(signal), refreshKey);
  const all = everything.data?.clusters ?? [];
  const teams = (facets.data?.owners ?? []).map((f) => f.value);
  const update = (patch: Partial<MatrixFilters>) => navigate(matrixHash({ ...filters, ...patch }));
  const filtered = hasMatrixFilters(filters);

  let body;
  if (total === null && error) {
    body = <ErrorState title="The matrix could not be loaded" error={error} onRetry={retry} />;
  } else if (total === null) {
    body = (
      <LoadingState>
        Loading the matrix…
      </LoadingState>
    );
  } else if (total === 0) {
    body = filtered ? (
      <EmptyState title="No services match these filters">
        <p>Try another team, environment or region.</p>
        <button type="button" className="button" onClick={() => navigate(matrixHash())}>
          Clear filters
        </button>
      </EmptyState>
    ) : (
      <EmptyState title="No deployments known yet">
        <p>
          The matrix fills in when the portal reads Kubernetes clusters: an admin registers them on the portal server (
          <code>atrium serve --kube-clusters FILE</code>). <a href={CLUSTERS_HASH}>See the clusters</a> and their state.
        </p>
      </EmptyState>
    );
  }

  return (
    <section className="list-page" aria-label="What runs where">
      <div className="toolbar">
        <h1 className="toolbar-title">What runs where</h1>
        <ChoiceFilter label="Team" allLabel="All teams" choices={teams} value={filters.team} onChange={(team) => update({ team })} />
        <ChoiceFilter
          label="Environment"
          allLabel="All environments"
          choices={distinct(all, 'environment')}
          value={filters.environment}
          onChange={(environment) => update({ environment })}
        />
        <ChoiceFilter label="Region" allLabel="All regions" choices={distinct(all, 'region')} value={filters.region} onChange={(region) => update({ region })} />
        {filtered && (
          <button type="button" className="button button-link" onClick={() => navigate(matrixHash())}>
            Clear filters
          </button>
        )}
        <span className="list-total" data-testid="matrix-total" aria-live="polite" aria-busy={pending || undefined}>
          {total === null ? '' : `${count(total, 'service')} × ${count(clusters.length, 'cluster')}`}
        </span>
        <a className="button" href={CLUSTERS_HASH}>
          Clusters
        </a>
      </div>
      <MatrixLegend />
      {error && total !== null && (
        <div className="inline-error" role="alert">
          {error.message}{' '}
          <button type="button" className="button button-link" onClick={retry}>
            Retry
          </button>
        </div>
      )}
      {total !== null && total > 0 && clusters.length === 0 && (
        <p className="inline-warning" role="status">
          No cluster in {filters.region ? `region ${filters.region}` : 'these filters'} runs any of these services; the rows below run elsewhere.
        </p>
      )}
      {body ?? <MatrixGrid clusters={clusters} total={total ?? 0} rowAt={rowAt} ensureRange={ensureRange} queryKey={queryKey} pending={pending} />}
    </section>
  );
}

interface ChoiceProps {
  label: string;
  allLabel: string;
  choices: string[];
  value: string;
  onChange: (value: string) => void;
}

/** A dropdown filter; a value from the URL that is not among the choices (or a comma list) stays selectable. */
function ChoiceFilter({ label, allLabel, choices, value, onChange }: ChoiceProps) {
  const known = value === '' || choices.includes(value);
  return (
    <label className={`facet-filter${value ? ' facet-filter-active' : ''}`}>
      <span className="facet-label">{label}</span>
      <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{allLabel}</option>
        {choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
        {!known && <option value={value}>{value}</option>}
      </select>
    </label>
  );
}

// The services × clusters matrix (GET /api/v1/kube/matrix) as the grid shows it: the two-level column header
// (environment, then region), and what each cell says — version, whether it differs from the service's other
// clusters in that environment, "missing here", health. Pure functions of the API's answer.
import type { Health, MatrixCell, MatrixCluster, MatrixQuery, MatrixRow } from '../api/client';
import type { MatrixFilters } from './router';
import { compareVersions, parseVersion } from './semver';

/** A run of adjacent columns sharing a label: `first` is the column index, `span` how many columns. */
export interface ColumnGroup {
  label: string;
  first: number;
  span: number;
  /** For region groups: the environment they belong to. */
  environment?: string;
}

export interface MatrixHeader {
  environments: ColumnGroup[];
  regions: ColumnGroup[];
}

/**
 * Groups adjacent columns by environment, and within each environment by region. The API orders columns by
 * environment, region and name, so each environment and region is one group; were they not adjacent, a group
 * would repeat rather than columns being moved away from their cells.
 */
export function groupColumns(clusters: readonly Pick<MatrixCluster, 'environment' | 'region'>[]): MatrixHeader {
  const environments: ColumnGroup[] = [];
  const regions: ColumnGroup[] = [];
  clusters.forEach((c, i) => {
    const env = environments[environments.length - 1];
    const newEnv = !env || env.label !== c.environment;
    if (newEnv) environments.push({ label: c.environment, first: i, span: 1 });
    else env.span++;
    const reg = regions[regions.length - 1];
    if (newEnv || !reg || reg.label !== c.region) regions.push({ label: c.region, first: i, span: 1, environment: c.environment });
    else reg.span++;
  });
  return { environments, regions };
}

export interface HealthView {
  label: string;
  tone: 'busy' | 'warn' | 'error' | 'neutral';
}

/** How a cell marks its health; healthy is the normal case and is not marked. */
export function healthView(health: Health | undefined): HealthView | null {
  switch (health) {
    case 'degraded':
      return { label: 'degraded', tone: 'warn' };
    case 'unavailable':
      return { label: 'unavailable', tone: 'error' };
    case 'progressing':
      return { label: 'progressing', tone: 'busy' };
    case 'scaled_to_zero':
      return { label: 'scaled to 0', tone: 'neutral' };
    default:
      return null;
  }
}

export interface CellView {
  status: MatrixCell['status'];
  /** What the cell reads: "1.2.0", "1.2.0 +1", "missing here", "—". */
  text: string;
  /** A differing cell that runs an older version than another of the environment's clusters. */
  behind: boolean;
  health: HealthView | null;
  /** "4/5" when the cell's health is marked, else "". */
  replicas: string;
  /** Everything about the cell as a sentence, for the tooltip and screen readers. */
  title: string;
}

function highest(versions: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestParsed = null as ReturnType<typeof parseVersion>;
  for (const v of versions) {
    const p = parseVersion(v);
    if (!p) continue;
    if (!bestParsed || compareVersions(p, bestParsed) > 0) {
      best = v;
      bestParsed = p;
    }
  }
  return best;
}

function list(versions: readonly string[]): string {
  return versions.join(', ');
}

/**
 * What one cell of row says. `clusters` are the matrix's columns (the row's cells are in their order). A differing
 * cell is "behind" when its newest version is older than the newest any other cluster of its environment in this
 * row runs (or the majority's), so a lagging region stands out from the one ahead of it even without a majority.
 */
export function cellView(row: MatrixRow, index: number, clusters: readonly MatrixCluster[]): CellView {
  const cell = row.cells[index];
  const col = clusters[index];
  if (!cell || !col) return { status: 'absent', text: '—', behind: false, health: null, replicas: '', title: '' };
  const where = `${col.name} (${col.environment}, ${col.region})`;
  const expected = cell.expected ?? [];
  if (cell.status === 'absent') {
    return { status: 'absent', text: '—', behind: false, health: null, replicas: '', title: `${row.service} does not run in ${col.environment}.` };
  }
  if (cell.status === 'missing') {
    const elsewhere = expected.length > 0 ? `; it runs ${list(expected)} elsewhere in ${col.environment}` : `; it runs elsewhere in ${col.environment}`;
    return { status: 'missing', text: 'missing here', behind: false, health: null, replicas: '', title: `${row.service} is missing in ${where}${elsewhere}.` };
  }
  const versions = cell.versions;
  const text = versions.length === 0 ? '?' : versions.length === 1 ? (versions[0] ?? '') : `${versions[0] ?? ''} +${versions.length - 1}`;
  const health = healthView(cell.health);
  const replicas = `${cell.ready}/${cell.desired}`;
  const parts = [`${row.service} runs ${versions.length > 0 ? list(versions) : 'an unknown version'} in ${where}`];
  let behind = false;
  if (cell.status === 'differs') {
    const others: string[] = [];
    const otherVersions: string[] = [...expected];
    row.cells.forEach((c, i) => {
      const other = clusters[i];
      if (i === index || !other || other.environment !== col.environment || c.versions.length === 0) return;
      others.push(`${other.name} ${list(c.versions)}`);
      otherVersions.push(...c.versions);
    });
    const mine = highest(versions);
    const newest = highest(otherVersions);
    const mp = parseVersion(mine);
    const np = parseVersion(newest);
    behind = Boolean(mp && np && compareVersions(np, mp) > 0);
    if (expected.length > 0) parts.push(`most of its ${col.environment} clusters run ${list(expected)}`);
    else if (others.length > 0) parts.push(`its ${col.environment} clusters disagree (${others.join('; ')})`);
    else parts.push(`its other ${col.environment} clusters run something else`);
    if (behind && newest) parts.push(`behind ${newest}`);
  } else {
    parts.push(`the same as its other ${col.environment} clusters`);
  }
  parts.push(`${replicas} ready`);
  if (health) parts.push(health.label);
  if (cell.workloads > 1) parts.push(`${cell.workloads} workloads`);
  return { status: cell.status, text, behind, health, replicas: health ? replicas : '', title: `${parts.join('; ')}.` };
}

/** The API query of the matrix for filters (paging is added by the caller). */
export function toMatrixQuery(f: MatrixFilters): MatrixQuery {
  const q: MatrixQuery = {};
  if (f.team.trim()) q.team = f.team.trim();
  if (f.environment.trim()) q.environment = f.environment.trim();
  if (f.region.trim()) q.region = f.region.trim();
  return q;
}

export function hasMatrixFilters(f: MatrixFilters): boolean {
  return Boolean(f.team.trim() || f.environment.trim() || f.region.trim());
}

/** The distinct values of one column attribute, in column order (environments and regions for the filters). */
export function distinct(clusters: readonly MatrixCluster[], key: 'environment' | 'region'): string[] {
  return [...new Set(clusters.map((c) => c[key]))];
}

/** A key that changes when the columns change (another cluster set), so rows of other columns are not mixed in. */
export function columnsKey(clusters: readonly Pick<MatrixCluster, 'name'>[]): string {
  return clusters.map((c) => c.name).join('\n');
}

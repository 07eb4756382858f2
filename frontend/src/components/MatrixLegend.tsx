/** What the matrix's cell styles mean, in the same styles. */
export function MatrixLegend() {
  return (
    <ul className="matrix-legend" aria-label="Legend">
      <li>
        <span className="legend-swatch matrix-cell cell-same">
          <span className="cell-version">1.4.2</span>
        </span>
        the same version as the service&apos;s other clusters in that environment
      </li>
      <li>
        <span className="legend-swatch matrix-cell cell-differs cell-behind">
          <span className="cell-version">
            1.3.9<span className="cell-behind-mark"> ↓</span>
          </span>
        </span>
        differs from them (↓ older than another of them)
      </li>
      <li>
        <span className="legend-swatch matrix-cell cell-missing">missing here</span>
        runs elsewhere in that environment, not in this cluster
      </li>
      <li>
        <span className="legend-swatch matrix-cell cell-absent">—</span>
        not deployed in that environment
      </li>
      <li>
        <span className="legend-swatch matrix-cell cell-same">
          <span className="cell-health health-warn">degraded 4/5</span>
        </span>
        not every replica ready (&ldquo;unavailable&rdquo;: none ready)
      </li>
      <li>
        <span className="legend-swatch matrix-cluster-legend">
          <span className="matrix-cluster-state">Unreachable</span>
        </span>
        a cluster not read right now: its column shows its last data
      </li>
    </ul>
  );
}

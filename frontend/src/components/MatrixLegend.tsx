import { cx } from '../lib/classNames';
import grid from './MatrixGrid.module.css';
import styles from './MatrixLegend.module.css';

/** A sample cell of the matrix, drawn as MatrixGrid draws one (the same classes and data attributes). */
const swatch = cx(grid.cell, styles.swatch);

/** What the matrix's cell styles mean, in the same styles. */
export function MatrixLegend() {
  return (
    <ul className={styles.legend} aria-label="Legend">
      <li>
        <span className={swatch} data-status="same">
          <span className={grid.version}>1.4.2</span>
        </span>
        the same version as the service&apos;s other clusters in that environment
      </li>
      <li>
        <span className={swatch} data-status="differs" data-behind="true">
          <span className={grid.version}>
            1.3.9<span className={grid['behind-mark']}> ↓</span>
          </span>
        </span>
        differs from them (↓ older than another of them)
      </li>
      <li>
        <span className={swatch} data-status="missing">
          missing here
        </span>
        runs elsewhere in that environment, not in this cluster
      </li>
      <li>
        <span className={swatch} data-status="absent">
          —
        </span>
        not deployed in that environment
      </li>
      <li>
        <span className={swatch} data-status="same" data-health="warn">
          <span className={grid.health}>degraded 4/5</span>
        </span>
        not every replica ready (&ldquo;unavailable&rdquo;: none ready)
      </li>
      <li>
        <span className={styles.cluster}>
          <span className={grid['cluster-state']}>Unreachable</span>
        </span>
        a cluster not read right now: its column shows its last data
      </li>
    </ul>
  );
}

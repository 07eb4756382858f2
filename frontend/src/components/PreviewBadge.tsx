import { Badge } from './Badge';
import styles from './PreviewBadge.module.css';

/** Marks what a previewing portal (local mode) only describes: a team portal would have done it; nothing was made. */
export function PreviewBadge() {
  return (
    <Badge tone="stale" className={styles.preview} title="This portal previews the golden path: nothing was created here; the text says what a team portal would have done.">
      Preview
    </Badge>
  );
}

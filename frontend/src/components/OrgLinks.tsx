import type { FleetLink } from '../api/client';
import { ExternalLink } from './ExternalLink';
import styles from './OrgLinks.module.css';

const KIND_LABEL: Record<FleetLink['kind'], string> = { docs: 'Docs', oncall: 'On-call', chat: 'Chat', other: 'Link' };

/**
 * The organisation's links the fleet configuration gives every install (docs, on-call, chat), in the header: a
 * menu, opened in the system browser in the desktop window.
 */
export function OrgLinks({ links }: { links: readonly FleetLink[] }) {
  if (links.length === 0) return null;
  return (
    <details className={styles.links} data-testid="fleet-links">
      <summary className={styles.summary}>Links</summary>
      <ul className={styles.menu} aria-label="Your organisation's links">
        {links.map((l, i) => (
          <li key={`${i}-${l.url}`}>
            <ExternalLink href={l.url} className={styles.link} title={l.url}>
              {l.title}
            </ExternalLink>
            <span className={styles.kind}>{KIND_LABEL[l.kind] ?? l.kind}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}

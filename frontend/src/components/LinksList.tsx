import type { Link } from '../api/client';
import { displayUrl } from '../lib/external';
import { ExternalLink } from './ExternalLink';
import { EmptyState } from './Notice';
import styles from './LinksList.module.css';

/** A service's links from its descriptor: dashboards, runbooks, docs. */
export function LinksList({ links }: { links: Link[] }) {
  if (links.length === 0) {
    return <EmptyState title="No links">Add a links section to the service&apos;s atrium.yaml.</EmptyState>;
  }
  return (
    <ul className={styles.links}>
      {links.map((l) => (
        <li key={`${l.title}|${l.url}`}>
          <ExternalLink href={l.url}>{l.title}</ExternalLink>
          <span className={`muted ${styles['link-host']}`}>{displayUrl(l.url)}</span>
        </li>
      ))}
    </ul>
  );
}

import type { TemplateSummary } from '../api/client';
import { newServiceHash } from '../lib/router';
import { shortSHA, templateOrigin } from '../lib/templateOrigin';
import styles from './TemplatePicker.module.css';

/**
 * The golden path's templates as cards to pick from: title, language, what it makes, tags and where it comes from.
 * A template that did not load is shown disabled with every problem, so its owners see what to fix.
 */
export function TemplatePicker({ templates, current }: { templates: readonly TemplateSummary[]; current?: string }) {
  const usable = [...templates].sort((a, b) => Number(a.broken) - Number(b.broken) || a.title.localeCompare(b.title));
  return (
    <ul className={styles.cards} aria-label="Templates">
      {usable.map((t) => {
        const body = (
          <>
            <span className={styles.head}>
              <span className={styles.title}>{t.title}</span>
              <span className={styles.language}>{t.language}</span>
            </span>
            <span className={styles.description}>{t.description}</span>
            {t.tags.length > 0 && (
              <span className={styles.tags}>
                {t.tags.map((tag) => (
                  <span key={tag} className="tag">
                    {tag}
                  </span>
                ))}
              </span>
            )}
            <span className={styles.source}>
              {t.name}@{shortSHA(t.version)} · <span title={t.source_version || undefined}>{templateOrigin(t)}</span> · maintained by {t.owner || 'nobody named'}
            </span>
          </>
        );
        if (t.broken) {
          return (
            <li key={t.name} className={`${styles.card} ${styles.broken}`} aria-disabled="true" data-template={t.name}>
              {body}
              <span className={styles.problems} role="note">
                <strong>Cannot be used until its owners fix it:</strong>
                <span className={styles['problem-list']}>
                  {t.problems.map((p, i) => (
                    <span key={i} className={styles.problem}>
                      {p.path ? <span className="mono">{p.path}: </span> : null}
                      {p.summary}
                      {p.detail ? `: ${p.detail}` : ''}
                    </span>
                  ))}
                </span>
              </span>
            </li>
          );
        }
        return (
          <li key={t.name} className={styles.item} data-template={t.name}>
            <a
              className={`${styles.card} ${t.name === current ? styles.current : ''}`}
              href={newServiceHash(t.name)}
              aria-current={t.name === current ? 'true' : undefined}
            >
              {body}
            </a>
          </li>
        );
      })}
    </ul>
  );
}

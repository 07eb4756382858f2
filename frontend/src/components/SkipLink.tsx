import styles from './SkipLink.module.css';

/**
 * The first thing Tab reaches: "Skip to content", which moves focus past the header to the page. (Not an
 * href="#main": the location's hash is the app's route.)
 */
export function SkipLink({ target }: { target: string }) {
  return (
    <a
      className={styles.skip}
      href={`#${target}`}
      onClick={(e) => {
        e.preventDefault();
        document.getElementById(target)?.focus();
      }}
    >
      Skip to content
    </a>
  );
}

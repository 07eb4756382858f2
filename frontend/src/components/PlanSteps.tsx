import type { PlanStep } from '../api/client';
import styles from './PlanSteps.module.css';

/** The steps the run will take, in order, each with what it does and what it creates. */
export function PlanSteps({ steps }: { steps: readonly PlanStep[] }) {
  return (
    <section className="panel" aria-labelledby="plan-steps-heading">
      <h3 id="plan-steps-heading">
        Steps <span className="count">{steps.length}</span>
      </h3>
      <ol className={styles.steps} aria-label="Planned steps">
        {steps.map((s) => (
          <li key={s.id} className={styles.step} data-plan-step={s.id}>
            <p className={styles.title}>{s.title}</p>
            <p className={styles.description}>{s.description}</p>
            {s.creates.length > 0 && (
              <p className={styles.creates}>
                <span className={styles['creates-label']}>Creates</span> {s.creates.join('; ')}
              </p>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

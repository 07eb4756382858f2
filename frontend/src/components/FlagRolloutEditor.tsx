import { evenShares, type Bucketing, type Rollout } from '../lib/targeting';
import { cx } from '../lib/classNames';
import styles from './FlagRolloutEditor.module.css';

interface Props {
  /** Prefix of the inputs' ids and labels, e.g. "Everyone else" or "Rule 2". */
  label: string;
  id: string;
  rollout: Rollout;
  variants: readonly string[];
  onChange: (r: Rollout) => void;
  problems: readonly string[];
}

type BucketChoice = 'user' | 'account' | 'custom';

function choiceOf(b: Bucketing): BucketChoice {
  if (b.by === 'targetingKey') return 'user';
  return b.attribute === 'accountId' ? 'account' : 'custom';
}

/** A new rollout: every variant evenly, by user id. */
export function newRollout(variants: readonly string[]): Rollout {
  return { bucketing: { by: 'targetingKey' }, shares: evenShares(variants) };
}

/**
 * A percentage rollout: which attribute puts people into buckets (user id, account id, or another attribute), and
 * each variant's share in whole percent, adding up to 100. Produces flagd's `fractional`.
 */
export function FlagRolloutEditor({ label, id, rollout, variants, onChange, problems }: Props) {
  const total = rollout.shares.reduce((n, s) => n + (Number.isFinite(s.weight) ? s.weight : 0), 0);
  const b = rollout.bucketing;
  const choice = choiceOf(b);
  const setBucketing = (bucketing: Bucketing) => onChange({ ...rollout, bucketing });
  const unused = variants.filter((v) => !rollout.shares.some((s) => s.variant === v));
  const setShare = (i: number, patch: Partial<{ variant: string; weight: number }>) =>
    onChange({ ...rollout, shares: rollout.shares.map((s, j) => (j === i ? { ...s, ...patch } : s)) });

  return (
    <fieldset className={styles.rollout} aria-label={`${label}: percentage rollout`} data-testid={`${id}-rollout`}>
      <div className={styles['rollout-bucketing']}>
        <label className="facet-filter">
          <span className="facet-label">Bucket by</span>
          <select
            aria-label={`${label}: bucket by`}
            value={choice}
            onChange={(e) => {
              const c = e.target.value as BucketChoice;
              const salted = b.by === 'attribute' ? b.withFlagKey : true;
              if (c === 'user') setBucketing({ by: 'targetingKey' });
              else if (c === 'account') setBucketing({ by: 'attribute', attribute: 'accountId', withFlagKey: salted });
              else setBucketing({ by: 'attribute', attribute: b.by === 'attribute' && b.attribute !== 'accountId' ? b.attribute : '', withFlagKey: salted });
            }}
          >
            <option value="user">user id (targetingKey)</option>
            <option value="account">account id (accountId)</option>
            <option value="custom">another attribute…</option>
          </select>
        </label>
        {choice === 'custom' && b.by === 'attribute' && (
          <input
            type="text"
            className={styles['rollout-attribute']}
            aria-label={`${label}: bucketing attribute`}
            placeholder="attribute, e.g. tenantId"
            value={b.attribute}
            onChange={(e) => setBucketing({ ...b, attribute: e.target.value })}
          />
        )}
        {b.by === 'attribute' && (
          <label
            className="checkbox"
            title="Mixing in the flag key gives each flag its own split, so the same accounts are not always first (flagd does this for the targeting key)."
          >
            <input type="checkbox" checked={b.withFlagKey} onChange={(e) => setBucketing({ ...b, withFlagKey: e.target.checked })} />
            independent of other flags (mix in the flag key)
          </label>
        )}
      </div>
      <ul className={styles.shares}>
        {rollout.shares.map((s, i) => (
          <li key={i} className={styles.share}>
            <select aria-label={`${label}: variant of share ${i + 1}`} value={s.variant} onChange={(e) => setShare(i, { variant: e.target.value })}>
              {!variants.includes(s.variant) && <option value={s.variant}>{s.variant || '(choose)'}</option>}
              {variants.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
            <input
              type="number"
              min={0}
              max={100}
              step={1}
              inputMode="numeric"
              className={styles['share-weight']}
              aria-label={`${label}: share of ${s.variant} (%)`}
              value={Number.isFinite(s.weight) ? s.weight : ''}
              onChange={(e) => setShare(i, { weight: e.target.value === '' ? Number.NaN : Number(e.target.value) })}
            />
            <span className="muted">%</span>
            <span className={styles['share-bar']} aria-hidden="true">
              <span style={{ width: `${Math.max(0, Math.min(100, Number.isFinite(s.weight) ? s.weight : 0))}%` }} />
            </span>
            <button
              type="button"
              className="button button-link"
              aria-label={`${label}: remove share of ${s.variant}`}
              disabled={rollout.shares.length <= 1}
              onClick={() => onChange({ ...rollout, shares: rollout.shares.filter((_, j) => j !== i) })}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <div className={styles['rollout-tools']}>
        <span className={cx(styles['rollout-total'], total === 100 ? styles.ok : styles.off)} data-testid={`${id}-total`}>
          Total {total}%
        </span>
        {unused.length > 0 && (
          <button type="button" className="button button-link" onClick={() => onChange({ ...rollout, shares: [...rollout.shares, { variant: unused[0] ?? '', weight: 0 }] })}>
            Add a variant
          </button>
        )}
        <button
          type="button"
          className="button button-link"
          onClick={() => onChange({ ...rollout, shares: evenShares(rollout.shares.map((s) => s.variant)) })}
          disabled={rollout.shares.length === 0}
        >
          Split evenly
        </button>
      </div>
      {problems.length > 0 && (
        <ul className="field-problems" role="alert">
          {problems.map((p) => (
            <li key={p} className="field-problem">
              {p}
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}

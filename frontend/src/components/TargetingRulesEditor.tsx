import { useEffect, useState } from 'react';
import { SEMVER_OPS, withOperator, type Condition, type Operator, type Outcome, type Rule, type SemverOp, type TargetingForm } from '../lib/targeting';
import { FlagRolloutEditor, newRollout } from './FlagRolloutEditor';
import styles from './TargetingRulesEditor.module.css';

interface Props {
  form: TargetingForm;
  variants: readonly string[];
  defaultVariant: string | null;
  onChange: (f: TargetingForm) => void;
  /** Problems per rule (the form's and the portal's) and for everyone else. */
  ruleProblems: readonly (readonly string[])[];
  otherwiseProblems: readonly string[];
}

const OPERATORS: { op: Operator; label: string }[] = [
  { op: 'equals', label: 'equals' },
  { op: 'in', label: 'is one of' },
  { op: 'starts_with', label: 'starts with' },
  { op: 'ends_with', label: 'ends with' },
  { op: 'sem_ver', label: 'version (semver)' },
];

const SEMVER_LABEL: Record<SemverOp, string> = {
  '=': '= equal',
  '!=': '≠ not equal',
  '<': '< older than',
  '<=': '≤ at most',
  '>': '> newer than',
  '>=': '≥ at least',
  '^': '^ same major',
  '~': '~ same minor',
};

/** Attributes people often target on, offered as suggestions (any context attribute works). */
const ATTRIBUTES = ['email', 'accountId', 'targetingKey', 'country', 'region', 'appVersion', 'tier', 'userId'];

type OutcomeChoice = 'default' | 'rollout' | `variant:${string}`;

function choiceOf(o: Outcome): OutcomeChoice {
  return o.kind === 'variant' ? `variant:${o.variant}` : o.kind;
}

function OutcomePicker({
  label,
  outcome,
  variants,
  defaultVariant,
  allowVariants,
  onChange,
}: {
  label: string;
  outcome: Outcome;
  variants: readonly string[];
  defaultVariant: string | null;
  allowVariants: boolean;
  onChange: (o: Outcome) => void;
}) {
  const choice = choiceOf(outcome);
  const known = outcome.kind !== 'variant' || variants.includes(outcome.variant);
  return (
    <select
      aria-label={label}
      value={choice}
      onChange={(e) => {
        const v = e.target.value as OutcomeChoice;
        if (v === 'default') onChange({ kind: 'default' });
        else if (v === 'rollout') onChange(outcome.kind === 'rollout' ? outcome : { kind: 'rollout', rollout: newRollout(variants) });
        else onChange({ kind: 'variant', variant: v.slice('variant:'.length) });
      }}
    >
      {allowVariants &&
        variants.map((v) => (
          <option key={v} value={`variant:${v}`}>
            {v}
          </option>
        ))}
      {!known && outcome.kind === 'variant' && <option value={choice}>{outcome.variant} (not a variant)</option>}
      <option value="default">{defaultVariant === null ? 'the code default' : `the default variant (${defaultVariant})`}</option>
      <option value="rollout">a percentage rollout…</option>
    </select>
  );
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function ConditionInputs({ n, c, onChange }: { n: number; c: Condition; onChange: (c: Condition) => void }) {
  const [listText, setListText] = useState(c.op === 'in' ? c.values.join(', ') : '');
  const values = c.op === 'in' ? JSON.stringify(c.values) : '';
  // The list changed elsewhere (the JSON view): show it; typing "a, " keeps what is being typed.
  useEffect(() => {
    if (values && JSON.stringify(splitList(listText)) !== values) setListText((JSON.parse(values) as string[]).join(', '));
  }, [values, listText]);
  return (
    <>
      <input
        type="text"
        className={styles.attribute}
        list="targeting-attributes"
        aria-label={`Rule ${n}: attribute`}
        placeholder="attribute"
        value={c.attribute}
        onChange={(e) => onChange({ ...c, attribute: e.target.value })}
      />
      <select
        aria-label={`Rule ${n}: operator`}
        value={c.op}
        onChange={(e) => {
          const next = withOperator(c, e.target.value as Operator);
          if (next.op === 'in') setListText(next.values.join(', '));
          onChange(next);
        }}
      >
        {OPERATORS.map((o) => (
          <option key={o.op} value={o.op}>
            {o.label}
          </option>
        ))}
      </select>
      {c.op === 'sem_ver' && (
        <select aria-label={`Rule ${n}: version comparison`} value={c.compare} onChange={(e) => onChange({ ...c, compare: e.target.value as SemverOp })}>
          {SEMVER_OPS.map((op) => (
            <option key={op} value={op}>
              {SEMVER_LABEL[op]}
            </option>
          ))}
        </select>
      )}
      {c.op === 'in' ? (
        <input
          type="text"
          className={styles.value}
          aria-label={`Rule ${n}: values`}
          placeholder="a, b, c (comma-separated)"
          value={listText}
          onChange={(e) => {
            setListText(e.target.value);
            onChange({ ...c, values: splitList(e.target.value) });
          }}
        />
      ) : (
        <input
          type="text"
          className={styles.value}
          aria-label={`Rule ${n}: value`}
          placeholder={c.op === 'sem_ver' ? '4.2.0' : c.op === 'ends_with' ? '@example.com' : 'value'}
          value={c.value}
          onChange={(e) => onChange({ ...c, value: e.target.value })}
        />
      )}
    </>
  );
}

function Problems({ problems }: { problems: readonly string[] }) {
  if (problems.length === 0) return null;
  return (
    <ul className="field-problems" role="alert">
      {problems.map((p) => (
        <li key={p} className="field-problem">
          {p}
        </li>
      ))}
    </ul>
  );
}

/**
 * Ordered targeting rules built in a form: "if ATTRIBUTE OPERATOR VALUE then VARIANT (or a rollout)"; the first
 * rule that matches decides, and "everyone else" gets the default variant, a variant or a rollout.
 */
export function TargetingRulesEditor({ form, variants, defaultVariant, onChange, ruleProblems, otherwiseProblems }: Props) {
  const setRule = (i: number, r: Rule) => onChange({ ...form, rules: form.rules.map((x, j) => (j === i ? r : x)) });
  const move = (i: number, by: -1 | 1) => {
    const rules = [...form.rules];
    const [r] = rules.splice(i, 1);
    if (r) rules.splice(i + by, 0, r);
    onChange({ ...form, rules });
  };
  const remove = (i: number) => {
    const rules = form.rules.filter((_, j) => j !== i);
    // Without rules a plain variant for everyone is what the default variant is for.
    const otherwise = rules.length === 0 && form.otherwise.kind === 'variant' ? ({ kind: 'default' } as const) : form.otherwise;
    onChange({ rules, otherwise });
  };
  const add = () =>
    onChange({
      ...form,
      rules: [...form.rules, { when: { op: 'equals', attribute: '', value: '' }, then: { kind: 'variant', variant: variants[0] ?? '' } }],
    });

  return (
    <div className={styles.targeting} data-testid="targeting-rules">
      <datalist id="targeting-attributes">
        {ATTRIBUTES.map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>
      {form.rules.length > 0 && (
        <ol className={styles.rules}>
          {form.rules.map((r, i) => {
            const n = i + 1;
            return (
              <li key={i} className={styles.rule} data-rule={n}>
                <div className={styles.line}>
                  <span className={styles.word}>{i === 0 ? 'If' : 'Else if'}</span>
                  <ConditionInputs n={n} c={r.when} onChange={(when) => setRule(i, { ...r, when })} />
                  <span className={styles.word}>then</span>
                  <OutcomePicker
                    label={`Rule ${n}: serves`}
                    outcome={r.then}
                    variants={variants}
                    defaultVariant={defaultVariant}
                    allowVariants
                    onChange={(then) => setRule(i, { ...r, then })}
                  />
                  <span className={styles.tools}>
                    <button type="button" className="button button-link" aria-label={`Move rule ${n} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                      ↑
                    </button>
                    <button
                      type="button"
                      className="button button-link"
                      aria-label={`Move rule ${n} down`}
                      disabled={i === form.rules.length - 1}
                      onClick={() => move(i, 1)}
                    >
                      ↓
                    </button>
                    <button type="button" className="button button-link" aria-label={`Remove rule ${n}`} onClick={() => remove(i)}>
                      Remove
                    </button>
                  </span>
                </div>
                {r.then.kind === 'rollout' && (
                  <FlagRolloutEditor
                    label={`Rule ${n}`}
                    id={`rule-${n}`}
                    rollout={r.then.rollout}
                    variants={variants}
                    onChange={(rollout) => setRule(i, { ...r, then: { kind: 'rollout', rollout } })}
                    problems={[]}
                  />
                )}
                <Problems problems={ruleProblems[i] ?? []} />
              </li>
            );
          })}
        </ol>
      )}
      <button type="button" className="button" onClick={add} disabled={variants.length === 0}>
        Add a rule
      </button>
      <div className={`${styles.rule} ${styles.otherwise}`}>
        <div className={styles.line}>
          <span className={styles.word}>{form.rules.length > 0 ? 'Everyone else gets' : 'Everyone gets'}</span>
          <OutcomePicker
            label="Everyone else gets"
            outcome={form.otherwise}
            variants={variants}
            defaultVariant={defaultVariant}
            allowVariants={form.rules.length > 0}
            onChange={(otherwise) => onChange({ ...form, otherwise })}
          />
        </div>
        {form.otherwise.kind === 'rollout' && (
          <FlagRolloutEditor
            label="Everyone else"
            id="otherwise"
            rollout={form.otherwise.rollout}
            variants={variants}
            onChange={(rollout) => onChange({ ...form, otherwise: { kind: 'rollout', rollout } })}
            problems={[]}
          />
        )}
        <Problems problems={otherwiseProblems} />
      </div>
    </div>
  );
}

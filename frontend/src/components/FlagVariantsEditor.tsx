import type { FlagState } from '../api/client';
import { changeType, FLAG_TYPES, type FlagDraft, type FlagType, type VariantDraft } from '../lib/flagForm';
import { Segmented } from './Segmented';
import styles from './FlagVariantsEditor.module.css';

interface Props {
  draft: FlagDraft;
  onChange: (d: FlagDraft) => void;
  /** Problems by variant index (the form's), and the portal's by variant name. */
  variantProblems: readonly (string | undefined)[];
  serverVariantProblems: Readonly<Record<string, string>>;
  listProblem?: string;
  defaultProblem?: string;
  stateProblem?: string;
}

const TYPE_HELP: Record<FlagType, string> = {
  boolean: 'on / off',
  string: 'text, e.g. a model name',
  number: 'e.g. a batch size',
  object: 'JSON objects, e.g. settings',
};

function ValueInput({ type, v, i, onChange, invalid }: { type: FlagType; v: VariantDraft; i: number; onChange: (text: string) => void; invalid: boolean }) {
  const label = `Value of variant ${v.name || i + 1}`;
  const common = { 'aria-label': label, 'aria-invalid': invalid || undefined, id: `variant-value-${i}` };
  switch (type) {
    case 'boolean':
      return (
        <select {...common} value={v.text} onChange={(e) => onChange(e.target.value)}>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      );
    case 'object':
      return <textarea {...common} className="mono" rows={3} spellCheck={false} value={v.text} onChange={(e) => onChange(e.target.value)} />;
    case 'number':
      return <input {...common} type="text" inputMode="decimal" className="mono" value={v.text} onChange={(e) => onChange(e.target.value)} />;
    case 'string':
      return <input {...common} type="text" className="mono" value={v.text} onChange={(e) => onChange(e.target.value)} />;
  }
}

/** The flag's type, its variants (name and value), the default variant (or the code default) and its state. */
export function FlagVariantsEditor({ draft, onChange, variantProblems, serverVariantProblems, listProblem, defaultProblem, stateProblem }: Props) {
  const setVariant = (i: number, patch: Partial<VariantDraft>) => {
    const old = draft.variants[i];
    const variants = draft.variants.map((v, j) => (j === i ? { ...v, ...patch } : v));
    // Renaming the default variant keeps it the default.
    const renamed = old && patch.name !== undefined && draft.defaultVariant === old.name;
    onChange({ ...draft, variants, defaultVariant: renamed ? (patch.name ?? null) : draft.defaultVariant });
  };
  const add = () => {
    const n = draft.variants.length + 1;
    const text = draft.type === 'boolean' ? 'false' : draft.type === 'number' ? '0' : draft.type === 'object' ? '{}' : '';
    onChange({ ...draft, variants: [...draft.variants, { name: `variant-${n}`, text }] });
  };
  const remove = (i: number) => {
    const gone = draft.variants[i]?.name;
    onChange({
      ...draft,
      variants: draft.variants.filter((_, j) => j !== i),
      defaultVariant: draft.defaultVariant === gone ? null : draft.defaultVariant,
    });
  };
  const names = draft.variants.map((v) => v.name);

  return (
    <>
      <fieldset className="field">
        <legend>Type</legend>
        <Segmented
          kind="radio"
          label="Type"
          options={FLAG_TYPES.map((t) => ({ value: t, label: t, title: TYPE_HELP[t] }))}
          value={draft.type}
          onChange={(t) => onChange(changeType(draft, t))}
        />
      </fieldset>
      <fieldset className="field">
        <legend>Variants</legend>
        <ul className={styles.list}>
          {draft.variants.map((v, i) => {
            const problem = variantProblems[i] ?? serverVariantProblems[v.name];
            return (
              <li key={i} className={styles.row}>
                <input
                  type="text"
                  className="mono"
                  aria-label={`Name of variant ${i + 1}`}
                  aria-invalid={Boolean(variantProblems[i]) || undefined}
                  value={v.name}
                  onChange={(e) => setVariant(i, { name: e.target.value })}
                />
                <ValueInput type={draft.type} v={v} i={i} invalid={Boolean(problem)} onChange={(text) => setVariant(i, { text })} />
                <button type="button" className="button button-link" aria-label={`Remove variant ${v.name || i + 1}`} onClick={() => remove(i)} disabled={draft.variants.length <= 1}>
                  Remove
                </button>
                {problem && (
                  <p className="field-problem" role="alert">
                    {problem}
                  </p>
                )}
              </li>
            );
          })}
        </ul>
        <button type="button" className={`button button-link ${styles['add-variant']}`} onClick={add}>
          Add a variant
        </button>
        {(listProblem ?? serverVariantProblems['']) && (
          <p className="field-problem" role="alert">
            {listProblem ?? serverVariantProblems['']}
          </p>
        )}
      </fieldset>
      <div className="field-row">
        <div className="field">
          <label htmlFor="flag-default">Default variant</label>
          <select
            id="flag-default"
            aria-invalid={Boolean(defaultProblem) || undefined}
            value={draft.defaultVariant === null ? '' : `v:${draft.defaultVariant}`}
            onChange={(e) => onChange({ ...draft, defaultVariant: e.target.value === '' ? null : e.target.value.slice(2) })}
          >
            {names.map((n) => (
              <option key={n} value={`v:${n}`}>
                {n}
              </option>
            ))}
            {draft.defaultVariant !== null && !names.includes(draft.defaultVariant) && (
              <option value={`v:${draft.defaultVariant}`}>{draft.defaultVariant} (not a variant)</option>
            )}
            <option value="">code default (null)</option>
          </select>
          {defaultProblem ? (
            <p className="field-problem" role="alert">
              {defaultProblem}
            </p>
          ) : (
            <p className="field-help">What evaluations get when no rule decides; the code default leaves it to each caller.</p>
          )}
        </div>
        <div className="field">
          <label htmlFor="flag-state">State</label>
          <select id="flag-state" value={draft.state} onChange={(e) => onChange({ ...draft, state: e.target.value as FlagState })}>
            <option value="ENABLED">enabled</option>
            <option value="DISABLED">disabled (everyone gets the code default)</option>
          </select>
          {stateProblem && (
            <p className="field-problem" role="alert">
              {stateProblem}
            </p>
          )}
        </div>
      </div>
    </>
  );
}

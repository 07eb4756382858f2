import type { ReactNode } from 'react';
import type { Team } from '../api/client';
import { teamLabel } from '../lib/teams';
import { groupFields, type FieldProblems, type FieldValue, type FormField, type FormValues, type MultiField } from '../lib/templateForm';
import styles from './ParameterForm.module.css';

interface Props {
  fields: readonly FormField[];
  values: FormValues;
  /** What to show under each field, by pointer (templateForm's shownProblems). */
  problems: FieldProblems;
  onChange: (pointer: string, value: FieldValue) => void;
  /** A field the user left: its problems may show now. */
  onLeave: (pointer: string) => void;
  /** The teams the user may create a service for; null when they could not be read (the team is then typed). */
  teams: readonly Team[] | null;
  /** Under the service name when it has no problem: whether the portal has checked it yet. */
  nameStatus?: ReactNode;
}

/** aria attributes tying an input to its problems or help. */
function describedBy(id: string, problems: readonly string[] | undefined, help: string) {
  return {
    'aria-invalid': problems && problems.length > 0 ? true : undefined,
    'aria-describedby': problems && problems.length > 0 ? `${id}-problem` : help ? `${id}-help` : undefined,
  } as const;
}

function Under({ id, problems, help }: { id: string; problems: readonly string[] | undefined; help: ReactNode }) {
  if (problems && problems.length > 0) {
    return (
      <div id={`${id}-problem`} role="alert" className={styles.problems}>
        {problems.map((p) => (
          <p key={p} className="field-problem">
            {p}
          </p>
        ))}
      </div>
    );
  }
  return help ? (
    <p className="field-help" id={`${id}-help`}>
      {help}
    </p>
  ) : null;
}

/** A group of checkboxes for several values out of a list (environments, regions). */
function ChoiceGroup({ f, picked, problems, onChange, onLeave }: { f: MultiField; picked: string[]; problems?: readonly string[]; onChange: (v: string[]) => void; onLeave: () => void }) {
  return (
    <fieldset className={`field ${styles.choices}`} aria-describedby={problems?.length ? `${f.id}-problem` : f.description ? `${f.id}-help` : undefined} id={f.id}>
      <legend>
        {f.title}
        {f.required && <span className={styles.required}> (required)</span>}
      </legend>
      <div className={styles['choice-row']} onBlur={onLeave}>
        {f.options.map((o) => (
          <label key={o.value} className={`checkbox ${styles.choice}`}>
            <input
              type="checkbox"
              checked={picked.includes(o.value)}
              disabled={f.readOnly}
              onChange={(e) => onChange(e.target.checked ? [...picked, o.value] : picked.filter((p) => p !== o.value))}
            />
            {o.label}
          </label>
        ))}
      </div>
      <Under id={f.id} problems={problems} help={f.description} />
    </fieldset>
  );
}

function Field({ f, props }: { f: FormField; props: Props }) {
  const { values, problems, onChange, onLeave, teams, nameStatus } = props;
  const v = values[f.pointer];
  const ps = problems[f.pointer];
  const text = typeof v === 'string' ? v : '';
  const label = (
    <label htmlFor={f.id}>
      {f.title}
      {f.required && <span className={styles.required}> (required)</span>}
    </label>
  );
  const leave = () => onLeave(f.pointer);
  switch (f.kind) {
    case 'text': {
      if (f.hint === 'team' && teams) {
        return (
          <div className="field">
            {label}
            <select id={f.id} value={text} onChange={(e) => onChange(f.pointer, e.target.value)} onBlur={leave} {...describedBy(f.id, ps, f.description)}>
              <option value="">Choose a team…</option>
              {teams.map((t) => (
                <option key={t.name} value={t.name}>
                  {teamLabel(t)}
                </option>
              ))}
            </select>
            <Under id={f.id} problems={ps} help={f.description} />
          </div>
        );
      }
      return (
        <div className="field">
          {label}
          <input
            id={f.id}
            type={f.format === 'email' ? 'email' : f.format === 'uri' ? 'url' : 'text'}
            value={text}
            readOnly={f.readOnly}
            spellCheck={f.hint === 'service-name' ? false : undefined}
            autoComplete="off"
            maxLength={f.maxLength !== undefined ? f.maxLength + 20 : undefined}
            placeholder={f.examples[0] ?? (f.hint === 'service-name' ? 'orders-api' : undefined)}
            className={f.hint === 'service-name' ? 'mono' : undefined}
            onChange={(e) => onChange(f.pointer, e.target.value)}
            onBlur={leave}
            {...describedBy(f.id, ps, f.description)}
          />
          <Under id={f.id} problems={ps} help={f.description} />
          {f.hint === 'service-name' && nameStatus && !(ps && ps.length > 0) && (
            <p className={styles.status} role="status" data-testid="name-status">
              {nameStatus}
            </p>
          )}
        </div>
      );
    }
    case 'choice':
      return (
        <div className="field">
          {label}
          <select id={f.id} value={text} disabled={f.readOnly} onChange={(e) => onChange(f.pointer, e.target.value)} onBlur={leave} {...describedBy(f.id, ps, f.description)}>
            {(!f.required || text === '') && <option value="">{f.default ? `Default (${f.default})` : '—'}</option>}
            {f.options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
          <Under id={f.id} problems={ps} help={f.description} />
        </div>
      );
    case 'number':
      return (
        <div className="field">
          {label}
          <input
            id={f.id}
            type="text"
            inputMode={f.integer ? 'numeric' : 'decimal'}
            value={text}
            readOnly={f.readOnly}
            onChange={(e) => onChange(f.pointer, e.target.value)}
            onBlur={leave}
            {...describedBy(f.id, ps, f.description)}
          />
          <Under id={f.id} problems={ps} help={f.description} />
        </div>
      );
    case 'boolean':
      return (
        <div className="field">
          <label className="checkbox" htmlFor={f.id}>
            <input
              id={f.id}
              type="checkbox"
              checked={v === true}
              disabled={f.readOnly}
              onChange={(e) => onChange(f.pointer, e.target.checked)}
              onBlur={leave}
              {...describedBy(f.id, ps, f.description)}
            />
            {f.title}
          </label>
          <Under id={f.id} problems={ps} help={f.description} />
        </div>
      );
    case 'multi':
      return (
        <ChoiceGroup
          f={f}
          picked={Array.isArray(v) ? v : []}
          problems={ps}
          onChange={(picked) => onChange(f.pointer, picked)}
          onLeave={leave}
        />
      );
    case 'list': {
      const help = [f.description, 'Separate them with commas.'].filter(Boolean).join(' ');
      return (
        <div className="field">
          {label}
          <input
            id={f.id}
            type="text"
            value={text}
            spellCheck={false}
            autoComplete="off"
            readOnly={f.readOnly}
            placeholder={f.numeric ? '8080, 9090' : 'db-password, api-key'}
            onChange={(e) => onChange(f.pointer, e.target.value)}
            onBlur={leave}
            {...describedBy(f.id, ps, help)}
          />
          <Under id={f.id} problems={ps} help={help} />
        </div>
      );
    }
    case 'group':
      return null; // groups are sections of their own (groupFields)
    case 'unsupported':
      return (
        <div className="field">
          <span className={styles['unsupported-label']}>{f.title}</span>
          <p className="field-problem">This form cannot show this parameter ({f.reason}); the template&apos;s owners should simplify it.</p>
        </div>
      );
  }
}

/**
 * A template's parameters as a form, generated from its JSON Schema (templateForm): the service's name, team and
 * description, where it runs, its optional resources and the template's own options, each with its help or its
 * problems — the form's own as the user types, the portal's as it answers.
 */
export function ParameterForm(props: Props) {
  const sections = groupFields(props.fields);
  return (
    <div className={styles.form}>
      {sections.map((s, i) => {
        const content = s.fields.map((f) => <Field key={f.pointer} f={f} props={props} />);
        if (!s.title) {
          return (
            <div key={`section-${i}`} className={styles.section}>
              {content}
            </div>
          );
        }
        return (
          <fieldset key={`section-${i}`} className={`${styles.section} ${styles.group}`}>
            <legend>{s.title}</legend>
            {s.lead && <p className={styles.lead}>{s.lead}</p>}
            {content}
          </fieldset>
        );
      })}
    </div>
  );
}

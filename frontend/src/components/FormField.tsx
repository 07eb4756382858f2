import type { ReactNode } from 'react';

/** aria attributes tying an input to its problem or help text. */
export function fieldAria(id: string, problem: string | undefined, help: ReactNode) {
  return {
    id,
    'aria-invalid': problem ? true : undefined,
    'aria-describedby': problem ? `${id}-problem` : help ? `${id}-help` : undefined,
  } as const;
}

interface Props {
  id: string;
  label: ReactNode;
  problem?: string;
  help?: ReactNode;
  children: ReactNode;
  className?: string;
}

/** A labelled input with the problem found in it (by the form or by the portal) or a help text under it. */
export function FormField({ id, label, problem, help, children, className }: Props) {
  return (
    <div className={`field${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {problem ? (
        <p className="field-problem" id={`${id}-problem`} role="alert">
          {problem}
        </p>
      ) : (
        help && (
          <p className="field-help" id={`${id}-help`}>
            {help}
          </p>
        )
      )}
    </div>
  );
}

import type { ReactNode } from 'react';

export type Tone = 'info' | 'success' | 'warning' | 'danger';

/** A calm message box: information, a confirmation, a warning. Errors use ErrorMessage. */
export function Notice({ tone = 'info', title, children, testId }: { tone?: Tone; title?: string; children: ReactNode; testId?: string }) {
  return (
    <div className={`alert alert--${tone}`} role={tone === 'danger' || tone === 'warning' ? 'alert' : 'status'} data-testid={testId}>
      {title ? <p className="alert__title">{title}</p> : null}
      {children}
    </div>
  );
}

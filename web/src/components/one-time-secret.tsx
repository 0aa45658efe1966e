import type { ReactNode } from 'react';
import { CopyButton } from './copy-button';
import { Notice } from './notice';

/** A value shown once (an API key, a setup link): the warning, the value as selectable text, and a copy button. */
export function OneTimeSecret({ title, value, children, testId }: { title: string; value: string; children?: ReactNode; testId?: string }) {
  return (
    <Notice tone="warning" title={title}>
      {children}
      <div className="one-time-secret">
        <code className="one-time-secret__value" data-testid={testId}>
          {value}
        </code>
        <CopyButton text={value} testId={testId ? `${testId}-copy` : undefined} />
      </div>
    </Notice>
  );
}

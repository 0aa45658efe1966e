import type { ReactNode } from 'react';
import type { Tone } from './notice';

export function Badge({ tone = 'neutral', children, testId, title }: { tone?: Tone | 'neutral'; children: ReactNode; testId?: string; title?: string }) {
  return (
    <span className={`badge badge--${tone}`} data-testid={testId} title={title}>
      {children}
    </span>
  );
}

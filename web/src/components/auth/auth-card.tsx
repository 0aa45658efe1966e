import type { ReactNode } from 'react';
import { Logo } from '../logo';

/** The centred card of the sign-in and setup pages. */
export function AuthCard({ title, subtitle, children, testId }: { title: string; subtitle?: ReactNode; children: ReactNode; testId?: string }) {
  return (
    <div className="centered-page">
      <main className="auth-card" data-testid={testId}>
        <div className="auth-card__brand">
          <Logo />
          <span>Rampart</span>
        </div>
        <h1 className="auth-card__title">{title}</h1>
        {subtitle ? <p className="auth-card__subtitle">{subtitle}</p> : null}
        {children}
      </main>
    </div>
  );
}

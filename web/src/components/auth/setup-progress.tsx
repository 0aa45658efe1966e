const steps = ['Your account', 'Second factor', 'Recovery codes'] as const;

/** Where the person is in setting up their account. */
export function SetupProgress({ current }: { current: 0 | 1 | 2 }) {
  return (
    <ol className="setup-progress" aria-label="Setup steps">
      {steps.map((label, index) => (
        <li key={label} className={`setup-progress__step${index === current ? ' setup-progress__step--current' : index < current ? ' setup-progress__step--done' : ''}`} aria-current={index === current ? 'step' : undefined}>
          <span className="setup-progress__number" aria-hidden="true">
            {index < current ? '✓' : index + 1}
          </span>
          {label}
        </li>
      ))}
    </ol>
  );
}

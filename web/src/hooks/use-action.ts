import { useCallback, useState } from 'react';

export interface Action<A extends unknown[], R> {
  run(...args: A): Promise<R | undefined>;
  isBusy: boolean;
  error: unknown;
  clearError(): void;
}

/** A button's work: busy while it runs, its error kept for display (never thrown at React). */
export function useAction<A extends unknown[], R>(work: (...args: A) => Promise<R>): Action<A, R> {
  const [isBusy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(
    async (...args: A) => {
      setBusy(true);
      setError(null);
      try {
        return await work(...args);
      } catch (caught) {
        setError(caught);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [work],
  );
  return { run, isBusy, error, clearError: useCallback(() => setError(null), []) };
}

import { describe, it } from 'vitest';

/**
 * When something a suite needs is missing, shows one skipped test whose title says what and why;
 * when it is present, registers nothing (so a run never shows a misleading "not set" line).
 */
export function noteSkippedWhen(isMissing: boolean, title: string, message: string): void {
  if (!isMissing) return;
  describe(title, () => {
    it.skip(message, () => undefined);
  });
}

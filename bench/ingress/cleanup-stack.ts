export type CleanupStack = ReturnType<typeof createCleanupStack>;

/**
 * What a benchmark run must undo (children, temp dirs, schemas), undone last-in first-out.
 * `runAll` is safe to call twice (end of a target, then again from a SIGINT): each step runs once.
 */
export function createCleanupStack() {
  const steps: { name: string; undo: () => Promise<unknown> | unknown }[] = [];

  function defer(name: string, undo: () => Promise<unknown> | unknown): void {
    steps.push({ name, undo });
  }

  async function runAll(): Promise<string[]> {
    const failures: string[] = [];
    for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
      try {
        await step.undo();
      } catch (error) {
        // Keep undoing the rest; a leftover child is worse than a reported failure.
        failures.push(`${step.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return failures;
  }

  return { defer, runAll };
}

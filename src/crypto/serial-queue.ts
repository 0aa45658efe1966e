/**
 * Runs async work one piece at a time, in call order: for a resource that allows one operation at a
 * time (a PKCS#11 session). A failure rejects only its own caller; the queue moves on.
 */
export function createSerialQueue() {
  let tail: Promise<unknown> = Promise.resolve();
  return function runSerially<T>(work: () => Promise<T>): Promise<T> {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}

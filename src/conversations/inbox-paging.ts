/** A page of rows newest first, and the `before` cursor of the next page (null: this was the last). */
export interface TimePage<T> {
  items: T[];
  nextBefore: number | null;
}

/**
 * Cuts a page from `candidates` (newest first, up to `limit + 1` rows). The cursor is a bare time,
 * so a page never ends inside a group of rows sharing one time: when the row after the page has the
 * last row's time, the page takes every row of that time (`loadTies`, newest-first order) and may
 * hold more than `limit`. The next page, `before` that time, then skips nothing and repeats nothing.
 */
export async function takeTimePage<T>(
  candidates: readonly T[],
  limit: number,
  timeOf: (row: T) => number,
  loadTies: (time: number) => Promise<T[]>,
): Promise<TimePage<T>> {
  if (candidates.length <= limit) return { items: [...candidates], nextBefore: null };
  const boundary = timeOf(candidates[limit - 1]!);
  if (timeOf(candidates[limit]!) !== boundary) return { items: candidates.slice(0, limit), nextBefore: boundary };
  const newer = candidates.filter((row) => timeOf(row) > boundary);
  return { items: [...newer, ...(await loadTies(boundary))], nextBefore: boundary };
}

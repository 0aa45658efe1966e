/** A value a detector found in a text: where it is (in the normalised text) and how to name it safely. */
export interface DetectedSpan {
  start: number;
  end: number;
  /** Safe to print: masked, never the value itself. */
  description: string;
}

export interface Span {
  start: number;
  end: number;
}

export interface DisjointSpans {
  /** Adds the span unless it overlaps one already held; answers whether it was added. */
  add(span: Span): boolean;
  overlaps(span: Span): boolean;
}

/**
 * Spans that never overlap one another, kept sorted so that an overlap check is a binary search:
 * a text with thousands of links or numbers must not cost thousands squared.
 */
export function createDisjointSpans(initial: readonly Span[] = []): DisjointSpans {
  const spans: Span[] = [];
  // The first held span that ends after `start`: the only one a span starting at `start` can overlap first.
  const firstEndingAfter = (start: number): number => {
    let low = 0;
    let high = spans.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (spans[middle]!.end > start) high = middle;
      else low = middle + 1;
    }
    return low;
  };
  const overlaps = (span: Span): boolean => {
    const candidate = spans[firstEndingAfter(span.start)];
    return candidate !== undefined && candidate.start < span.end;
  };
  const add = (span: Span): boolean => {
    if (overlaps(span)) return false;
    spans.splice(firstEndingAfter(span.start), 0, span);
    return true;
  };
  for (const span of initial) add(span);
  return { add, overlaps };
}

import { createDisjointSpans } from './detected-span.js';
import type { Span } from './detected-span.js';
import { isKnownTopLevelDomain } from './url-lists.js';

/**
 * Links in free text, as a messaging client would make them clickable: anything with a scheme
 * ("https://", "http:\\"), anything starting with "www.", a bare "name.tld/…" whose last label
 * is a real top-level domain, and an IPv4 address followed by a port or path.
 */

export interface FoundUrl {
  start: number;
  end: number;
  text: string;
  hasScheme: boolean;
}

const withScheme = /(?<![\p{L}\p{N}+.-])[a-z][a-z0-9+.-]*:[/\\]{1,3}[^\s<>"'`]+/giu;
const bareHost = /(?<![\p{L}\p{N}@._%+-])(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+([\p{L}]{2,63})\.?(?::\d{1,5})?(?:[/?#][^\s<>"'`]*)?(?![\p{L}\p{N}@_-])/giu;
const bareIpv4 = /(?<![\p{L}\p{N}.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5}[^\s<>"'`]*|\/[^\s<>"'`]*)/gu;

// Punctuation that ends a sentence or closes a bracket, and WhatsApp's *bold* _italic_ ~strike~ marks.
const trailingPunctuation = new Set([...'.,;:!?\'")]}>*_~']);
const variable = /\{\{[^{}]*\}\}/g;

/** The link without what ends the sentence around it, keeping a closing "{{1}}" that belongs to it. */
function trimTrailingPunctuation(raw: string): string {
  let end = raw.length;
  while (end > 0 && trailingPunctuation.has(raw[end - 1]!)) end -= 1;
  for (const match of raw.matchAll(variable)) end = Math.max(end, match.index + match[0].length);
  return raw.slice(0, end);
}

export function findUrls(text: string, ignoredSpans: readonly Span[] = []): FoundUrl[] {
  const found: FoundUrl[] = [];
  const taken = createDisjointSpans();
  const ignored = createDisjointSpans(ignoredSpans);
  const addUrl = (start: number, raw: string, hasScheme: boolean): void => {
    const trimmed = trimTrailingPunctuation(raw);
    const url = { start, end: start + trimmed.length, text: trimmed, hasScheme };
    if (trimmed.length > 0 && !ignored.overlaps(url) && taken.add(url)) found.push(url);
  };
  for (const match of text.matchAll(withScheme)) addUrl(match.index, match[0], true);
  for (const match of text.matchAll(bareIpv4)) addUrl(match.index, match[0], false);
  for (const match of text.matchAll(bareHost)) {
    // "www." makes a link in messaging clients whatever the top-level domain.
    if (isKnownTopLevelDomain(match[1]!) || /^www\./i.test(match[0])) addUrl(match.index, match[0], false);
  }
  return found.sort((a, b) => a.start - b.start);
}

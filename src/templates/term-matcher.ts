/**
 * Whole-word matching of curated term lists in any script. JavaScript's `\b` only knows ASCII
 * letters, so "câncer" or "गर्भावस्था" need boundaries written with Unicode classes.
 */

export interface TermList {
  /** Matched without regard to case. */
  terms: readonly string[];
  /** Acronyms that are ordinary words in lower case ("PIN" and "pin", "AIDS" and "aids"). */
  caseSensitiveTerms?: readonly string[];
}

export interface TermMatch {
  /** The term as written in the list (so a message can name it without quoting the text around it). */
  term: string;
  start: number;
  end: number;
}

export interface TermMatcher {
  findAll(text: string): TermMatch[];
}

export function createTermMatcher(list: TermList): TermMatcher {
  const patterns = [buildPattern(list.terms, 'giu'), buildPattern(list.caseSensitiveTerms ?? [], 'gu')].filter((pattern) => pattern !== null);
  const canonical = new Map([...list.terms, ...(list.caseSensitiveTerms ?? [])].map((term) => [term.toLowerCase(), term]));
  return {
    findAll(text) {
      const matches: TermMatch[] = [];
      for (const pattern of patterns) {
        for (const match of text.matchAll(pattern)) {
          const term = canonical.get(match[0].toLowerCase().replace(/\s+/g, ' ')) ?? match[0];
          matches.push({ term, start: match.index, end: match.index + match[0].length });
        }
      }
      return matches.sort((a, b) => a.start - b.start);
    },
  };
}

function buildPattern(terms: readonly string[], flags: string): RegExp | null {
  if (terms.length === 0) return null;
  // Longest first, so "one-time password" wins over "password".
  const alternatives = [...terms].sort((a, b) => b.length - a.length).map((term) => escapeForPattern(term).replace(/ /g, '\\s+'));
  return new RegExp(`(?<![\\p{L}\\p{M}\\p{N}_])(?:${alternatives.join('|')})(?![\\p{L}\\p{M}\\p{N}_])`, flags);
}

function escapeForPattern(term: string): string {
  return term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
